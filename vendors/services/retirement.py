"""Ending vendors, products and model usages without losing what was concluded about them.

A record with history (rating snapshots, findings, and whatever else points at it with ``on_delete=PROTECT``:
products of a vendor, usages of a product, recorded supply-chain changes) is *retired*: it ends, with who, when and
why, and stays readable. Only a record nothing depends on (a typo) is deleted, and the audit trail keeps a
"deleted" row with the reason. Every door (pages, admin, API, commands) removes through ``*_remove`` here.
"""

from collections import Counter
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.db.models import Model
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.utils import timezone

from vendors.models import ChangeEvent, ModelUsage, Product, Vendor
from vendors.services.rescoring import usages_rescore_request
from vendors.signals import change_events_announce

REASON_MAX_LENGTH = 500


@dataclass(frozen=True)
class Removal:
    """What a removal did: ``retired`` (the record had history) or ``deleted`` (it had none)."""

    outcome: str
    kept: dict[str, int]  # what the record's history holds, e.g. {"risk ratings": 3}: why it was retired

    @property
    def retired(self) -> bool:
        return self.outcome == "retired"


def records_depending_on(instance: Model) -> dict[str, int]:
    """What refuses to disappear with ``instance``: the protected rows a delete would have to erase, counted by
    kind (plural verbose name). Empty when nothing depends on it and it may be deleted."""
    collector = Collector(using=router.db_for_write(type(instance)))
    try:
        collector.collect([instance])
    except (ProtectedError, RestrictedError) as error:
        blocking = getattr(error, "protected_objects", None) or getattr(error, "restricted_objects", ())
        return dict(sorted(Counter(str(obj._meta.verbose_name_plural) for obj in blocking).items()))
    return {}


def describe_records(kept: dict[str, int]) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in kept.items())


def _clean_reason(reason: str, *, ask: str = "Say why it ends") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": f"{ask}: the reason is kept in the audit trail."})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": f"Keep the reason under {REASON_MAX_LENGTH} characters."})
    return reason


def _user(user: AbstractBaseUser | None):
    return user if user is not None and user.is_authenticated else None


def _retire(instance, *, user, reason: str, extra_fields: tuple[str, ...] = ()) -> None:
    instance.retired_at = timezone.now()
    instance.retired_by = _user(user)
    instance.retirement_reason = reason
    instance._change_reason = f"Retired: {reason}"
    instance.full_clean()
    instance.save(update_fields=["retired_at", "retired_by", "retirement_reason", *extra_fields, "updated_at"])


def _delete(instance, *, reason: str) -> None:
    instance._change_reason = f"Deleted: {reason}"
    instance.delete()


def _refuse_if_retired(instance, message: str) -> None:
    """Lock the row for the rest of the transaction (two people ending it at once take turns) and refuse to end
    it twice."""
    stored = type(instance).objects.select_for_update().get(pk=instance.pk)
    if stored.is_retired:
        raise ValidationError(f"{message} on %(when)s.", params={"when": f"{stored.retired_at:%Y-%m-%d}"})


# ---------------------------------------------------------------------------------------------------------------
# Model usages
# ---------------------------------------------------------------------------------------------------------------
def _usage_removed_event(usage: ModelUsage, *, retired: bool, reason: str) -> None:
    verb = "stopped using" if retired else "no longer uses"
    removed = ChangeEvent.objects.create(
        kind=ChangeEvent.Kind.USAGE_REMOVED,
        model=usage.model,
        product=usage.product,
        summary=f"{usage.product} {verb} {usage.model.name} ({usage.get_role_display().lower()})",
        details={
            "usage": usage.pk if retired else None,
            "role": usage.role,
            "host": usage.host.key if usage.host else None,
            "outcome": "retired" if retired else "deleted",
            "reason": reason,
        },
        occurred_at=timezone.now(),
    )
    change_events_announce([removed])


@transaction.atomic
def model_usage_retire(*, usage: ModelUsage, reason: str, user: AbstractBaseUser | None = None) -> ModelUsage:
    """End a usage: it stops counting in roll-ups and exposure, its live findings close at the rescoring that
    follows, and its ratings, findings and history stay readable on its page."""
    reason = _clean_reason(reason)
    _refuse_if_retired(usage, "This model usage already ended")
    _retire(usage, user=user, reason=reason)
    _usage_removed_event(usage, retired=True, reason=reason)
    usages_rescore_request(usage_ids=[usage.pk])
    return usage


