"""How the REST API shows reports, and what asking for one takes."""

from rest_framework import serializers
from rest_framework.reverse import reverse

from reports.models import Report
from reports.periods import Quarter
from vendors.models import Vendor


class ReportSerializer(serializers.ModelSerializer):
    """A generated report: what it covers, the moment its figures describe, its state and, once ready, the
    SHA-256 and size of its file and where to download it."""

    vendor_name = serializers.CharField(source="vendor.name", read_only=True, allow_null=True, default=None)
    download = serializers.SerializerMethodField(help_text="The PDF, once the report is ready.")

    class Meta:
        model = Report
        fields = ["id", "kind", "period", "vendor", "vendor_name", "as_of", "to_date", "status", "progress", "step",
                  "error", "sha256", "size", "requested_by_name", "created_at", "finished_at", "download"]  # fmt: skip
        read_only_fields = fields

    def get_download(self, report: Report) -> str | None:
        if not report.is_ready:
            return None
        return reverse("report-download", args=[report.pk], request=self.context.get("request"))


class ReportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Report.Kind.choices)
    quarter = serializers.RegexField(
        r"^\d{4}Q[1-4]$", required=False, help_text="e.g. 2026Q4; the current quarter (to date) when left out."
    )
    vendor = serializers.PrimaryKeyRelatedField(queryset=Vendor.objects.all(), required=False)

    def validate_quarter(self, value: str) -> Quarter:
        try:
            return Quarter.parse(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None
