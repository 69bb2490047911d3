"""Admin pages for assessments: read-only records (ratings are computed, policy versions are never edited, findings
are worked on their own pages where the rules of the workflow hold); operators inspect them here with history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from assessments.models import Attestation, AttestationRequest, Exposure, Finding, RiskRating, ScoringPolicy


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
