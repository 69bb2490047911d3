"""Build the demo portfolio from its parsed file, idempotently, through the same services the UI uses."""

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from riskregistry.roles import ADMIN, ANALYST, VIEWER
from vendors.demo import DeclaredModelSpec, ModelRef, Portfolio, ProductSpec, VendorSpec
from vendors.models import AIModel, Contact, DataCategory, Host, HostRegion, LineageEdge, ModelUsage, Product, Vendor
from vendors.services.knowledge import LoadReport
from vendors.services.portfolio import ai_model_get_or_create, model_usage_register
from vendors.services.vendor_publisher import vendor_hub_org_add

DEMO_PASSWORD = "riskregistry-demo"  # noqa: S105 - published on purpose; refused when DEBUG is off


def _vendor(spec: VendorSpec, report: LoadReport) -> Vendor:
    vendor = Vendor.objects.filter(name__iexact=spec.name).first()
    if vendor is not None:
        report.add("vendors", "unchanged")
        return vendor
    vendor = Vendor(
        name=spec.name,
        country=spec.country,
        website=spec.website,
        tier=spec.tier,
        status=spec.status,
        description=spec.description,
    )
    vendor.full_clean()
    vendor.save()
    report.add("vendors", "created")
    for index, contact in enumerate(spec.contacts):
        Contact.objects.create(
            vendor=vendor, name=contact.name, email=contact.email, role=contact.role, is_primary=index == 0
        )
    for org_id in spec.hub_orgs:  # the vendor publishes its own models there: it is also their publisher
        vendor_hub_org_add(vendor=vendor, org_id=org_id)
    return vendor


def _product(vendor: Vendor, spec: ProductSpec, categories: dict[str, DataCategory], report: LoadReport) -> Product:
    product = vendor.products.filter(name__iexact=spec.name).first()
    if product is not None:
        report.add("products", "unchanged")
        return product
    product = Product(
        vendor=vendor,
        name=spec.name,
        description=spec.description,
        criticality=spec.criticality,
        status=spec.status,
        business_owner=spec.business_owner,
    )
    product.full_clean()
    product.save()
    product.data_categories.set([categories[code] for code in spec.data_categories])
    report.add("products", "created")
    return product


def _model(ref: ModelRef) -> AIModel:
    return ai_model_get_or_create(kind=ref.kind, name=ref.name, declared_source=AIModel.DeclaredSource.VENDOR)


def _declared_model(spec: DeclaredModelSpec, report: LoadReport) -> None:
    model = ai_model_get_or_create(kind=AIModel.Kind.DECLARED, name=spec.name, declared_source=spec.source)
    if spec.notes and not model.notes:
        model.notes = spec.notes
        model.save(update_fields=["notes", "updated_at"])
    for parent_ref in spec.parents:
        _, created = LineageEdge.objects.get_or_create(
            child=model,
            parent=_model(parent_ref),
            defaults={
                "relation": LineageEdge.Relation.UNKNOWN,
                "source": LineageEdge.Source.VENDOR if spec.source == "vendor" else LineageEdge.Source.ANALYST,
                "observed_at": timezone.now(),
            },
        )
        report.add("declared parents", "created" if created else "unchanged")


@transaction.atomic
def demo_portfolio_load(*, portfolio: Portfolio) -> LoadReport:
    """Add whatever of the demo portfolio is missing; rows that exist are left as they are (an analyst may have
    edited them)."""
    report = LoadReport()
    categories = {c.code: c for c in DataCategory.objects.all()}
    hosts = {h.key: h for h in Host.objects.all()}
    regions = {(r.host.key, r.code): r for r in HostRegion.objects.select_related("host")}
    for spec in portfolio.declared_models:
        _declared_model(spec, report)
    for vendor_spec in portfolio.vendors:
        vendor = _vendor(vendor_spec, report)
        for product_spec in vendor_spec.products:
            product = _product(vendor, product_spec, categories, report)
            for usage in product_spec.usages:
                host = hosts[usage.host] if usage.host else None
                region = regions[(usage.host, usage.region)] if usage.region else None
                model = _model(usage.model)
                exists = ModelUsage.objects.filter(
                    product=product, model=model, role=usage.role, host=host, region=region
                ).exists()
                if exists:
                    report.add("model usages", "unchanged")
                    continue
                model_usage_register(
                    product=product,
                    model_kind=model.kind,
                    model_name=model.name,
                    role=usage.role,
                    host=host,
                    region=region,
                    share=usage.share,
                    declared_by=usage.declared_by,
                    notes=usage.notes,
                    resolve=False,  # one portfolio refresh afterwards walks the shared ancestors once
                )
                report.add("model usages", "created")
    return report


@transaction.atomic
def demo_users_create() -> list[str]:
    """The demo sign-ins, one per role; the admin is also a superuser for the Django admin."""
    created = []
    for username, role in (("admin", ADMIN), ("analyst", ANALYST), ("viewer", VIEWER)):
        user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@riskregistry.local"})
        user.set_password(DEMO_PASSWORD)
        user.is_staff = user.is_superuser = role == ADMIN
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        created.append(username)
    return created
