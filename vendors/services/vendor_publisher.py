"""A vendor's own publisher identity: the hub organisations under which a vendor publishes its own models.

A vendor that fine-tunes models and publishes them on the hub is also their publisher. Marking one of its hub
organisations as its own gives those models a publisher (a ``Publisher`` row tied to the vendor, with the vendor's
country), so they no longer count as "unknown publisher". The roles stay apart: the ``Vendor`` row is the seller,
the ``Publisher`` row the maker; only the country and the name follow the vendor. Every mark and unmark is kept in
the organisations' history (who, when).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.text import slugify

from vendors.models import AIModel, Publisher, PublisherOrg, Vendor
from vendors.services.rescoring import usages_depending_on, usages_rescore_request

#: A hub namespace (user or organisation): letters, digits, ``-``, ``_``, ``.``; 96 characters at most.
_HUB_ORG = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?")
_HUB_URL = re.compile(r"^(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)/", re.IGNORECASE)


def _org_id_clean(value: str) -> str:
    """``ORG``, also given as ``https://huggingface.co/ORG`` or ``ORG/some-model``; raises on anything else."""
    text = _HUB_URL.sub("", (value or "").strip()).strip("/")
    org = text.split("/", 1)[0]
    if not _HUB_ORG.fullmatch(org) or ".." in org or "--" in org:
        raise ValidationError({"org_id": "Give a hub organisation or user id, such as northwind-ai."})
    return org


def _org_models(org_id: str) -> list[AIModel]:
    return list(AIModel.objects.filter(kind=AIModel.Kind.HUB, name__istartswith=f"{org_id}/"))


@transaction.atomic
def vendor_publisher_get_or_create(*, vendor: Vendor) -> Publisher:
    """The vendor's publisher identity, created with the vendor's name and country the first time."""
    existing = Publisher.objects.filter(vendor=vendor).first()
    if existing is not None:
        return existing
    publisher = Publisher(
        key=f"{slugify(vendor.name)[:80] or 'vendor'}-vendor-{vendor.pk}",
        name=vendor.name,
        country=vendor.country,
        vendor=vendor,
        sources=[
            {
                "title": f"The vendor record of {vendor.name} (its own hub organisations)",
                "url": vendor.get_absolute_url(),
            }
        ],
        notes="The publisher identity of one of our vendors; its country follows the vendor's.",
    )
    publisher.full_clean()
    publisher.save()
    return publisher


@transaction.atomic
def vendor_hub_org_add(*, vendor: Vendor, org_id: str) -> PublisherOrg:
    """Mark ``org_id`` as the vendor's own: its models get the vendor's publisher identity, and are rescored.

    Refused when the organisation already belongs to a publisher (this vendor's or the knowledge base's: an
    admin changes those) or the vendor is retired.
    """
    org_id = _org_id_clean(org_id)
    if vendor.is_retired:
        raise ValidationError("A retired vendor's hub organisations cannot be changed.")
    owner = PublisherOrg.objects.select_related("publisher").annotate(l=Lower("org_id")).filter(l=org_id.lower())
    found = owner.first()
    if found is not None:
        if found.publisher.vendor_id == vendor.pk:
            raise ValidationError({"org_id": f"{org_id} is already marked as {vendor.name}'s own."})
        raise ValidationError(
            {"org_id": f"{org_id} already belongs to the publisher {found.publisher.name} in the knowledge base; "
                       "an admin can move it there."}
        )  # fmt: skip
    publisher = vendor_publisher_get_or_create(vendor=vendor)
    org = PublisherOrg(org_id=org_id, publisher=publisher)
    org.full_clean()
    org.save()
    models = _org_models(org_id)
    for model in models:
        model.publisher = publisher
    AIModel.objects.bulk_update(models, ["publisher"], batch_size=500)
    usages_rescore_request(usage_ids=usages_depending_on(models))
    return org


@transaction.atomic
def vendor_hub_org_remove(*, vendor: Vendor, org_id: str) -> None:
    """Unmark one of the vendor's own organisations: its models have no publisher again, and are rescored."""
    org_id = (org_id or "").strip()
    org = (
        PublisherOrg.objects.annotate(l=Lower("org_id"))
        .filter(l=org_id.lower(), publisher__vendor=vendor)
        .select_related("publisher")
        .first()
    )
    if org is None:
        raise ValidationError(f"{org_id or 'That organisation'} is not marked as {vendor.name}'s own.")
    publisher = org.publisher
    org.delete()
    models = [m for m in _org_models(org.org_id) if m.publisher_id == publisher.pk]
    for model in models:
        model.publisher = None
    AIModel.objects.bulk_update(models, ["publisher"], batch_size=500)
    usages_rescore_request(usage_ids=usages_depending_on(models))


def vendor_publisher_follow(*, vendor: Vendor) -> None:
    """After the vendor's name or country changed: its publisher identity follows, and what it made is rescored."""
    publisher = Publisher.objects.filter(vendor=vendor).first()
    if publisher is None or (publisher.name, publisher.country) == (vendor.name, vendor.country):
        return
    publisher.name, publisher.country = vendor.name, vendor.country
    publisher.full_clean()
    publisher.save(update_fields=["name", "country", "updated_at"])
    usages_rescore_request(usage_ids=usages_depending_on(AIModel.objects.filter(publisher=publisher)))
