"""The portfolio: vendors, their products, and the models each product uses."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone
from django_countries.fields import CountryField

from riskregistry.versions import VersionedHistory
from vendors.models.base import Retirable, bounded_text, choices_check


class Criticality(models.TextChoices):
    """How much the business depends on a vendor or a product."""

    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Moderate"  # one word for the middle of every scale (AI risk tiers say "moderate")
    LOW = "low", "Low"


class VendorStatus(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    ACTIVE = "active", "Active"
    ARCHIVED = "archived", "Archived"


class Vendor(Retirable, models.Model):
    """A company that sells us a product built on AI models (the seller, not the model's publisher or host)."""

    Status = VendorStatus

    name = models.CharField("legal name", max_length=200)
    country = CountryField(help_text="Where the vendor is incorporated or headquartered.")
    website = models.URLField(blank=True)
    tier = models.CharField(
        "criticality",
        max_length=16,
        choices=Criticality.choices,
        default=Criticality.MEDIUM,
        help_text="How much the business depends on the vendor (the API calls it tier).",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    description = bounded_text()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = VersionedHistory()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="vendor_name_ci_unique",
                violation_error_message=("A vendor with this name already exists."),
            ),
            choices_check("tier", Criticality, "vendor_tier_valid"),
            choices_check("status", VendorStatus, "vendor_status_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("vendors:vendor_detail", args=[self.pk])


class Contact(models.Model):
    """A person at a vendor we deal with (security, privacy, account management)."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    role = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    is_primary = models.BooleanField(default=False)
    history = VersionedHistory()

    class Meta:
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), "vendor", name="contact_vendor_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


# The data categories a product can process: (code, name, description, sensitivity 1-5). Codes are stable:
# imports and the API use them. Synced after every migrate (vendors.apps), so flushed test databases get them too.
DATA_CATEGORIES = [
    ("sensitive_personal", "Special-category personal data", "GDPR Art. 9 data: health, biometrics, beliefs...", 5),
    ("health", "Health data", "Patient or employee health information (HIPAA PHI, GDPR Art. 9).", 5),
    ("credentials", "Credentials and secrets", "Passwords, API keys, tokens.", 5),
    ("payment_card", "Payment card data", "PCI DSS cardholder data.", 5),
    ("personal", "Personal data", "Any information relating to an identifiable person.", 4),
    ("financial", "Financial data", "Accounts, transactions, non-public financials.", 4),
    ("employee", "Employee data", "HR records, performance, compensation.", 4),
    ("source_code", "Source code", "Proprietary code and infrastructure configuration.", 4),
    ("confidential_business", "Confidential business information", "Contracts, strategy, trade secrets.", 4),
    ("customer_content", "Customer content", "Content our customers submit to us.", 3),
    ("public", "Public data", "Information already public.", 1),
]


class DataCategory(models.Model):
    """A kind of data a product processes (personal data, source code, ...), seeded by a migration."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    sensitivity = models.PositiveSmallIntegerField(default=1, help_text="1 (public) to 5 (most sensitive).")

    class Meta:
        ordering = ["-sensitivity", "name"]
        verbose_name_plural = "data categories"

    def __str__(self) -> str:
        return self.name


class ProductStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class Product(Retirable, models.Model):
    """A vendor's offering (copilot, SaaS) that we use; its models are its model usages."""

    Status = ProductStatus

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=200)
    description = bounded_text()
    criticality = models.CharField(max_length=16, choices=Criticality.choices, default=Criticality.MEDIUM)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    business_owner = models.CharField(max_length=200, blank=True)
    data_categories = models.ManyToManyField(DataCategory, blank=True, related_name="products")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = VersionedHistory(m2m_fields=[data_categories])

    class Meta:
        ordering = ["vendor__name", "name"]
        constraints = [
            models.UniqueConstraint(
                "vendor",
                Lower("name"),
                name="product_vendor_name_ci_unique",
                violation_error_message="This vendor already has a product with this name.",
            ),
            choices_check("criticality", Criticality, "product_criticality_valid"),
            choices_check("status", ProductStatus, "product_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.vendor.name} · {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("vendors:product_detail", args=[self.pk])


class UsageRole(models.TextChoices):
    PRIMARY = "primary", "Primary"
    FALLBACK = "fallback", "Fallback"
    EMBEDDING = "embedding", "Embedding"
    RERANKER = "reranker", "Reranker"
    ROUTED = "routed", "Routed share"


class UsageDeclaredBy(models.TextChoices):
    ANALYST = "analyst", "Analyst"
    VENDOR = "vendor", "Vendor answer"
    BOM = "bom", "Imported BOM"


class ModelUsage(Retirable, models.Model):
    """A product uses a model, in a role, served by a host in a region: the unit that is scored. A usage that
    ended is retired (``retired_at``), never deleted once it has ratings or findings: it no longer counts in
    roll-ups, and its record stays readable."""

    Role = UsageRole

    DeclaredBy = UsageDeclaredBy

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="model_usages")
    model = models.ForeignKey("vendors.AIModel", on_delete=models.PROTECT, related_name="usages")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PRIMARY)
    share = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Percent of the product's traffic routed to this model (routed role)."
    )
    host = models.ForeignKey(
        "vendors.Host",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="usages",
        help_text="Who serves the model for this product.",
    )
    region = models.ForeignKey(
        "vendors.HostRegion", null=True, blank=True, on_delete=models.PROTECT, related_name="usages"
    )
    declared_by = models.CharField(max_length=16, choices=DeclaredBy.choices, default=DeclaredBy.ANALYST)
    declared_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    declared_at = models.DateTimeField(default=timezone.now)
    notes = bounded_text()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = VersionedHistory()

    class Meta:
        ordering = ["product_id", "role", "id"]
        indexes = [models.Index(fields=["product", "role", "id"], name="modelusage_list_order")]
        constraints = [
            models.UniqueConstraint(
                "product",
                "model",
                "role",
                Coalesce("host", Value(0)),
                Coalesce("region", Value(0)),
                condition=Q(retired_at__isnull=True),
                name="modelusage_unique_per_role_and_host",
                violation_error_message="This product already uses this model in this role on this host and region.",
            ),
            models.CheckConstraint(
                condition=Q(share__isnull=True) | Q(share__gte=1, share__lte=100), name="modelusage_share_percent"
            ),
            models.CheckConstraint(
                condition=Q(region__isnull=True) | Q(host__isnull=False), name="modelusage_region_needs_host"
            ),
            choices_check("role", UsageRole, "modelusage_role_valid"),
            choices_check("declared_by", UsageDeclaredBy, "modelusage_declared_by_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.product} → {self.model}"

    def clean(self) -> None:
        errors = {}
        if self.region_id and self.host_id and self.region.host_id != self.host_id:
            errors["region"] = f"{self.region.code} is not a region of {self.host.name}."
        if self.region_id and not self.host_id:
            errors["region"] = "Choose the host that serves this region."
        if self.share is not None and self.role != self.Role.ROUTED:
            errors["share"] = "A traffic share applies only to the routed role."
        if errors:
            raise ValidationError(errors)
