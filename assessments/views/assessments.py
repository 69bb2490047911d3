"""The analysts' assessment pages: the list, sending, one assessment (answers, comments, evidence, trail,
links) with its actions, and answering on the vendor's behalf. Writes go through the services."""

from __future__ import annotations

from datetime import UTC

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import FormView
from django_filters.views import FilterView

from assessments import selectors, services
from assessments.api.serializers import AssessmentSerializer
from assessments.filters import AssessmentFilterSet
from assessments.forms_assessments import (
    AssessmentSendForm,
    CommentForm,
    ConfirmWithReasonForm,
    QuestionReviewForm,
    ReviewForm,
)
from assessments.models import AssessmentLink, Evidence, Finding
from assessments.views.answer_form import form_sections, progress
from assessments.views.portal import evidence_response, save_form
from vendors.views.base import PAGE_SIZE, CsvExportMixin, Guarded, form_errors_from


def _today():
    return timezone.now().astimezone(UTC).date()


class AssessmentListView(Guarded, CsvExportMixin, FilterView):
    permission_required = "assessments.view_assessment"
    csv_serializer, csv_filename = AssessmentSerializer, "assessments.csv"
    filterset_class = AssessmentFilterSet
    template_name = "assessments/assessment_list.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return selectors.assessment_queryset().order_by("due_date", "id")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "today": _today()}


class AssessmentSendView(Guarded, FormView):
    permission_required = "assessments.add_assessment"
    form_class = AssessmentSendForm
    template_name = "assessments/assessment_send.html"

    def get_initial(self):
        initial = super().get_initial()
        for key in ("product", "vendor"):
            if self.request.GET.get(key, "").isdigit():
                initial[key] = int(self.request.GET[key])
        return initial

    def form_valid(self, form):
        data = form.cleaned_data
        common = {
            "questionnaire": data["questionnaire"],
            "due_date": data["due_date"],
            "contacts": list(data["contacts"]),
            "recurrence": data["recurrence"] or "",
            "by": self.request.user,
        }
        try:
            if data["product"]:
                sent = [services.assessment_send(product=data["product"], **common)]
            else:
                sent = services.assessments_send_vendor(vendor=data["vendor"], **common)
        except ValidationError as error:
            form_errors_from(form, error)
            return self.form_invalid(form)
        for assessment, url in sent:
            messages.success(
                self.request,
                f"Sent to {assessment.product}. Portal link (also emailed to the contacts; shown once): {url}",
            )
        return redirect(sent[0][0].get_absolute_url() if len(sent) == 1 else "assessments:assessment_list")


def _detail_context(request, assessment, **extra) -> dict:
    q = selectors.questionnaire(assessment)
    states = selectors.answer_states(assessment)
    answered, total = progress(q, states)
    can_change = request.user.has_perm("assessments.change_assessment")
    discrepancies = Finding.objects.filter(
        usage__product=assessment.product, code="discrepancy.answer_contradicts_lineage"
    ).select_related("usage__model")
    return {
        "assessment": assessment,
        "questionnaire": q,
        "sections": form_sections(
            q,
            answers=selectors.answers_by_question(assessment),
            evidence=selectors.evidence_by_question(assessment),
            comments=selectors.comments_by_question(assessment, include_internal=True),
        ),
        "read_only": True,
        "analyst": True,
        "answered": answered,
        "total": total,
        "events": assessment.events.select_related("actor"),
        "links": AssessmentLink.objects.filter(assessment=assessment).order_by("-issued_at", "-id"),
        "now": timezone.now(),
        "today": _today(),
        "can_change": can_change,
        "can_retire_evidence": assessment.is_open and request.user.has_perm("assessments.change_evidence"),
        "review_form": ReviewForm(),
        "comment_form": CommentForm(),
        "discrepancies": discrepancies,
        "reviewing": can_change and assessment.status == assessment.Status.SUBMITTED,
        "review_counts": selectors.review_counts(assessment),
        "contradictions": (
            selectors.submission_discrepancies(assessment) if assessment.status == assessment.Status.SUBMITTED else []
        ),
        "evidence_url": "assessments:assessment_evidence",
        **extra,
    }


class AssessmentDetailView(Guarded, View):
    permission_required = "assessments.view_assessment"

    def get(self, request, pk: int):
        assessment = get_object_or_404(selectors.assessment_queryset(), pk=pk)
        return render(request, "assessments/assessment_detail.html", _detail_context(request, assessment))


class AssessmentActionView(Guarded, View):
    """POST one workflow action: review one answer, return, accept, reissue or revoke the link, comment.
    (Cancelling asks for a confirmation first: ``AssessmentCancelView``.)"""

    permission_required = "assessments.change_assessment"

    def post(self, request, pk: int, action: str):
        assessment = get_object_or_404(selectors.assessment_queryset(), pk=pk)
        form = ReviewForm(request.POST)
        form.is_valid()
        note = form.cleaned_data.get("note", "") if form.is_valid() else ""
        try:
            if action == "return":
                services.assessment_return(assessment=assessment, note=note, by=request.user)
                messages.success(request, "Returned to the vendor with your comments.")
            elif action == "accept":
                services.assessment_accept(assessment=assessment, by=request.user)
                messages.success(request, "Accepted: the declared models and answers now count in the rating.")
            elif action == "reissue":
                url = services.assessment_link_reissue(assessment=assessment, by=request.user)
                messages.success(request, f"A new link was emailed to the contacts; the old one answers 410. {url}")
            elif action == "revoke":
                services.assessment_link_revoke(assessment=assessment, by=request.user)
                messages.success(request, "The portal link was revoked.")
            elif action == "review":
                review = QuestionReviewForm(request.POST)
                if not review.is_valid():
                    raise ValidationError("Choose a question and accept its answer or ask for changes.")
                answer = services.answer_review(
                    assessment=assessment,
                    question_id=review.cleaned_data["question_id"],
                    status=review.cleaned_data["status"],
                    note=review.cleaned_data["note"],
                    by=request.user,
                )
                messages.success(request, f"{answer.question_id}: {answer.get_review_status_display().lower()}.")
                return redirect(f"{assessment.get_absolute_url()}#q-{answer.question_id}")
            elif action == "comment":
                comment = CommentForm(request.POST)
                if not comment.is_valid():
                    raise ValidationError("Write a comment on a question.")
                services.answer_comment_add(
                    assessment=assessment,
                    question_id=comment.cleaned_data["question_id"],
                    body=comment.cleaned_data["body"],
                    internal=comment.cleaned_data["internal"],
                    by=request.user,
                )
                messages.success(request, "Comment added.")
            else:
                messages.error(request, "Unknown action.")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(assessment)


