"""What an import needs to know of the portfolio: the vendors, products, usages, models and hosts its rows name,
read in a fixed number of queries whatever the file's size."""

from django.db.models import QuerySet
from django.db.models.functions import Lower

from vendors.csv_import.parse import Row
from vendors.csv_import.plan import PortfolioState, ProductFact, UsageFact, VendorFact
from vendors.models import AIModel, AIModelAlias, CsvImport, ModelUsage, Product, Vendor
from vendors.selectors.portfolio import host_queryset

_CHUNK = 500


def csv_import_queryset() -> QuerySet[CsvImport]:
    return CsvImport.objects.select_related("uploaded_by", "applied_by")


def _chunks(values: list) -> list[list]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)] or [[]]


def csv_import_state(rows: list[Row]) -> PortfolioState:
    names = sorted({row.vendor.lower() for row in rows if row.vendor})
    state = PortfolioState()
    vendors = []
    for chunk in _chunks(names):
        vendors += Vendor.objects.annotate(lname=Lower("name")).filter(lname__in=chunk)
    for v in vendors:
        state.vendors[v.name.lower()] = VendorFact(
            id=v.pk,
            name=v.name,
            country=v.country.code if v.country else "",
            website=v.website,
            tier=v.tier,
            archived=v.status == Vendor.Status.ARCHIVED,
        )
    products = Product.objects.filter(vendor__in=vendors).prefetch_related("data_categories")
    for p in products:
        state.products[(p.vendor_id, p.name.lower())] = ProductFact(
            id=p.pk,
            vendor_id=p.vendor_id,
            name=p.name,
            criticality=p.criticality,
            business_owner=p.business_owner,
            data_categories=tuple(sorted(c.code for c in p.data_categories.all())),
            retired=p.status == Product.Status.RETIRED,
        )
    usages = ModelUsage.objects.filter(product__in=[p.id for p in state.products.values()], retired_at__isnull=True)
    for u in usages.select_related("host", "region"):
        key = (
            u.product_id,
            u.model_id,
            u.role,
            u.host.key if u.host else "",
            u.region.code.lower() if u.region else "",
        )
        state.usages[key] = UsageFact(id=u.pk, share=u.share)
    model_names = sorted({row.model.lower() for row in rows if row.model})
    for chunk in _chunks(model_names):
        for pk, kind, name in (
            AIModel.objects.annotate(lname=Lower("name")).filter(lname__in=chunk).values_list("pk", "kind", "lname")
        ):
            state.models[(kind, name)] = pk
        aliases = AIModelAlias.objects.annotate(lname=Lower("name")).filter(lname__in=chunk)
        for pk, kind, name in aliases.values_list("model_id", "model__kind", "lname"):
            state.models.setdefault((kind, name), pk)
    for host in host_queryset():
        state.hosts[host.key] = frozenset(r.code.lower() for r in host.regions.all())
    return state
