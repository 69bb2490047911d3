"""How the REST API shows vendors' objects (read serializers, with brief forms for nesting) and what it takes to
write them (write serializers check shapes only; their fields are the services' keyword arguments)."""

from functools import cached_property

from django_countries import countries
from rest_framework import serializers

from assessments.models import Tier
from riskregistry.api_base import UsernameField, brief
from riskregistry.api_rows import FastRows
from riskregistry.api_versions import SlugLookupField, VersionedWriteSerializer, VersionField
from vendors.models import (
    AIModel,
    BomImport,
    BomVersion,
    ChangeEvent,
    Contact,
    DataCategory,
    Host,
    HostRegion,
    InferredEdge,
    LineageEdge,
    ModelUsage,
    Product,
    Publisher,
    Vendor,
)
from vendors.models.portfolio import Criticality


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A choice read from a field that stores "" for none: shown as null."""

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value):
        return None if value in ("", None) else super().to_representation(value)


class BlankAsNullCharField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value):
        return None if value in ("", None) else super().to_representation(value)


class RiskRollup(serializers.Serializer):
    """The riskiest current rating among the usages below a vendor or a product."""

    risk_tier = BlankAsNullChoiceField(
        choices=Tier.choices, source="worst_tier", help_text="The worst current tier among its model usages."
    )
    risk_score = serializers.IntegerField(
        source="worst_score", read_only=True, allow_null=True, help_text="The highest current score."
    )


# ---------------------------------------------------------------------------------------------------------------
# Knowledge base
# ---------------------------------------------------------------------------------------------------------------
class PublisherSerializer(FastRows, serializers.ModelSerializer):
    """Who made a model (each ancestor has its own publisher), from the sourced knowledge base."""

    country = BlankAsNullChoiceField(choices=countries)
    org_ids = serializers.SerializerMethodField(help_text="Hub organisation ids, current and former.")

    class Meta:
        model = Publisher
        fields = [
            "id", "key", "name", "legal_entity", "parent_company", "country", "flags", "families", "verified",
            "notes", "sources", "org_ids", "updated_at",
        ]  # fmt: skip
        brief_fields = ["id", "key", "name", "country"]
        read_only_fields = fields

    def get_org_ids(self, publisher) -> list[str]:
        return [org.org_id for org in publisher.orgs.all()]


class HostRegionSerializer(FastRows, serializers.ModelSerializer):
    """A region a host serves models from, and its country."""

    country = BlankAsNullChoiceField(choices=countries)

    class Meta:
        model = HostRegion
        fields = ["id", "code", "name", "country", "group"]
        brief_fields = fields
        read_only_fields = fields


class HostSerializer(FastRows, serializers.ModelSerializer):
    """Who serves models (an inference provider or a cloud): operator country and regions."""

    country = BlankAsNullChoiceField(choices=countries)
    regions = HostRegionSerializer(many=True, read_only=True)

    class Meta:
        model = Host
        fields = [
            "id", "key", "name", "operator", "country", "kind", "api_hostnames", "verified", "notes", "sources",
            "regions", "updated_at",
        ]  # fmt: skip
        brief_fields = ["id", "key", "name", "country"]
        read_only_fields = fields


# ---------------------------------------------------------------------------------------------------------------
# Portfolio
# ---------------------------------------------------------------------------------------------------------------
class Retirement(serializers.Serializer):
    """When a record ended (retired or archived), who ended it and why: null and empty while it is in use. Ended
    records stay readable, with their ratings and findings."""

    retired_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="When it ended; null in use.")
    retired_by = UsernameField(help_text="Who ended it.")
    retirement_reason = serializers.CharField(read_only=True, help_text="Why it ended; empty while in use.")


RETIREMENT = ["retired_at", "retired_by", "retirement_reason"]


class VendorSerializer(FastRows, RiskRollup, Retirement, serializers.ModelSerializer):
    """A company that sells us a product built on AI models, with its roll-ups."""

    website = serializers.CharField(read_only=True, help_text="A URL, or empty.")
    product_count = serializers.IntegerField(read_only=True)
    usage_count = serializers.IntegerField(read_only=True)
    version = VersionField()

    class Meta:
        model = Vendor
        fields = [
            "id", "name", "country", "website", "tier", "status", "description", "product_count", "usage_count",
            "risk_tier", "risk_score", *RETIREMENT, "created_at", "updated_at", "version",
        ]  # fmt: skip
        brief_fields = ["id", "name"]
        read_only_fields = fields


class ContactSerializer(FastRows, serializers.ModelSerializer):
    """A person at a vendor."""

    version = VersionField()

    class Meta:
        model = Contact
        fields = ["id", "vendor", "name", "email", "role", "phone", "is_primary", "version"]
        read_only_fields = fields


class ProductSerializer(FastRows, RiskRollup, Retirement, serializers.ModelSerializer):
    """A vendor's offering that we use, with its roll-ups."""

    vendor = brief(VendorSerializer)(read_only=True)
    data_categories = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    usage_count = serializers.IntegerField(read_only=True)
    version = VersionField()

    class Meta:
        model = Product
        fields = [
            "id", "vendor", "name", "description", "criticality", "status", "business_owner", "data_categories",
            "usage_count", "risk_tier", "risk_score", *RETIREMENT, "created_at", "updated_at", "version",
        ]  # fmt: skip
        brief_fields = ["id", "name", "vendor"]
        read_only_fields = fields


