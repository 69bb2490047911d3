"""Lineage inferred where the metadata is silent: fingerprints of known models and the parents inferred from them.

Kept apart from ``LineageEdge`` on purpose: an inferred parent is a probability with its evidence, never a
declaration, and nothing that reads declared lineage (chains, roots, countries) sees it unless it asks.
"""

from django.conf import settings
from django.db import models

from vendors.models.base import choices_check
from vendors.models.lineage import AIModel, EdgeRelation


class ModelFingerprint(models.Model):
    """What identifies one hub model without its weights, as read from the hub at ``revision``: the normalised
    fields of its ``config.json`` and ``tokenizer_config.json``, its safetensors parameter count and, for a model
    whose parents are inferred, what the inference reads of its README and file names (so it can be inferred
    again from the stored row alone, against fingerprints stored later)."""

    model = models.OneToOneField(AIModel, on_delete=models.CASCADE, related_name="fingerprint")
    revision = models.CharField(max_length=40, blank=True, help_text="The commit the files were read at.")
    fingerprint = models.JSONField(default=dict, blank=True, help_text="vendors.lineage.inference.Fingerprint")
    parameters = models.BigIntegerField(null=True, blank=True)
    has_config = models.BooleanField(default=False)
    has_tokenizer = models.BooleanField(default=False)
    problems = models.JSONField(default=list, blank=True, help_text="Identifying files that could not be read.")
    readme_digest = models.TextField(
        blank=True, help_text="What the inference reads of the README (hub links, origin phrases, merge markers)."
    )
    files = models.JSONField(default=list, blank=True, help_text="The telling file names the inference reads.")
    readme_read = models.BooleanField(
        default=False,
        help_text="Whether the README was read at this revision (``readme_digest`` is then what it says).",
    )
    fetched_at = models.DateTimeField(
        help_text="When a refresh last read the files at this revision, or found the row current for it."
    )
    first_fetched_at = models.DateTimeField(
        null=True, blank=True, help_text="When the model was first fingerprinted (blank: before this was kept)."
    )

    class Meta:
        ordering = ["model_id"]

    def __str__(self) -> str:
        return f"fingerprint of {self.model} at {self.revision[:10] or 'unknown revision'}"


class InferredSource(models.TextChoices):
    CONFIG = "inferred:config", "Inferred from config.json"
    TOKENIZER = "inferred:tokenizer", "Inferred from the tokenizer"
    README = "inferred:readme", "Inferred from the README, checked against the named model"
    UPLOAD_CONFIG = "inferred:upload-config", "Inferred from an uploaded config.json"
    UPLOAD_TOKENIZER = "inferred:upload-tokenizer", "Inferred from an uploaded tokenizer_config.json"


#: The sources of parents inferred from files a vendor or an analyst uploaded (not read from the hub).
UPLOAD_SOURCES = (InferredSource.UPLOAD_CONFIG, InferredSource.UPLOAD_TOKENIZER)


class UploadChannel(models.TextChoices):
    ANALYST = "analyst", "An analyst on the model's page"
    ANALYST_ON_BEHALF = "analyst_on_behalf", "An analyst in a questionnaire, on the vendor's behalf"
    PORTAL = "portal", "The vendor in the questionnaire portal"
    API = "api", "An analyst's API key (the REST API)"


