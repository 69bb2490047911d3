"""Reads for assessments: the facts each model usage is scored on, assembled in bulk from the stored graph."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Case, CharField, Count, F, Max, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.models import LIVE_STATUSES, Exposure, Finding, RiskRating, ScoringPolicy
from assessments.scoring import (
    AcceptanceFacts,
    ChangeFacts,
    DriftFacts,
    EdgeFacts,
    HostFacts,
    NodeFacts,
    Policy,
    Rating,
    UsageFacts,
    score,
)
from assessments.scoring.policy import TIERS
from vendors.lineage.graph import shortest_paths
from vendors.models import AIModel, ChangeEvent, ModelUsage, Product, Publisher
from vendors.selectors import LineageReport, lineage_reports, model_usage_queryset, node_key

_WHAT_IF_BATCH = 500

# Change events that say something about the supply chain (not the bookkeeping of usages).
SUPPLY_CHAIN_CHANGES = (
    ChangeEvent.Kind.NEW_SHA,
    ChangeEvent.Kind.PARENT_ADDED,
    ChangeEvent.Kind.PARENT_REMOVED,
    ChangeEvent.Kind.LICENSE_CHANGED,
    ChangeEvent.Kind.GATED,
    ChangeEvent.Kind.DISABLED,
    ChangeEvent.Kind.GONE,
    ChangeEvent.Kind.RENAMED,
)


def _node_facts(node: dict, model: AIModel) -> NodeFacts:
    publisher = model.publisher
    return NodeFacts(
        id=node["id"],
        status=node["status"],
        kind=model.kind,
        publisher_key=publisher.key if publisher else "",
        publisher_name=publisher.name if publisher else "",
        country=(publisher.country.code or "") if publisher else "",
        flags=frozenset(publisher.flags) if publisher else frozenset(),
        license=model.license,
    )


def _host_facts(usage: ModelUsage) -> HostFacts | None:
    if usage.host is None:
        return None
    return HostFacts(
        key=usage.host.key,
        name=usage.host.name,
        operator_country=usage.host.country.code or "",
        region_code=usage.region.code if usage.region else "",
        region_country=(usage.region.country.code or "") if usage.region else "",
    )


def _facts(
    usage: ModelUsage,
    report: LineageReport,
    changes: dict[int, list[ChangeFacts]],
    now: datetime,
    acceptances: tuple[AcceptanceFacts, ...],
):
    hub = [m.fetched_at for m in report.models.values() if m.kind == AIModel.Kind.HUB]
    fetched = hub if None not in hub else []  # a hub model never fetched: the lineage was never fully fetched
    return UsageFacts(
        subject=node_key(usage.model),
        now=now,
        nodes={node["id"]: _node_facts(node, report.models[node["id"]]) for node in report.nodes},
        edges=tuple(EdgeFacts(e["child"], e["parent"], e["relation"], e["source"]) for e in report.edges),
        roots=report.roots,
        complete=report.complete,
        incomplete_reasons=report.ancestry.incomplete_reasons,
        license_drift=tuple(
            DriftFacts(d.child, d.parent, d.child_license, d.parent_license) for d in report.ancestry.license_drift
        ),
        role=usage.role,
        host=_host_facts(usage),
        vendor_country=usage.product.vendor.country.code or "",
        changes=tuple(c for m in report.models.values() for c in changes.get(m.pk, ())),
        facts_as_of=min(fetched) if fetched else None,
        acceptances=acceptances,
    )


def acceptance_end(last_day: date) -> datetime:
    """An acceptance valid through ``last_day`` (UTC) ends at the next midnight."""
    return datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=UTC)


def acceptance_facts(finding: Finding) -> AcceptanceFacts:
    by = finding.accepted_by.get_username() if finding.accepted_by_id else ""
    return AcceptanceFacts(
        code=finding.code, until=acceptance_end(finding.accepted_until), by=by, justification=finding.justification
    )


def finding_queryset() -> QuerySet[Finding]:
    """Findings with what their pages and the API show about them loaded (a fixed number of queries per page)."""
    return Finding.objects.select_related("usage__product__vendor", "usage__model", "owner", "accepted_by")


def live_findings(usage_ids: Iterable[int]) -> dict[int, dict[str, Finding]]:
    """The open and accepted findings of each usage, by factor code (one query)."""
    live: dict[int, dict[str, Finding]] = {}
    for finding in Finding.objects.filter(usage_id__in=list(usage_ids), status__in=LIVE_STATUSES).select_related(
        "accepted_by"
    ):
        live.setdefault(finding.usage_id, {})[finding.code] = finding
    return live


def usage_facts_for(
    usages: Sequence[ModelUsage],
    *,
    now: datetime,
    findings: Mapping[int, Mapping[str, Finding]] | None = None,
    reports: Sequence[LineageReport] | None = None,
) -> dict[int, UsageFacts]:
    """The facts of every usage, from one load of the lineage subgraph they share and one query for changes.

    ``usages`` should come from ``vendors.selectors.model_usage_queryset()`` (product, vendor, host, region
    loaded). Risk acceptances come from ``findings`` (``live_findings``), loaded here when not given;
    ``reports`` (``lineage_reports`` of the usages' models, in order) likewise.
    """
    if not usages:
        return {}
    if findings is None:
        findings = live_findings(u.pk for u in usages)
    if reports is None:
        reports = lineage_reports([u.model for u in usages])
    model_ids = {m.pk for report in reports for m in report.models.values()}
    changes: dict[int, list[ChangeFacts]] = {}
    unacknowledged = ChangeEvent.objects.filter(
        model_id__in=model_ids, acknowledged_at__isnull=True, kind__in=SUPPLY_CHAIN_CHANGES
    ).values_list("model_id", "kind", "occurred_at", "summary")
    for model_id, kind, occurred_at, summary in unacknowledged:
        changes.setdefault(model_id, []).append(ChangeFacts(kind=kind, at=occurred_at, summary=summary))
    return {
        usage.pk: _facts(
            usage,
            report,
            changes,
            now,
            tuple(
                acceptance_facts(f)
                for f in findings.get(usage.pk, {}).values()
                if f.status == Finding.Status.ACCEPTED and f.accepted_until
            ),
        )
        for usage, report in zip(usages, reports, strict=True)
    }


def latest_ratings(usage_ids: Iterable[int]) -> dict[int, RiskRating]:
    """The current rating of each usage (its newest snapshot)."""
    return {r.usage_id: r for r in RiskRating.objects.filter(usage_id__in=list(usage_ids), is_current=True)}


def rating_history(usage: ModelUsage) -> list[RiskRating]:
    """Every snapshot of a usage, newest first."""
    return list(RiskRating.objects.filter(usage=usage).order_by("-created_at", "-id"))


def exposure_paths(report: LineageReport) -> dict[str, tuple[str, ...]]:
    """The shortest path from the report's subject to each of its nodes."""
    return shortest_paths(
        report.subject, ((e["child"], e["parent"]) for e in report.edges), (node["id"] for node in report.nodes)
    )


# ---------------------------------------------------------------------------------------------------------------
# The policy
# ---------------------------------------------------------------------------------------------------------------
def policy_current() -> Policy:
    """The policy in force: the newest stored version, or the shipped default before any is stored."""
    row = ScoringPolicy.objects.order_by("-version").first()
    return Policy.from_document(row.version, row.document) if row else Policy.default()


def policy_versions() -> list[ScoringPolicy]:
    return list(ScoringPolicy.objects.select_related("created_by").order_by("-version"))


@dataclass(frozen=True)
class TierChange:
    usage: ModelUsage
    before: Rating
    after: Rating


@dataclass(frozen=True)
class WhatIf:
    """What a draft policy would do to the portfolio, against the policy in force, on the same facts."""

    current: Policy
    draft: Policy
    usages: int
    before: Mapping[str, int]  # tier -> usages
    after: Mapping[str, int]
    changes: tuple[TierChange, ...]  # usages whose tier would change, largest moves first
    score_changes: int  # usages whose score would change (tier or not)


def policy_what_if(*, draft: Policy, current: Policy | None = None, now: datetime | None = None) -> WhatIf:
    """Score every usage under both policies from the same facts, in batches (a fixed number of queries per
    batch), and list those whose tier would change. Nothing is written."""
    current = current or policy_current()
    now = now or timezone.now()
    before: Counter[str] = Counter(dict.fromkeys(TIERS, 0))
    after: Counter[str] = Counter(dict.fromkeys(TIERS, 0))
    changes, score_changes, count = [], 0, 0
    usages = model_usage_queryset().order_by("pk")
    batch: list[ModelUsage] = []

    def rate(batch: list[ModelUsage]) -> None:
        nonlocal score_changes, count
        for usage_id, facts in usage_facts_for(batch, now=now).items():
            old, new = score(facts, current), score(facts, draft)
            before[old.tier] += 1
            after[new.tier] += 1
            count += 1
            if old.score != new.score:
                score_changes += 1
            if old.tier != new.tier:
                changes.append(TierChange(usage=by_id[usage_id], before=old, after=new))

    by_id: dict[int, ModelUsage] = {}
    for usage in usages.iterator(chunk_size=_WHAT_IF_BATCH):
        by_id[usage.pk] = usage
        batch.append(usage)
        if len(batch) == _WHAT_IF_BATCH:
            rate(batch)
            batch, by_id = [], {}
    if batch:
        rate(batch)
    rank = {tier: i for i, tier in enumerate(TIERS)}
    changes.sort(key=lambda c: (-abs(rank[c.after.tier] - rank[c.before.tier]), -c.after.score, c.usage.pk))
    return WhatIf(
        current=current,
        draft=draft,
        usages=count,
        before=dict(before),
        after=dict(after),
        changes=tuple(changes),
        score_changes=score_changes,
    )


# ---------------------------------------------------------------------------------------------------------------
# Roll-ups and exposure
# ---------------------------------------------------------------------------------------------------------------
def with_worst_rating(queryset: QuerySet, usages: str = "", *, active_only: str = "") -> QuerySet:
    """Annotate ``worst_tier`` ("" when nothing is rated), ``worst_rank``, ``worst_score`` and ``risk_order`` (the
    score, -1 when unrated, for sorting): the riskiest current
    rating among the usages reached by the lookup ``usages`` ("" for usages themselves, "model_usages" from
    products, "products__model_usages" from vendors). ``active_only`` names a product status lookup to count only
    active products' usages (retired products no longer carry risk)."""
    ratings = f"{usages}__ratings" if usages else "ratings"
    current = Q(**{f"{ratings}__is_current": True})
    if active_only:
        current &= Q(**{active_only: "active"})
    rank = Case(*(When(**{f"{ratings}__tier": tier}, then=Value(i)) for i, tier in enumerate(TIERS)))
    return queryset.annotate(
        worst_rank=Max(rank, filter=current), worst_score=Max(f"{ratings}__score", filter=current)
    ).annotate(
        worst_tier=Case(
            *(When(worst_rank=i, then=Value(tier)) for i, tier in enumerate(TIERS)),
            default=Value(""),
            output_field=CharField(),
        ),
        risk_order=Coalesce(F("worst_score"), Value(-1)),  # sorts the unrated below every rated one
    )


def products_by_tier() -> dict[str, int]:
    """Active products per worst tier; "" counts products with nothing rated yet."""
    counts = Counter(
        with_worst_rating(Product.objects.filter(status=Product.Status.ACTIVE), "model_usages").values_list(
            "worst_tier", flat=True
        )
    )
    return {tier: counts.get(tier, 0) for tier in ("", *TIERS)}


def repackager_publisher_ids() -> list[int]:
    """Publishers that only re-host others' weights: never an origin (one small query)."""
    return [pk for pk, flags in Publisher.objects.values_list("pk", "flags") if "repackager" in (flags or [])]


def _active_exposures() -> QuerySet[Exposure]:
    return Exposure.objects.filter(usage__product__status=Product.Status.ACTIVE)


def exposure_by_country(*, limit: int | None = None) -> list[tuple[str, int]]:
    """Origin countries (publishers' countries, re-packagers left out) with the number of active products whose
    models descend from a model published there, most first."""
    rows = (
        _active_exposures()
        .exclude(model__publisher__isnull=True)
        .exclude(model__publisher_id__in=repackager_publisher_ids())
        .exclude(model__publisher__country="")
        .values("model__publisher__country")
        .annotate(products=Count("usage__product", distinct=True))
        .order_by("-products", "model__publisher__country")
    )
    found = [(row["model__publisher__country"], row["products"]) for row in rows]
    return found[:limit] if limit else found


def exposure_by_root(*, limit: int | None = 10) -> list[tuple[AIModel, int]]:
    """Root models with the number of active products that sit on them, most first."""
    rows = list(
        _active_exposures()
        .filter(is_root=True)
        .values("model_id")
        .annotate(products=Count("usage__product", distinct=True))
        .order_by("-products", "model_id")[: limit or None]
    )
    models = AIModel.objects.in_bulk([row["model_id"] for row in rows])
    return [(models[row["model_id"]], row["products"]) for row in rows]


def exposure_matches(usage_ids: Iterable[int], criteria: Q) -> dict[int, list[Exposure]]:
    """The exposure rows of these usages that meet ``criteria`` (a Q over Exposure), closest first: the paths that
    explain why a usage is in a blast radius."""
    found: dict[int, list[Exposure]] = {}
    rows = Exposure.objects.filter(criteria, usage_id__in=list(usage_ids)).select_related("model__publisher")
    for row in rows.order_by("usage_id", "depth", "model__name"):
        found.setdefault(row.usage_id, []).append(row)
    return found


@dataclass(frozen=True)
class Dashboard:
    """The portfolio's risk at a glance: products per tier, per origin country and per root model, the riskiest
    products, and the findings that need someone."""

    products_by_tier: Mapping[str, int]
    by_country: list[tuple[str, int]]
    by_root: list[tuple[AIModel, int]]
    riskiest: list[Product]
    findings_open: int
    findings_overdue: int
    findings_accepted: int
    policy_version: int

    @property
    def products_unrated(self) -> int:
        return self.products_by_tier.get("", 0)


def dashboard(*, riskiest: int = 8) -> Dashboard:
    today = timezone.now().astimezone(UTC).date()
    live = Finding.objects.filter(status__in=LIVE_STATUSES)
    counts = live.aggregate(
        open=Count("pk", filter=Q(status=Finding.Status.OPEN)),
        overdue=Count("pk", filter=Q(status=Finding.Status.OPEN, due_date__lt=today)),
        accepted=Count("pk", filter=Q(status=Finding.Status.ACCEPTED)),
    )
    products = with_worst_rating(
        Product.objects.filter(status=Product.Status.ACTIVE).select_related("vendor"), "model_usages"
    )
    top = list(products.filter(worst_rank__gte=TIERS.index("high")).order_by("-worst_rank", "-worst_score", "name"))
    return Dashboard(
        products_by_tier=products_by_tier(),
        by_country=exposure_by_country(),
        by_root=exposure_by_root(limit=10),
        riskiest=top[:riskiest],
        findings_open=counts["open"],
        findings_overdue=counts["overdue"],
        findings_accepted=counts["accepted"],
        policy_version=policy_current().version,
    )


def worst_rating(usages: Q) -> RiskRating | None:
    """The riskiest current rating among the usages ``usages`` selects (a Q over ModelUsage, e.g. a vendor's
    active products): what a roll-up shows as its reasons."""
    return (
        RiskRating.objects.filter(is_current=True, usage__in=ModelUsage.objects.filter(usages))
        .select_related("usage__product", "usage__model")
        .order_by("-score", "-id")
        .first()
    )
