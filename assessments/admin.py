"""Admin pages for assessments: read-only records (ratings are computed, policy versions are never edited, findings
are worked on their own pages where the rules of the workflow hold); operators inspect them here with history."""

import yaml
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from assessments import services
from assessments.models import (
    Attestation,
    AttestationRequest,
    Exposure,
    Finding,
    QuestionnaireVersion,
    RiskRating,
    ScoringPolicy,
)
from vendors.views.base import form_errors_from


class _ReadOnly:
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ScoringPolicy)
class ScoringPolicyAdmin(_ReadOnly, admin.ModelAdmin):
    """New versions are made on the Policy page, with a preview of their effect."""

    list_display = ["version", "created_at", "created_by", "note"]


@admin.register(RiskRating)
class RiskRatingAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["usage", "score", "tier", "policy_version", "is_current", "created_at"]
    list_filter = ["tier", "is_current", "policy_version"]
    list_select_related = ["usage__product", "usage__model"]
    search_fields = ["usage__product__name", "usage__model__name"]


@admin.register(Finding)
class FindingAdmin(_ReadOnly, SimpleHistoryAdmin):
    list_display = ["title", "code", "status", "owner", "due_date", "opened_at"]
    list_filter = ["status", "trigger", "code"]
    list_select_related = ["owner"]
    search_fields = ["title", "usage__product__name", "usage__model__name"]


@admin.register(Exposure)
class ExposureAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["usage", "model", "depth", "is_root"]
    list_filter = ["is_root"]
    list_select_related = ["usage__product", "usage__model", "model"]
    search_fields = ["model__name", "usage__product__name"]


@admin.register(AttestationRequest)
class AttestationRequestAdmin(_ReadOnly, SimpleHistoryAdmin):
    """Requests are made and cancelled on the Attestations pages; their claims never change."""

    list_display = ["__str__", "status", "deadline", "created_by", "created_at"]
    list_filter = ["status", "scope"]
    list_select_related = ["vendor", "product", "created_by"]
    search_fields = ["vendor__name", "product__name"]


@admin.register(Attestation)
class AttestationAdmin(_ReadOnly, admin.ModelAdmin):
    """Signed attestations are immutable: shown, never edited or deleted."""

    list_display = ["__str__", "signer_title", "corrected_count", "signed_at", "expires_at", "statement_sha256"]
    list_select_related = ["request__vendor"]
    search_fields = ["signer_name", "request__vendor__name", "statement_sha256"]


class QuestionnaireVersionForm(forms.Form):
    """A new version of a questionnaire: the whole YAML document; its version number is the next one."""

    key = forms.SlugField(help_text="The questionnaire's key, e.g. ai-mbom.")
    text = forms.CharField(
        label="Questionnaire (YAML)",
        widget=forms.Textarea(attrs={"rows": 30, "cols": 110, "class": "vLargeTextField"}),
        help_text="Start from the current version's file; the schema refuses unknown or missing keys.",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), help_text="What changed.")


@admin.register(QuestionnaireVersion)
class QuestionnaireVersionAdmin(admin.ModelAdmin):
    """Published versions are frozen (read-only); "Add" publishes an edit as the next version."""

    list_display = ["key", "version", "title", "source", "published_at", "retired_at"]
    list_filter = ["key", "source"]
    readonly_fields = ["key", "version", "title", "sha256", "source", "note", "published_at", "created_by", "yaml"]
    exclude = ["definition"]

    @admin.display(description="Definition (YAML)")
    def yaml(self, obj) -> str:
        return format_html("<pre>{}</pre>", yaml.safe_dump(obj.definition, sort_keys=False, allow_unicode=True))

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = QuestionnaireVersionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                version = services.questionnaire_version_publish(
                    key=form.cleaned_data["key"], text=form.cleaned_data["text"], note=form.cleaned_data["note"],
                    by=request.user,
                )  # fmt: skip
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, f"Published {version}.")
                return redirect("admin:assessments_questionnaireversion_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Publish a new questionnaire version",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/assessments/questionnaire_version_add.html", context)