class AIModelSerializer(FastRows, serializers.ModelSerializer):
    """One node of the lineage graph: a hub repo, a closed API model or a declared model."""

    publisher = brief(PublisherSerializer)(read_only=True, allow_null=True)
    declared_source = BlankAsNullChoiceField(
        choices=AIModel.DeclaredSource.choices, help_text="Declared models: by whom."
    )
    usage_count = serializers.IntegerField(read_only=True)
    product_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = AIModel
        fields = [
            "id", "kind", "name", "publisher", "status", "status_reason", "sha", "license", "license_name",
            "datasets", "pipeline_tag", "library_name", "gated", "hub_created_at", "hub_last_modified", "fetched_at",
            "declared_source", "usage_count", "product_count", "created_at", "updated_at",
        ]  # fmt: skip
        brief_fields = ["id", "kind", "name"]
        read_only_fields = fields


class CurrentRatingSerializer(FastRows, serializers.Serializer):
    """The rating in force: its score and tier, the policy version it was scored with, and when."""

    score = serializers.IntegerField()
    tier = serializers.ChoiceField(choices=Tier.choices)
    policy_version = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class ModelUsageSerializer(FastRows, Retirement, serializers.ModelSerializer):
    """A product uses a model, in a role, served by a host in a region: the unit that is scored."""

    product = brief(ProductSerializer)(read_only=True)
    model = brief(AIModelSerializer)(read_only=True)
    host = brief(HostSerializer)(read_only=True, allow_null=True)
    region = HostRegionSerializer(read_only=True, allow_null=True)
    declared_by_user = UsernameField()
    rating = serializers.SerializerMethodField(help_text="The current rating; null until the usage is rated.")
    version = VersionField()

    class Meta:
        model = ModelUsage
        fields = [
            "id", "product", "model", "role", "share", "host", "region", "declared_by", "declared_by_user",
            "declared_at", "notes", "rating", *RETIREMENT, "created_at", "updated_at", "version",
        ]  # fmt: skip
        brief_fields = ["id", "product", "model", "role"]
        read_only_fields = fields

    def get_rating(self, usage) -> CurrentRatingSerializer(allow_null=True):  # type: ignore[valid-type]
        current = getattr(usage, "current_ratings", None)
        if current is None:
            current = list(usage.ratings.filter(is_current=True))
        return self._current_rating.to_representation(current[0]) if current else None

    @cached_property
    def _current_rating(self) -> CurrentRatingSerializer:
        """One serializer for every row's rating (building one per row would rebuild its fields each time)."""
        return CurrentRatingSerializer()


