"""The portfolio as it stood at a past moment, rebuilt from what is never rewritten: rating snapshots (the newest
one created by then), the history of products, usages, exposure rows, findings and publishers (django-simple-
history), the change events and the policy versions. The dashboard reads the same figures for "now" and a report
for a quarter's end, so regenerating a past quarter gives the same numbers whatever happened since.

A row written in bulk with no history record at all (an import, a benchmark) counts as it is now from its
``created_at`` on; exposure rows older than their history count as they are now while their usage existed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from django.db.models import Max, Model, QuerySet

from assessments.models import Exposure, Finding, RiskRating, ScoringPolicy
from assessments.scoring.policy import TIERS
from vendors.models import AIModel, ChangeEvent, ModelUsage, Product, Publisher, Vendor

_ACTIVE = Product.Status.ACTIVE
_CLOSED = (Finding.Status.REMEDIATED, Finding.Status.CLOSED)


def rows_as_of(model: type[Model], as_of: datetime, *, created_field: str | None = "created_at") -> dict[int, Any]:
    """Every row of ``model`` (which has ``history``) as it stood at ``as_of``, by primary key: its newest
    history record from then, rows deleted by then left out. Rows with no history at all count as they are now
    if ``created_field`` says they existed then (always, when ``created_field`` is None)."""
    historical = model.history.model
    newest = (
        historical.objects.filter(history_date__lte=as_of).values("id").annotate(last=Max("history_id")).values("last")
    )
    state: dict[int, Any] = {
        record.id: record for record in historical.objects.filter(history_id__in=newest) if record.history_type != "-"
    }
    untracked = model.objects.exclude(pk__in=historical.objects.values("id"))
    if created_field:
        untracked = untracked.filter(**{f"{created_field}__lte": as_of})
    state.update({row.pk: row for row in untracked})
    return state


def ratings_as_of(as_of: datetime, usage_ids: Iterable[int] | None = None) -> dict[int, RiskRating]:
    """The rating each usage had at ``as_of``: its newest snapshot created by then."""
    snapshots = RiskRating.objects.filter(created_at__lte=as_of)
    if usage_ids is not None:
        snapshots = snapshots.filter(usage_id__in=list(usage_ids))
    newest = snapshots.values("usage_id").annotate(last=Max("id")).values("last")
    return {rating.usage_id: rating for rating in RiskRating.objects.filter(pk__in=newest)}


def policy_version_as_of(as_of: datetime) -> int | None:
    """The scoring policy version in force at ``as_of`` (None before the first one was stored)."""
    return ScoringPolicy.objects.filter(created_at__lte=as_of).aggregate(v=Max("version"))["v"]


def policy_versions_between(start: datetime, end: datetime) -> list[ScoringPolicy]:
    """The policy versions in force at some time in [start, end): the one in force at ``start`` and any stored
    after it, oldest first."""
    first = policy_version_as_of(start)
    versions = ScoringPolicy.objects.filter(created_at__lt=end)
    if first is not None:
        versions = versions.filter(version__gte=first)
    return list(versions.order_by("version"))


def change_events_between(start: datetime, end: datetime) -> QuerySet[ChangeEvent]:
    """Supply-chain and usage changes that occurred in [start, end), oldest first."""
    return (
        ChangeEvent.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
        .select_related("model", "product__vendor")
        .order_by("occurred_at", "id")
    )


@dataclass(frozen=True)
class ProductRisk:
    """A product's riskiest rating at some moment (its worst usage), with the row as it stood then."""

    product: Any  # the product (or its historical record) as it stood
    vendor: Any
    worst_tier: str
    worst_score: int | None
    rating: RiskRating | None

    @property
    def pk(self) -> int:
        return self.product.id

    @property
    def name(self) -> str:
        return self.product.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("vendors:product_detail", args=[self.pk])


@dataclass(frozen=True)
class FindingFlow:
    """What happened to findings during a period, counted from their history: each finding once per kind."""

    opened: int
    accepted: int
    closed: int
    open_at_end: int
    overdue_at_end: int
    accepted_at_end: int


