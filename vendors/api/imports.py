"""The REST API of spreadsheet imports: upload (preview or import at once), read the preview, apply it. A thin
door over vendors.services' csv_import_* functions."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from riskregistry.api_auth import needs
from riskregistry.api_base import RegistryViewSet
from vendors import selectors, services
from vendors.csv_import.plan import OUTCOMES
from vendors.models import CsvImport


# ---------------------------------------------------------------------------------------------------------------
class CsvImportRowSerializer(serializers.Serializer):
    """What one row of the file does: create, change, unchanged (left alone) or refused, with the reasons."""

    line = serializers.IntegerField(source="row.line", help_text="The row's line in the file (the header is 1).")
    outcome = serializers.ChoiceField(choices=OUTCOMES)
    notes = serializers.ListField(child=serializers.CharField(), help_text="What will be done, or why it is refused.")
    vendor = serializers.CharField(source="row.vendor")
    product = serializers.CharField(source="row.product")
    model = serializers.CharField(source="row.model")


class CsvImportPlanSerializer(serializers.Serializer):
    """The preview: what applying the file does to the portfolio as it is now. Apply with ``digest``."""

    digest = serializers.CharField(help_text="Send it to apply/: the import is refused if the plan changed since.")
    summary = serializers.SerializerMethodField()
    counts = serializers.DictField(child=serializers.IntegerField())
    rows = CsvImportRowSerializer(many=True)

    def get_summary(self, plan) -> str:
        return plan.summary(done=False)


class CsvImportSerializer(serializers.ModelSerializer):
    """An uploaded spreadsheet of vendors, products and model usages: previewed, then applied all or nothing."""

    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    applied_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    outcome = serializers.DictField(
        child=serializers.IntegerField(), read_only=True, help_text="Rows per outcome, once applied."
    )

    class Meta:
        model = CsvImport
        fields = [
            "id", "filename", "sha256", "row_count", "status", "error", "uploaded_by", "created_at", "applied_by",
            "applied_at", "outcome",
        ]  # fmt: skip
        read_only_fields = fields


class CsvImportDetailSerializer(CsvImportSerializer):
    """An import with its preview (against the portfolio as it is now; null once queued or applied)."""

    plan = serializers.SerializerMethodField()

    class Meta(CsvImportSerializer.Meta):
        fields = [*CsvImportSerializer.Meta.fields, "plan"]
        read_only_fields = fields

    def get_plan(self, csv_import) -> CsvImportPlanSerializer(allow_null=True):  # type: ignore[valid-type]
        plan = self.context.get("plan")
        return CsvImportPlanSerializer(plan).data if plan is not None else None


class CsvImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A CSV file in the documented column set (UTF-8).")
    dry_run = serializers.BooleanField(
        default=True, help_text="true (default): store and preview only; false: apply at once, all or nothing."
    )


class CsvImportApplySerializer(serializers.Serializer):
    plan = serializers.CharField(max_length=64, help_text="The preview's digest.")


class CsvImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    """Spreadsheet imports of vendors, products and model usages (the column set is in the README). Upload a
    file (``dry_run`` true: stored and previewed row by row; false: applied at once), read its preview, then
    ``apply/`` it with the preview's digest: all rows or none, through the same services as the pages."""

    http_method_names = ["get", "post", "head", "options"]
    selector = staticmethod(selectors.csv_import_queryset)
    serializer_class = CsvImportSerializer
    filterset_fields = ["status"]

    def _detail(self, csv_import, status=200):
        csv_import = self.get_queryset().get(pk=csv_import.pk)
        plan = None
        if csv_import.status == CsvImport.Status.PREVIEWED:
            plan = services.csv_import_preview(csv_import=csv_import)
        data = CsvImportDetailSerializer(csv_import, context={**self.get_serializer_context(), "plan": plan}).data
        return Response(data, status=status)

    @extend_schema(responses={200: CsvImportDetailSerializer})
    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    @extend_schema(
        request={"multipart/form-data": CsvImportUploadSerializer},
        responses={201: CsvImportDetailSerializer, 202: CsvImportDetailSerializer},
    )
    def create(self, request, *args, **kwargs):
        """Upload a file. ``dry_run`` true (default): stored and previewed (201). False: imported at once, all
        or nothing (202: queued; the import's ``status`` says when it is ``applied``, or ``error`` why not); a
        file that cannot be read or a refused row is a 400 and nothing is stored."""
        data = CsvImportUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        content = upload.read(settings.CSV_IMPORT_MAX_BYTES + 1)  # one byte more: too large is refused as such
        if data.validated_data["dry_run"]:
            csv_import = services.csv_import_stage(data=content, filename=upload.name, user=request.user)
            return self._detail(csv_import, status=201)
        csv_import = services.csv_import_run(data=content, filename=upload.name, user=request.user)
        return self._detail(csv_import, status=202)

    @extend_schema(request=CsvImportApplySerializer, responses={202: CsvImportDetailSerializer})
    @action(detail=True, methods=["post"], permission_classes=[needs("vendors.change_csvimport")])
    def apply(self, request, pk=None):
        """Import every row of the previewed file, or none (202: queued for a worker; read the import for its
        ``status`` and ``error``). Refused (400) if a row is refused, if the import is applied or being applied,
        or if the portfolio changed since the preview (the plan's digest differs)."""
        data = CsvImportApplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        csv_import = services.csv_import_apply_request(
            csv_import=self.get_object(), plan_digest=data.validated_data["plan"], user=request.user
        )
        return self._detail(csv_import, status=202)
