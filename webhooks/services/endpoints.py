"""Endpoints: create, change, enable and disable, rotate the secret, delete. Target URLs are checked here (and
again on every delivery) so the server is no SSRF relay."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from webhooks import signing
from webhooks.models import WebhookEndpoint
from webhooks.targets import TargetRefused, target_check

_ABANDONED = {
    WebhookEndpoint.DisabledReason.ADMIN: "Not sent: an administrator disabled the endpoint.",
    WebhookEndpoint.DisabledReason.FAILURES: "Not sent: the endpoint was disabled after repeated failed deliveries.",
}


def target_validate(url: str) -> str:
    """The URL, if webhooks may go there now; a ValidationError on ``url`` otherwise."""
    url = (url or "").strip()
    try:
        target_check(url, allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS)
    except TargetRefused as error:
        raise ValidationError({"url": str(error)}) from error
    return url


def _event_types(event_types: Sequence[str]) -> list[str]:
    return sorted(set(event_types))


@transaction.atomic
def endpoint_create(
    *, url: str, event_types: Sequence[str], description: str = "", enabled: bool = True, created_by=None
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (``whsec_...``), which is shown to the admin once."""
    endpoint = WebhookEndpoint(
        url=target_validate(url),
        description=description.strip(),
        event_types=_event_types(event_types),
        enabled=enabled,
        disabled_reason="" if enabled else WebhookEndpoint.DisabledReason.ADMIN,
        disabled_at=None if enabled else timezone.now(),
        secret=signing.secret_generate(),
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint, endpoint.secret


@transaction.atomic
def endpoint_update(
    *, endpoint: WebhookEndpoint, url: str, event_types: Sequence[str], description: str = ""
) -> WebhookEndpoint:
    """Change where an endpoint is and what it receives (its secret and state stay)."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.url = target_validate(url)
    endpoint.event_types = _event_types(event_types)
    endpoint.description = description.strip()
    endpoint.full_clean()
    endpoint.save(update_fields=["url", "event_types", "description", "updated_at"])
    return endpoint


@transaction.atomic
def endpoint_enable(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Receive events again (from now on: what was missed while disabled is not replayed); the failure streak
    starts afresh."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    target_validate(endpoint.url)
    endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = True, "", None
    endpoint.failure_streak, endpoint.failing_since = 0, None
    endpoint.save(
        update_fields=["enabled", "disabled_reason", "disabled_at", "failure_streak", "failing_since", "updated_at"]
    )
    return endpoint


@transaction.atomic
def endpoint_disable(
    *, endpoint: WebhookEndpoint, reason: str = WebhookEndpoint.DisabledReason.ADMIN, now: datetime | None = None
) -> WebhookEndpoint:
    """Stop sending to the endpoint: no new messages, and the pending ones are given up."""
    from webhooks.services.messages import messages_abandon

    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if not endpoint.enabled:
        return endpoint
    now = now or timezone.now()
    endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = False, reason, now
    endpoint.save(update_fields=["enabled", "disabled_reason", "disabled_at", "updated_at"])
    messages_abandon(endpoint=endpoint, reason=_ABANDONED[reason], now=now)
    return endpoint


@transaction.atomic
def endpoint_secret_rotate(
    *, endpoint: WebhookEndpoint, grace: timedelta | None = None, now: datetime | None = None
) -> tuple[WebhookEndpoint, str]:
    """A new secret (returned, shown once). The old one stays in force for ``grace`` (the
    ``WEBHOOKS_SECRET_GRACE_HOURS`` setting by default): messages carry both signatures until then, so the
    receiver can switch at its own pace. A zero grace retires the old secret at once."""
    now = now or timezone.now()
    grace = timedelta(hours=settings.WEBHOOKS_SECRET_GRACE_HOURS) if grace is None else grace
    if grace < timedelta(0) or grace > timedelta(days=30):
        raise ValidationError({"grace": "The grace period is between 0 and 30 days."})
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if grace:
        endpoint.previous_secret, endpoint.previous_secret_expires_at = endpoint.secret, now + grace
    else:
        endpoint.previous_secret, endpoint.previous_secret_expires_at = "", None
    endpoint.secret, endpoint.secret_rotated_at = signing.secret_generate(), now
    endpoint.full_clean()
    endpoint.save(
        update_fields=["secret", "previous_secret", "previous_secret_expires_at", "secret_rotated_at", "updated_at"]
    )
    return endpoint, endpoint.secret


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint with its messages and delivery log (configuration, not a record people rely on)."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


def secrets_in_force(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret, and the previous one while its grace period lasts."""
    in_force = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        in_force.append(endpoint.previous_secret)
    return in_force


@transaction.atomic
def endpoint_secrets_reseal() -> int:
    """Seal every stored secret again under the newest sealing key (read with any configured key): run after a
    key rotation, before the old key is dropped. Returns how many endpoints were resealed."""
    endpoints = list(WebhookEndpoint.objects.select_for_update())
    for endpoint in endpoints:
        endpoint.save(update_fields=["secret", "previous_secret"])
    return len(endpoints)