class LineageEdgeSerializer(FastRows, serializers.ModelSerializer):
    """A parent edge of the lineage graph, with the evidence it came from."""

    child = brief(AIModelSerializer)(read_only=True)
    parent = brief(AIModelSerializer)(read_only=True)

    class Meta:
        model = LineageEdge
        fields = ["id", "child", "parent", "relation", "source", "observed_at"]
        read_only_fields = fields


class ChangeEventSerializer(FastRows, serializers.ModelSerializer):
    """Something that changed in the supply chain (a new revision, a parent added, a model swapped, ...)."""

    model = brief(AIModelSerializer)(read_only=True, allow_null=True)
    product = brief(ProductSerializer)(read_only=True, allow_null=True)
    acknowledged_by = UsernameField()

    class Meta:
        model = ChangeEvent
        fields = [
            "id", "kind", "model", "product", "summary", "details", "occurred_at", "acknowledged_at",
            "acknowledged_by",
        ]  # fmt: skip
        read_only_fields = fields


# ---------------------------------------------------------------------------------------------------------------
# Lineage, as the `lineage --json` contract
# ---------------------------------------------------------------------------------------------------------------
class LineageNodeSerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.CharField(help_text="resolved, not_found, gated, error, cycle, depth_limit, pending, ...")
    publisher = serializers.CharField(allow_null=True)
    country = serializers.CharField(allow_null=True, help_text="ISO 3166 alpha-2.")
    repackager = serializers.BooleanField()
    license = serializers.CharField(allow_null=True)
    sha = serializers.CharField(allow_null=True)
    redirected_from = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_null=True)


class LineageEdgeRowSerializer(serializers.Serializer):
    child = serializers.CharField()
    parent = serializers.CharField()
    relation = serializers.CharField()
    source = serializers.CharField()


class InferredEvidenceSerializer(serializers.Serializer):
    family = serializers.CharField(allow_null=True, help_text="The root of the inferred parent's declared lineage.")
    matched = serializers.ListField(child=serializers.CharField(), help_text="Fields that matched.")
    not_matched = serializers.ListField(child=serializers.CharField(), help_text="Fields that did not.")
    notes = serializers.ListField(child=serializers.CharField())


class InferredEdgeRowSerializer(serializers.Serializer):
    """A parent inferred where the metadata names none: never one of the declared ``edges``."""

    child = serializers.CharField()
    parent = serializers.CharField()
    relation = serializers.CharField()
    source = serializers.ChoiceField(
        choices=InferredEdge.Source.choices,
        help_text="What it was inferred from: the hub's config.json, tokenizer or README, or files uploaded for a "
        "private model (inferred:upload-config, inferred:upload-tokenizer).",
    )
    confidence = serializers.FloatField(min_value=0.0, max_value=1.0)
    evidence = InferredEvidenceSerializer()


class LineageSerializer(serializers.Serializer):
    """A model's lineage in the shape of `manage.py lineage --json` (DESIGN.md, "Contracts")."""

    subject = serializers.CharField()
    status = serializers.ChoiceField(choices=[("complete", "complete"), ("incomplete", "incomplete")])
    incomplete_reasons = serializers.ListField(child=serializers.CharField())
    nodes = LineageNodeSerializer(many=True)
    edges = LineageEdgeRowSerializer(many=True)
    roots = serializers.ListField(child=serializers.CharField())
    chains = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    countries = serializers.ListField(child=serializers.CharField())
    licenses = serializers.ListField(child=serializers.CharField())
    datasets = serializers.ListField(child=serializers.CharField())
    inferred_edges = InferredEdgeRowSerializer(many=True)
    inferred_countries = serializers.ListField(
        child=serializers.CharField(), help_text="Publisher countries of the inferred parents and their ancestors."
    )


