"""Webhook secrets at rest: stored encrypted (Fernet, from the ``cryptography`` library), read back in clear only
to sign a message or to show a new secret once.

The keys come from ``WEBHOOKS_SEALING_KEYS`` (Fernet keys, newest first) or, when that is empty, are derived from
``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS`` (HKDF-SHA256). Sealing uses the first key; any key opens. So a key
rotation keeps working while the old key is still listed (for ``SECRET_KEY``: moved to ``SECRET_KEY_FALLBACKS``),
and ``manage.py webhooks_reseal`` seals every stored secret under the new key before the old one is dropped.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

_INFO = b"riskregistry webhook secrets"


def _derived(secret_key: str) -> bytes:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(key)


def _fernet() -> MultiFernet:
    keys = [k.encode() for k in settings.WEBHOOKS_SEALING_KEYS] or [
        _derived(k) for k in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    ]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(f"WEBHOOKS_SEALING_KEYS must be Fernet keys: {error}") from None


def seal(clear: str) -> str:
    return _fernet().encrypt(clear.encode()).decode("ascii")


def unseal(sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError):
        raise ImproperlyConfigured(
            "A stored webhook secret cannot be opened with the configured keys. After changing SECRET_KEY, keep the "
            "old one in SECRET_KEY_FALLBACKS (or the old key in WEBHOOKS_SEALING_KEYS) until "
            "`manage.py webhooks_reseal` has run."
        ) from None


def reseal(sealed: str) -> str:
    """The same secret sealed under the first (newest) key."""
    return _fernet().rotate(sealed.encode("ascii")).decode("ascii")


class SealedCharField(models.CharField):
    """A CharField stored sealed and read in clear (empty stays empty, so "no previous secret" can be checked).
    Never filter on it: each sealing of the same text differs."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 255)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        return unseal(value) if value else value

    def get_db_prep_value(self, value, connection, prepared=False):
        value = super().get_db_prep_value(value, connection, prepared)
        return seal(value) if value else value
