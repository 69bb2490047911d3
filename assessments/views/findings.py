"""The findings pages: the list, one finding beside its usage's rating, and the workflow actions (owner and due
date, risk acceptance, revocation, resolution). Views validate with forms and write through the services."""

from datetime import UTC, date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import View
from django.views.generic import DetailView, FormView
from django_filters.views import FilterView

from assessments import selectors, services
from assessments.api.serializers import FindingSerializer
from assessments.filters import FindingFilterSet
from assessments.forms import FindingAcceptForm, FindingCommentForm, FindingResolveForm, FindingUpdateForm
from assessments.models import LIVE_STATUSES, Finding
from assessments.scoring import DISCREPANCY
from assessments.selectors.pending import product_pending_work
from riskregistry.versions import StaleVersion, version_of
from vendors.selectors import lineage_reports
from vendors.views.base import (
    BASED_ON,
    PAGE_SIZE,
    CsvExportMixin,
    FilteredListMixin,
    Guarded,
    detached,
    form_errors_from,
    with_version,
)

#: Factors about the lineage: their finding shows the chains to the root models.
_LINEAGE_FACTORS = ("origin", "license", "evaluation", "opacity")
_CHAINS_SHOWN = 10


def _today() -> date:
    # The services date acceptances and due dates in UTC; the pages compare against the same day.
    return timezone.now().astimezone(UTC).date()


def _detail_context(request, finding: Finding, **forms) -> dict:
    """What the detail page shows; ``forms`` replaces an action's blank form (a bound one, with its errors)."""
    rating = selectors.latest_ratings([finding.usage_id]).get(finding.usage_id)
    selectors.findings_describe([finding])
    context = {
        "finding": finding,
        "pending_work": product_pending_work(finding.usage.product),
        "today": _today(),
        "rating": rating,
        "factor_in_rating": bool(rating) and any(f["code"] == finding.code for f in rating.factors),
        "history": selectors.finding_history(finding),
        "comments": selectors.finding_comments(finding),
        "cause": _cause(finding),
        "can_change": request.user.has_perm("assessments.change_finding"),
        "statements": (
            selectors.vendor_statements(finding.usage.product) if finding.trigger == Finding.Trigger.DISCREPANCY else []
        ),
    }
    if context["can_change"]:
        # Each action's form carries the finding's version: an action based on an older one is refused.
        version = context["version"] = version_of(finding)
        context["update_form"] = with_version(
            FindingUpdateForm(initial=FindingUpdateForm.initial_for(finding)), finding, version
        )
        context["accept_form"] = with_version(_accept_form(finding=finding), finding, version)
        context["resolve_form"] = with_version(FindingResolveForm(), finding, version)
        context["comment_form"] = FindingCommentForm()
        context.update(forms)
    return context


def _cause(finding: Finding) -> dict:
    """What caused the finding, as the page shows it: the contradiction and the vendor's statements (question and
    answer, or attestation), the resolved chains to the roots, and the rest of the evidence."""
    cause = {"contradictions": [], "said": [], "chains": [], "other": []}
    discrepancy = finding.trigger == Finding.Trigger.DISCREPANCY or finding.code == DISCREPANCY
    for line in map(str, finding.evidence):
        if line.startswith("resolved chain: "):
            cause["chains"].append(line.removeprefix("resolved chain: "))
        elif "(assessment #" in line:
            cause["said"].append(line)
        elif discrepancy and ", but " in line:
            cause["contradictions"].append(line)
        else:
            cause["other"].append(line)
    if not cause["chains"] and finding.code.split(".")[0] in _LINEAGE_FACTORS:
        report = lineage_reports([finding.usage.model])[0]
        cause["chains"] = [" → ".join(chain) for chain in report.ancestry.chains[:_CHAINS_SHOWN]]
    return cause


def _accept_form(*, finding: Finding, **kwargs) -> FindingAcceptForm:
    policy = selectors.policy_current()
    return FindingAcceptForm(
        max_days=policy.max_acceptance_days,
        today=_today(),
        min_chars=policy.min_justification_chars,
        second_approver=policy.needs_second_approver(finding.code),
        **kwargs,
    )


class FindingListView(Guarded, CsvExportMixin, FilteredListMixin, FilterView):
    permission_required = "assessments.view_finding"
    csv_serializer, csv_filename = FindingSerializer, "findings.csv"
    filterset_class = FindingFilterSet
    template_name = "assessments/finding_list.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return selectors.finding_queryset().order_by(F("due_date").asc(nulls_last=True), "opened_at", "id")

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        if not set(self.request.GET) & set(filterset_class.base_filters):
            # No filter asked for (a bare list, or only a page number): the live findings, shown as ticked boxes.
            data = self.request.GET.copy()
            data.setlist("status", list(LIVE_STATUSES))
            kwargs["data"] = data
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        selectors.findings_describe(context["object_list"])
        return {**context, "today": _today()}


class MyFindingListView(FindingListView):
    """The findings the signed-in person owns, with the same filters (the owner filter left out)."""

    template_name = "assessments/finding_list.html"
    csv_filename = "my-findings.csv"

    def get_queryset(self):
        return super().get_queryset().filter(owner=self.request.user)

    def get_filterset(self, filterset_class):
        filterset = super().get_filterset(filterset_class)
        filterset.filters.pop("owner", None)
        filterset.form.fields.pop("owner", None)
        return filterset

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "mine": True}


