"""The REST API of a private model's config files: upload ``config.json`` and/or ``tokenizer_config.json``
(multipart) for a declared model and get back what the inference concluded; list and read the uploads, each kept
for good. A thin door over ``vendors.services.model_files_upload``, the service the model's page calls, with the
files checked by ``vendors.model_files`` as the page's form checks them."""

from django.conf import settings
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers

from riskregistry.api_auth import _key
from riskregistry.api_base import RegistryViewSet, UsernameField, brief
from vendors import model_files, selectors
from vendors.api.serializers import AIModelSerializer
from vendors.models import AIModel, InferredEdge, ModelFilesUpload
from vendors.services.model_files import model_files_upload


class UploadCandidateSerializer(serializers.Serializer):
    """One probable parent the inference named from the files, as it said it at upload."""

    parent = serializers.CharField()
    family = serializers.CharField(help_text="The root of the parent's declared lineage.")
    relation = serializers.CharField()
    source = serializers.ChoiceField(
        choices=InferredEdge.Source.choices, help_text="inferred:upload-config or -tokenizer."
    )
    confidence = serializers.FloatField(min_value=0.0, max_value=1.0)
    summary = serializers.CharField(help_text='"probably X family (0.92): same shapes, ..."')
    matched = serializers.ListField(child=serializers.CharField(), help_text="Fields that matched.")
    not_matched = serializers.ListField(child=serializers.CharField(), help_text="Fields that did not.")
    notes = serializers.ListField(child=serializers.CharField())
    stored = serializers.BooleanField(help_text="Stored as an inferred parent of the model at upload.")


class UploadInferredParentSerializer(serializers.Serializer):
    """A parent inferred from this upload that stands now (inferred, never declared)."""

    parent = serializers.CharField(source="parent.name")
    relation = serializers.CharField()
    source = serializers.ChoiceField(choices=InferredEdge.Source.choices)
    confidence = serializers.FloatField(min_value=0.0, max_value=1.0)
    observed_at = serializers.DateTimeField()


class ModelFilesUploadSerializer(serializers.ModelSerializer):
    """Files uploaded for a model with no public record, as read at upload: each file's name, SHA-256 and size,
    who uploaded them and how, and what the inference concluded (``candidates``, ``edges_note``). Never changed
    or deleted: a newer upload supersedes it (``superseded_at``, ``superseded_by``)."""

    model = brief(AIModelSerializer)(read_only=True)
    uploaded_by = UsernameField()
    current = serializers.SerializerMethodField(help_text="True for the model's current upload (not superseded).")
    candidates = UploadCandidateSerializer(many=True, read_only=True)
    inferred_parents = UploadInferredParentSerializer(
        source="inferred_edges", many=True, read_only=True,
        help_text="The parents inferred from this upload that stand now (none once superseded or while a parent "
        "is declared for the model).",
    )  # fmt: skip

    class Meta:
        model = ModelFilesUpload
        fields = [
            "id", "model", "channel", "uploaded_by", "uploaded_via", "uploaded_at", "config_name", "config_sha256",
            "config_size", "tokenizer_name", "tokenizer_sha256", "tokenizer_size", "fingerprint", "candidates",
            "references", "edges_note", "inferred_parents", "current", "superseded_at", "superseded_by",
        ]  # fmt: skip
        read_only_fields = fields

    def get_current(self, upload) -> bool:
        return upload.superseded_at is None


class ModelFilesUploadWriteSerializer(serializers.Serializer):
    """The files, each optional but at least one, checked as the model's page checks them (size, JSON, types and
    ranges; never executed)."""

    model = serializers.PrimaryKeyRelatedField(
        queryset=AIModel.objects.all(),
        help_text="A declared model (one with no public record).",
        error_messages={"does_not_exist": "No model has the id {pk_value}."},
    )
    config = serializers.FileField(required=False, allow_null=True, help_text="The model's config.json.")
    tokenizer = serializers.FileField(required=False, allow_null=True, help_text="The model's tokenizer_config.json.")

    @staticmethod
    def _checked(upload, kind: str, limit: int):
        try:
            return model_files.check_upload(upload, kind, limit=limit)
        except model_files.ModelFileRefused as error:
            raise serializers.ValidationError(str(error), code="refused") from None

    def validate_config(self, upload):
        return self._checked(upload, model_files.CONFIG, settings.MODEL_CONFIG_MAX_BYTES)

    def validate_tokenizer(self, upload):
        return self._checked(upload, model_files.TOKENIZER, settings.MODEL_TOKENIZER_CONFIG_MAX_BYTES)


def _upload_queryset():
    current = InferredEdge.objects.select_related("parent").order_by("-confidence", "parent__name")
    return selectors.model_files_upload_queryset().prefetch_related(Prefetch("inferred_edges", queryset=current))


class ModelFilesUploadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    """A private model's ``config.json`` and ``tokenizer_config.json``: upload them (analysts; multipart) and the
    same inference as the hub's models runs on them; list the uploads (``?model=`` for one model's history, newest
    first) and read one. Uploads are never changed or deleted."""

    http_method_names = ["get", "post", "head", "options"]
    selector = staticmethod(_upload_queryset)
    serializer_class = ModelFilesUploadSerializer
    filterset_fields = ["model", "channel"]

    @extend_schema(
        request={"multipart/form-data": ModelFilesUploadWriteSerializer}, responses={201: ModelFilesUploadSerializer}
    )
    def create(self, request, *args, **kwargs):
        """Upload the files for a declared model (201: the upload with the inference's result). Refused (400,
        nothing stored) when a file is too large, not JSON, or has fields of the wrong type or range, when no
        file is sent, when the model is not a declared one, or when the same files say the same as last time."""
        data = ModelFilesUploadWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = _key(request)
        upload = model_files_upload(
            model=data.validated_data["model"],
            config=data.validated_data.get("config"),
            tokenizer=data.validated_data.get("tokenizer"),
            channel=ModelFilesUpload.Channel.API,
            user=request.user,
            via=f"REST API, key {key.prefix}" if key is not None else "REST API, signed-in session",
        )
        return self.respond(upload, status=201)
