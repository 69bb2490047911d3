"""Portal links of any kind (an assessment's, an attestation request's): mint, verify, supersede, revoke.

A link is ``SITE_URL`` + a path holding a token of 32 random bytes (256 bits, URL-safe base64); only the token's
SHA-256 is stored, so the database alone never opens the portal. Minting a link supersedes the subject's live
one, which from then on answers 410 like an expired or revoked link; an unknown or malformed token is a 404.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from assessments.models import PortalLink

TOKEN_BYTES = 32
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # 32 bytes in URL-safe base64 without padding


class PortalLinkUnknown(LookupError):
    """No link has this token (or it is not a token at all): 404."""


class PortalLinkGone(LookupError):
    """The link existed but is superseded, revoked or expired: 410. ``state`` says which."""

    def __init__(self, link: PortalLink, state: str):
        super().__init__(state)
        self.link = link
        self.state = state


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def public_url(path: str) -> str:
    """An absolute address for a path of this app, as people outside reach it (settings.SITE_URL)."""
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def _live(link_model: type[PortalLink], subject) -> list[PortalLink]:
    field = link_model.SUBJECT_FIELD
    return list(
        link_model.objects.select_for_update().filter(
            **{field: subject}, superseded_at__isnull=True, revoked_at__isnull=True
        )
    )


@transaction.atomic
def portal_link_mint(
    *,
    link_model: type[PortalLink],
    subject,
    reason: str = PortalLink.Reason.SEND,
    by=None,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[PortalLink, str]:
    """A new live link for ``subject`` (superseding its live one) and the token to send; the token is returned
    once and never stored."""
    now = now or timezone.now()
    for old in _live(link_model, subject):
        old.superseded_at = now
        old.save(update_fields=["superseded_at"])
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = link_model(
        **{link_model.SUBJECT_FIELD: subject},
        token_hash=token_hash(token),
        reason=reason,
        issued_at=now,
        expires_at=expires_at or now + timedelta(days=settings.PORTAL_LINK_DAYS),
        issued_by=by if by is not None and by.is_authenticated else None,
    )
    link.full_clean(exclude=["token_hash"])
    link.save()
    return link, token


def portal_link_find(*, link_model: type[PortalLink], token: str, now: datetime | None = None) -> PortalLink:
    """The live link for a token; PortalLinkUnknown (404) or PortalLinkGone (410) otherwise."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise PortalLinkUnknown(token)
    link = link_model.objects.filter(token_hash=token_hash(token)).select_related(link_model.SUBJECT_FIELD).first()
    if link is None:
        raise PortalLinkUnknown(token)
    return portal_link_check(link=link, now=now)


def portal_link_check(*, link: PortalLink, now: datetime | None = None) -> PortalLink:
    """``link`` if still live, else PortalLinkGone (a portal session re-checks its link on every request)."""
    state = link.state(now or timezone.now())
    if state != "live":
        raise PortalLinkGone(link, state)
    return link


def portal_link_touch(*, link: PortalLink, now: datetime | None = None) -> None:
    link.last_used_at = now or timezone.now()
    link.save(update_fields=["last_used_at"])


@transaction.atomic
def portal_link_revoke(*, link_model: type[PortalLink], subject, by=None, now: datetime | None = None) -> int:
    """Revoke the subject's live link (if any); returns how many were revoked."""
    now = now or timezone.now()
    links = _live(link_model, subject)
    for link in links:
        link.revoked_at = now
        link.revoked_by = by if by is not None and by.is_authenticated else None
        link.save(update_fields=["revoked_at", "revoked_by"])
    return len(links)
