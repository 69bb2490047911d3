"""What we conclude about vendors: risk ratings (questionnaires, findings, attestations and reports follow)."""

from django.db import models

from vendors.models.base import choices_check


class Tier(models.TextChoices):
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class RiskRating(models.Model):
    """A snapshot of one model usage's rating: the score, its tier and every factor with its reason and
    evidence, under a policy version, for facts fetched at ``inputs_as_of``. A new snapshot is stored only when
    the rating changes, so the history shows exactly when and why a usage's risk moved."""

    Tier = Tier

    usage = models.ForeignKey("vendors.ModelUsage", on_delete=models.CASCADE, related_name="ratings")
    score = models.PositiveSmallIntegerField()
    tier = models.CharField(max_length=16, choices=Tier.choices)
    factors = models.JSONField(default=list, help_text="[{code, points, reason, evidence}] as scored.")
    policy_version = models.PositiveIntegerField()
    inputs_as_of = models.DateTimeField(null=True, blank=True, help_text="When the lineage facts were fetched.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["usage", "-created_at"])]
        constraints = [
            choices_check("tier", Tier, "riskrating_tier_valid"),
            models.CheckConstraint(condition=models.Q(score__lte=100), name="riskrating_score_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.usage}: {self.score} ({self.tier})"
