"""Secrets and signatures of the Standard Webhooks specification, through its reference library.

A secret is ``whsec_`` and 32 random bytes in base64. Each message is signed as ``{webhook-id}.{webhook-timestamp}
.{body}`` with HMAC-SHA256 under every secret in force (the current one, and the previous one during the grace
period after a rotation), the signatures space-separated in ``webhook-signature`` as the specification allows, so
a receiver verifying with either secret accepts it.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks import Webhook

PREFIX = "whsec_"
SECRET_BYTES = 32


def secret_generate() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def message_id_generate() -> str:
    """A webhook-id: unique per message, the same on every retry (receivers deduplicate on it)."""
    return "msg_" + secrets.token_urlsafe(18)


def signed_headers(*, message_id: str, body: str, secrets_in_force: Sequence[str], at: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body`` sent at ``at``."""
    at = at.astimezone(UTC)
    signatures = [Webhook(secret).sign(message_id, at, body) for secret in secrets_in_force]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
