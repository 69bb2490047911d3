"""Attestation requests (what we asked a vendor to confirm, claim by claim, by a deadline) and signed
attestations (what the vendor confirmed or corrected, who signed, the hash of the exact statement and the
signed PDF). Both are kept for good: PROTECT everywhere, and on PostgreSQL a trigger refuses to change or
delete a signed attestation or a request's claims whatever writes the row (migration 0003)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone

from assessments.models.portal import PortalLink, live_link_constraint
from assessments.storages import attestation_storage
from riskregistry.versions import VersionedHistory
from vendors.models.base import choices_check


class AttestationScope(models.TextChoices):
    VENDOR = "vendor", "All active products of the vendor"
    PRODUCT = "product", "One product"


class AttestationRequestStatus(models.TextChoices):
    OPEN = "open", "Awaiting signature"
    SIGNED = "signed", "Signed"
    CANCELLED = "cancelled", "Cancelled"


class AttestationRequest(models.Model):
    """We ask a vendor to confirm or correct, claim by claim and by ``deadline``, what we resolved about its
    products' models. ``claims`` is the snapshot of those facts when the request was made
    (``assessments.attestation.AttestationClaims`` as JSON): the PDF, the portal and the signature all read it,
    never the live lineage. Overdue is computed (open past its deadline), never stored. ``contacts`` are who the
    link went to: the daily reminders (``reminders_sent`` stamps them) go to them with a new link."""

    Scope = AttestationScope
    Status = AttestationRequestStatus

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="attestation_requests")
    product = models.ForeignKey(
        "vendors.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="attestation_requests"
    )
    scope = models.CharField(max_length=16, choices=Scope.choices)
    claims = models.JSONField(help_text="The facts asked about, as resolved when the request was made.")
    claim_count = models.PositiveIntegerField(default=0)
    deadline = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    message = models.TextField(blank=True, max_length=2000, help_text="A note to the vendor in the cover letter.")
    contacts = models.ManyToManyField(
        "vendors.Contact", blank=True, related_name="attestation_requests", help_text="Who the link was sent to."
    )
    reminders_sent = models.JSONField(
        default=list, blank=True, help_text="Reminder stamps already sent (days before the deadline, overdue)."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = VersionedHistory(excluded_fields=["claims"])

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "deadline"])]
        constraints = [
            choices_check("scope", AttestationScope, "attestationrequest_scope_valid"),
            choices_check("status", AttestationRequestStatus, "attestationrequest_status_valid"),
            models.CheckConstraint(
                condition=(Q(scope=AttestationScope.PRODUCT) & Q(product__isnull=False))
                | (Q(scope=AttestationScope.VENDOR) & Q(product__isnull=True)),
                name="attestationrequest_product_matches_scope",
            ),
            models.CheckConstraint(
                condition=~Q(status=AttestationRequestStatus.CANCELLED) | Q(cancelled_at__isnull=False),
                name="attestationrequest_cancelled_has_time",
            ),
        ]

    def __str__(self) -> str:
        what = self.product.name if self.product_id else "all active products"
        return f"{self.reference} · {self.vendor.name} · {what}"

    def get_absolute_url(self) -> str:
        return reverse("assessments:attestation_request_detail", args=[self.pk])

    @property
    def reference(self) -> str:
        """How the request is named in letters and statements."""
        return f"AR-{self.pk:05d}" if self.pk else "AR-new"

    def is_overdue(self, today) -> bool:
        return self.status == self.Status.OPEN and self.deadline < today


class AttestationCoverage(models.Model):
    """Request ``request`` asks about usage ``usage``: how scoring finds the attestation that covers a usage
    (the snapshot stays the record of what was asked). PROTECT on the usage: a usage a vendor was asked to attest
    is retired, never deleted, so what was attested about it stays traceable to it."""

    request = models.ForeignKey(AttestationRequest, on_delete=models.PROTECT, related_name="coverage")
    usage = models.ForeignKey("vendors.ModelUsage", on_delete=models.PROTECT, related_name="attestation_coverage")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["usage", "request"], name="attestationcoverage_unique")]

    def __str__(self) -> str:
        return f"{self.request_id} covers {self.usage_id}"


class Attestation(models.Model):
    """A vendor's signed answer to a request: per claim confirmed or corrected (with the correction), who signed
    (name, title) and when, the exact statement signed with its SHA-256, and the signed PDF with its SHA-256.
    Immutable once stored: the services never update it, the admin is read-only, and on PostgreSQL a trigger
    refuses any UPDATE or DELETE. ``expires_at`` is when the scoring policy stops trusting it."""

    request = models.OneToOneField(AttestationRequest, on_delete=models.PROTECT, related_name="attestation")
    signer_name = models.CharField(max_length=200)
    signer_title = models.CharField(max_length=200)
    signer_email = models.EmailField(blank=True)
    signed_at = models.DateTimeField()
    signed_from = models.GenericIPAddressField(null=True, blank=True, help_text="The signer's address, as seen.")
    responses = models.JSONField(help_text="[{claim_id, confirmed, correction, base_models, countries}] per claim.")
    corrected_count = models.PositiveIntegerField(default=0)
    statement = models.TextField(help_text="The exact text signed (UTF-8); its SHA-256 is statement_sha256.")
    statement_sha256 = models.CharField(max_length=64)
    pdf = models.FileField(storage=attestation_storage, upload_to="attestations/%Y/%m/", max_length=300)
    pdf_sha256 = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Exact(Length("statement_sha256"), 64), name="attestation_statement_sha"),
            models.CheckConstraint(condition=Exact(Length("pdf_sha256"), 64), name="attestation_pdf_sha"),
            models.CheckConstraint(condition=~Q(signer_name="") & ~Q(signer_title=""), name="attestation_signer"),
            models.CheckConstraint(condition=Q(expires_at__gt=F("signed_at")), name="attestation_expires_after"),
        ]

    def __str__(self) -> str:
        return f"{self.request.reference} signed by {self.signer_name} on {self.signed_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return self.request.get_absolute_url()

    def response_map(self) -> dict:
        from assessments.attestation import Response

        return {row["claim_id"]: Response.from_json(row) for row in self.responses}


class AttestationDraft(models.Model):
    """What the vendor typed on a request's signing page and saved before signing: per claim the choice (confirm
    or correct), the correction and the names, and the signer's name, title and email. It comes back on a reload,
    a new link or a new session; it is never signed (the signature is an ``Attestation``, made from what is posted
    when signing) and stops changing once the request is signed or cancelled."""

    request = models.OneToOneField(AttestationRequest, on_delete=models.PROTECT, related_name="draft")
    responses = models.JSONField(
        default=dict, blank=True, help_text="{claim_id: {choice: confirm|correct, correction, names}} as typed."
    )
    signer_name = models.CharField(max_length=200, blank=True)
    signer_title = models.CharField(max_length=200, blank=True)
    signer_email = models.CharField(max_length=200, blank=True)
    saved_at = models.DateTimeField()
    saved_from = models.GenericIPAddressField(null=True, blank=True)
    history = VersionedHistory()

    class Meta:
        ordering = ["-saved_at", "-id"]

    def __str__(self) -> str:
        return f"draft of {self.request_id} saved {self.saved_at:%Y-%m-%d %H:%M}"

    @property
    def answered(self) -> int:
        return sum(1 for row in self.responses.values() if row.get("choice") in ("confirm", "correct"))


class AttestationLink(PortalLink):
    """A vendor-portal link that opens one attestation request (to confirm or correct and sign it)."""

    SUBJECT_FIELD = "request"

    request = models.ForeignKey(AttestationRequest, on_delete=models.PROTECT, related_name="links")

    class Meta(PortalLink.Meta):
        constraints = [
            *PortalLink.Meta.constraints,
            live_link_constraint("request", "attestationlink_one_live_per_request"),
        ]

    def __str__(self) -> str:
        return f"link to {self.request_id} issued {self.issued_at:%Y-%m-%d}"
