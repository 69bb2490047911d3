"""The scoring policy pages: the policy in force with its history, and the admin's edit form with a what-if
preview. Views validate with the form, read through the selectors and write through the services."""

from __future__ import annotations

from functools import cached_property

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.generic import FormView, TemplateView

from assessments import selectors, services
from assessments.forms_policy import PolicyForm, country_label
from assessments.models import ScoringPolicy
from assessments.scoring import FACTOR_CODES, TIERS, Policy, PolicyError
from assessments.scoring.labels import FACTOR_DESCRIPTIONS, factor_label
from assessments.scoring.policy import policy_diff
from vendors.knowledge.records import FLAGS
from vendors.views.base import Guarded, form_errors_from

#: Usages listed in a preview; the rest are counted ("and N more").
PREVIEW_ROWS = 200


def _document(row: ScoringPolicy) -> dict:
    """A stored version's document with the defaults it lacks filled in, so a field added to the policy later does
    not show as a change; the raw document if it no longer loads."""
    try:
        return Policy.from_document(row.version, row.document).to_document()
    except PolicyError:
        return dict(row.document)


def _tier_ranges(policy: Policy) -> list[tuple[str, int, int]]:
    """(tier, lowest score, highest score) for each tier."""
    starts = (0, *policy.thresholds)
    ends = (*(threshold - 1 for threshold in policy.thresholds), 100)
    return list(zip(TIERS, starts, ends, strict=True))


class PolicyDetailView(Guarded, TemplateView):
    permission_required = "assessments.view_scoringpolicy"
    template_name = "assessments/policy_detail.html"

    def get_context_data(self, **kwargs):
        policy = selectors.policy_current()
        versions = selectors.policy_versions()
        history = []
        for row, previous in zip(versions, [*versions[1:], None], strict=True):
            changes = policy_diff(_document(previous), _document(row)) if previous is not None else None
            history.append({"row": row, "previous": previous, "changes": changes})
        factors = [
            {
                "code": code,
                "label": factor_label(code),
                "description": FACTOR_DESCRIPTIONS[code],
                "weight": policy.weights[code],
                "opens_finding": policy.opens_finding(code),
            }
            for code in FACTOR_CODES
        ]
        return {
            **super().get_context_data(**kwargs),
            "policy": policy,
            "row": versions[0] if versions and versions[0].version == policy.version else None,
            "history": history,
            "tiers": _tier_ranges(policy),
            "countries_of_concern": sorted(map(country_label, policy.countries_of_concern)),
            "approved_regions": sorted(map(country_label, policy.approved_regions)),
            "factors": factors,
            "root_weight": int(policy.weights["origin.country_of_concern"] * policy.root_multiplier),
            "sanction_flags": [(flag, FLAGS.get(flag, "")) for flag in sorted(policy.sanction_flags)],
            "critical_factors": [code for code in FACTOR_CODES if code in policy.critical_factors],
            "approver_roles": [role.capitalize() for role in sorted(policy.approver_roles)],
            "curated": selectors.policy_curated_facts(policy),
        }


class PolicyEditView(Guarded, FormView):
    """Edit the policy as a new version. "Preview" scores the portfolio under the draft and shows what would
    change, saving nothing; "Save" stores the next version (the service refuses a stale ``based_on``)."""

    permission_required = "assessments.add_scoringpolicy"
    form_class = PolicyForm
    template_name = "assessments/policy_form.html"

    @cached_property
    def current(self) -> Policy:
        return selectors.policy_current()

    @property
    def action(self) -> str:
        return "save" if self.request.POST.get("action") == "save" else "preview"

    def get_initial(self):
        return PolicyForm.initial_from(self.current)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "action": self.action}

    def form_valid(self, form):
        try:
            draft = self.current.with_changes(version=self.current.version + 1, **form.policy_changes())
        except PolicyError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        if self.action == "preview":
            return self.render_to_response(self.get_context_data(form=form, preview=self.preview(form, draft)))
        try:
            row = services.policy_version_create(
                policy=draft,
                note=form.cleaned_data["note"],
                based_on=form.cleaned_data["based_on"],
                created_by=self.request.user,
            )
        except ValidationError as error:
            form_errors_from(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Policy version {row.version} saved; the portfolio is being rescored.")
        return redirect("assessments:policy_detail")

    def preview(self, form, draft: Policy) -> dict:
        """What the draft would change, against the version in force. A preview is a review against that version,
        so the form is re-based on it (the save then replaces it, as the listed changes say)."""
        based_on = form.cleaned_data["based_on"]
        if based_on != self.current.version:
            form.data = form.data.copy()
            form.data["based_on"] = str(self.current.version)
        what_if = selectors.policy_what_if(draft=draft, current=self.current)
        return {
            "what_if": what_if,
            "stale_from": based_on if based_on != self.current.version else None,
            "changes": policy_diff(self.current.to_document(), draft.to_document()),
            "tiers": [
                (tier, what_if.before[tier], what_if.after[tier], what_if.after[tier] - what_if.before[tier])
                for tier in TIERS
            ],
            "rows": what_if.changes[:PREVIEW_ROWS],
            "more": max(0, len(what_if.changes) - PREVIEW_ROWS),
        }

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "current": self.current,
            "next_version": self.current.version + 1,
            "current_countries": sorted(map(country_label, self.current.countries_of_concern)),
            "current_regions": sorted(map(country_label, self.current.approved_regions)),
        }
