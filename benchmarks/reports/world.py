"""The portfolio the report benchmark prints: the ratings benchmark's lineage world (publishers, hosts, a forest
of hub, closed and declared models, change events) under a portfolio of exactly ``vendors`` vendors,
``products`` products and ``usages`` model usages, then rated by the real rescoring service."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from benchmarks import ratings

_COUNTRIES = ("US", "GB", "DE", "FR", "NL", "IN", "SG", "CA", "IL", "JP")


def world_build(
    *, vendors: int, products: int, usages: int, seed: int = ratings.DEFAULT_SEED, log=lambda message: None
) -> dict[str, Any]:
    """Store the world and rate it; returns its counts. Deletes whatever a benchmark left first."""
    from django.utils import timezone

    from assessments import services
    from vendors.models import AIModel, ChangeEvent, Host, HostRegion, ModelUsage, Product, Vendor

    if not 1 <= vendors <= products <= usages:
        raise ValueError("need 1 <= vendors <= products <= usages")
    ratings.world_delete()
    # Twice the usages planned: a model the plan uses more often than there are products is skipped past.
    plan = ratings.world_plan(usages=2 * usages, seed=seed)
    lineage_only = replace(
        plan, vendors=(), products=(), usages=(), changes=tuple(c for c in plan.changes if c.product is None)
    )
    ratings.world_store(lineage_only, log=log)

    models = {m.name: m for m in AIModel.objects.all()}
    hosts = list(Host.objects.filter(key__startswith=ratings.world.KEY_PREFIX).order_by("pk"))
    regions = {(r.host_id, r.code): r for r in HostRegion.objects.filter(host__in=hosts)}
    vendor_rows = Vendor.objects.bulk_create(
        Vendor(name=f"Report Bench Vendor {i + 1:03d}", country=_COUNTRIES[i % len(_COUNTRIES)]) for i in range(vendors)
    )
    per_vendor = -(-products // vendors)
    product_rows = Product.objects.bulk_create(
        Product(vendor=vendor_rows[i // per_vendor], name=f"Product {i % per_vendor + 1}") for i in range(products)
    )
    taken: set[tuple] = set()
    rows = []
    for spec in plan.usages:
        if len(rows) == usages:
            break
        host = hosts[spec.host] if spec.host is not None else None
        region = regions[(host.pk, spec.region)] if host and spec.region else None
        for attempt in range(products):  # the next product that does not use this model this way yet
            product = (len(rows) + attempt) % products
            key = (product, spec.model, spec.role, host and host.pk, region and region.pk)
            if key not in taken:
                taken.add(key)
                break
        else:
            continue
        rows.append(
            ModelUsage(
                product=product_rows[product],
                model=models[spec.model],
                role=spec.role,
                share=50 if spec.role == "routed" else None,
                host=host,
                region=region,
                declared_by="vendor" if models[spec.model].kind == "declared" else "analyst",
            )
        )
    ModelUsage.objects.bulk_create(rows, batch_size=1000)
    now = timezone.now()
    ChangeEvent.objects.bulk_create(
        ChangeEvent(
            kind=ChangeEvent.Kind.MODEL_SWAPPED,
            product=product_rows[(c.product or 0) % products],
            summary=f"model swapped in product {(c.product or 0) % products}",
            occurred_at=now - timezone.timedelta(days=c.days_ago),
        )
        for c in plan.changes
        if c.product is not None
    )
    log(f"reports:   {vendors} vendors, {products} products, {len(rows)} usages; rating them")
    services.ratings_refresh()
    return {"vendors": vendors, "products": products, "usages": len(rows), "models": len(models)}


def world_delete() -> None:
    ratings.world_delete()
