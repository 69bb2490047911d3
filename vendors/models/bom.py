"""Versions of each product's Model Bill of Materials: a new one whenever its supply chain changes."""

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