# ---------------------------------------------------------------------------------------------------------------
# Writes: shapes only; the services own the rules
# ---------------------------------------------------------------------------------------------------------------
class VendorWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    country = serializers.ChoiceField(choices=countries)
    website = serializers.URLField(required=False, allow_blank=True)
    tier = serializers.ChoiceField(choices=Criticality.choices, required=False)
    status = serializers.ChoiceField(choices=Vendor.Status.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class VendorUpdateSerializer(VersionedWriteSerializer, VendorWriteSerializer):
    pass


class ContactWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField()
    role = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    is_primary = serializers.BooleanField(required=False)


class ContactCreateSerializer(ContactWriteSerializer):
    vendor = serializers.PrimaryKeyRelatedField(queryset=Vendor.objects.all())


class ContactUpdateSerializer(VersionedWriteSerializer, ContactWriteSerializer):
    pass


class ProductWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    criticality = serializers.ChoiceField(choices=Criticality.choices, required=False)
    status = serializers.ChoiceField(choices=Product.Status.choices, required=False)
    business_owner = serializers.CharField(max_length=200, required=False, allow_blank=True)
    data_categories = SlugLookupField(slug_field="code", many=True, queryset=DataCategory.objects.all(), required=False)


class ProductCreateSerializer(ProductWriteSerializer):
    vendor = serializers.PrimaryKeyRelatedField(queryset=Vendor.objects.all())


class ProductUpdateSerializer(VersionedWriteSerializer, ProductWriteSerializer):
    pass


class ModelUsageWriteSerializer(serializers.Serializer):
    model_kind = serializers.ChoiceField(choices=AIModel.Kind.choices, default=AIModel.Kind.HUB)
    model_name = serializers.CharField(max_length=200, help_text="Hub repo id, closed API model name, or a name.")
    role = serializers.ChoiceField(choices=ModelUsage.Role.choices, default=ModelUsage.Role.PRIMARY)
    host = SlugLookupField(slug_field="key", queryset=Host.objects.all(), required=False, allow_null=True, default=None)
    region = serializers.PrimaryKeyRelatedField(
        queryset=HostRegion.objects.all(), required=False, allow_null=True, default=None
    )
    share = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=100)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class ModelUsageCreateSerializer(ModelUsageWriteSerializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    declared_by = serializers.ChoiceField(choices=ModelUsage.DeclaredBy.choices, default=ModelUsage.DeclaredBy.ANALYST)


class ModelUsageUpdateSerializer(VersionedWriteSerializer, ModelUsageWriteSerializer):
    pass


class DeclaredParentSerializer(serializers.Serializer):
    child = serializers.PrimaryKeyRelatedField(queryset=AIModel.objects.all(), help_text="The model's id.")
    parent_kind = serializers.ChoiceField(choices=AIModel.Kind.choices, default=AIModel.Kind.HUB)
    parent_name = serializers.CharField(max_length=200)
    relation = serializers.ChoiceField(choices=LineageEdge.Relation.choices, default=LineageEdge.Relation.UNKNOWN)
    source = serializers.ChoiceField(choices=AIModel.DeclaredSource.choices, default=AIModel.DeclaredSource.ANALYST)


class BomVersionSerializer(serializers.ModelSerializer):
    """One version of a product's MBOM: when it was recorded, what changed, and the size of the graph."""

    models = serializers.SerializerMethodField(help_text="Node ids of the models in this version.")
    edges = serializers.SerializerMethodField(help_text="[child, parent, relation, source] of each lineage edge.")

    class Meta:
        model = BomVersion
        fields = ["number", "digest", "created_at", "changes", "models", "edges"]

    def get_models(self, version) -> list[str]:
        return [row["key"] for row in version.graph.get("models", ())]

    def get_edges(self, version) -> list[list[str]]:
        return [list(edge) for edge in version.graph.get("edges", ())]


class MbomImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The vendor's CycloneDX BOM, JSON, spec 1.4 to 1.7.")


class BomImportSerializer(serializers.ModelSerializer):
    """What an imported BOM added and declared."""

    class Meta:
        model = BomImport
        fields = [
            "id",
            "product",
            "file_name",
            "sha256",
            "spec_version",
            "serial_number",
            "component_count",
            "usages_added",
            "parents_declared",
            "claims",
            "created_at",
        ]
