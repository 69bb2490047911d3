"""Versions of each product's Model Bill of Materials: a new one whenever its supply chain changes."""

from django.conf import settings
from django.db import models


class BomVersion(models.Model):
    """One state of a product's supply chain as its MBOM states it: the models (with the facts the BOM gives
    about them), the edges and the usages, and their digest. A change event that alters any of them records the
    next version; exports carry the number as the CycloneDX ``version``. Kept for good, like the ratings."""

    product = models.ForeignKey("vendors.Product", on_delete=models.PROTECT, related_name="bom_versions")
    number = models.PositiveIntegerField()
    digest = models.CharField(max_length=64, help_text="SHA-256 of the graph's canonical JSON.")
    graph = models.JSONField(help_text="The models, edges and usages of this version (vendors.bom.graph.snapshot).")
    changes = models.JSONField(
        default=list, blank=True, help_text="Summaries of the change events since the previous version."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["product_id", "-number"]
        verbose_name = "BOM version"
        constraints = [
            models.UniqueConstraint(fields=["product", "number"], name="bomversion_product_number_unique"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="bomversion_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} v{self.number}"


class BomImport(models.Model):
    """A vendor's CycloneDX BOM imported for a product: what it declared (kept so ratings check it against the
    lineage we resolve), and what the import added. The file's digest identifies it; the file is not kept."""

    product = models.ForeignKey("vendors.Product", on_delete=models.PROTECT, related_name="bom_imports")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    spec_version = models.CharField(max_length=8)
    serial_number = models.CharField(max_length=200, blank=True)
    component_count = models.PositiveIntegerField(default=0)
    usages_added = models.JSONField(default=list, blank=True, help_text="Names of the models registered as used.")
    parents_declared = models.JSONField(default=list, blank=True, help_text="``child ← parent`` edges declared.")
    claims = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per model the BOM declares a pedigree for (by node id): its chains, roots, ancestors and the "
        "publisher countries it states.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "BOM import"
        indexes = [models.Index(fields=["product", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.file_name or 'BOM'} for product {self.product_id}"
