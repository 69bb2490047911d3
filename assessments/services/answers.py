"""Writing answers: a draft save (the portal's or an analyst's on the vendor's behalf), per-question comments and
evidence uploads. A save keeps every valid answer and reports the others, so nothing typed is lost silently."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC

import puremagic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from assessments.models import Answer, AnswerComment, Assessment, Evidence
from assessments.models.assessments import OPEN_STATUSES
from assessments.questionnaires import logic, questionnaire_of
from assessments.services.assessments import event_record, mark_in_progress
from riskregistry.versions import version_annotate, version_of


class AssessmentLocked(ValidationError):
    """The assessment no longer takes answers (submitted, accepted, cancelled): 409 in the portal."""


@dataclass(frozen=True)
class RawAnswer:
    value: object = None
    na: bool = False
    na_reason: str = ""


@dataclass
class SaveResult:
    saved: int = 0
    errors: dict[str, str] = field(default_factory=dict)


def _writable(assessment: Assessment) -> Assessment:
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.status not in OPEN_STATUSES:
        raise AssessmentLocked(
            f"This questionnaire is {locked.get_status_display().lower()}; answers can no longer be changed."
        )
    return locked


def _channel(by) -> tuple[str, object]:
    if by is not None and getattr(by, "is_authenticated", False):
        return Answer.Channel.ANALYST, by
    return Answer.Channel.PORTAL, None


@transaction.atomic
def _value_text(value: object) -> str:
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return f"a table of {len(value)} row(s)"
        return ", ".join(str(v) for v in value) or "(nothing)"
    return "(nothing)" if value in (None, "") else str(value)


def _changed_meanwhile(answer: Answer) -> str:
    who = answer.entered_by or "the vendor"
    shown = "not applicable" if answer.na else _value_text(answer.value)
    when = f"{answer.answered_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return (
        f"Changed meanwhile by {who} at {when}, to: {shown[:160]}. Your answer was not saved: check it against "
        "this one and save again."
    )


def answers_save(
    *,
    assessment: Assessment,
    answers: Mapping[str, RawAnswer],
    by=None,
    confirmed: Iterable[str] = (),
    based_on: Mapping[str, str] | None = None,
) -> SaveResult:
    """Store the given answers (question id -> RawAnswer); ``by`` is the analyst answering on the vendor's behalf
    (None: the vendor, through the portal). Unknown question ids are refused; a value that does not fit its
    question is reported in ``errors`` and the stored answer left as it was. An answer carried over from the last
    round is confirmed when its id is in ``confirmed`` and its value unchanged, and marked changed otherwise.
    ``based_on`` (question id -> the answer's version the form showed, "0" for none): an answer someone else
    saved meanwhile is not overwritten; it is reported in ``errors`` with its new value (riskregistry.versions)."""
    confirmed = set(confirmed)
    based_on = based_on or {}
    assessment = _writable(assessment)
    q = questionnaire_of(assessment.questionnaire.definition)
    today = timezone.now().date()
    channel, user = _channel(by)
    stored = {
        a.question_id: a
        for a in version_annotate(
            Answer.objects.select_for_update(of=("self",)).filter(assessment=assessment).select_related("entered_by")
        )
    }
    result = SaveResult()
    unknown = sorted(set(answers) - {question.id for question in q.questions()})
    if unknown:
        raise ValidationError(f"Unknown question id(s): {', '.join(unknown[:5])}")
    for question_id, raw in answers.items():
        question = q.question(question_id)
        try:
            reason = logic.check_na(question, raw.na, raw.na_reason)
            value = None if raw.na else logic.clean_value(question, raw.value, today=today)
        except logic.AnswerError as error:
            result.errors[question_id] = str(error)
            continue
        if question.type == "file" and value:
            owned = set(
                Evidence.objects.filter(assessment=assessment, question_id=question_id, pk__in=value).values_list(
                    "pk", flat=True
                )
            )
            value = [pk for pk in value if pk in owned] or None
        answer = stored.get(question_id)
        if answer is None:
            if value is None and not raw.na:
                continue  # nothing said, nothing to store
            answer = Answer(assessment=assessment, question_id=question_id)
        elif (answer.value, answer.na, answer.na_reason) == (value, raw.na, reason):
            if answer.to_confirm and question_id in confirmed:
                answer.carried_state = Answer.Carried.CONFIRMED
                answer.channel, answer.entered_by, answer.round = channel, user, assessment.round
                answer.save()
                result.saved += 1
            continue
        if answer.pk and question_id in based_on and based_on[question_id] != version_of(answer):
            result.errors[question_id] = _changed_meanwhile(answer)
            continue
        if answer.to_confirm:
            answer.carried_state = Answer.Carried.CHANGED
        answer.value, answer.na, answer.na_reason = value, raw.na, reason
        answer.channel, answer.entered_by, answer.round = channel, user, assessment.round
        _review_reopen(answer)
        answer.save()
        result.saved += 1
    for question_id in sorted(confirmed - set(answers)):
        # Confirmed without being posted again: the carried value stands as it is.
        answer = stored.get(question_id)
        if answer is not None and answer.to_confirm:
            answer.carried_state = Answer.Carried.CONFIRMED
            answer.channel, answer.entered_by, answer.round = channel, user, assessment.round
            answer.save()
            result.saved += 1
    if result.saved:
        mark_in_progress(assessment, by)
        if user is not None:
            event_record(assessment=assessment, action="answered_on_behalf", by=by, note=f"{result.saved} answer(s)")
    return result


@transaction.atomic
def answers_carry_over(*, assessment: Assessment, source: Assessment) -> int:
    """Start a new round (``assessment``) from the accepted answers of ``source``: every answer whose question
    still exists and whose value still fits it is copied, marked as carried over for the vendor to confirm or
    change, with its evidence files (the same stored files, new records). Returns how many were carried."""
    q = questionnaire_of(assessment.questionnaire.definition)
    today = timezone.now().date()
    carried = 0
    for old in Answer.objects.filter(assessment=source).order_by("id"):
        question = q.question(old.question_id)
        if question is None or (old.value is None and not old.na):
            continue
        try:
            reason = logic.check_na(question, old.na, old.na_reason)
            value = None if old.na else logic.clean_value(question, old.value, today=today)
        except logic.AnswerError:
            continue  # the question changed in a newer version: the vendor answers it afresh
        if question.type == "file":
            value = [e.pk for e in _evidence_carry(source, assessment, old.question_id, value or [])] or None
            if value is None and not old.na:
                continue
        Answer.objects.create(
            assessment=assessment,
            question_id=old.question_id,
            value=value,
            na=old.na,
            na_reason=reason,
            channel=old.channel,
            entered_by=old.entered_by,
            round=assessment.round,
            carried_from=old,
            carried_state=Answer.Carried.TO_CONFIRM,
        )
        carried += 1
    if carried:
        event_record(
            assessment=assessment,
            action="answers_carried_over",
            note=f"{carried} answer(s) carried over from assessment #{source.pk}, for the vendor to confirm or change.",
        )
    return carried


def _evidence_carry(source: Assessment, target: Assessment, question_id: str, ids: list[int]) -> list[Evidence]:
    copies = []
    for old in Evidence.objects.filter(assessment=source, question_id=question_id, pk__in=ids, retired_at__isnull=True):
        copy = Evidence(
            assessment=target,
            question_id=question_id,
            file=old.file.name,
            original_name=old.original_name,
            content_type=old.content_type,
            size=old.size,
            sha256=old.sha256,
            channel=old.channel,
            uploaded_by=old.uploaded_by,
        )
        copy.save()
        copies.append(copy)
    return copies


def _review_reopen(answer: Answer) -> None:
    """A changed answer is no longer the one reviewed: back to "not reviewed" (the note stays, for context)."""
    if answer.review_status != Answer.Review.PENDING:
        answer.review_status = Answer.Review.PENDING


@transaction.atomic
def answer_review(*, assessment: Assessment, question_id: str, status: str, note: str = "", by) -> Answer:
    """An analyst marks one answered question of a submitted assessment accepted or needing changes (saying
    what to change). Returning the assessment carries the marks to the vendor; accepting needs none left
    needing changes. Every mark is a step of the trail."""
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.status != Assessment.Status.SUBMITTED:
        raise ValidationError("Answers are reviewed once the vendor has submitted them.")
    if status not in (Answer.Review.ACCEPTED, Answer.Review.CHANGES_REQUESTED, Answer.Review.PENDING):
        raise ValidationError({"status": "Accept the answer or ask for changes."})
    note = (note or "").strip()
    if status == Answer.Review.CHANGES_REQUESTED and not note:
        raise ValidationError({"note": "Say what the vendor should change in this answer."})
    if len(note) > 4000:
        raise ValidationError({"note": "Keep the note under 4000 characters."})
    answer = Answer.objects.select_for_update().filter(assessment=locked, question_id=question_id).first()
    if answer is None:
        raise ValidationError({"question_id": "This question has no answer to review."})
    answer.review_status, answer.review_note = status, note
    answer.reviewed_by, answer.reviewed_at = by, timezone.now()
    answer._change_reason = f"Reviewed: {answer.get_review_status_display()}"
    answer.full_clean()
    answer.save(update_fields=["review_status", "review_note", "reviewed_by", "reviewed_at"])
    said = f"{question_id}: {answer.get_review_status_display().lower()}"
    event_record(assessment=locked, action="question_reviewed", by=by, note=f"{said}. {note}" if note else said)
    return answer


@transaction.atomic
def answer_comment_add(*, assessment: Assessment, question_id: str, body: str, by=None, internal: bool = False):
    """A comment on a question: an analyst's (``by``), possibly internal, or the vendor's (``by`` None)."""
    q = questionnaire_of(assessment.questionnaire.definition)
    if q.question(question_id) is None:
        raise ValidationError({"question_id": "No such question."})
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write a comment."})
    if len(body) > 4000:
        raise ValidationError({"body": "Keep a comment under 4000 characters."})
    analyst = by is not None and getattr(by, "is_authenticated", False)
    if not analyst:
        _writable(assessment)
    comment = AnswerComment(
        assessment=assessment,
        question_id=question_id,
        author_kind=AnswerComment.AuthorKind.ANALYST if analyst else AnswerComment.AuthorKind.VENDOR,
        author=by if analyst else None,
        body=body,
        internal=internal and analyst,
        round=assessment.round,
    )
    comment.full_clean()
    comment.save()
    return comment


# ---------------------------------------------------------------------------------------------------------------
# Evidence
# ---------------------------------------------------------------------------------------------------------------
_MAGIC = {"pdf": {".pdf"}, "png": {".png"}, "jpeg": {".jpg", ".jpeg", ".jfif"}}
_OFFICE = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
_MIME = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "txt": "text/plain",
    "csv": "text/csv",
    "json": "application/json",
}


def sniff(data: bytes, accept: list[str]) -> str | None:
    """Which of the accepted kinds the content is (read from the bytes, never the name), or None."""
    try:
        found = {m.extension.lower() for m in puremagic.magic_string(data)}
    except puremagic.PureError:
        found = set()
    for kind in accept:
        if kind in _MAGIC and found & _MAGIC[kind]:
            return kind
        if kind in _OFFICE and data[:4] == b"PK\x03\x04":
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    if _OFFICE[kind] in archive.namelist():
                        return kind
            except zipfile.BadZipFile:
                continue
    if not found and b"\x00" not in data:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if "json" in accept:
            try:
                json.loads(text)
                return "json"
            except ValueError:
                pass
        for kind in ("csv", "txt"):
            if kind in accept:
                return kind
    return None


@transaction.atomic
def evidence_add(*, assessment: Assessment, question_id: str, upload, by=None) -> Evidence:
    """Store an uploaded file for a file question (or any question, as supporting evidence), after checking its
    size and its type on the content. ``upload`` is a Django UploadedFile."""
    assessment = _writable(assessment)
    q = questionnaire_of(assessment.questionnaire.definition)
    question = q.question(question_id)
    if question is None:
        raise ValidationError({"file": "No such question."})
    accept = question.accept or ["pdf", "png", "jpeg", "docx", "xlsx", "txt"]
    limit = settings.EVIDENCE_MAX_MB * 1024 * 1024
    if upload.size > limit:
        raise ValidationError({"file": f"The file is larger than {settings.EVIDENCE_MAX_MB} MB."})
    if question.type == "file":
        count = Evidence.objects.filter(assessment=assessment, question_id=question_id, retired_at__isnull=True).count()
        if count >= question.max_files:
            raise ValidationError({"file": f"At most {question.max_files} files for this question."})
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError({"file": f"The file is larger than {settings.EVIDENCE_MAX_MB} MB."})
    if not data:
        raise ValidationError({"file": "The file is empty."})
    kind = sniff(data, accept)
    if kind is None:
        raise ValidationError({"file": f"The file's content is not one of: {', '.join(accept)} (whatever its name)."})
    channel, user = _channel(by)
    name = (getattr(upload, "name", "") or "evidence").replace("\\", "/").rsplit("/", 1)[-1][:200] or "evidence"
    evidence = Evidence(
        assessment=assessment,
        question_id=question_id,
        original_name=name,
        content_type=_MIME[kind],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        channel=channel,
        uploaded_by=user,
    )
    # A random stored name: the vendor's file name never reaches the file system.
    evidence.file.save(f"{get_random_string(24)}.{kind}", ContentFile(data), save=False)
    evidence.full_clean()
    evidence.save()
    if question.type == "file":
        answer, _created = Answer.objects.get_or_create(assessment=assessment, question_id=question_id)
        answer.value = [*(answer.value or []), evidence.pk]
        answer.channel, answer.entered_by, answer.round = channel, user, assessment.round
        if answer.to_confirm:
            answer.carried_state = Answer.Carried.CHANGED
        _review_reopen(answer)
        answer.save()
    mark_in_progress(assessment, by)
    return evidence


@transaction.atomic
def evidence_retire(*, evidence: Evidence, by=None, reason: str = "") -> None:
    """Take a file off its answer while the assessment is open; the file and its record are kept, and the trail
    says who took it off and why."""
    assessment = _writable(evidence.assessment)
    evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
    if evidence.retired_at is not None:
        raise ValidationError(f"“{evidence.original_name}” was already removed from the answer.")
    reason = (reason or "").strip()
    if len(reason) > 2000:
        raise ValidationError({"reason": "Keep the reason under 2000 characters."})
    evidence.retired_at = timezone.now()
    evidence.save(update_fields=["retired_at"])
    note = f"“{evidence.original_name}” (sha256 {evidence.sha256[:12]}…) removed from {evidence.question_id}"
    event_record(assessment=assessment, action="evidence_retired", by=by, note=f"{note}: {reason}" if reason else note)
    answer = Answer.objects.filter(assessment=assessment, question_id=evidence.question_id).first()
    if answer is not None and isinstance(answer.value, list) and evidence.pk in answer.value:
        answer.value = [pk for pk in answer.value if pk != evidence.pk] or None
        answer.save()
