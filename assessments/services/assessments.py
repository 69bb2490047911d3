"""Assessments' workflow: send (one product or all of a vendor's), reissue or revoke the portal link, submit,
return with comments, accept, cancel, and the reminders; every step is an ``AssessmentEvent``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assessments.models import Answer, Assessment, AssessmentEvent, AssessmentLink, QuestionnaireVersion
from assessments.models.assessments import OPEN_STATUSES
from assessments.questionnaires import logic, questionnaire_of
from assessments.reminders import reminder_stamp
from assessments.selectors.assessments import answer_states, changes_requested
from assessments.services import notify
from assessments.services.portal import portal_link_mint, portal_link_revoke, public_url
from assessments.services.questionnaires import questionnaire_current
from assessments.signals import assessment_submitted_announce
from vendors.models import Contact, Product, Vendor

PORTAL = "vendor portal"
S = Assessment.Status


def _today() -> date:
    return timezone.now().astimezone(UTC).date()


def _actor(by) -> tuple:
    if by is not None and getattr(by, "is_authenticated", False):
        return by, by.get_username()
    return None, PORTAL


def event_record(*, assessment: Assessment, action: str, by=None, to_status: str = "", note: str = "") -> None:
    """Add a step to the trail (a status change when ``to_status`` differs from the current one)."""
    actor, label = _actor(by)
    AssessmentEvent.objects.create(
        assessment=assessment,
        action=action,
        from_status=assessment.status if to_status else "",
        to_status=to_status,
        actor=actor,
        actor_label=label,
        note=note[:4000],
    )


def _transition(assessment: Assessment, to: str, action: str, by=None, note: str = "", fields=()) -> None:
    event_record(assessment=assessment, action=action, by=by, to_status=to, note=note)
    assessment.status = to
    assessment.save(update_fields=["status", "updated_at", *fields])


def portal_path(token: str) -> str:
    return reverse("portal:assessment_enter", args=[token])


def _lock(assessment: Assessment) -> Assessment:
    return Assessment.objects.select_for_update().get(pk=assessment.pk)


@transaction.atomic
def assessment_send(
    *,
    product: Product,
    questionnaire: str | QuestionnaireVersion,
    due_date: date,
    contacts: Iterable[Contact] = (),
    recurrence: str = Assessment.Recurrence.NONE,
    by=None,
    previous: Assessment | None = None,
) -> tuple[Assessment, str]:
    """Send the current version of a questionnaire about ``product``: the assessment, its first portal link
    and the link's email to each contact (after commit). Returns the assessment and the portal URL."""
    version = (
        questionnaire if isinstance(questionnaire, QuestionnaireVersion) else questionnaire_current(key=questionnaire)
    )
    contacts = list(contacts)
    errors = {}
    if due_date < _today():
        errors["due_date"] = "The due date is in the past."
    if product.status != Product.Status.ACTIVE:
        errors["product"] = f"{product} is retired."
    if any(c.vendor_id != product.vendor_id for c in contacts):
        errors["contacts"] = f"Every contact must work for {product.vendor}."
    if errors:
        raise ValidationError(errors)
    assessment = Assessment(
        questionnaire=version,
        product=product,
        due_date=due_date,
        recurrence=recurrence,
        previous=previous,
        sent_by=by if by is not None and by.is_authenticated else None,
    )
    assessment.full_clean()
    assessment.save()
    assessment.contacts.set(contacts)
    # The recipients are written into the trail: it keeps who was asked even if a contact is later removed.
    to = ", ".join(c.email for c in contacts) or "no contact (the link is shown to the analyst only)"
    event_record(assessment=assessment, action="sent", by=by, note=f"Sent {version} due {due_date.isoformat()} to {to}")
    url = _link_issue(assessment, AssessmentLink.Reason.SEND, by)
    notify.portal_link(assessment=assessment, url=url, reason="send")
    return assessment, url


@transaction.atomic
def assessments_send_vendor(
    *,
    vendor: Vendor,
    questionnaire: str,
    due_date: date,
    contacts: Iterable[Contact] = (),
    recurrence: str = "",
    by=None,
) -> list[tuple[Assessment, str]]:
    """One assessment per active product of the vendor (nothing is sent if any of them is refused)."""
    products = list(vendor.products.filter(status=Product.Status.ACTIVE))
    if not products:
        raise ValidationError({"vendor": f"{vendor} has no active product to assess."})
    contacts = list(contacts)
    return [
        assessment_send(
            product=p, questionnaire=questionnaire, due_date=due_date, contacts=contacts, recurrence=recurrence, by=by
        )
        for p in products
    ]