@dataclass
class PortfolioAsOf:
    """The portfolio at ``as_of``; figures are computed on first use from rows loaded once."""

    as_of: datetime
    vendors: Mapping[int, Any]
    products: Mapping[int, Any]
    usages: Mapping[int, Any]
    ratings: Mapping[int, RiskRating]
    exposures: list[Any]
    findings: Mapping[int, Any]
    publishers: Mapping[int, Any]
    policy_version: int | None
    _models: dict[int, AIModel] = field(default_factory=dict, repr=False)

    # ---- products and their ratings --------------------------------------------------------------------
    @cached_property
    def active_products(self) -> dict[int, Any]:
        return {pk: p for pk, p in self.products.items() if p.status == _ACTIVE}

    @cached_property
    def usages_in_use(self) -> dict[int, Any]:
        """Usages that existed then and were not retired by then: a retired usage no longer carries risk (as on
        the dashboard), while its own rows stay readable."""
        return {pk: u for pk, u in self.usages.items() if getattr(u, "retired_at", None) is None}

    @cached_property
    def usages_by_product(self) -> dict[int, list[Any]]:
        found: dict[int, list[Any]] = defaultdict(list)
        for usage in sorted(self.usages_in_use.values(), key=lambda u: u.id):
            if usage.product_id in self.products:
                found[usage.product_id].append(usage)
        return found

    @cached_property
    def product_risks(self) -> dict[int, ProductRisk]:
        """Each active product's riskiest rated usage (tier first, then score), "" when nothing is rated."""
        risks = {}
        for pk, product in self.active_products.items():
            ratings = [self.ratings[u.id] for u in self.usages_by_product.get(pk, ()) if u.id in self.ratings]
            worst = max(ratings, key=lambda r: (TIERS.index(r.tier), r.score, -r.id), default=None)
            risks[pk] = ProductRisk(
                product=product,
                vendor=self.vendors.get(product.vendor_id),
                worst_tier=worst.tier if worst else "",
                worst_score=worst.score if worst else None,
                rating=worst,
            )
        return risks

    def products_by_tier(self) -> dict[str, int]:
        """Active products per worst tier; "" counts products with nothing rated yet (as the dashboard)."""
        counts = Counter(risk.worst_tier for risk in self.product_risks.values())
        return {tier: counts.get(tier, 0) for tier in ("", *TIERS)}

    def riskiest(self, *, at_least: str = "high", limit: int | None = None) -> list[ProductRisk]:
        """Products rated ``at_least`` or worse, riskiest first (tier, score, then name)."""
        floor = TIERS.index(at_least)
        found = [r for r in self.product_risks.values() if r.worst_tier and TIERS.index(r.worst_tier) >= floor]
        found.sort(key=lambda r: (-TIERS.index(r.worst_tier), -(r.worst_score or 0), r.name))
        return found[:limit] if limit else found

    # ---- exposure ------------------------------------------------------------------------------------------
    @cached_property
    def active_exposures(self) -> list[Any]:
        """Exposure rows of usages in use then, of products active then."""
        in_use = self.usages_in_use
        return [
            e for e in self.exposures if e.usage_id in in_use and in_use[e.usage_id].product_id in self.active_products
        ]

    def models(self, ids: Iterable[int]) -> dict[int, AIModel]:
        missing = set(ids) - self._models.keys()
        if missing:
            self._models.update(AIModel.objects.in_bulk(missing))
        return self._models

    def _origin(self, publisher_id: int | None) -> str:
        publisher = self.publishers.get(publisher_id) if publisher_id else None
        if publisher is None or "repackager" in (publisher.flags or []):
            return ""
        return str(publisher.country or "")

    def exposure_by_country(self, *, limit: int | None = None) -> list[tuple[str, int]]:
        """Origin countries with the number of active products whose models descend from a model published
        there, most first (re-packagers left out), as ``exposure_by_country``."""
        models = self.models({e.model_id for e in self.active_exposures})
        products: dict[str, set[int]] = defaultdict(set)
        for e in self.active_exposures:
            country = self._origin(models[e.model_id].publisher_id) if e.model_id in models else ""
            if country:
                products[country].add(self.usages[e.usage_id].product_id)
        found = sorted(((code, len(ids)) for code, ids in products.items()), key=lambda row: (-row[1], row[0]))
        return found[:limit] if limit else found

    def exposure_by_root(self, *, limit: int | None = 10) -> list[tuple[AIModel, int]]:
        """Root models with the number of active products that sit on them, most first."""
        products: dict[int, set[int]] = defaultdict(set)
        for e in self.active_exposures:
            if e.is_root:
                products[e.model_id].add(self.usages[e.usage_id].product_id)
        rows = sorted(((pk, len(ids)) for pk, ids in products.items()), key=lambda row: (-row[1], row[0]))
        rows = rows[:limit] if limit else rows
        models = self.models(pk for pk, _ in rows)
        return [(models[pk], n) for pk, n in rows if pk in models]

    @cached_property
    def _root_paths(self) -> dict[int, list[list[str]]]:
        paths: dict[int, list[list[str]]] = defaultdict(list)
        for e in self.exposures:
            if e.is_root:
                paths[e.usage_id].append(list(e.path))
        return {usage_id: sorted(found, key=lambda p: (len(p), p)) for usage_id, found in paths.items()}

    def chains(self, usage_id: int) -> list[list[str]]:
        """The paths from a usage's model to each of its root models, as they stood."""
        return self._root_paths.get(usage_id, [])

    @cached_property
    def node_models(self) -> dict[str, int]:
        """Lineage node id (the last step of an exposure path) → model id, for the exposure rows as they stood."""
        return {e.path[-1]: e.model_id for e in self.exposures if e.path}

    # ---- findings ------------------------------------------------------------------------------------------
    @cached_property
    def live_findings(self) -> list[Any]:
        """Open and accepted findings of active products' usages, as they stood."""
        return [
            f
            for f in self.findings.values()
            if f.status in (Finding.Status.OPEN, Finding.Status.ACCEPTED)
            and f.usage_id in self.usages
            and self.usages[f.usage_id].product_id in self.active_products
        ]

    def finding_counts(self) -> dict[str, int]:
        """Open, overdue (open past its due date, UTC) and risk-accepted findings."""
        today = self.as_of.astimezone(UTC).date()
        live = self.live_findings
        return {
            "open": sum(f.status == Finding.Status.OPEN for f in live),
            "overdue": sum(
                f.status == Finding.Status.OPEN and f.due_date is not None and f.due_date < today for f in live
            ),
            "accepted": sum(f.status == Finding.Status.ACCEPTED for f in live),
        }


