"""The knowledge base: who publishes models and who hosts them, each fact with its source.

Loaded from the curated files in vendors/knowledge/ and editable by admins; jurisdiction is read from here.
"""

from django.db import models
from django.db.models.functions import Lower
from django_countries.fields import CountryField

from riskregistry.versions import VersionedHistory
from vendors.models.base import bounded_text, choices_check


class Publisher(models.Model):
    """An organisation that publishes models (the maker, not the seller or the host).

    ``flags`` holds markers such as ``repackager`` (re-uploads others' weights: never an origin) or
    ``bis_entity_list``; ``sources`` is a list of ``{"title", "url", "issuer", "kind"}`` objects backing the row
    (a ``secondary`` one also names the primary it ``reports_on``; see ``vendors.knowledge.provenance``).
    ``vendor`` is set when the publisher is one of our vendors publishing under its own hub organisations: the two
    roles stay two rows (the vendor sells, the publisher made the model), tied so the publisher follows the vendor's
    country.
    """

    key = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    legal_entity = models.CharField(max_length=300, blank=True)
    parent_company = models.CharField(max_length=300, blank=True)
    country = CountryField(blank=True, help_text="Where the publisher is headquartered (operating HQ).")
    flags = models.JSONField(default=list, blank=True)
    families = models.JSONField(default=list, blank=True)
    verified = models.BooleanField(default=False, help_text="Every fact on this row was checked against a source.")
    notes = bounded_text()
    sources = models.JSONField(default=list, blank=True)
    vendor = models.OneToOneField(
        "vendors.Vendor",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="publisher_identity",
        help_text="The vendor itself, when it publishes models under hub organisations marked as its own.",
    )
    shipped_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Digest of the values last loaded from the shipped files; differs once an admin edits the row.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = VersionedHistory()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_repackager(self) -> bool:
        return "repackager" in self.flags


class PublisherOrg(models.Model):
    """A model hub organisation or user id that belongs to a publisher; renamed ids stay as former ones."""

    org_id = models.CharField(max_length=96)
    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="orgs")
    is_former = models.BooleanField(default=False, help_text="A previous id of the organisation (renamed).")
    history = VersionedHistory()  # who tied which organisation to whom, and when (a vendor's own ones too)

    class Meta:
        ordering = ["org_id"]
        constraints = [models.UniqueConstraint(Lower("org_id"), name="publisherorg_org_id_ci_unique")]

    def __str__(self) -> str:
        return self.org_id


class HostKind(models.TextChoices):
    MODEL_API = "model_api", "Publisher's own API"
    INFERENCE_PROVIDER = "inference_provider", "Inference provider"
    CLOUD = "cloud", "Cloud (self-hosted)"
    CLOUD_AI = "cloud_ai", "Cloud AI service"
    ROUTER = "router", "Router"


class Host(models.Model):
    """Who serves a model: a publisher's own API, an inference provider, a cloud, or a router."""

    Kind = HostKind

    key = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    operator = models.CharField(max_length=300, blank=True)
    country = CountryField(blank=True, help_text="The operator's country.")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    api_hostnames = models.JSONField(default=list, blank=True)
    verified = models.BooleanField(default=False)
    notes = bounded_text()
    sources = models.JSONField(default=list, blank=True)
    shipped_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Digest of the values last loaded from the shipped files; differs once an admin edits the row.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = VersionedHistory()

    class Meta:
        ordering = ["name"]
        constraints = [choices_check("kind", HostKind, "host_kind_valid")]

    def __str__(self) -> str:
        return self.name


class HostRegion(models.Model):
    """A serving region of a host; ``country`` is where inference and data sit, blank for global routing."""

    host = models.ForeignKey(Host, on_delete=models.CASCADE, related_name="regions")
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    country = CountryField(blank=True)
    group = models.CharField(
        max_length=16,
        blank=True,
        help_text="A region group (EU, EEA, ...) it serves from when it names no single country; blank otherwise.",
    )
    hostnames = models.JSONField(default=list, blank=True)
    notes = bounded_text()
    shipped_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Digest of the values last loaded from the shipped files; differs once an admin edits the row.",
    )

    class Meta:
        ordering = ["host__name", "code"]
        constraints = [models.UniqueConstraint(fields=["host", "code"], name="hostregion_host_code_unique")]

    def __str__(self) -> str:
        return f"{self.host.name} · {self.code}"
