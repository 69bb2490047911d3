"""Risk over time, read back from the rating snapshots with the as-of reads of ``asof``: the portfolio's products
per tier, and one product's score, at evenly spaced moments from the first snapshot (at most ``SPAN`` ago) to now.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Min
from django.utils import timezone

from assessments.models import RiskRating
from assessments.scoring.policy import TIERS
from assessments.selectors.asof import ratings_as_of, rows_as_of
from vendors.models import ModelUsage, Product

POINTS = 12
SPAN = timedelta(days=365)


def trend_moments(first: datetime | None, *, now: datetime, points: int = POINTS) -> list[datetime]:
    """``points`` moments evenly spaced from ``first`` (or ``SPAN`` before ``now`` if that is later) to ``now``."""
    if first is None:
        return []
    start = max(first, now - SPAN)
    if start >= now:
        return [now]
    step = (now - start) / (points - 1)
    return [start + step * index for index in range(points - 1)] + [now]


def moment_label(moment: datetime, moments: list[datetime]) -> str:
    """A date, or a date and time when the moments are less than two days apart in all (with seconds when less
    than two hours)."""
    local = timezone.localtime(moment)
    if moments and moments[-1] - moments[0] < timedelta(hours=2):
        return local.strftime("%H:%M:%S")
    if moments and moments[-1] - moments[0] < timedelta(days=2):
        return local.strftime("%m-%d %H:%M")
    return local.strftime("%Y-%m-%d")


def trend_stamp() -> tuple:
    """What the portfolio trend depends on, cheaply: the newest rating snapshot and product and usage history
    records, and the day (the moments move with the clock). A cached trend with the same stamp is still right."""
    from django.db.models import Max

    return (
        RiskRating.objects.aggregate(m=Max("id"))["m"],
        Product.history.aggregate(m=Max("history_id"))["m"],
        ModelUsage.history.aggregate(m=Max("history_id"))["m"],
        Product.objects.aggregate(m=Max("updated_at"))["m"],
        timezone.now().date(),
    )


def portfolio_tier_trend(*, now: datetime | None = None, points: int = POINTS) -> list[tuple[datetime, dict[str, int]]]:
    """Active products per riskiest tier at each moment, as the dashboard counted them then (products with
    nothing rated left out): the products as they stood (``rows_as_of``), each usage's newest snapshot by then (as
    ``ratings_as_of``), a usage counting from its creation until it was retired.

    The snapshots and usages are read once as plain tuples and replayed per moment: reading every rating and
    usage row a dozen times took seconds on 10,000 usages."""
    now = now or timezone.now()
    first = RiskRating.objects.aggregate(first=Min("created_at"))["first"]
    moments = trend_moments(first, now=now, points=points)
    if not moments:
        return []
    snapshots = list(RiskRating.objects.order_by("id").values_list("usage_id", "created_at", "tier", "score"))
    usages = list(ModelUsage.objects.values_list("id", "product_id", "created_at", "retired_at"))
    trend = []
    for moment in moments:
        active = {pk for pk, p in rows_as_of(Product, moment).items() if p.status == Product.Status.ACTIVE}
        newest = {usage_id: (tier, score) for usage_id, created, tier, score in snapshots if created <= moment}
        worst: dict[int, tuple[int, int]] = {}
        for usage_id, product_id, created, retired in usages:
            if product_id not in active or created > moment or (retired and retired <= moment):
                continue
            if usage_id in newest:
                tier, score = newest[usage_id]
                rank = (TIERS.index(tier), score)
                if product_id not in worst or rank > worst[product_id]:
                    worst[product_id] = rank
        counts = dict.fromkeys(TIERS, 0)
        for rank, _ in worst.values():
            counts[TIERS[rank]] += 1
        trend.append((moment, counts))
    return trend


def product_score_trend(
    product: Product, *, now: datetime | None = None, points: int = POINTS
) -> list[tuple[datetime, int | None]]:
    """The product's score (its riskiest usage's, as on its page) at each moment; None before anything was rated.
    A usage counts from its creation until it was retired."""
    now = now or timezone.now()
    usages = list(ModelUsage.objects.filter(product=product).values("id", "created_at", "retired_at"))
    first = RiskRating.objects.filter(usage__product=product).aggregate(first=Min("created_at"))["first"]
    trend = []
    for moment in trend_moments(first, now=now, points=points):
        live = [
            u["id"] for u in usages if u["created_at"] <= moment and not (u["retired_at"] and u["retired_at"] <= moment)
        ]
        ratings = ratings_as_of(moment, live).values() if live else ()
        worst = max(ratings, key=lambda r: r.score, default=None)  # as the product page
        trend.append((moment, worst.score if worst else None))
    return trend


__all__ = ["moment_label", "portfolio_tier_trend", "product_score_trend", "trend_moments"]
