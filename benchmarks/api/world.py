"""The portfolio the API benchmark reads: vendors, products, models, ``usages`` model usages with a current rating
each (and an older one for a tenth of them), findings on a fifth and change events, stored with ``bulk_create``,
plus a read key of an analyst. Everything it makes carries the ``API Bench`` prefix and ``world_delete`` removes
it again."""

from __future__ import annotations

import datetime as dt
from typing import Any

PREFIX = "API Bench"
_COUNTRIES = ("US", "GB", "DE", "FR", "NL", "IN", "SG", "CA", "IL", "JP")
_TIERS = (("low", 10), ("moderate", 35), ("high", 60), ("critical", 85))
_CHUNK = 5_000


def world_build(*, usages: int, log=lambda message: None) -> dict[str, Any]:
    """Store the portfolio; returns its counts and a read key (``key``). Deletes what a previous run left."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from assessments.models import Finding, RiskRating
    from riskregistry import services
    from vendors.models import AIModel, ChangeEvent, ModelUsage, Product, Vendor

    world_delete()
    products = max(1, usages // 10)
    vendors = max(1, products // 10)
    models = max(10, min(2_000, usages // 50))  # at least the usages per product: no pair repeats
    now = timezone.now()
    vendor_rows = Vendor.objects.bulk_create(
        Vendor(
            name=f"{PREFIX} Vendor {i:05d}",
            country=_COUNTRIES[i % len(_COUNTRIES)],
            tier=("high", "medium", "low")[i % 3],
        )
        for i in range(vendors)
    )
    product_rows = Product.objects.bulk_create(
        (Product(vendor=vendor_rows[i % vendors], name=f"{PREFIX} Product {i:06d}") for i in range(products)),
        batch_size=_CHUNK,
    )
    model_rows = AIModel.objects.bulk_create(
        AIModel(name=f"api-bench/model-{i:05d}", status="resolved", license="apache-2.0") for i in range(models)
    )
    log(f"api: {vendors:,} vendors, {products:,} products, {models:,} models; now {usages:,} usages")
    for start in range(0, usages, _CHUNK):
        chunk = range(start, min(usages, start + _CHUNK))
        created = ModelUsage.objects.bulk_create(
            ModelUsage(product=product_rows[i % products], model=model_rows[(i // products) % models]) for i in chunk
        )
        ratings, findings = [], []
        for usage in created:
            tier, score = _TIERS[usage.pk % len(_TIERS)]
            factor = {"code": "origin.country_of_concern", "points": score, "reason": "bench", "evidence": ["a"]}
            if usage.pk % 10 == 0:
                ratings.append(
                    RiskRating(usage=usage, score=5, tier="low", factors=[], policy_version=1, is_current=False)
                )
            ratings.append(RiskRating(usage=usage, score=score, tier=tier, factors=[factor], policy_version=1))
            if usage.pk % 5 == 0:
                findings.append(
                    Finding(
                        usage=usage,
                        code=factor["code"],
                        trigger="critical_factor",
                        title="bench",
                        points=score,
                        evidence=["a"],
                        due_date=(now + dt.timedelta(days=usage.pk % 90)).date(),
                    )
                )
        RiskRating.objects.bulk_create(ratings)
        Finding.objects.bulk_create(findings)
        ChangeEvent.objects.bulk_create(
            ChangeEvent(
                kind="usage_added", model=u.model, product=u.product, summary=f"{PREFIX} usage", occurred_at=now
            )
            for u in created[::5]
        )
        log(f"api: {start + len(chunk):,} of {usages:,} usages stored")
    user = get_user_model().objects.create_user(username=f"{PREFIX.lower().replace(' ', '-')}-reader")
    user.groups.add(Group.objects.get(name="analyst"))
    _, key = services.api_key_create(owner=user, scope="read")
    return {
        "vendors": vendors,
        "products": products,
        "models": models,
        "usages": usages,
        "ratings": RiskRating.objects.filter(usage__product__name__startswith=PREFIX).count(),
        "findings": Finding.objects.filter(title="bench").count(),
        "changes": ChangeEvent.objects.filter(summary__startswith=PREFIX).count(),
        "key": key,
    }


def world_delete() -> None:
    """Remove everything the benchmark made (ratings and findings first: they protect their usages)."""
    from django.contrib.auth import get_user_model

    from assessments.models import Finding, RiskRating
    from riskregistry.models import ApiKey
    from vendors.models import AIModel, ChangeEvent, ModelUsage, Product, Vendor

    mine = {"usage__product__name__startswith": PREFIX}
    findings = Finding.objects.filter(**mine)
    finding_ids = list(findings.values_list("pk", flat=True))
    findings.delete()
    # Their deletions' history rows too: the next run's findings then read their versions as this run's did.
    Finding.history.filter(id__in=finding_ids).delete()
    RiskRating.objects.filter(**mine).delete()
    ChangeEvent.objects.filter(summary__startswith=PREFIX).delete()
    ModelUsage.objects.filter(product__name__startswith=PREFIX).delete()
    Product.objects.filter(name__startswith=PREFIX).delete()
    Vendor.objects.filter(name__startswith=PREFIX).delete()
    AIModel.objects.filter(name__startswith="api-bench/").delete()
    users = get_user_model().objects.filter(username__startswith=PREFIX.lower().replace(" ", "-"))
    ApiKey.objects.filter(owner__in=users).delete()
    users.delete()
