"""Emails about assessments (console backend by default; any SMTP through EMAIL_URL), sent after the
transaction commits so a rolled-back step mails nothing. Portal links are sent only to the vendor's contacts."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from assessments.models import Assessment

_SUBJECTS = {
    "send": "Questionnaire from us: {title} for {product}",
    "reissue": "A new link to your questionnaire: {title} for {product}",
    "reminder": "Reminder: {title} for {product} is due {due}",
    "overdue": "Overdue: {title} for {product} was due {due}",
    "returned": "Please review your answers: {title} for {product}",
}


def _send(subject: str, template: str, context: dict, recipients: list[str]) -> None:
    if not recipients:
        return
    body = render_to_string(template, context)
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)
    )


def _context(assessment: Assessment, **extra) -> dict:
    return {
        "assessment": assessment,
        "title": assessment.questionnaire.title,
        "product": assessment.product,
        "due": assessment.due_date.isoformat(),
        **extra,
    }


def _subject(kind: str, assessment: Assessment) -> str:
    context = _context(assessment)
    return _SUBJECTS[kind].format(title=context["title"], product=context["product"], due=context["due"])


def portal_link(*, assessment: Assessment, url: str, reason: str) -> None:
    """The portal link to each contact (one email each: a contact never sees the others' addresses)."""
    context = _context(assessment, url=url, reason=reason)
    kind = reason if reason in _SUBJECTS else "reissue"
    for contact in assessment.contacts.all():
        _send(_subject(kind, assessment), "assessments/email/portal_link.txt", {**context, "contact": contact},
              [contact.email])  # fmt: skip


def returned(*, assessment: Assessment, note: str, changes=()) -> None:
    """The vendor's contacts hear that answers need another look, which ones and why (the link they have still
    works)."""
    context = _context(assessment, note=note, changes=list(changes))
    for contact in assessment.contacts.all():
        _send(_subject("returned", assessment), "assessments/email/returned.txt", {**context, "contact": contact},
              [contact.email])  # fmt: skip


def submitted(*, assessment: Assessment) -> None:
    """The analyst who sent it hears that the vendor submitted."""
    if assessment.sent_by is None or not assessment.sent_by.email:
        return
    url = f"{settings.SITE_URL.rstrip('/')}{reverse('assessments:assessment_detail', args=[assessment.pk])}"
    _send(
        f"Submitted: {assessment.questionnaire.title} for {assessment.product}",
        "assessments/email/submitted.txt",
        _context(assessment, url=url),
        [assessment.sent_by.email],
    )


def finding_notice(*, finding, kind: str, today) -> None:
    """A finding's due date is near or past (to its owner), or its risk acceptance is about to run out (to its
    owner and whoever accepted it). Nobody owning it, nobody hears: the findings list shows it unowned."""
    from assessments.scoring.labels import factor_label

    people = [finding.owner] + ([finding.accepted_by] if kind == "acceptance" else [])
    recipients = sorted({person.email for person in people if person is not None and person.email})
    usage = finding.usage
    what = f"{factor_label(finding.code)}: {usage.product.vendor.name} / {usage.product.name}"
    if kind == "acceptance":
        subject = f"Risk acceptance ends {finding.accepted_until:%Y-%m-%d}: {what}"
    elif kind == "overdue":
        subject = f"Finding overdue since {finding.due_date:%Y-%m-%d}: {what}"
    else:
        subject = f"Finding due {finding.due_date:%Y-%m-%d}: {what}"
    url = f"{settings.SITE_URL.rstrip('/')}{finding.get_absolute_url()}"
    context = {"finding": finding, "kind": kind, "label": factor_label(finding.code), "url": url, "today": today}
    _send(subject, "assessments/email/finding_notice.txt", context, recipients)
