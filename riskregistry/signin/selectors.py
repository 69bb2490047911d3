"""Reads for the sign-in pages."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from riskregistry.models import SecurityEvent


@dataclass(frozen=True)
class TwoFactorStatus:
    enrolled: bool
    backup_codes_left: int


def two_factor_status(*, user) -> TwoFactorStatus:
    enrolled = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    left = StaticDevice.objects.filter(user=user, confirmed=True).aggregate(n=Count("token_set"))["n"] or 0
    return TwoFactorStatus(enrolled=enrolled, backup_codes_left=left)


def two_factor_users() -> QuerySet[User]:
    """The users with an authenticator, for the admins' page, with when each last used a code."""
    enrolled = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return (
        User.objects.filter(Exists(enrolled))
        .annotate(backup_codes_left=Count("staticdevice__token_set", filter=Q(staticdevice__confirmed=True)))
        .order_by("username")
    )


def security_events_for(*, user, limit: int = 20) -> list[Any]:
    return list(SecurityEvent.objects.filter(user=user).select_related("actor")[:limit])
