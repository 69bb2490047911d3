"""Writes for the project's own operational state and the API keys of integrations."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from riskregistry.models import ApiKey, WorkerHeartbeat

# A worker is considered alive if it beat within this window (beat sends one a minute).
HEARTBEAT_FRESH = timedelta(minutes=3)


def worker_heartbeat_record(*, hostname: str) -> WorkerHeartbeat:
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(hostname=hostname).update(seen_at=now, beats=F("beats") + 1)
    if not updated:
        WorkerHeartbeat.objects.get_or_create(hostname=hostname, defaults={"seen_at": now, "beats": 1})
    return WorkerHeartbeat.objects.get(hostname=hostname)


def workers_alive() -> list[WorkerHeartbeat]:
    return list(WorkerHeartbeat.objects.filter(seen_at__gte=timezone.now() - HEARTBEAT_FRESH))


@transaction.atomic
def api_key_create(*, owner, scope: str, name: str = "", expires_days: int | None = None) -> tuple[ApiKey, str]:
    """Create an API key for ``owner``; returns the row and the key itself, which is never stored (only its hash
    and its visible prefix are) and so can be shown only this once."""
    if expires_days is not None and expires_days < 1:
        raise ValidationError({"expires_days": "An expiry is at least one day away."})
    if not owner.is_active:
        raise ValidationError({"owner": f"{owner.get_username()} is inactive."})
    key = ApiKey(owner=owner, scope=scope, name=(name or f"{owner.get_username()} ({scope})")[:50])
    if expires_days is not None:
        key.expiry_date = timezone.now() + timedelta(days=expires_days)
    raw = ApiKey.objects.assign_key(key)
    key.full_clean()
    key.save(force_insert=True)
    return key, raw


@transaction.atomic
def api_key_revoke(*, key: ApiKey) -> ApiKey:
    """Revoke a key for good: requests with it are refused from now on."""
    if not key.revoked:
        key.revoked = True
        key.save(update_fields=["revoked"])
    return key