@transaction.atomic
def model_usage_reinstate(*, usage: ModelUsage, reason: str, user: AbstractBaseUser | None = None) -> ModelUsage:
    """Put a retired usage back in use (retired by mistake, or the vendor brought the model back): it counts again
    in roll-ups and exposure and is rated again. The retirement stays in its history and the change feed."""
    reason = _clean_reason(reason, ask="Say why it is back in use")
    stored = ModelUsage.objects.select_for_update().select_related("product", "model").get(pk=usage.pk)
    if not stored.is_retired:
        raise ValidationError("This model usage is in use already.", code="usage_in_use")
    if stored.product.is_retired:
        raise ValidationError(
            "Its product %(product)s is retired: put the product back in use first.",
            code="product_retired",
            params={"product": stored.product},
        )
    usage.retired_at, usage.retired_by, usage.retirement_reason = None, None, ""
    usage._change_reason = f"Reinstated: {reason}"
    usage.save(update_fields=["retired_at", "retired_by", "retirement_reason", "updated_at"])
    back = ChangeEvent.objects.create(
        kind=ChangeEvent.Kind.USAGE_ADDED,
        model=stored.model,
        product=stored.product,
        summary=f"{stored.product} uses {stored.model.name} again ({stored.get_role_display().lower()})",
        details={"usage": usage.pk, "role": stored.role, "outcome": "reinstated", "reason": reason},
        occurred_at=timezone.now(),
    )
    change_events_announce([back])
    usages_rescore_request(usage_ids=[usage.pk])
    return usage


@transaction.atomic
def model_usage_remove(*, usage: ModelUsage, reason: str, user: AbstractBaseUser | None = None) -> Removal:
    """Remove a usage from its product: retired when it has ratings or findings, deleted when it has none."""
    reason = _clean_reason(reason)
    kept = records_depending_on(usage)
    if kept:
        model_usage_retire(usage=usage, reason=reason, user=user)
        return Removal("retired", kept)
    _usage_removed_event(usage, retired=False, reason=reason)
    _delete(usage, reason=reason)
    return Removal("deleted", kept)


# ---------------------------------------------------------------------------------------------------------------
# Products
# ---------------------------------------------------------------------------------------------------------------
@transaction.atomic
def product_retire(*, product: Product, reason: str, user: AbstractBaseUser | None = None) -> Product:
    """Retire a product: it leaves the roll-ups, its usages' live findings close, everything stays readable."""
    reason = _clean_reason(reason)
    _refuse_if_retired(product, "This product was already retired")
    product.status = Product.Status.RETIRED
    _retire(product, user=user, reason=reason, extra_fields=("status",))
    usages_rescore_request(usage_ids=product.model_usages.values_list("pk", flat=True))
    return product


@transaction.atomic
def product_remove(*, product: Product, reason: str, user: AbstractBaseUser | None = None) -> Removal:
    """Remove a product: retired when it has model usages or recorded changes, deleted when it has none."""
    reason = _clean_reason(reason)
    kept = records_depending_on(product)
    if kept:
        product_retire(product=product, reason=reason, user=user)
        return Removal("retired", kept)
    _delete(product, reason=reason)
    return Removal("deleted", kept)


# ---------------------------------------------------------------------------------------------------------------
# Vendors
# ---------------------------------------------------------------------------------------------------------------
@transaction.atomic
def vendor_retire(*, vendor: Vendor, reason: str, user: AbstractBaseUser | None = None) -> Vendor:
    """Archive a vendor with who, when and why; its products still in use are retired with it."""
    reason = _clean_reason(reason)
    _refuse_if_retired(vendor, "This vendor was already archived")
    vendor.status = Vendor.Status.ARCHIVED
    _retire(vendor, user=user, reason=reason, extra_fields=("status",))
    for product in vendor.products.filter(status=Product.Status.ACTIVE, retired_at__isnull=True):
        product_retire(product=product, reason=f"Vendor archived: {reason}"[:REASON_MAX_LENGTH], user=user)
    return vendor


@transaction.atomic
def vendor_remove(*, vendor: Vendor, reason: str, user: AbstractBaseUser | None = None) -> Removal:
    """Remove a vendor: archived when it has products, deleted (with its contacts) when it has none."""
    reason = _clean_reason(reason)
    kept = records_depending_on(vendor)
    if kept:
        vendor_retire(vendor=vendor, reason=reason, user=user)
        return Removal("retired", kept)
    for contact in vendor.contacts.all():  # each contact's own audit trail says why it went
        _delete(contact, reason=f"Vendor deleted: {reason}"[:REASON_MAX_LENGTH])
    _delete(vendor, reason=reason)
    return Removal("deleted", kept)