def _link_issue(assessment: Assessment, reason: str, by) -> str:
    _link, token = portal_link_mint(link_model=AssessmentLink, subject=assessment, reason=reason, by=by)
    event_record(assessment=assessment, action=f"link_{reason}", by=by, note="A new portal link was issued.")
    return public_url(portal_path(token))


@transaction.atomic
def assessment_link_reissue(*, assessment: Assessment, by=None, reason: str = AssessmentLink.Reason.REISSUE) -> str:
    """A new portal link (the old one answers 410 from now on), emailed to the contacts; returns its URL."""
    assessment = _lock(assessment)
    if assessment.status not in (*OPEN_STATUSES, S.SUBMITTED):
        raise ValidationError(f"The assessment is {assessment.get_status_display().lower()}; no link is needed.")
    url = _link_issue(assessment, reason, by)
    notify.portal_link(assessment=assessment, url=url, reason=reason)
    return url


@transaction.atomic
def assessment_link_revoke(*, assessment: Assessment, by=None) -> int:
    count = portal_link_revoke(link_model=AssessmentLink, subject=assessment, by=by)
    if count:
        event_record(assessment=assessment, action="link_revoked", by=by, note="The portal link was revoked.")
    return count


def mark_in_progress(assessment: Assessment, by=None) -> None:
    """The first save of a sent assessment, or of a returned one, makes it in progress."""
    if assessment.status in (S.SENT, S.RETURNED):
        _transition(assessment, S.IN_PROGRESS, "saved", by)


@transaction.atomic
def assessment_submit(*, assessment: Assessment, by=None) -> Assessment:
    """The vendor (or an analyst on its behalf) submits: every visible required question must be answered or
    N/A. The portal is read-only from then on."""
    assessment = _lock(assessment)
    if assessment.status not in OPEN_STATUSES:
        raise ValidationError(f"The assessment is {assessment.get_status_display().lower()} and cannot be submitted.")
    questionnaire = questionnaire_of(assessment.questionnaire.definition)
    states = answer_states(assessment)
    missing = logic.missing(questionnaire, states)
    if missing:
        texts = [questionnaire.question(q).text for q in missing]
        raise ValidationError(
            dict.fromkeys(missing, "This question needs an answer (or N/A where allowed).")
            | {"__all__": [f"{len(missing)} question(s) still need an answer: " + "; ".join(t[:80] for t in texts)]}
        )
    shown = logic.visible(questionnaire, states)
    unconfirmed = [
        qid
        for qid in assessment.answers.filter(carried_state=Answer.Carried.TO_CONFIRM).values_list(
            "question_id", flat=True
        )
        if qid in shown
    ]
    if unconfirmed:
        raise ValidationError(
            dict.fromkeys(unconfirmed, "Confirm that this answer from the last round is still true, or change it.")
            | {
                "__all__": [
                    f"{len(unconfirmed)} answer(s) carried over from the last round still need your confirmation."
                ]
            }
        )
    result = logic.score(questionnaire, states)
    assessment.score, assessment.breakdown = result.score, list(result.breakdown)
    assessment.submitted_at = timezone.now()
    _transition(assessment, S.SUBMITTED, "submitted", by, fields=["submitted_at", "score", "breakdown"])
    notify.submitted(assessment=assessment)
    assessment_submitted_announce(assessment)
    return assessment


@transaction.atomic
def assessment_return(*, assessment: Assessment, note: str, by) -> Assessment:
    """Send a submission back with comments: a note, the questions marked as needing changes, or both (the
    vendor sees each marked question and its note in the portal). The vendor's next save opens a new round."""
    assessment = _lock(assessment)
    if assessment.status != S.SUBMITTED:
        raise ValidationError("Only a submitted assessment can be returned.")
    note = (note or "").strip()
    marked = changes_requested(assessment)
    if not note and not marked:
        raise ValidationError(
            {"note": "Say what the vendor should correct, or mark the answers that need changes first."}
        )
    listed = "; ".join(f"{qid}: {why}" for qid, _text, why in marked)
    summary = f"{len(marked)} answer(s) need changes: {listed}" if marked else ""
    trail = "\n".join(part for part in (note, summary) if part)
    assessment.round += 1
    _transition(assessment, S.RETURNED, "returned", by, note=trail, fields=["round"])
    notify.returned(assessment=assessment, note=note, changes=marked)
    return assessment