class ModelFilesUpload(models.Model):
    """A ``config.json`` and/or ``tokenizer_config.json`` uploaded for a model with no public record (a vendor's
    private model), as read at upload: the original bytes with their SHA-256 and size, who uploaded them, how,
    and what the inference concluded from them then.

    Never changed and never deleted: a newer upload for the same model supersedes it (``superseded_at``,
    ``superseded_by``) and the older one stays readable, with the inference it gave.
    """

    Channel = UploadChannel

    model = models.ForeignKey(AIModel, on_delete=models.PROTECT, related_name="file_uploads")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The analyst who uploaded (blank for the vendor in the portal).",
    )  # fmt: skip
    uploaded_via = models.CharField(
        max_length=300, blank=True, help_text="Where it came from: the assessment and question of a portal upload."
    )
    uploaded_at = models.DateTimeField()
    config_name = models.CharField(max_length=200, blank=True, help_text="The uploaded file's own name.")
    config_sha256 = models.CharField(max_length=64, blank=True)
    config_size = models.PositiveIntegerField(null=True, blank=True)
    config_raw = models.BinaryField(null=True, blank=True, editable=False, help_text="The file as uploaded.")
    tokenizer_name = models.CharField(max_length=200, blank=True)
    tokenizer_sha256 = models.CharField(max_length=64, blank=True)
    tokenizer_size = models.PositiveIntegerField(null=True, blank=True)
    tokenizer_raw = models.BinaryField(null=True, blank=True, editable=False, help_text="The file as uploaded.")
    fingerprint = models.JSONField(default=dict, blank=True, help_text="vendors.lineage.inference.Fingerprint")
    candidates = models.JSONField(
        default=list, blank=True, help_text="What the inference concluded at upload: parent, confidence, evidence."
    )
    references = models.PositiveIntegerField(default=0, help_text="How many known fingerprints it was compared with.")
    edges_note = models.CharField(
        max_length=300, blank=True, help_text="Why no inferred parent was stored from it, when none was."
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supersedes"
    )

    class Meta:
        ordering = ["model_id", "-uploaded_at", "-id"]
        verbose_name = "uploaded model files"
        verbose_name_plural = "uploaded model files"
        constraints = [
            choices_check("channel", UploadChannel, "modelfilesupload_channel_valid"),
            models.CheckConstraint(
                condition=~models.Q(config_sha256="", tokenizer_sha256=""), name="modelfilesupload_has_a_file"
            ),
            models.UniqueConstraint(
                fields=["model"], condition=models.Q(superseded_at__isnull=True), name="modelfilesupload_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"files of {self.model} uploaded {self.uploaded_at:%Y-%m-%d %H:%M}"

    @property
    def file_names(self) -> list[str]:
        return [name for name, sha in (("config.json", self.config_sha256),
                                       ("tokenizer_config.json", self.tokenizer_sha256)) if sha]  # fmt: skip


class RetiredReason(models.TextChoices):
    NOT_INFERRED = "not_inferred", "No longer inferred from the model's files"
    PARENT_NAMED = "parent_named", "The model's metadata now names a parent, or could not be read in full"
    PARENT_DECLARED = "parent_declared", "A parent is declared for the model"
    UPLOAD_SUPERSEDED = "upload_superseded", "A newer upload of the model's files says otherwise"


class CurrentInferredEdges(models.Manager):
    """The inferred parents that stand (not retired): what lineage, exports, scoring and pages read."""

    def get_queryset(self):
        return super().get_queryset().filter(retired_at__isnull=True)


class InferredEdge(models.Model):
    """child → probable parent, inferred by comparing fingerprints (and README claims) when the child's metadata
    names no parent; updated at each refresh of the child.

    One no longer inferred is retired, not erased: kept with ``retired_at`` and the reason, so what was inferred
    in the past stays readable. ``objects`` (the default manager, and so ``model.inferred_parent_edges``) holds
    the current ones only; ``history`` every one."""

    Source = InferredSource
    RetiredReason = RetiredReason

    child = models.ForeignKey(AIModel, on_delete=models.CASCADE, related_name="inferred_parent_edges")
    parent = models.ForeignKey(AIModel, on_delete=models.CASCADE, related_name="inferred_child_edges")
    family = models.CharField(max_length=200, blank=True, help_text="The root of the parent's declared lineage.")
    relation = models.CharField(max_length=16, choices=EdgeRelation.choices, default=EdgeRelation.UNKNOWN)
    source = models.CharField(max_length=32, choices=InferredSource.choices)
    confidence = models.FloatField()
    evidence = models.JSONField(default=dict, blank=True, help_text="Fields matched, fields not matched, notes.")
    revision = models.CharField(max_length=40, blank=True, help_text="The child's commit the inference read.")
    observed_at = models.DateTimeField()
    upload = models.ForeignKey(
        ModelFilesUpload, null=True, blank=True, on_delete=models.PROTECT, related_name="inferred_edges",
        help_text="The uploaded files it was inferred from (blank: read from the hub).",
    )  # fmt: skip
    retired_at = models.DateTimeField(null=True, blank=True, help_text="When it stopped being inferred.")
    retired_reason = models.CharField(max_length=20, choices=RetiredReason.choices, blank=True)

    history = models.Manager()
    objects = CurrentInferredEdges()

    class Meta:
        ordering = ["child_id", "-confidence", "parent_id"]
        default_manager_name = "objects"  # declared second: the current edges are what relations read
        base_manager_name = "history"
        constraints = [
            models.UniqueConstraint(
                fields=["child", "parent"],
                condition=models.Q(retired_at__isnull=True),
                name="inferrededge_child_parent_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(retired_at__isnull=True, retired_reason="")
                | (models.Q(retired_at__isnull=False) & ~models.Q(retired_reason="")),
                name="inferrededge_retired_with_reason",
            ),
            models.CheckConstraint(condition=~models.Q(child=models.F("parent")), name="inferrededge_no_self_loop"),
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0.0, confidence__lte=1.0), name="inferrededge_confidence_range"
            ),
            choices_check("relation", EdgeRelation, "inferrededge_relation_valid"),
            choices_check("source", InferredSource, "inferrededge_source_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.child} —probably {self.relation} ({self.confidence:.2f})→ {self.parent}"
