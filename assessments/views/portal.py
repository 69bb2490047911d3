"""The vendor portal for an assessment: enter with the token, then answer (drafts saved), attach evidence,
comment, submit, and read what was submitted. Writes go through the services; the vendor sees no points,
factors or internal notes."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from assessments import selectors, services
from assessments.models import Assessment, AssessmentLink, Evidence
from assessments.views.answer_form import form_sections, parse_post, posted_versions, progress
from assessments.views.portal_base import PortalEntryView, PortalSessionMixin, portal_error
from vendors.forms import ModelFilesForm


class AssessmentEnterView(PortalEntryView):
    link_model = AssessmentLink

    def clean_url(self, link: AssessmentLink) -> str:
        return reverse("portal:assessment", args=[link.assessment_id])


def save_form(request, assessment: Assessment, *, by=None) -> tuple[dict, dict]:
    """Save a posted questionnaire form (answers, uploads, comments): (posted answers, errors by question).
    Valid answers are stored even when others are refused."""
    q = selectors.questionnaire(assessment)
    posted, comments = parse_post(q, request.POST)
    kept = [key.removeprefix("keep:") for key in request.POST if key.startswith("keep:")]
    result = services.answers_save(
        assessment=assessment, answers=posted, by=by, confirmed=kept, based_on=posted_versions(request.POST)
    )
    errors = dict(result.errors)
    for key, upload in request.FILES.items():
        if not key.startswith("f:"):
            continue  # a model table's config files, below
        question_id = key.removeprefix("f:")
        try:
            evidence = services.evidence_add(assessment=assessment, question_id=question_id, upload=upload, by=by)
        except ValidationError as error:
            errors[question_id] = "; ".join(error.messages)
            continue
        if question_id in posted and q.question(question_id).type == "file":
            raw = posted[question_id]
            posted[question_id] = type(raw)(value=[*(raw.value or []), evidence.pk], na=raw.na, na_reason=raw.na_reason)
    for question_id, problem in model_files_save(request, assessment, q, by=by).items():
        errors[question_id] = "; ".join(filter(None, (errors.get(question_id), problem)))
    for question_id, body in comments.items():
        try:
            services.answer_comment_add(assessment=assessment, question_id=question_id, body=body, by=by)
        except ValidationError as error:
            errors[question_id] = "; ".join(error.messages)
    return posted, errors


def model_files_save(request, assessment: Assessment, q, *, by=None) -> dict[str, str]:
    """Check and record the config files posted for a model table's row (``mf:<id>:config``,
    ``mf:<id>:tokenizer``, ``mfrow:<id>``); returns what was refused, by question. A refused upload keeps nothing
    of either file."""
    errors = {}
    for question in q.questions():
        files = {kind: request.FILES.get(f"mf:{question.id}:{kind}") for kind in ("config", "tokenizer")}
        if question.type != "model_table" or not any(files.values()):
            continue
        if by is not None and not by.has_perm("vendors.add_modelfilesupload"):
            errors[question.id] = "You may not upload model files."
            continue
        form = ModelFilesForm(data={}, files={kind: upload for kind, upload in files.items() if upload})
        row = request.POST.get(f"mfrow:{question.id}", "")
        if not form.is_valid():
            errors[question.id] = " ".join(message for messages_ in form.errors.values() for message in messages_)
            continue
        if not row.isdigit() or len(row) > 3:
            errors[question.id] = "Choose the row of the model these files describe."
            continue
        try:
            upload = services.questionnaire_model_files_upload(
                assessment=assessment,
                question_id=question.id,
                row=int(row),
                model_name=request.POST.get(f"t:{question.id}:{int(row)}:model", ""),
                config=form.cleaned_data["config"],
                tokenizer=form.cleaned_data["tokenizer"],
                by=by,
            )
        except ValidationError as error:
            errors[question.id] = " ".join(error.messages)
        else:
            messages.success(request, f"Received {' and '.join(upload.file_names)} for {upload.model.name}.")
    return errors


class AssessmentPortalView(PortalSessionMixin, View):
    link_model = AssessmentLink
    template_name = "portal/assessment.html"

    def render_form(self, request, *, posted=None, errors=None, status=200):
        assessment = Assessment.objects.select_related("questionnaire", "product__vendor").get(pk=self.subject.pk)
        q = selectors.questionnaire(assessment)
        states = selectors.answer_states(assessment)
        answered, total = progress(q, states)
        context = {
            "assessment": assessment,
            "questionnaire": q,
            "sections": form_sections(
                q,
                answers=selectors.answers_by_question(assessment),
                evidence=selectors.evidence_by_question(assessment),
                comments=selectors.comments_by_question(assessment, include_internal=False),
                prefill=selectors.model_table_prefill(assessment.product),
                posted=posted,
                errors=errors,
            ),
            "read_only": not assessment.is_open,
            "changes": selectors.changes_requested(assessment) if assessment.is_open else [],
            "to_confirm": assessment.answers.filter(carried_state="to_confirm").count() if assessment.is_open else 0,
            "answered": answered,
            "total": total,
            "errors": errors or {},
            "evidence_url": "portal:assessment_evidence",
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk: int):
        return self.render_form(request)

    def post(self, request, pk: int):
        assessment = self.subject
        if not assessment.is_open:
            return portal_error(
                request, 409, "Already submitted", "This questionnaire was submitted; its answers can no longer change."
            )
        try:
            # The draft is saved in its own transaction: a refused submit keeps everything typed.
            with transaction.atomic():
                posted, errors = save_form(request, assessment)
            retire = request.POST.get("retire", "")
            if retire:
                removed = self._evidence_retire(assessment, retire)
                if removed is None:
                    messages.error(request, "That file is not attached to this questionnaire; your answers are saved.")
                else:
                    messages.success(request, f"“{removed.original_name}” was removed from your answer.")
                if errors:
                    messages.error(request, "Some answers need a correction (marked below); the others are saved.")
                    return self.render_form(request, posted=posted, errors=errors, status=400)
                return redirect("portal:assessment", pk=assessment.pk)
            if request.POST.get("action") == "submit" and not errors:
                services.assessment_submit(assessment=assessment)
        except services.AssessmentLocked as error:
            return portal_error(request, 409, "Already submitted", error.messages[0])
        except ValidationError as error:
            missing = error.message_dict if hasattr(error, "error_dict") else {}
            top = missing.pop("__all__", error.messages[:1])
            messages.error(request, "Your answers are saved, but not submitted yet. " + " ".join(top))
            return self.render_form(request, errors={k: v[0] for k, v in missing.items()}, status=400)
        if errors:
            messages.error(request, "Some answers need a correction (marked below); the others are saved.")
            return self.render_form(request, posted=posted, errors=errors, status=400)
        if request.POST.get("action") == "submit":
            messages.success(request, "Thank you: your answers were submitted. You can still read them here.")
        else:
            messages.success(request, "Saved. You can come back with the same link and continue.")
        return redirect("portal:assessment", pk=assessment.pk)

    @staticmethod
    def _evidence_retire(assessment: Assessment, evidence_id: str) -> Evidence | None:
        """Take one of this assessment's files off its answer (the vendor attached the wrong one); the file and
        its record are kept. None when the file is not one of this assessment's attached files."""
        evidence = Evidence.objects.filter(
            pk=int(evidence_id) if evidence_id.isdigit() else 0, assessment=assessment, retired_at__isnull=True
        ).first()
        if evidence is not None:
            services.evidence_retire(evidence=evidence, reason="Removed by the vendor in the portal.")
        return evidence


class AssessmentPortalEvidenceView(PortalSessionMixin, View):
    """Download a file of this assessment (the portal session's only)."""

    link_model = AssessmentLink

    def get(self, request, pk: int, evidence_pk: int):
        evidence = get_object_or_404(Evidence, pk=evidence_pk, assessment_id=self.subject.pk)
        return evidence_response(evidence)


def evidence_response(evidence: Evidence) -> FileResponse:
    """A file as a download (never rendered inline), with its checked type."""
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(handle, as_attachment=True, filename=evidence.original_name,
                            content_type=evidence.content_type)  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
