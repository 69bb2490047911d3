"""Lineage inferred where the metadata is silent: fingerprints of known models and the parents inferred from them.

Kept apart from ``LineageEdge`` on purpose: an inferred parent is a probability with its evidence, never a
declaration, and nothing that reads declared lineage (chains, roots, countries) sees it unless it asks.
"""

from django.db import models

from vendors.models.base import choices_check
from vendors.models.lineage import AIModel, EdgeRelation


class ModelFingerprint(models.Model):
    """What identifies one hub model without its weights, as read from the hub at ``revision``: the normalised
    fields of its ``config.json`` and ``tokenizer_config.json`` and its safetensors parameter count."""

    model = models.OneToOneField(AIModel, on_delete=models.CASCADE, related_name="fingerprint")
    revision = models.CharField(max_length=40, blank=True, help_text="The commit the files were read at.")
    fingerprint = models.JSONField(default=dict, blank=True, help_text="vendors.lineage.inference.Fingerprint")
    parameters = models.BigIntegerField(null=True, blank=True)
    has_config = models.BooleanField(default=False)
    has_tokenizer = models.BooleanField(default=False)
    problems = models.JSONField(default=list, blank=True, help_text="Identifying files that could not be read.")
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["model_id"]

    def __str__(self) -> str:
        return f"fingerprint of {self.model} at {self.revision[:10] or 'unknown revision'}"


class InferredSource(models.TextChoices):
    CONFIG = "inferred:config", "Inferred from config.json"
    TOKENIZER = "inferred:tokenizer", "Inferred from the tokenizer"
    README = "inferred:readme", "Inferred from the README, checked against the named model"


class InferredEdge(models.Model):
    """child → probable parent, inferred by comparing fingerprints (and README claims) when the child's metadata
    names no parent; replaced at each refresh of the child."""

    Source = InferredSource

    child = models.ForeignKey(AIModel, on_delete=models.CASCADE, related_name="inferred_parent_edges")
    parent = models.ForeignKey(AIModel, on_delete=models.CASCADE, related_name="inferred_child_edges")
    family = models.CharField(max_length=200, blank=True, help_text="The root of the parent's declared lineage.")
    relation = models.CharField(max_length=16, choices=EdgeRelation.choices, default=EdgeRelation.UNKNOWN)
    source = models.CharField(max_length=24, choices=InferredSource.choices)
    confidence = models.FloatField()
    evidence = models.JSONField(default=dict, blank=True, help_text="Fields matched, fields not matched, notes.")
    revision = models.CharField(max_length=40, blank=True, help_text="The child's commit the inference read.")
    observed_at = models.DateTimeField()

    class Meta:
        ordering = ["child_id", "-confidence", "parent_id"]
        constraints = [
            models.UniqueConstraint(fields=["child", "parent"], name="inferrededge_child_parent_unique"),
            models.CheckConstraint(condition=~models.Q(child=models.F("parent")), name="inferrededge_no_self_loop"),
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0.0, confidence__lte=1.0), name="inferrededge_confidence_range"
            ),
            choices_check("relation", EdgeRelation, "inferrededge_relation_valid"),
            choices_check("source", InferredSource, "inferrededge_source_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.child} —probably {self.relation} ({self.confidence:.2f})→ {self.parent}"