class FindingDetailView(Guarded, DetailView):
    permission_required = "assessments.view_finding"
    template_name = "assessments/finding_detail.html"

    def get_object(self, queryset=None):
        return get_object_or_404(selectors.finding_queryset(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **_detail_context(self.request, self.object)}


class _FindingActionView(Guarded, FormView):
    """One workflow action: POST validates and calls the service; an error (the form's or the service's) shows
    the detail page again with this action's form bound and its errors on the right fields. GET shows the page."""

    permission_required = "assessments.change_finding"
    template_name = "assessments/finding_detail.html"
    form_key: str  # this action's form on the detail page
    success_message: str

    # The finding is loaded after the permission check (in get/post), so 403 comes before 404.
    def get(self, request, *args, **kwargs):
        self.finding = get_object_or_404(selectors.finding_queryset(), pk=kwargs["pk"])
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.finding = get_object_or_404(selectors.finding_queryset(), pk=kwargs["pk"])
        return super().post(request, *args, **kwargs)

    def perform(self, finding: Finding, data: dict) -> None:
        """Call the service, passing ``data[BASED_ON]`` (the version the form was opened on) as ``based_on``."""
        raise NotImplementedError

    def get_form(self, form_class=None):
        return with_version(super().get_form(form_class), self.finding)

    def form_valid(self, form):
        try:
            # The service writes on a copy: after an error, the page shows the finding as it is stored.
            self.perform(detached(self.finding), form.cleaned_data)
        except ValidationError as error:
            form_errors_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect(self.finding)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        return {**context, **_detail_context(self.request, self.finding, **{self.form_key: context["form"]})}


class FindingUpdateView(_FindingActionView):
    form_class = FindingUpdateForm
    form_key = "update_form"
    success_message = "Owner and due date saved."

    def get_initial(self):
        return FindingUpdateForm.initial_for(self.finding)

    def perform(self, finding, data):
        services.finding_update(
            finding=finding,
            owner=data["owner"],
            due_date=data["due_date"],
            by=self.request.user,
            based_on=data[BASED_ON],
        )


class FindingAcceptView(_FindingActionView):
    form_key = "accept_form"

    def get_form(self, form_class=None):
        return with_version(_accept_form(finding=self.finding, **self.get_form_kwargs()), self.finding)

    def perform(self, finding, data):
        done = services.finding_accept(
            finding=finding,
            justification=data["justification"],
            accepted_until=data["accepted_until"],
            by=self.request.user,
            based_on=data[BASED_ON],
        )
        self.success_message = (
            "Risk acceptance asked for: it takes effect once a second approver approves it."
            if done.acceptance_pending
            else "Risk accepted. The usage is being rescored without this factor."
        )


class FindingCommentView(_FindingActionView):
    form_class = FindingCommentForm
    form_key = "comment_form"
    success_message = "Comment added."

    def get_form(self, form_class=None):
        # A comment adds to the thread and overwrites nothing, so it is based on no version of the finding.
        return super(_FindingActionView, self).get_form(form_class)

    def perform(self, finding, data):
        services.finding_comment_add(finding=finding, body=data["body"], author=self.request.user)


class FindingResolveView(_FindingActionView):
    form_class = FindingResolveForm
    form_key = "resolve_form"

    def perform(self, finding, data):
        services.finding_resolve(
            finding=finding,
            status=data["status"],
            resolution=data["resolution"],
            by=self.request.user,
            based_on=data[BASED_ON],
        )
        self.success_message = f"Finding marked {finding.get_status_display().lower()}."


class FindingRevokeView(Guarded, View):
    permission_required = "assessments.change_finding"
    http_method_names = ["post"]

    def post(self, request, pk):
        finding = get_object_or_404(Finding, pk=pk)
        version = request.POST.get(BASED_ON, "").strip()
        if not version:
            messages.error(request, "The request did not say which version of the finding it was based on.")
            return redirect(finding)
        try:
            pending = finding.acceptance_pending
            services.finding_acceptance_revoke(finding=finding, by=request.user, based_on=version)
        except StaleVersion as error:  # the page shows the finding as it is now, with its history
            messages.error(request, error.message)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                "The request for a risk acceptance is withdrawn."
                if pending
                else "Risk acceptance revoked. The factor counts again from the rescoring.",
            )
        return redirect(finding)


class FindingApproveView(Guarded, View):
    """The second approver approves a requested risk acceptance (the service checks who may)."""

    permission_required = "assessments.change_finding"
    http_method_names = ["post"]

    def post(self, request, pk):
        finding = get_object_or_404(Finding, pk=pk)
        version = request.POST.get(BASED_ON, "").strip()
        if not version:
            messages.error(request, "The request did not say which version of the finding it was based on.")
            return redirect(finding)
        try:
            services.finding_acceptance_approve(finding=finding, by=request.user, based_on=version)
        except StaleVersion as error:  # approve only what was read: the page shows the request as it is now
            messages.error(request, error.message)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Risk acceptance approved. The usage is being rescored without this factor.")
        return redirect(finding)
