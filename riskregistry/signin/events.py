"""The audit trail of single sign-on and two-factor events (password sign-ins are django-axes' records)."""

from axes.helpers import get_client_ip_address
from django.http import HttpRequest

from riskregistry.models import SecurityEvent


def security_event_record(
    *,
    kind: str,
    request: HttpRequest | None = None,
    user=None,
    username: str = "",
    actor=None,
    detail: str = "",
) -> SecurityEvent:
    """Keep one event; the address is the client's as django-axes reads it (its proxy settings apply)."""
    address = get_client_ip_address(request) if request is not None else None
    event = SecurityEvent(
        kind=kind,
        user=user,
        username=(username or (user.get_username() if user is not None else ""))[:150],
        actor=actor,
        ip_address=address or None,
        detail=detail[:500],
    )
    event.full_clean()
    event.save(force_insert=True)
    return event
