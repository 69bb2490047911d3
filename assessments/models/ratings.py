"""What we conclude about model usages: the scoring policy's versions, risk ratings, exposure and findings."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from riskregistry.versions import VersionedHistory
from vendors.models.base import choices_check


class Tier(models.TextChoices):
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


#: Tiers from least to most severe, for roll-ups ("the worst tier").
TIER_ORDER = (Tier.LOW, Tier.MODERATE, Tier.HIGH, Tier.CRITICAL)


class ScoringPolicy(models.Model):
    """One version of the scoring policy: the editable settings (weights, country lists, thresholds, approved
    regions, what opens a finding) as a JSON document over the curated data shipped with the code.

    Versions are never edited: a change is a new row with the next version number, so every rating can say which
    policy it was computed under. The newest version is the one in force.
    """

    version = models.PositiveIntegerField(unique=True)
    document = models.JSONField(help_text="The editable fields, as assessments.scoring.Policy.to_document() writes.")
    note = models.TextField(help_text="Why the policy changed.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "scoring policies"
        constraints = [models.CheckConstraint(condition=Q(version__gte=1), name="scoringpolicy_version_positive")]

    def __str__(self) -> str:
        return f"Scoring policy v{self.version}"


class RiskRating(models.Model):
    """A snapshot of one model usage's rating: the score, its tier and every factor with its reason and
    evidence, under a policy version, for facts fetched at ``inputs_as_of``. A new snapshot is stored only when
    the rating changes, so the history shows exactly when and why a usage's risk moved; ``is_current`` marks
    the newest one (exactly one per rated usage), which roll-ups and lists read."""

    Tier = Tier

    # No index of its own: the (usage, -created_at) index below leads with it.
    usage = models.ForeignKey("vendors.ModelUsage", on_delete=models.PROTECT, related_name="ratings", db_index=False)
    score = models.PositiveSmallIntegerField()
    tier = models.CharField(max_length=16, choices=Tier.choices)
    factors = models.JSONField(
        default=list, help_text="[{code, points, reason, evidence, accepted?}] as scored, counted ones first."
    )
    policy_version = models.PositiveIntegerField()
    inputs_as_of = models.DateTimeField(null=True, blank=True, help_text="When the lineage facts were fetched.")
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["usage", "-created_at"]), models.Index(fields=["is_current", "tier"])]
        constraints = [
            choices_check("tier", Tier, "riskrating_tier_valid"),
            models.CheckConstraint(condition=Q(score__lte=100), name="riskrating_score_at_most_100"),
            models.UniqueConstraint(
                fields=["usage"], condition=Q(is_current=True), name="riskrating_one_current_per_usage"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.usage}: {self.score} ({self.tier})"

    @property
    def counted_factors(self) -> list[dict]:
        return [f for f in self.factors if not f.get("accepted")]

    @property
    def accepted_factors(self) -> list[dict]:
        return [f for f in self.factors if f.get("accepted")]


class Exposure(models.Model):
    """Usage ``usage`` depends on model ``model``: the product's model itself (depth 0) or one of its ancestors,
    with the shortest path to it. Rebuilt with the ratings from the same lineage, so "which products sit on a
    DeepSeek base?" is a database query (publisher, country and licence are joined through the model).

    Its history (rows added, changed and removed by rescoring) is what the exposure looked like at any past time,
    which the quarterly reports read."""

    # Neither key has an index of its own: the unique (usage, model) and the (model, usage) index lead with them.
    # Rescoring writes hundreds of thousands of these rows, and every index is written with each.
    usage = models.ForeignKey("vendors.ModelUsage", on_delete=models.CASCADE, related_name="exposures", db_index=False)
    model = models.ForeignKey("vendors.AIModel", on_delete=models.CASCADE, related_name="exposures", db_index=False)
    depth = models.PositiveSmallIntegerField(help_text="Edges between the product's model and this one.")
    is_root = models.BooleanField(default=False, help_text="An ancestor with no known parent.")
    path = models.JSONField(default=list, help_text="Node ids from the product's model to this one.")
    # Its history is read whole, as of a date (the reports), never by usage or model.
    history = VersionedHistory(no_db_index=["usage", "model"])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["usage", "model"], name="exposure_unique_usage_model")]
        indexes = [models.Index(fields=["model", "usage"])]

    def __str__(self) -> str:
        return f"{self.usage_id} → {self.model_id}"


class FindingStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Risk accepted"
    REMEDIATED = "remediated", "Remediated"
    CLOSED = "closed", "Closed"


class FindingTrigger(models.TextChoices):
    DISCREPANCY = "discrepancy", "The vendor's word contradicts the lineage"
    CRITICAL_FACTOR = "critical_factor", "A factor the policy treats as critical"
    CRITICAL_TIER = "critical_tier", "The largest factor of a critical rating"


#: Findings that still need someone: at most one per usage and factor.
LIVE_STATUSES = (FindingStatus.OPEN, FindingStatus.ACCEPTED)


class Finding(models.Model):
    """A risk someone must remediate or accept, opened by rescoring when a usage's rating has a discrepancy, a
    factor the policy treats as critical, or reaches the critical tier.

    Remediated when the factor leaves the rating (by rescoring, or an analyst); closed by an analyst after review
    (only once the factor is gone). A risk acceptance needs a justification and an expiry, and lowers the rating
    only while valid: the factor's points are not counted until ``accepted_until`` (inclusive). Where the policy
    asks for a second approver (a factor it marks critical), the acceptance is pending (the finding open, the
    factor counted) until someone else, whose role may approve, approves it.
    """

    Status = FindingStatus
    Trigger = FindingTrigger

    # No index of its own: the (usage, status) index leads with it.
    usage = models.ForeignKey("vendors.ModelUsage", on_delete=models.PROTECT, related_name="findings", db_index=False)
    code = models.CharField(max_length=64, help_text="The factor code, e.g. origin.country_of_concern.")
    trigger = models.CharField(max_length=32, choices=Trigger.choices)
    title = models.CharField(max_length=500, help_text="The factor's reason when the finding opened.")
    evidence = models.JSONField(default=list)
    points = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="findings"
    )
    due_date = models.DateField(null=True, blank=True)
    justification = models.TextField(blank=True, help_text="Why the risk is accepted.")
    accepted_until = models.DateField(null=True, blank=True, help_text="The last day the acceptance is valid.")
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    acceptance_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acceptance_requested_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set while an acceptance waits for its second approver (the policy asks one for critical factors).",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True, help_text="How it was remediated or why it was closed.")
    notices_sent = models.JSONField(
        default=list,
        blank=True,
        help_text="Stamps of the notices emailed about it (due date, expiring acceptance), so none goes twice.",
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = VersionedHistory()

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["usage", "status"]),
            # The API's and the finding list's order: soonest due first (PostgreSQL sorts nulls last ascending).
            models.Index(fields=["due_date", "opened_at", "id"], name="finding_list_order"),
        ]
        constraints = [
            choices_check("status", FindingStatus, "finding_status_valid"),
            choices_check("trigger", FindingTrigger, "finding_trigger_valid"),
            models.UniqueConstraint(
                fields=["usage", "code"], condition=Q(status__in=LIVE_STATUSES), name="finding_one_live_per_factor"
            ),
            models.CheckConstraint(
                condition=~Q(status=FindingStatus.ACCEPTED) | (Q(accepted_until__isnull=False) & ~Q(justification="")),
                name="finding_acceptance_has_justification_and_expiry",
            ),
            models.CheckConstraint(
                condition=Q(acceptance_requested_at__isnull=True)
                | (Q(accepted_until__isnull=False) & ~Q(justification="")),
                name="finding_acceptance_request_has_justification_and_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("assessments:finding_detail", args=[self.pk])

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def acceptance_pending(self) -> bool:
        """A risk acceptance asked for and waiting for its second approver: the factor still counts."""
        return self.status == FindingStatus.OPEN and self.acceptance_requested_at is not None


class FindingComment(models.Model):
    """One remark in a finding's thread: what analysts found out, asked or decided along the way. Comments are
    kept (never edited nor deleted) and listed with the finding's history."""

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="findingcomment_body_not_empty")]

    def __str__(self) -> str:
        return f"Comment on finding #{self.finding_id} by {self.author}"
