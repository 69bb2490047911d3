"""Writes for two-factor sign-in (django-otp): enrolling an authenticator app (TOTP), backup codes, checking a
code at sign-in, and an admin lifting another's devices. Every step is kept in the audit trail."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from riskregistry.models import SecurityEvent
from riskregistry.roles import ADMIN
from riskregistry.signin.events import security_event_record

TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
# What the middleware owes a session, kept in it at sign-in: "verify" (give a code), "enrol" (an admin who must
# enrol first) or "" (nothing).
SESSION_KEY = "two_factor_due"


def is_admin(user) -> bool:
    return user.is_superuser or user.is_staff or user.groups.filter(name=ADMIN).exists()


def has_two_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def two_factor_due(user) -> str:
    if has_two_factor(user):
        return "verify"
    if settings.REQUIRE_ADMIN_2FA and is_admin(user):
        return "enrol"
    return ""


@transaction.atomic
def totp_enrol_start(*, user) -> TOTPDevice:
    """A new, unconfirmed authenticator for ``user`` (an earlier unconfirmed one is dropped). It counts only once
    confirmed with a code, so an abandoned enrolment changes nothing."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    device.full_clean()
    device.save()
    return device


def totp_enrol_confirm(*, device: TOTPDevice, token: str, request: HttpRequest) -> list[str]:
    """Confirm ``device`` with a code it generated; it replaces the user's earlier authenticator and comes with
    fresh backup codes, returned here to be shown once. ValidationError for a wrong code (which is kept, and
    counts towards the device's throttling)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if device.confirmed:
            raise ValidationError({"token": "This authenticator is already set up."})
        verified = device.verify_token(token.strip())
        if verified:
            TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            security_event_record(kind=SecurityEvent.Kind.TWO_FACTOR_ENROLLED, request=request, user=device.user)
            return backup_codes_generate(user=device.user, request=request)
    security_event_record(
        kind=SecurityEvent.Kind.TWO_FACTOR_FAILED, request=request, user=device.user, detail="enrolment code"
    )
    raise ValidationError({"token": "That code is not right. Check the time on your phone and try the next code."})


@transaction.atomic
def backup_codes_generate(*, user, request: HttpRequest) -> list[str]:
    """A new set of single-use backup codes for ``user``; the earlier set stops working."""
    backup, _ = StaticDevice.objects.get_or_create(user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True})
    backup.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.BACKUP_CODES_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=backup, token=code) for code in codes)
    security_event_record(kind=SecurityEvent.Kind.BACKUP_CODES_GENERATED, request=request, user=user)
    return codes


@dataclass(frozen=True)
class CodeCheck:
    device: TOTPDevice | StaticDevice | None
    wait_seconds: int = 0  # > 0: too many wrong codes in a row, no code is checked until then


def two_factor_check(*, user, token: str, request: HttpRequest) -> CodeCheck:
    """Check a code from the authenticator or one of the backup codes (which is then used up). The devices'
    own throttling applies: each wrong code doubles the wait before the next one is looked at."""
    token = "".join(token.split()).lower()
    # Six digits are the app's code; anything else can only be a backup code.
    kind = TOTPDevice if token.isdigit() else StaticDevice
    with transaction.atomic():
        devices = list(kind.objects.select_for_update().filter(user=user, confirmed=True))
        for device in devices:
            allowed, about = device.verify_is_allowed()
            if not allowed:
                wait = about.get("locked_until") if about else None
                seconds = max(1, int((wait - timezone.now()).total_seconds()) + 1) if wait else 1
                security_event_record(
                    kind=SecurityEvent.Kind.TWO_FACTOR_FAILED, request=request, user=user, detail="throttled"
                )
                return CodeCheck(device=None, wait_seconds=seconds)
        matched = next((device for device in devices if device.verify_token(token)), None)
    if matched is None:
        security_event_record(
            kind=SecurityEvent.Kind.TWO_FACTOR_FAILED, request=request, user=user, detail="sign-in code"
        )
    elif isinstance(matched, StaticDevice):
        left = matched.token_set.count()
        security_event_record(
            kind=SecurityEvent.Kind.BACKUP_CODE_USED, request=request, user=user, detail=f"{left} backup codes left"
        )
    else:
        security_event_record(kind=SecurityEvent.Kind.TWO_FACTOR_VERIFIED, request=request, user=user)
    return CodeCheck(device=matched)


@transaction.atomic
def two_factor_remove(*, user, actor, reason: str, request: HttpRequest) -> int:
    """An admin lifts ``user``'s authenticator and backup codes (a lost phone); the user signs in with the password
    alone, or enrols again at once where two-factor is required. Another admin must do it: nobody lifts their own.
    Returns how many devices went."""
    if actor.pk == user.pk:
        raise ValidationError("Another administrator must remove your own two-factor devices.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why: the reason is kept in the audit trail."})
    removed = TOTPDevice.objects.filter(user=user).delete()[1].get(TOTPDevice._meta.label, 0)
    StaticDevice.objects.filter(user=user).delete()
    security_event_record(
        kind=SecurityEvent.Kind.TWO_FACTOR_REMOVED, request=request, user=user, actor=actor, detail=reason.strip()
    )
    return removed