@transaction.atomic
def assessment_accept(*, assessment: Assessment, by) -> Assessment:
    """Accept a submission: model-table rows become declared usages and parents, the answers reach the rating
    (rescoring is requested for the product's usages), and a recurring assessment sends its next one, which
    starts from these answers (carried over, for the vendor to confirm or change)."""
    from assessments.services.registry import answers_apply

    assessment = _lock(assessment)
    if assessment.status != S.SUBMITTED:
        raise ValidationError("Only a submitted assessment can be accepted.")
    marked = changes_requested(assessment)
    if marked:
        raise ValidationError(
            f"{len(marked)} answer(s) are marked as needing changes ({', '.join(qid for qid, _t, _n in marked)}): "
            "accept them or return the assessment to the vendor."
        )
    applied = answers_apply(assessment=assessment, by=by)
    assessment.accepted_at, assessment.accepted_by = timezone.now(), by
    _transition(assessment, S.ACCEPTED, "accepted", by, note=applied.summary(), fields=["accepted_at", "accepted_by"])
    if assessment.recurrence:
        from assessments.services.answers import answers_carry_over

        months = 3 if assessment.recurrence == Assessment.Recurrence.QUARTERLY else 12
        following, _url = assessment_send(
            product=assessment.product,
            questionnaire=assessment.questionnaire.key,
            due_date=_add_months(assessment.due_date, months, floor=_today() + timedelta(days=14)),
            contacts=assessment.contacts.all(),
            recurrence=assessment.recurrence,
            by=by,
            previous=assessment,
        )
        answers_carry_over(assessment=following, source=assessment)
    return assessment


def _add_months(day: date, months: int, floor: date) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for candidate in range(day.day, 27, -1):
        try:
            result = date(year, month, candidate)
            break
        except ValueError:
            continue
    else:
        result = date(year, month, min(day.day, 28))
    return max(result, floor)


@transaction.atomic
def assessment_cancel(*, assessment: Assessment, note: str, by) -> Assessment:
    """Withdraw an open or submitted assessment, saying why: its portal link stops working, its answers stay on
    record and no longer count."""
    if not (note or "").strip():
        raise ValidationError({"note": "Say why the assessment is cancelled: the reason is kept in its trail."})
    assessment = _lock(assessment)
    if assessment.status not in (*OPEN_STATUSES, S.SUBMITTED):
        raise ValidationError(f"The assessment is {assessment.get_status_display().lower()} and cannot be cancelled.")
    portal_link_revoke(link_model=AssessmentLink, subject=assessment, by=by)
    _transition(assessment, S.CANCELLED, "cancelled", by, note=note.strip())
    return assessment


def assessments_remind(*, today: date | None = None) -> int:
    """Email a new portal link to open assessments due in settings.ASSESSMENT_REMINDER_DAYS days, and once when
    overdue; each reminder is stamped so a rerun sends nothing twice. Returns how many were sent."""
    today = today or _today()
    sent = 0
    days = sorted(set(settings.ASSESSMENT_REMINDER_DAYS))
    horizon = today + timedelta(days=max(days, default=0))
    for assessment_id in Assessment.objects.filter(status__in=OPEN_STATUSES, due_date__lte=horizon).values_list(
        "pk", flat=True
    ):
        sent += _remind_one(assessment_id, today, days)
    return sent


@transaction.atomic
def _remind_one(assessment_id: int, today: date, days: list[int]) -> int:
    assessment = Assessment.objects.select_for_update().get(pk=assessment_id)
    if assessment.status not in OPEN_STATUSES:
        return 0
    stamp = reminder_stamp(days_left=(assessment.due_date - today).days, days=days, sent=assessment.reminders_sent)
    if not stamp:
        return 0
    assessment.reminders_sent = [*assessment.reminders_sent, stamp]
    assessment.save(update_fields=["reminders_sent", "updated_at"])
    url = _link_issue(assessment, AssessmentLink.Reason.REMINDER, None)
    notify.portal_link(assessment=assessment, url=url, reason="overdue" if stamp == "overdue" else "reminder")
    to = ", ".join(assessment.contacts.values_list("email", flat=True)) or "no contact"
    event_record(assessment=assessment, action="reminded", note=f"Reminder ({stamp}) emailed to {to}.")
    return 1
