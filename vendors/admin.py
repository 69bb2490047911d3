"""Admin pages: operators edit the knowledge base here and can inspect everything else, with its history."""

from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.text import slugify
from simple_history.admin import SimpleHistoryAdmin

from riskregistry.forms import VersionedAdminForm
from vendors.models import (
    AIModel,
    AIModelAlias,
    ChangeEvent,
    Contact,
    DataCategory,
    Host,
    HostRegion,
    LineageEdge,
    LineageRefresh,
    LineageRefreshChunk,
    ModelUsage,
    Product,
    Publisher,
    PublisherOrg,
    Vendor,
)
from vendors.services.rescoring import usages_depending_on, usages_rescore_request


class _PortfolioReadOnly:
    """Vendors, contacts, products and usages are written on the app's pages (and the API), through the services
    that record change events, rescore, and retire instead of deleting; in the admin they are read-only, with a
    link to the app's page. So are models and their lineage: the lineage refresh writes them from the hub, and
    analysts declare parents on the model's page (which records the change and rescores)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ContactInline(_PortfolioReadOnly, admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Vendor)
class VendorAdmin(_PortfolioReadOnly, SimpleHistoryAdmin):
    list_display = ["name", "country", "tier", "status", "updated_at"]
    list_filter = ["status", "tier", "country"]
    search_fields = ["name", "website", "description"]
    inlines = [ContactInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Product)
class ProductAdmin(_PortfolioReadOnly, SimpleHistoryAdmin):
    list_display = ["name", "vendor", "criticality", "status", "business_owner"]
    list_filter = ["status", "criticality", "data_categories"]
    search_fields = ["name", "vendor__name"]
    list_select_related = ["vendor"]
    autocomplete_fields = ["vendor"]
    filter_horizontal = ["data_categories"]


@admin.register(ModelUsage)
class ModelUsageAdmin(_PortfolioReadOnly, SimpleHistoryAdmin):
    list_display = ["product", "model", "role", "share", "host", "region", "declared_by", "declared_at"]
    list_filter = ["role", "declared_by", "host"]
    search_fields = ["product__name", "product__vendor__name", "model__name"]
    list_select_related = ["product__vendor", "model", "host", "region"]
    autocomplete_fields = ["product", "model", "host", "region", "declared_by_user"]


@admin.register(DataCategory)
class DataCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "sensitivity"]


class AIModelAliasInline(_PortfolioReadOnly, admin.TabularInline):
    model = AIModelAlias
    extra = 0


class ParentEdgeInline(_PortfolioReadOnly, admin.TabularInline):
    model = LineageEdge
    fk_name = "child"
    extra = 0
    autocomplete_fields = ["parent"]
    verbose_name = "parent"
    verbose_name_plural = "parents"


@admin.register(AIModel)
class AIModelAdmin(_PortfolioReadOnly, admin.ModelAdmin):
    list_display = ["name", "kind", "publisher", "status", "license", "fetched_at"]
    list_filter = ["kind", "status", "publisher__country"]
    search_fields = ["name", "aliases__name", "publisher__name"]
    list_select_related = ["publisher"]
    autocomplete_fields = ["publisher"]
    readonly_fields = ["sha", "fetched_at", "hub_created_at", "hub_last_modified", "created_at", "updated_at"]
    inlines = [AIModelAliasInline, ParentEdgeInline]

    def view_on_site(self, obj: AIModel) -> str:
        return reverse("vendors:model_detail", args=[obj.pk])


@admin.register(LineageEdge)
class LineageEdgeAdmin(_PortfolioReadOnly, admin.ModelAdmin):
    list_display = ["child", "relation", "parent", "source", "observed_at"]
    list_filter = ["relation", "source"]
    search_fields = ["child__name", "parent__name"]
    list_select_related = ["child", "parent"]

    def view_on_site(self, obj: LineageEdge) -> str:
        return reverse("vendors:model_detail", args=[obj.child_id])


@admin.register(ChangeEvent)
class ChangeEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "kind", "summary", "acknowledged_at", "acknowledged_by"]
    list_filter = ["kind", ("acknowledged_at", admin.EmptyFieldListFilter)]
    search_fields = ["summary", "model__name", "product__name"]
    list_select_related = ["acknowledged_by"]
    date_hierarchy = "occurred_at"
    readonly_fields = ["kind", "model", "product", "summary", "details", "occurred_at"]


class PublisherOrgInline(admin.TabularInline):
    model = PublisherOrg
    extra = 1


@admin.register(Publisher)
class PublisherAdmin(SimpleHistoryAdmin):
    form = VersionedAdminForm  # two admins editing one publisher: the second save is refused, not lost
    list_display = ["name", "key", "country", "verified", "flag_list"]
    list_filter = ["country", "verified"]
    search_fields = ["name", "key", "legal_entity", "orgs__org_id"]
    inlines = [PublisherOrgInline]

    def get_changeform_initial_data(self, request):
        """``?org=ORG`` (the "publishers to identify" page's links) starts a publisher named after that hub
        organisation; its country and a source are the admin's to fill in."""
        initial = super().get_changeform_initial_data(request)
        org = request.GET.get("org", "").strip()[:96]
        if org:
            initial.setdefault("name", org)
            initial.setdefault("key", slugify(org)[:100])
            initial.setdefault("sources", [{"title": "", "url": ""}])
        return initial

    def get_formset_kwargs(self, request, obj, inline, prefix):
        """The hub organisation of ``?org=ORG`` is filled in as the new publisher's first organisation."""
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        org = request.GET.get("org", "").strip()[:96]
        if obj is None and org and isinstance(inline, PublisherOrgInline) and request.method == "GET":
            kwargs["initial"] = [{"org_id": org}]
        return kwargs

    @admin.display(description="flags")
    def flag_list(self, publisher: Publisher) -> str:
        return ", ".join(publisher.flags)

    def save_related(self, request, form, formsets, change):
        # A publisher's country, flags and organisations are scoring facts: rescore what sits on its models.
        super().save_related(request, form, formsets, change)
        usages_rescore_request(usage_ids=usages_depending_on(AIModel.objects.filter(publisher=form.instance)))


class HostRegionInline(admin.TabularInline):
    model = HostRegion
    extra = 0


@admin.register(Host)
class HostAdmin(SimpleHistoryAdmin):
    form = VersionedAdminForm
    list_display = ["name", "key", "kind", "country", "verified"]
    list_filter = ["kind", "country", "verified"]
    search_fields = ["name", "key", "operator"]
    inlines = [HostRegionInline]

    def save_related(self, request, form, formsets, change):
        # The operator's and the regions' countries are scoring facts: rescore the usages served here.
        super().save_related(request, form, formsets, change)
        usages_rescore_request(usage_ids=ModelUsage.objects.filter(host=form.instance).values_list("pk", flat=True))


@admin.register(HostRegion)
class HostRegionAdmin(admin.ModelAdmin):
    list_display = ["host", "code", "name", "country"]
    list_filter = ["host", "country"]
    search_fields = ["code", "name", "host__name"]
    list_select_related = ["host"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        usages_rescore_request(usage_ids=ModelUsage.objects.filter(region=obj).values_list("pk", flat=True))


class LineageRefreshChunkInline(admin.TabularInline):
    model = LineageRefreshChunk
    extra = 0
    can_delete = False
    fields = ["index", "worker", "nodes_done", "nodes_failed", "changes", "done_at"]
    readonly_fields = fields


@admin.register(LineageRefresh)
class LineageRefreshAdmin(admin.ModelAdmin):
    list_display = ["created_at", "scope", "status", "nodes_done", "nodes_failed", "changes", "finished_at"]
    list_filter = ["status", "scope"]
    readonly_fields = [f.name for f in LineageRefresh._meta.fields]
    inlines = [LineageRefreshChunkInline]
