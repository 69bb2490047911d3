"""Portal links to attestation requests: sent to the vendor's contacts, reissued or sent again with a reminder
before the deadline and once overdue (the old link then answers 410), or revoked. The token mechanics are the
portal's (``assessments.services.portal``); a link opens one request."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from assessments.models import AttestationLink, AttestationRequest
from assessments.reminders import OVERDUE, reminder_stamp
from assessments.services import portal
from vendors.models import Contact


def attestation_link_url(token: str) -> str:
    return portal.public_url(reverse("portal:attestation_enter", args=[token]))


def _expiry(request: AttestationRequest, now: datetime) -> datetime:
    """The usual link lifetime, and at least a week past the deadline (vendors sign late)."""
    after_deadline = datetime.combine(request.deadline + timedelta(days=8), time.min, tzinfo=UTC)
    return max(now + timedelta(days=settings.PORTAL_LINK_DAYS), after_deadline)


_SUBJECTS = {
    "send": "Please confirm your AI supply chain: attestation {ref}, due {due}",
    "reissue": "A new link to attestation {ref}, due {due}",
    "reminder": "Reminder: attestation {ref} is due {due}",
    "overdue": "Overdue: attestation {ref} was due {due}",
}
_DONE = {"send": "sent", "reissue": "reissued", "reminder": "reminder sent", "overdue": "overdue reminder sent"}


@transaction.atomic
def attestation_link_send(
    *,
    request: AttestationRequest,
    contacts: list[Contact],
    by=None,
    reason: str = AttestationLink.Reason.SEND,
    overdue: bool = False,
) -> tuple[AttestationLink, str]:
    """Mint a link to the request (superseding the live one) and email it to each contact after commit; returns
    the link and its URL (shown once: the token is not stored). The contacts are kept with the request: the
    reminders go to them."""
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
    kind = "overdue" if overdue else reason if reason in _SUBJECTS else "reissue"
    subject = _SUBJECTS[kind].format(ref=request.reference, due=request.deadline.isoformat())
    for contact in contacts:
        body = render_to_string(
            "assessments/email/attestation_link.txt",
            {"request": request, "contact": contact, "url": url, "reason": kind, "expires_at": link.expires_at},
        )
        transaction.on_commit(lambda body=body, to=contact.email: send_mail(subject, body, None, [to]))
    request.contacts.add(*contacts)
    request._change_reason = f"Link {_DONE[kind]} to " + ", ".join(c.email for c in contacts)
    request._change_reason = request._change_reason[:100]
    request.save(update_fields=["updated_at"])
    return link, url


def _today() -> date:
    return timezone.now().astimezone(UTC).date()


def attestation_requests_remind(*, today: date | None = None) -> int:
    """Email a new link (the old one then answers 410) to the contacts of open requests whose deadline is
    settings.ASSESSMENT_REMINDER_DAYS days away, and once when it has passed. Each reminder is stamped on the
    request, so a rerun sends nothing twice. Requests never sent to anyone are left alone. Returns how many
    requests were reminded."""
    today = today or _today()
    days = sorted(set(settings.ASSESSMENT_REMINDER_DAYS))
    horizon = today + timedelta(days=max(days, default=0))
    due = AttestationRequest.objects.filter(
        status=AttestationRequest.Status.OPEN, deadline__lte=horizon, contacts__isnull=False
    ).distinct()
    return sum(_remind_one(request_id, today, days) for request_id in due.values_list("pk", flat=True))


@transaction.atomic
def _remind_one(request_id: int, today: date, days: list[int]) -> int:
    request = AttestationRequest.objects.select_for_update().get(pk=request_id)
    if request.status != AttestationRequest.Status.OPEN:
        return 0
    stamp = reminder_stamp(days_left=(request.deadline - today).days, days=days, sent=request.reminders_sent)
    contacts = list(request.contacts.all())
    if not stamp or not contacts:
        return 0
    request.reminders_sent = [*request.reminders_sent, stamp]
    request.save(update_fields=["reminders_sent"])
    attestation_link_send(
        request=request, contacts=contacts, reason=AttestationLink.Reason.REMINDER, overdue=stamp == OVERDUE
    )
    return 1


def attestation_link_revoke(*, request: AttestationRequest, by=None) -> int:
    """Withdraw the request's live link (it then answers 410)."""
    return portal.portal_link_revoke(link_model=AttestationLink, subject=request, by=by)
