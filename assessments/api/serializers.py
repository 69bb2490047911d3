"""How the REST API shows ratings, findings, exposure and policy versions, and what the findings' workflow takes."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from assessments.models import Assessment, Attestation, AttestationRequest, Exposure, Finding, RiskRating, ScoringPolicy
from riskregistry.api_base import UsernameField, brief
from riskregistry.api_rows import FastRows
from riskregistry.api_versions import SlugLookupField, VersionedWriteSerializer, VersionField
from vendors.api.serializers import AIModelSerializer, ModelUsageSerializer, ProductSerializer


class AcceptanceSerializer(serializers.Serializer):
    until = serializers.DateField(help_text="The last day the acceptance is valid.")
    by = serializers.CharField(allow_null=True, allow_blank=True)
    justification = serializers.CharField(allow_blank=True)


class FactorSerializer(serializers.Serializer):
    """One reason in a rating: its points, a one-line reason and the evidence (usually a lineage path)."""

    code = serializers.CharField(help_text="e.g. origin.country_of_concern")
    points = serializers.IntegerField()
    reason = serializers.CharField()
    evidence = serializers.ListField(child=serializers.CharField())
    accepted = AcceptanceSerializer(
        required=False, help_text="Present when a risk acceptance stops the points from counting."
    )


class RiskRatingSerializer(FastRows, serializers.ModelSerializer):
    """A snapshot of one model usage's rating. ``is_current`` marks the newest; the others are its history."""

    factors = FactorSerializer(many=True, read_only=True)

    class Meta:
        model = RiskRating
        fields = ["id", "usage", "score", "tier", "factors", "policy_version", "inputs_as_of", "is_current",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class FindingSerializer(FastRows, serializers.ModelSerializer):
    """A risk someone must remediate or accept."""

    usage = brief(ModelUsageSerializer)(read_only=True)
    owner = UsernameField()
    accepted_by = UsernameField()
    acceptance_requested_by = UsernameField()
    approved_by = UsernameField()
    acceptance_pending = serializers.BooleanField(
        read_only=True, help_text="A risk acceptance waits for its second approver; the factor still counts."
    )
    evidence = serializers.ListField(child=serializers.CharField(), read_only=True)
    version = VersionField()

    class Meta:
        model = Finding
        fields = [
            "id", "usage", "code", "trigger", "title", "evidence", "points", "status", "owner", "due_date",
            "justification", "accepted_until", "accepted_by", "accepted_at", "acceptance_pending",
            "acceptance_requested_by", "acceptance_requested_at", "approved_by", "approved_at", "resolution",
            "opened_at", "resolved_at", "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = fields


class FindingUpdateSerializer(VersionedWriteSerializer):
    owner = SlugLookupField(
        slug_field="username", queryset=get_user_model().objects.filter(is_active=True), allow_null=True
    )
    due_date = serializers.DateField(allow_null=True)


class FindingAcceptSerializer(serializers.Serializer):
    justification = serializers.CharField(max_length=5000)
    accepted_until = serializers.DateField(help_text="The last day the acceptance is valid.")


class FindingResolveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[(s, s.label) for s in (Finding.Status.REMEDIATED, Finding.Status.CLOSED)])
    resolution = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ExposurePathSerializer(serializers.ModelSerializer):
    """Why a usage matches: the model in its lineage that met the filters, and the path to it."""

    model = brief(AIModelSerializer)(read_only=True)
    path = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Exposure
        fields = ["model", "depth", "is_root", "path"]
        read_only_fields = fields


class ExposureSerializer(ModelUsageSerializer):
    """A model usage in the blast radius, with the lineage paths that put it there (closest first)."""

    matches = serializers.SerializerMethodField()

    class Meta(ModelUsageSerializer.Meta):
        fields = [*ModelUsageSerializer.Meta.fields, "matches"]
        read_only_fields = fields

    def get_matches(self, usage) -> ExposurePathSerializer(many=True):  # type: ignore[valid-type]
        return ExposurePathSerializer(self.context.get("matches", {}).get(usage.pk, []), many=True).data


class PolicyVersionSerializer(serializers.ModelSerializer):
    """One version of the scoring policy (versions are never edited; the newest is in force)."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ScoringPolicy
        fields = ["version", "note", "document", "created_by", "created_at"]
        read_only_fields = fields


class AttestationSerializer(serializers.ModelSerializer):
    """A signed attestation (immutable): per-claim responses, the signer, the statement's and the PDF's SHA-256."""

    class Meta:
        model = Attestation
        fields = [
            "signer_name", "signer_title", "signer_email", "signed_at", "responses", "corrected_count",
            "statement", "statement_sha256", "pdf_sha256", "expires_at",
        ]  # fmt: skip
        read_only_fields = fields


class AttestationRequestSerializer(serializers.ModelSerializer):
    """An attestation request: the claims asked about (as resolved when it was made), the deadline, the status,
    and the signed attestation once there is one."""

    reference = serializers.CharField(read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    attestation = AttestationSerializer(read_only=True, allow_null=True)

    class Meta:
        model = AttestationRequest
        fields = [
            "id", "reference", "vendor", "product", "scope", "status", "deadline", "claim_count", "claims",
            "message", "created_by", "created_at", "cancelled_at", "attestation",
        ]  # fmt: skip
        read_only_fields = fields


class AssessmentSerializer(serializers.ModelSerializer):
    """A questionnaire sent to a vendor about one product: its version, status, due date and risk points (the
    columns of the assessments page's CSV download)."""

    questionnaire = serializers.CharField(source="questionnaire.key", read_only=True)
    questionnaire_version = serializers.IntegerField(source="questionnaire.version", read_only=True)
    product = brief(ProductSerializer)(read_only=True)
    sent_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Assessment
        fields = [
            "id", "questionnaire", "questionnaire_version", "product", "status", "due_date", "recurrence", "round",
            "score", "sent_by", "sent_at", "submitted_at", "accepted_at",
        ]  # fmt: skip
        read_only_fields = fields
