"""The lineage graph: models (hub repos, closed API models, declared-only models), their parents, and what
changed in them over time."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from vendors.models.base import CurrentTransactionId, bounded_text, choices_check
from vendors.validators import validate_hub_repo_id


class AIModelKind(models.TextChoices):
    HUB = "hub", "Model hub repository"
    CLOSED = "closed", "Closed API model"
    DECLARED = "declared", "Declared (no public record)"


class AIModelStatus(models.TextChoices):
    PENDING = "pending", "Not resolved yet"
    RESOLVED = "resolved", "Resolved"
    NOT_FOUND = "not_found", "Not found"
    GATED = "gated", "Gated"
    DISABLED = "disabled", "Disabled"
    ERROR = "error", "Error"
    CYCLE = "cycle", "Part of a cycle"
    DEPTH_LIMIT = "depth_limit", "Beyond the depth limit"


class DeclaredSource(models.TextChoices):
    VENDOR = "vendor", "Vendor"
    ANALYST = "analyst", "Analyst"


class AIModel(models.Model):
    """One node of the lineage graph.

    A hub repo is named by its repo id (``org/name``) and pinned by ``sha``; a closed API model by its API name
    (``gpt-4o``) with its publisher; a declared model has no public record and is named as declared.
    """

    Kind = AIModelKind

    Status = AIModelStatus

    DeclaredSource = DeclaredSource

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.HUB)
    name = models.CharField(max_length=200, help_text="Hub repo id, API model name, or declared name.")
    publisher = models.ForeignKey(
        "vendors.Publisher", null=True, blank=True, on_delete=models.SET_NULL, related_name="models"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    status_reason = models.CharField(max_length=500, blank=True)
    sha = models.CharField(max_length=40, blank=True)
    license = models.CharField(max_length=100, blank=True)
    license_name = models.CharField(max_length=100, blank=True)
    datasets = models.JSONField(default=list, blank=True)
    pipeline_tag = models.CharField(max_length=100, blank=True)
    library_name = models.CharField(max_length=100, blank=True)
    gated = models.CharField(max_length=16, blank=True, help_text="Hub gating: auto, manual, or blank.")
    hub_created_at = models.DateTimeField(null=True, blank=True)
    hub_last_modified = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True, help_text="When the hub was last asked.")
    lineage_notes = models.JSONField(
        default=list, blank=True, help_text="What the last resolution could not use (e.g. a local base path)."
    )
    lineage_gaps = models.JSONField(
        default=list,
        blank=True,
        help_text="Why this model's parents may be more than those stored: parent sources not read (gated, "
        "missing, failing), parents cut at the fan-out limit, parents named in a way that cannot be followed.",
    )
    declared_source = models.CharField(max_length=16, choices=DeclaredSource.choices, blank=True)
    shipped_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Closed models from the shipped catalogue: digest of the values last loaded from it.",
    )
    notes = bounded_text()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "AI model"
        constraints = [
            models.UniqueConstraint("kind", Lower("name"), name="aimodel_kind_name_ci_unique"),
            choices_check("kind", AIModelKind, "aimodel_kind_valid"),
            choices_check("status", AIModelStatus, "aimodel_status_valid"),
            models.CheckConstraint(condition=~models.Q(name=""), name="aimodel_name_not_empty"),
        ]
        indexes = [models.Index(fields=["status"])]  # the publisher foreign key has its own index

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == self.Kind.HUB:
            try:
                validate_hub_repo_id(self.name)
            except ValidationError as error:
                raise ValidationError({"name": error.messages}) from None

    @property
    def hub_url_path(self) -> str:
        return self.name if self.kind == self.Kind.HUB else ""


class AIModelAlias(models.Model):
    """Another name of the same node: a former hub id (the hub redirects renamed repos) or a dated or
    cloud-specific id of a closed API model. Every name leads to the one node."""

    name = models.CharField(max_length=200)
    model = models.ForeignKey(AIModel, on_delete=models.CASCADE, related_name="aliases")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "AI model aliases"
        constraints = [models.UniqueConstraint(Lower("name"), name="aimodelalias_name_ci_unique")]

    def __str__(self) -> str:
        return f"{self.name} → {self.model.name}"


class EdgeRelation(models.TextChoices):
    FINETUNE = "finetune", "Fine-tune"
    ADAPTER = "adapter", "Adapter"
    MERGE = "merge", "Merge"
    QUANTIZED = "quantized", "Quantized"
    UNKNOWN = "unknown", "Unknown"


class EdgeSource(models.TextChoices):
    CARD = "card", "Model card"
    TAGS = "tags", "Hub tags"
    CONFIG = "config", "Hub config (PEFT)"
    ADAPTER_CONFIG = "adapter_config", "adapter_config.json"
    GGUF = "gguf", "GGUF metadata"
    VENDOR = "vendor", "Declared by the vendor"
    ANALYST = "analyst", "Declared by an analyst"


class LineageEdge(models.Model):
    """child → parent: the child was derived from the parent, as some source claims."""

    Relation = EdgeRelation

    Source = EdgeSource

    # No index of its own: the unique (child, parent) constraint leads with it.
    child = models.ForeignKey(AIModel, on_delete=models.CASCADE, related_name="parent_edges", db_index=False)
    parent = models.ForeignKey(AIModel, on_delete=models.CASCADE, related_name="child_edges")
    relation = models.CharField(max_length=16, choices=Relation.choices, default=Relation.UNKNOWN)
    source = models.CharField(max_length=16, choices=Source.choices)
    observed_at = models.DateTimeField()

    class Meta:
        ordering = ["child_id", "parent_id"]
        constraints = [
            models.UniqueConstraint(fields=["child", "parent"], name="lineageedge_child_parent_unique"),
            models.CheckConstraint(condition=~models.Q(child=models.F("parent")), name="lineageedge_no_self_loop"),
            choices_check("relation", EdgeRelation, "lineageedge_relation_valid"),
            choices_check("source", EdgeSource, "lineageedge_source_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.child} —{self.relation}→ {self.parent}"


class ChangeKind(models.TextChoices):
    NEW_SHA = "new_sha", "New revision"
    PARENT_ADDED = "parent_added", "Parent added"
    PARENT_REMOVED = "parent_removed", "Parent removed"
    LICENSE_CHANGED = "license_changed", "Licence changed"
    GATED = "gated", "Gated"
    DISABLED = "disabled", "Disabled"
    GONE = "gone", "Gone from the hub"
    RENAMED = "renamed", "Renamed"
    STATUS_CHANGED = "status_changed", "Status changed"
    USAGE_ADDED = "usage_added", "Model usage added"
    USAGE_REMOVED = "usage_removed", "Model usage removed"
    MODEL_SWAPPED = "model_swapped", "Vendor swapped a model"
    # Parents inferred where the metadata names none (``InferredEdge``): never declared lineage, and said so.
    INFERRED_PARENT_ADDED = "inferred_parent_added", "Inferred parent added (not declared)"
    INFERRED_PARENT_CHANGED = "inferred_parent_changed", "Inferred parent changed (not declared)"
    INFERRED_PARENT_REMOVED = "inferred_parent_removed", "Inferred parent dropped (not declared)"
    FILES_UPLOADED = "files_uploaded", "Model files uploaded"


class ChangeEvent(models.Model):
    """Something that changed in the supply chain; drives rescoring, notifications and webhooks.

    ``xact`` is the id of the transaction that wrote it (PostgreSQL), so the change feed can serve only events
    whose transactions, and every older one, have ended (``vendors.selectors.settled_changes``): ids are taken at
    insert, commits come later and in any order, so an id order alone lets a poller step past an event that
    commits after a higher id was read.
    """

    Kind = ChangeKind

    kind = models.CharField(max_length=32, choices=Kind.choices)
    model = models.ForeignKey(AIModel, null=True, blank=True, on_delete=models.CASCADE, related_name="change_events")
    product = models.ForeignKey(
        "vendors.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="change_events"
    )
    summary = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    xact = models.BigIntegerField(
        null=True,
        blank=True,
        editable=False,
        db_default=CurrentTransactionId(),
        help_text="The writing transaction's id (PostgreSQL); the change feed's order and its settled frontier.",
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["-occurred_at"]),
            models.Index(fields=["kind"]),
            models.Index(fields=["xact", "id"], name="changeevent_feed_order"),
        ]
        constraints = [
            choices_check("kind", ChangeKind, "changeevent_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(model__isnull=False) | models.Q(product__isnull=False),
                name="changeevent_has_subject",
            ),
        ]

    def __str__(self) -> str:
        return self.summary


class RefreshScope(models.TextChoices):
    PORTFOLIO = "portfolio", "Whole portfolio"
    PRODUCT = "product", "One product"
    MODELS = "models", "Named models"


class RefreshStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    PARTIAL = "partial", "Partly done (a part failed)"
    FAILED = "failed", "Failed"


class LineageRefresh(models.Model):
    """One run of lineage resolution over the hub: what it covered, how far it got, what it found."""

    Scope = RefreshScope
    Status = RefreshStatus

    scope = models.CharField(max_length=16, choices=Scope.choices)
    product = models.ForeignKey("vendors.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    model_names = models.JSONField(default=list, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    nodes_done = models.PositiveIntegerField(default=0)
    nodes_failed = models.PositiveIntegerField(default=0)
    nodes_known = models.PositiveIntegerField(default=0, help_text="Nodes discovered so far (grows as it walks).")
    changes = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    problems = models.JSONField(
        default=dict,
        blank=True,
        help_text="Lineage problems in what the refresh covered, counted by code (cycles, depth limits, gated...).",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            choices_check("scope", RefreshScope, "lineagerefresh_scope_valid"),
            choices_check("status", RefreshStatus, "lineagerefresh_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} refresh {self.pk} ({self.status})"


class LineageRefreshChunk(models.Model):
    """A share of a large refresh's seeds, walked by one worker; the workers of a refresh split the graph
    between them through claims, so each repo is still fetched once."""

    refresh = models.ForeignKey(LineageRefresh, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    seeds = models.JSONField(default=list)
    worker = models.CharField(max_length=255, blank=True, help_text="The worker that walks (or walked) it.")
    done_at = models.DateTimeField(null=True, blank=True)
    nodes_done = models.PositiveIntegerField(default=0)
    nodes_failed = models.PositiveIntegerField(default=0)
    nodes_known = models.PositiveIntegerField(default=0)
    changes = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True, help_text="Why this part failed (blank: it did not).")

    class Meta:
        ordering = ["refresh_id", "index"]
        constraints = [models.UniqueConstraint(fields=["refresh", "index"], name="lineagerefreshchunk_unique")]

    def __str__(self) -> str:
        return f"refresh {self.refresh_id} chunk {self.index}"


class LineageRefreshClaim(models.Model):
    """Which chunk of a refresh fetches a repo (lower-case id): the first to claim it."""

    # No index of its own: the unique (refresh, name) constraint leads with it.
    refresh = models.ForeignKey(LineageRefresh, on_delete=models.CASCADE, related_name="claims", db_index=False)
    name = models.CharField(max_length=200)
    chunk = models.ForeignKey(LineageRefreshChunk, on_delete=models.CASCADE, related_name="claims")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["refresh", "name"], name="lineagerefreshclaim_unique")]

    def __str__(self) -> str:
        return self.name