class AssessmentAnswerView(Guarded, View):
    """An analyst fills or corrects answers on the vendor's behalf (marked so on every answer)."""

    permission_required = "assessments.change_answer"

    def _render(self, request, assessment, *, posted=None, errors=None, status=200):
        q = selectors.questionnaire(assessment)
        context = {
            "assessment": assessment,
            "questionnaire": q,
            "sections": form_sections(
                q,
                answers=selectors.answers_by_question(assessment),
                evidence=selectors.evidence_by_question(assessment),
                comments=selectors.comments_by_question(assessment, include_internal=True),
                prefill=selectors.model_table_prefill(assessment.product),
                posted=posted,
                errors=errors,
            ),
            "read_only": not assessment.is_open,
            "analyst": True,
            "can_retire_evidence": assessment.is_open and request.user.has_perm("assessments.change_evidence"),
            "errors": errors or {},
            "evidence_url": "assessments:assessment_evidence",
        }
        return render(request, "assessments/assessment_answer.html", context, status=status)

    def get(self, request, pk: int):
        return self._render(request, get_object_or_404(selectors.assessment_queryset(), pk=pk))

    def post(self, request, pk: int):
        assessment = get_object_or_404(selectors.assessment_queryset(), pk=pk)
        try:
            with transaction.atomic():
                posted, errors = save_form(request, assessment, by=request.user)
            if request.POST.get("action") == "submit" and not errors:
                services.assessment_submit(assessment=assessment, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages[:3]))
            return self._render(request, assessment, status=400)
        if errors:
            messages.error(request, "Some answers need a correction (marked below); the others are saved.")
            return self._render(request, assessment, posted=posted, errors=errors, status=400)
        messages.success(request, "Saved on the vendor's behalf.")
        return redirect(assessment)


class AssessmentEvidenceView(Guarded, View):
    permission_required = "assessments.view_evidence"

    def get(self, request, pk: int, evidence_pk: int):
        return evidence_response(get_object_or_404(Evidence, pk=evidence_pk, assessment_id=pk))


class _ConfirmView(Guarded, FormView):
    """A confirmation page (GET) for an action that ends something, asking why; POST does it through the service.
    The service's refusal is shown on the page and nothing changes."""

    form_class = ConfirmWithReasonForm
    template_name = "assessments/confirm_action.html"
    title = ""
    explanation = ""
    button = ""

    def dispatch(self, request, *args, **kwargs):
        self.assessment = get_object_or_404(selectors.assessment_queryset(), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "assessment": self.assessment,
            "title": self.title,
            "explanation": self.explanation,
            "button": self.button,
            "allowed": self.allowed(),
        }

    def allowed(self) -> bool:
        raise NotImplementedError

    def act(self, reason: str) -> str:
        raise NotImplementedError

    def form_valid(self, form):
        try:
            done = self.act(form.cleaned_data["reason"])
        except ValidationError as error:
            form_errors_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, done)
        return redirect(self.assessment)


class AssessmentCancelView(_ConfirmView):
    """Cancel an assessment: the link stops working, the answers stay on record and no longer count."""

    permission_required = "assessments.change_assessment"
    title = "Cancel the assessment"
    explanation = (
        "The vendor's portal link stops working at once and the vendor can no longer answer. Everything answered "
        "so far stays on record; a cancelled assessment never counts in the rating. This cannot be undone: to ask "
        "again, send a new assessment."
    )
    button = "Cancel the assessment"

    def allowed(self) -> bool:
        return self.assessment.is_open or self.assessment.status == self.assessment.Status.SUBMITTED

    def act(self, reason: str) -> str:
        services.assessment_cancel(assessment=self.assessment, note=reason, by=self.request.user)
        return "Cancelled; the portal link no longer works and the answers are kept on record."


class EvidenceRetireView(_ConfirmView):
    """Take a file off its answer (the file and its checksum are kept and stay downloadable here)."""

    permission_required = "assessments.change_evidence"
    button = "Remove the file from the answer"

    def dispatch(self, request, *args, **kwargs):
        self.evidence = get_object_or_404(Evidence, pk=kwargs["evidence_pk"], assessment_id=kwargs["pk"])
        self.title = f"Remove “{self.evidence.original_name}” from the answer"
        self.explanation = (
            f"The file leaves the answer to {self.evidence.question_id} and no longer counts as evidence. Its copy "
            "and checksum stay on record, and the trail records who removed it and why. The vendor can attach another "
            "file while the assessment is open."
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "evidence": self.evidence}

    def allowed(self) -> bool:
        return self.assessment.is_open and self.evidence.retired_at is None

    def act(self, reason: str) -> str:
        services.evidence_retire(evidence=self.evidence, by=self.request.user, reason=reason)
        return f"“{self.evidence.original_name}” was removed from the answer; the file is kept on record."
