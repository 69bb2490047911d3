"""Portal links to attestation requests: sent to the vendor's contacts, reissued (the old link then answers 410)
or revoked. The token mechanics are the portal's (``assessments.services.portal``); a link opens one request."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from assessments.models import AttestationLink, AttestationRequest
from assessments.services import portal
from vendors.models import Contact


def attestation_link_url(token: str) -> str:
    return portal.public_url(reverse("portal:attestation_enter", args=[token]))


def _expiry(request: AttestationRequest, now: datetime) -> datetime:
    """The usual link lifetime, and at least a week past the deadline (vendors sign late)."""
    after_deadline = datetime.combine(request.deadline + timedelta(days=8), time.min, tzinfo=UTC)
    return max(now + timedelta(days=settings.PORTAL_LINK_DAYS), after_deadline)


@transaction.atomic
def attestation_link_send(
    *, request: AttestationRequest, contacts: list[Contact], by=None, reason: str = AttestationLink.Reason.SEND
) -> tuple[AttestationLink, str]:
    """Mint a link to the request (superseding the live one) and email it to each contact after commit; returns
    the link and its URL (shown once: the token is not stored)."""
    if request.status != AttestationRequest.Status.OPEN:
        raise ValidationError(f"This request is {request.get_status_display().lower()}: no link is sent.")
    contacts = [c for c in contacts if c.vendor_id == request.vendor_id]
    if not contacts:
        raise ValidationError({"contacts": "Choose at least one of the vendor's contacts."})
    now = timezone.now()
    link, token = portal.portal_link_mint(
        link_model=AttestationLink, subject=request, reason=reason, by=by, expires_at=_expiry(request, now), now=now
    )
    url = attestation_link_url(token)
    for contact in contacts:
        body = render_to_string(
            "assessments/email/attestation_link.txt",
            {"request": request, "contact": contact, "url": url, "reason": reason, "expires_at": link.expires_at},
        )
        subject = f"Please confirm your AI supply chain: attestation {request.reference}, due {request.deadline}"
        transaction.on_commit(lambda subject=subject, body=body, to=contact.email: send_mail(subject, body, None, [to]))
    request._change_reason = f"Link {'sent' if reason == AttestationLink.Reason.SEND else 'reissued'} to " + ", ".join(
        c.email for c in contacts
    )
    request._change_reason = request._change_reason[:100]
    request.save(update_fields=["updated_at"])
    return link, url


def attestation_link_revoke(*, request: AttestationRequest, by=None) -> int:
    """Withdraw the request's live link (it then answers 410)."""
    return portal.portal_link_revoke(link_model=AttestationLink, subject=request, by=by)
