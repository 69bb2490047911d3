"""Writes to the portfolio: vendors, contacts, products and model usages."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from riskregistry.versions import version_check
from vendors.models import (
    AIModel,
    AIModelAlias,
    ChangeEvent,
    Contact,
    Host,
    HostRegion,
    LineageRefresh,
    ModelUsage,
    Product,
    Vendor,
)
from vendors.services.knowledge import publisher_for_repo_id
from vendors.services.rescoring import usages_rescore_request
from vendors.services.vendor_publisher import vendor_publisher_follow
from vendors.signals import change_events_announce

_VENDOR_FIELDS = ("name", "country", "website", "tier", "status", "description")
_PRODUCT_FIELDS = ("name", "description", "criticality", "status", "business_owner")
_CONTACT_FIELDS = ("name", "email", "role", "phone", "is_primary")


def _apply(instance, fields: tuple[str, ...], values: dict) -> list[str]:
    """Set the given fields from ``values``; return the names that changed (for ``update_fields``)."""
    unknown = set(values) - set(fields)
    if unknown:
        raise TypeError(f"unexpected fields: {', '.join(sorted(unknown))}")
    changed = []
    for field, value in values.items():
        if getattr(instance, field) != value:
            setattr(instance, field, value)
            changed.append(field)
    return changed


# ---------------------------------------------------------------------------------------------------------------
# Vendors
# ---------------------------------------------------------------------------------------------------------------
@transaction.atomic
def vendor_create(**fields) -> Vendor:
    vendor = Vendor()
    _apply(vendor, _VENDOR_FIELDS, fields)
    vendor.full_clean()
    vendor.save()
    return vendor


def _retirement_follows_status(instance, changed: list[str], ended: str, user) -> None:
    """A status set to ended (archived, retired) on an edit form records when and by whom; set back, it clears."""
    if "status" not in changed:
        return
    if instance.status == ended and instance.retired_at is None:
        instance.retired_at = timezone.now()
        instance.retired_by = user if user is not None and user.is_authenticated else None
        instance.retirement_reason = instance.retirement_reason or "Status set on the edit form."
    elif instance.status != ended:
        instance.retired_at, instance.retired_by, instance.retirement_reason = None, None, ""
    changed += ["retired_at", "retired_by", "retirement_reason"]


@transaction.atomic
def vendor_update(
    *, vendor: Vendor, user: AbstractBaseUser | None = None, based_on: str | None = None, **fields
) -> Vendor:
    """Change a vendor. ``based_on``: the version the editor started from (riskregistry.versions); a save based on
    an older one is refused with what changed meanwhile. None (imports) skips the check."""
    version_check(instance=vendor, based_on=based_on)
    changed = _apply(vendor, _VENDOR_FIELDS, fields)
    _retirement_follows_status(vendor, changed, Vendor.Status.ARCHIVED, user)
    if changed:
        vendor.full_clean()
        vendor.save(update_fields=[*changed, "updated_at"])
    if {"name", "country"} & set(changed):
        vendor_publisher_follow(vendor=vendor)
    return vendor


# ---------------------------------------------------------------------------------------------------------------
# Contacts
# ---------------------------------------------------------------------------------------------------------------
@transaction.atomic
def contact_create(*, vendor: Vendor, **fields) -> Contact:
    contact = Contact(vendor=vendor)
    _apply(contact, _CONTACT_FIELDS, fields)
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, based_on: str | None = None, **fields) -> Contact:
    """Change a contact (``based_on`` as for ``vendor_update``)."""
    version_check(instance=contact, based_on=based_on)
    changed = _apply(contact, _CONTACT_FIELDS, fields)
    if changed:
        contact.full_clean()
        contact.save(update_fields=changed)
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact) -> None:
    contact.delete()


# ---------------------------------------------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------------------------------------------
@transaction.atomic
def product_create(*, vendor: Vendor, data_categories=(), **fields) -> Product:
    product = Product(vendor=vendor)
    _apply(product, _PRODUCT_FIELDS, fields)
    product.full_clean()
    product.save()
    product.data_categories.set(data_categories)
    return product


@transaction.atomic
def product_update(
    *,
    product: Product,
    data_categories=None,
    user: AbstractBaseUser | None = None,
    based_on: str | None = None,
    **fields,
) -> Product:
    """Change a product and its data categories (``based_on`` as for ``vendor_update``)."""
    version_check(instance=product, based_on=based_on)
    changed = _apply(product, _PRODUCT_FIELDS, fields)
    _retirement_follows_status(product, changed, Product.Status.RETIRED, user)
    if changed:
        product.full_clean()
        product.save(update_fields=[*changed, "updated_at"])
    if "status" in changed:  # a retired product's findings close; a reactivated one is rated again
        usages_rescore_request(usage_ids=product.model_usages.values_list("pk", flat=True))
    if data_categories is not None:
        product.data_categories.set(data_categories)
    return product


# ---------------------------------------------------------------------------------------------------------------
# Models and model usages
# ---------------------------------------------------------------------------------------------------------------
def ai_model_find(*, kind: str, name: str) -> AIModel | None:
    """The node for a name or one of its aliases (renamed hub repos, dated API ids); case-insensitive, as the
    hub is."""
    model = AIModel.objects.filter(kind=kind).annotate(lname=Lower("name")).filter(lname=name.lower()).first()
    if model is None:
        alias = (
            AIModelAlias.objects.select_related("model")
            .annotate(lname=Lower("name"))
            .filter(lname=name.lower(), model__kind=kind)
            .first()
        )
        model = alias.model if alias else None
    return model


@transaction.atomic
def ai_model_get_or_create(*, kind: str, name: str, declared_source: str = "") -> AIModel:
    """Find or create a lineage node; hub ids are validated against the hub's grammar, closed API models must
    be in the catalogue (the knowledge base), declared models are created as named."""
    name = name.strip() if kind != AIModel.Kind.HUB else name
    model = ai_model_find(kind=kind, name=name)
    if model is not None:
        return model
    if kind == AIModel.Kind.CLOSED:
        raise ValidationError(
            "“%(name)s” is not in the catalogue of closed API models; an admin can add it to the knowledge base.",
            code="unknown_closed_model",
            params={"name": name},
        )
    model = AIModel(kind=kind, name=name, declared_source=declared_source if kind == AIModel.Kind.DECLARED else "")
    if kind == AIModel.Kind.HUB:
        model.publisher = publisher_for_repo_id(name)
    else:  # nothing to fetch: what is known was declared
        model.status = AIModel.Status.RESOLVED
        who = model.get_declared_source_display().lower() or "analyst"
        model.status_reason = f"Declared by the {who}; no public record."
    model.full_clean()
    model.save()
    return model


def _declared_source(declared_by: str) -> str:
    if declared_by == ModelUsage.DeclaredBy.VENDOR:
        return AIModel.DeclaredSource.VENDOR
    return AIModel.DeclaredSource.ANALYST


def _usage_host_region(host: Host | None, region: HostRegion | None) -> Host | None:
    # A region names its host, so choosing a region alone is enough.
    return region.host if region is not None and host is None else host


@transaction.atomic
def model_usage_register(
    *,
    product: Product,
    model_kind: str,
    model_name: str,
    role: str = ModelUsage.Role.PRIMARY,
    host: Host | None = None,
    region: HostRegion | None = None,
    share: int | None = None,
    declared_by: str = ModelUsage.DeclaredBy.ANALYST,
    user: AbstractBaseUser | None = None,
    notes: str = "",
    resolve: bool = True,
    rescore: bool = True,
) -> ModelUsage:
    """Record that a product uses a model; the model node is found or created in the same transaction, so a
    refused usage leaves no orphan node behind. A hub model never resolved before is queued for lineage
    resolution once the transaction commits (``resolve=False`` leaves that to a later bulk refresh), and the
    usage is rated after commit (``rescore=False``: the caller asks once for a batch)."""
    model = ai_model_get_or_create(kind=model_kind, name=model_name, declared_source=_declared_source(declared_by))
    usage = ModelUsage(
        product=product,
        model=model,
        role=role,
        host=_usage_host_region(host, region),
        region=region,
        share=share,
        declared_by=declared_by,
        declared_by_user=user if user is not None and user.is_authenticated else None,
        notes=notes,
    )
    usage.full_clean()
    usage.save()
    added = ChangeEvent.objects.create(
        kind=ChangeEvent.Kind.USAGE_ADDED,
        model=model,
        product=product,
        summary=f"{product} now uses {model.name} ({usage.get_role_display().lower()})",
        details={"usage": usage.pk, "role": role, "host": usage.host.key if usage.host else None},
        occurred_at=timezone.now(),
    )
    change_events_announce([added])
    if resolve:
        _lineage_resolve_if_new(model)
    if rescore:
        usages_rescore_request(usage_ids=[usage.pk])
    return usage


def _lineage_resolve_if_new(model: AIModel) -> None:
    if model.kind == AIModel.Kind.HUB and model.fetched_at is None:
        from vendors.services.lineage import lineage_refresh_request

        lineage_refresh_request(scope=LineageRefresh.Scope.MODELS, model_names=[model.name])


@transaction.atomic
def model_usage_update(
    *,
    usage: ModelUsage,
    model_kind: str,
    model_name: str,
    role: str,
    host: Host | None,
    region: HostRegion | None,
    share: int | None,
    notes: str = "",
    rescore: bool = True,
    based_on: str | None = None,
) -> ModelUsage:
    """Change a usage; it is rated again after commit (``rescore=False``: the caller asks once for a batch).
    ``based_on`` as for ``vendor_update``."""
    version_check(instance=usage, based_on=based_on)
    if usage.is_retired:
        raise ValidationError(
            "This model usage ended on %(when)s and is kept as it was; register the model again instead.",
            code="usage_retired",
            params={"when": f"{usage.retired_at:%Y-%m-%d}"},
        )
    previous_model = usage.model
    model = ai_model_get_or_create(
        kind=model_kind, name=model_name, declared_source=_declared_source(usage.declared_by)
    )
    values = {
        "model": model,
        "role": role,
        "share": share,
        "notes": notes,
        "host": _usage_host_region(host, region),
        "region": region,
    }
    changed = [field for field, value in values.items() if getattr(usage, field) != value]
    if not changed:
        # Nothing to record: no history row (which would make anyone else's open form stale) and no rescoring.
        return usage
    for field in changed:
        setattr(usage, field, values[field])
    usage.full_clean()
    usage.save()
    if previous_model.pk != model.pk:
        _lineage_resolve_if_new(model)
        swapped = ChangeEvent.objects.create(
            kind=ChangeEvent.Kind.MODEL_SWAPPED,
            model=model,
            product=usage.product,
            summary=f"{usage.product} swapped {previous_model.name} for {model.name}",
            details={"usage": usage.pk, "from": previous_model.name, "to": model.name},
            occurred_at=timezone.now(),
        )
        change_events_announce([swapped])
    if rescore:
        usages_rescore_request(usage_ids=[usage.pk])
    return usage