def portfolio_as_of(as_of: datetime) -> PortfolioAsOf:
    """Load the portfolio as it stood at ``as_of`` (a dozen queries, whatever its size)."""
    return PortfolioAsOf(
        as_of=as_of,
        vendors=rows_as_of(Vendor, as_of),
        products=rows_as_of(Product, as_of),
        usages=rows_as_of(ModelUsage, as_of),
        ratings=ratings_as_of(as_of),
        exposures=list(rows_as_of(Exposure, as_of, created_field=None).values()),
        findings=rows_as_of(Finding, as_of, created_field="opened_at"),
        publishers=rows_as_of(Publisher, as_of),
        policy_version=policy_version_as_of(as_of),
    )


def finding_flow(
    start: datetime, end: datetime, *, at_end: PortfolioAsOf, usage_ids: Iterable[int] | None = None
) -> FindingFlow:
    """Findings opened, accepted and closed (remediated or closed) during [start, end), from their history, and
    the open, overdue and accepted ones at the end (``at_end``); only those of ``usage_ids`` when given."""
    historical = Finding.history.model
    records = historical.objects.filter(history_date__lt=end).order_by("id", "history_id")
    if usage_ids is not None:
        records = records.filter(usage_id__in=list(usage_ids))
    opened, accepted, closed = set(), set(), set()
    previous: dict[int, str] = {}
    for record in records.only("id", "history_id", "history_date", "history_type", "status"):
        before = previous.get(record.id)
        previous[record.id] = record.status
        if not (start <= record.history_date < end) or record.history_type == "-":
            continue
        if record.history_type == "+":
            opened.add(record.id)
        if record.status == Finding.Status.ACCEPTED and before != Finding.Status.ACCEPTED:
            accepted.add(record.id)
        if record.status in _CLOSED and before not in _CLOSED:
            closed.add(record.id)
    counts = at_end.finding_counts()
    return FindingFlow(
        opened=len(opened),
        accepted=len(accepted),
        closed=len(closed),
        open_at_end=counts["open"],
        overdue_at_end=counts["overdue"],
        accepted_at_end=counts["accepted"],
    )
