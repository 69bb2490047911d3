"""Reads for reports: the list of generated reports, and the figures of a quarterly or vendor report. Every figure
comes from the as-of reads the dashboard uses (``assessments.selectors.portfolio_as_of``), so the report and the
dashboard agree, and a past quarter regenerated later gives the same numbers."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

from django.db.models import Q, QuerySet
from django_countries import countries

from assessments import selectors as assessment_selectors
from assessments.models import ScoringPolicy, Tier
from assessments.scoring.policy import TIERS
from assessments.selectors import FindingFlow, PortfolioAsOf, ProductRisk
from assessments.selectors.collection import CollectionFigures, collection_as_of
from reports import layout
from reports.models import Report
from reports.periods import Quarter
from vendors.models import AIModel, ChangeEvent, InferredEdge, LineageEdge, ModelUsage
from vendors.selectors import node_key

#: Changes to inferred parents: listed with the supply-chain changes, labelled as inferred and not declared.
INFERRED_CHANGES = (
    ChangeEvent.Kind.INFERRED_PARENT_ADDED,
    ChangeEvent.Kind.INFERRED_PARENT_CHANGED,
    ChangeEvent.Kind.INFERRED_PARENT_REMOVED,
)
#: At most this many lineage nodes are drawn for one vendor; larger graphs are listed as chains.
DIAGRAM_NODES = 16


def report_queryset() -> QuerySet[Report]:
    """Reports with what their list, their page and the API show loaded."""
    return Report.objects.select_related("vendor", "requested_by")


@dataclass(frozen=True)
class TierRow:
    tier: str
    label: str
    count: int
    previous: int

    @property
    def delta(self) -> int:
        return self.count - self.previous

    @property
    def signed_delta(self) -> str:
        return layout.signed(self.delta)


@dataclass(frozen=True)
class InferredRow:
    """A parent inferred (never declared) for a model of a usage's chain, as the report states it."""

    child: str
    parent: str
    relation: str
    source: str
    confidence: float
    family: str = ""
    countries: tuple[str, ...] = ()  # origin countries of the parent and of its family's root, as they stood

    @property
    def source_text(self) -> str:
        """ "from config.json", "from the tokenizer", "from the README, checked against the named model"."""
        label = InferredEdge.Source(self.source).label if self.source in InferredEdge.Source.values else self.source
        return label.removeprefix("Inferred ")

    @property
    def text(self) -> str:
        """ "acme/x probably derives from Qwen/Qwen2.5-7B-Instruct (Qwen/Qwen2.5-7B family; finetune, confidence
        0.92, from config.json)"."""
        family = f"{self.family} family; " if self.family and self.family.lower() != self.parent.lower() else ""
        return (
            f"{self.child} probably derives from {self.parent} ({family}{self.relation}, confidence "
            f"{self.confidence:.2f}, {self.source_text})"
        )

    def as_diagram_edge(self) -> dict:
        return {
            "child": self.child,
            "parent": self.parent,
            "relation": self.relation,
            "source": self.source,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class UsageRow:
    """One model usage of a product as it stood: its model, role and rating, the reasons and the chains."""

    usage_id: int
    model: str
    role: str
    tier: str
    score: int | None
    factors: tuple[dict, ...]
    accepted: tuple[dict, ...]
    chains: tuple[tuple[str, ...], ...]
    inferred: tuple[InferredRow, ...] = ()  # parents inferred for models of the chains: never declared


@dataclass(frozen=True)
class ProductSection:
    risk: ProductRisk
    usages: tuple[UsageRow, ...]

    @property
    def high_usages(self) -> tuple[UsageRow, ...]:
        """The usages rated high or critical: the reasons the product is."""
        return tuple(row for row in self.usages if row.tier in ("high", "critical"))

    @property
    def lower_usages(self) -> int:
        return len(self.usages) - len(self.high_usages)

    @property
    def main_reason(self) -> dict | None:
        """The factor with the most points on the product's riskiest usage: the one-line why of a summary table."""
        factors = self.usages[0].factors if self.usages else ()
        return max(factors, key=lambda f: f["points"], default=None)

    @property
    def models(self) -> tuple[str, ...]:
        """The product's models, each once, riskiest first."""
        return tuple(dict.fromkeys(row.model for row in self.usages))

    @property
    def models_named(self) -> tuple[str, ...]:
        """The models a one-line summary names: those rated high or critical (at most four), else the first three."""
        flagged = tuple(dict.fromkeys(row.model for row in self.high_usages))
        return flagged[:4] if flagged else self.models[:3]

    @property
    def models_unnamed(self) -> int:
        return len(self.models) - len(self.models_named)


@dataclass(frozen=True)
class VendorSection:
    vendor: Any  # the vendor as it stood
    products: tuple[ProductSection, ...]
    worst_tier: str
    factors: tuple[tuple[str, int, int], ...]  # (reason, usages it applies to, points)
    graph: Any  # the lineage drawn (nodes and edges), or None
    graph_complete: bool


@dataclass(frozen=True)
class ChangeRow:
    kind: str
    label: str
    count: int


@dataclass(frozen=True)
class PortfolioReport:
    """Everything a quarterly report shows; the same shape serves a vendor report (one vendor)."""

    quarter: Quarter
    as_of: datetime
    to_date: bool
    state: PortfolioAsOf
    tiers: tuple[TierRow, ...]
    unrated: int
    unrated_previous: int
    vendors_total: int
    products_total: int
    usages_total: int
    by_country: tuple[tuple[str, str, int], ...]  # (code, name, products)
    by_root: tuple[tuple[str, int], ...]
    inferred_by_country: tuple[
        assessment_selectors.InferredOrigin, ...
    ]  # inferred, not declared: never in ``by_country``
    riskiest: tuple[ProductRisk, ...]
    high_critical: tuple[ProductSection, ...]
    changes: tuple[ChangeEvent, ...]
    change_counts: tuple[ChangeRow, ...]
    findings: FindingFlow
    policies: tuple[ScoringPolicy, ...]
    policy_version: int | None
    vendors: tuple[VendorSection, ...]
    collection: CollectionFigures  # questionnaires and attestations
    vendor: Any = None  # set for a vendor report

    @property
    def supply_chain_changes(self) -> tuple[ChangeEvent, ...]:
        """The changes to the models themselves (not usages registered or removed), newest first."""
        kinds = {*assessment_selectors.SUPPLY_CHAIN_CHANGES, ChangeEvent.Kind.MODEL_SWAPPED, *INFERRED_CHANGES}
        return tuple(
            sorted((e for e in self.changes if e.kind in kinds), key=lambda e: (e.occurred_at, e.id), reverse=True)
        )

    @property
    def rated_high_or_worse(self) -> int:
        return sum(row.count for row in self.tiers if row.tier in ("high", "critical"))


def _inferred_rows(state: PortfolioAsOf) -> dict[int, tuple[InferredRow, ...]]:
    """The parents inferred for the models of the usages' chains (model id → rows, most confident first), as the
    last refresh before ``as_of`` inferred them: observed by then and not retired by then (one retired since is
    shown for the past quarter it stood in; one changed since is shown as it is now)."""
    ids = {u.model_id for u in state.usages.values()} | set(state.node_models.values())
    rows: dict[int, list[InferredRow]] = defaultdict(list)
    standing = Q(retired_at__isnull=True) | Q(retired_at__gt=state.as_of)
    edges = (
        InferredEdge.history.filter(standing, child_id__in=ids, observed_at__lte=state.as_of)
        .select_related("child", "parent")
        .order_by("child_id", "-confidence", "parent__name")
    )
    edges = list(edges)
    families = dict(
        AIModel.objects.filter(name__in={edge.family for edge in edges if edge.family}).values_list("name", "publisher")
    )
    for edge in edges:
        origins = (state._origin(edge.parent.publisher_id), state._origin(families.get(edge.family)))
        rows[edge.child_id].append(
            InferredRow(
                child=node_key(edge.child),
                parent=node_key(edge.parent),
                relation=edge.relation,
                source=edge.source,
                confidence=round(edge.confidence, 2),
                family=edge.family,
                countries=tuple(dict.fromkeys(code for code in origins if code)),
            )
        )
    return {pk: tuple(found) for pk, found in rows.items()}


def _inferred_by_country(
    state: PortfolioAsOf, inferred: dict[int, tuple[InferredRow, ...]]
) -> tuple[assessment_selectors.InferredOrigin, ...]:
    """Origin countries of the parents inferred for the models of active products' chains (and of those parents'
    families' roots), with the products each reaches, most first; counted apart from the declared origins."""
    models = state.models({e.model_id for e in state.active_exposures})
    chains = [
        (
            state.usages[e.usage_id].product_id,
            e.model_id,
            (state._origin(models[e.model_id].publisher_id) or "") if e.model_id in models else "",
        )
        for e in state.active_exposures
    ]
    leads: dict[int, dict[str, float]] = {}
    for model_id, rows in inferred.items():
        for row in rows:
            for code in row.countries:
                found = leads.setdefault(model_id, {})
                found[code] = max(found.get(code, 0.0), row.confidence)
    return assessment_selectors.inferred_origins(chains, leads)


def _usage_row(
    state: PortfolioAsOf, usage: Any, models: dict[int, AIModel], inferred: dict[int, tuple[InferredRow, ...]]
) -> UsageRow:
    rating = state.ratings.get(usage.id)
    model = models.get(usage.model_id)
    factors = rating.factors if rating else []
    chains = tuple(tuple(chain) for chain in state.chains(usage.id))
    chain_models = [usage.model_id, *(state.node_models.get(node) for chain in chains for node in chain)]
    return UsageRow(
        usage_id=usage.id,
        model=model.name if model else f"model {usage.model_id}",
        role=ModelUsage.Role(usage.role).label if usage.role in ModelUsage.Role.values else usage.role,
        tier=rating.tier if rating else "",
        score=rating.score if rating else None,
        factors=tuple(f for f in factors if not f.get("accepted")),
        accepted=tuple(f for f in factors if f.get("accepted")),
        chains=chains,
        inferred=tuple(row for pk in dict.fromkeys(chain_models) if pk for row in inferred.get(pk, ())),
    )


def _product_section(
    state: PortfolioAsOf, risk: ProductRisk, models: dict[int, AIModel], inferred: dict[int, tuple[InferredRow, ...]]
) -> ProductSection:
    usages = [_usage_row(state, u, models, inferred) for u in state.usages_by_product.get(risk.pk, ())]
    usages.sort(key=lambda row: (-(TIERS.index(row.tier) if row.tier else -1), -(row.score or 0), row.model))
    return ProductSection(risk=risk, usages=tuple(usages))


def _vendor_graph(state: PortfolioAsOf, products: list[ProductSection]) -> tuple[Any, bool]:
    """The lineage of a vendor's models as it stood (from the exposure paths to the roots), riskiest usages first,
    cut at ``DIAGRAM_NODES`` nodes."""
    ordered = sorted(
        (row for section in products for row in section.usages),
        key=lambda row: (-(TIERS.index(row.tier) if row.tier else -1), -(row.score or 0), row.model),
    )
    nodes: list[str] = []
    edges: list[tuple[str, str]] = []
    complete = True
    for row in ordered:
        chains = row.chains or ((row.model,),)
        wanted = {node for chain in chains for node in chain} - set(nodes)
        if len(nodes) + len(wanted) > DIAGRAM_NODES:
            complete = False
            continue
        for chain in chains:
            for node in chain:
                if node not in nodes:
                    nodes.append(node)
            for child, parent in pairwise(chain):
                if (child, parent) not in edges:
                    edges.append((child, parent))
    return (nodes, edges) if nodes else None, complete


def _graph_for_diagram(
    state: PortfolioAsOf,
    graph: tuple[list[str], list[tuple[str, str]]],
    inferred: dict[int, tuple[InferredRow, ...]] | None = None,
) -> Any:
    """The shape ``vendors.diagrams.lineage_svg`` draws (nodes and edges as in a lineage report, and the inferred
    parents of the nodes drawn, dashed and labelled as not declared)."""
    nodes, edges = graph
    ids = {node: state.node_models.get(node) for node in nodes}
    models = state.models(pk for pk in ids.values() if pk)
    relations = {
        (child, parent): relation
        for child, parent, relation in LineageEdge.objects.filter(
            child_id__in=[pk for pk in ids.values() if pk]
        ).values_list("child_id", "parent_id", "relation")
    }
    rows = []
    for node in nodes:
        model = models.get(ids[node]) if ids[node] else None
        publisher = state.publishers.get(model.publisher_id) if model and model.publisher_id else None
        rows.append(
            {
                "id": node,
                "status": model.status if model else "resolved",
                "publisher": publisher.name if publisher else None,
                "country": str(publisher.country or "") or None if publisher else None,
                "repackager": bool(publisher and "repackager" in (publisher.flags or [])),
                "license": (model.license or None) if model else None,
            }
        )
    edge_rows = [
        {"child": child, "parent": parent, "relation": relations.get((ids[child], ids[parent]), "") or "derived"}
        for child, parent in edges
    ]
    inferred_rows = [
        {**row.as_diagram_edge(), "child": node}
        for node in nodes
        if ids[node]
        for row in (inferred or {}).get(ids[node], ())
    ]
    return _Drawn(nodes=tuple(rows), edges=tuple(edge_rows), inferred_edges=tuple(inferred_rows))


@dataclass(frozen=True)
class _Drawn:
    nodes: tuple[dict, ...]
    edges: tuple[dict, ...]
    inferred_edges: tuple[dict, ...] = ()


def _vendor_factors(products: tuple[ProductSection, ...]) -> tuple[tuple[str, int, int], ...]:
    """The factors behind a vendor's ratings: each reason family (factor code) with how many usages it applies to
    and its largest points, largest first."""
    usages: Counter[str] = Counter()
    points: dict[str, int] = defaultdict(int)
    reasons: dict[str, str] = {}
    for section in products:
        for row in section.usages:
            for factor in row.factors:
                code = factor["code"]
                usages[code] += 1
                if factor["points"] >= points[code]:
                    points[code], reasons[code] = factor["points"], factor["reason"]
    ranked = sorted(usages, key=lambda code: (-points[code], -usages[code], code))
    return tuple((reasons[code], usages[code], points[code]) for code in ranked[:8])


def _tier_rows(state: PortfolioAsOf, previous: PortfolioAsOf) -> tuple[TierRow, ...]:
    now, before = state.products_by_tier(), previous.products_by_tier()
    return tuple(
        TierRow(tier=tier, label=Tier(tier).label, count=now[tier], previous=before[tier]) for tier in reversed(TIERS)
    )


def portfolio_report(
    quarter: Quarter, *, as_of: datetime, to_date: bool, vendor_id: int | None = None
) -> PortfolioReport:
    """The figures of the quarterly report for ``quarter`` as they stood at ``as_of`` (the quarter's last instant,
    or now while it runs), compared with the end of the previous quarter. With ``vendor_id``, the same figures for
    one vendor's products (a vendor report)."""
    state = assessment_selectors.portfolio_as_of(as_of)
    previous = assessment_selectors.portfolio_as_of(min(as_of, quarter.previous.last_instant))
    if vendor_id is not None:
        state, previous = _only_vendor(state, vendor_id), _only_vendor(previous, vendor_id)
    usage_models = state.models(u.model_id for u in state.usages.values() if u.product_id in state.active_products)
    inferred = _inferred_rows(state)
    high_critical = tuple(
        _product_section(state, risk, usage_models, inferred) for risk in state.riskiest(at_least="high")
    )
    vendors = []
    by_vendor: dict[int, list[ProductRisk]] = defaultdict(list)
    for risk in state.product_risks.values():
        by_vendor[risk.product.vendor_id].append(risk)
    for vendor_pk, risks in by_vendor.items():
        risks.sort(key=lambda r: r.name.lower())
        products = tuple(_product_section(state, risk, usage_models, inferred) for risk in risks)
        graph, complete = _vendor_graph(state, list(products))
        worst = max((r.worst_tier for r in risks if r.worst_tier), key=TIERS.index, default="")
        vendors.append(
            VendorSection(
                vendor=state.vendors.get(vendor_pk),
                products=products,
                worst_tier=worst,
                factors=_vendor_factors(products),
                graph=_graph_for_diagram(state, graph, inferred) if graph else None,
                graph_complete=complete,
            )
        )
    vendors.sort(key=lambda v: (v.vendor.name.lower() if v.vendor else "", v.vendor.id if v.vendor else 0))
    end = min(as_of, quarter.last_instant)
    events = assessment_selectors.change_events_between(quarter.start, end)
    if vendor_id is not None:
        events = events.filter(_vendor_events(state))
    events = tuple(events)
    kinds = Counter(event.kind for event in events)
    tiers = _tier_rows(state, previous)
    by_tier = state.products_by_tier()
    return PortfolioReport(
        quarter=quarter,
        as_of=as_of,
        to_date=to_date,
        state=state,
        tiers=tiers,
        unrated=by_tier[""],
        unrated_previous=previous.products_by_tier()[""],
        vendors_total=len({risk.product.vendor_id for risk in state.product_risks.values()}),
        products_total=len(state.active_products),
        usages_total=sum(len(state.usages_by_product.get(pk, ())) for pk in state.active_products),
        by_country=tuple((code, countries.name(code) or code, n) for code, n in state.exposure_by_country()),
        by_root=tuple((model.name, n) for model, n in state.exposure_by_root(limit=None)),
        inferred_by_country=_inferred_by_country(state, inferred),
        riskiest=tuple(state.riskiest(limit=5)),
        high_critical=high_critical,
        changes=events,
        change_counts=tuple(
            ChangeRow(kind, ChangeEvent.Kind(kind).label, n)
            for kind, n in sorted(kinds.items(), key=lambda item: (-item[1], item[0]))
        ),
        findings=assessment_selectors.finding_flow(
            quarter.start, end, at_end=state, usage_ids=list(state.usages) if vendor_id is not None else None
        ),
        policies=tuple(assessment_selectors.policy_versions_between(quarter.start, end)),
        policy_version=state.policy_version,
        vendors=tuple(vendors),
        collection=collection_as_of(
            quarter.start,
            end,
            product_ids=list(state.products) if vendor_id is not None else None,
            vendor_ids=[vendor_id] if vendor_id is not None else None,
        ),
        vendor=state.vendors.get(vendor_id) if vendor_id is not None else None,
    )


def _only_vendor(state: PortfolioAsOf, vendor_id: int) -> PortfolioAsOf:
    """The same moment, restricted to one vendor's products (and their usages, exposure and findings)."""
    products = {pk: p for pk, p in state.products.items() if p.vendor_id == vendor_id}
    usages = {pk: u for pk, u in state.usages.items() if u.product_id in products}
    return PortfolioAsOf(
        as_of=state.as_of,
        vendors={pk: v for pk, v in state.vendors.items() if pk == vendor_id},
        products=products,
        usages=usages,
        ratings={pk: r for pk, r in state.ratings.items() if pk in usages},
        exposures=[e for e in state.exposures if e.usage_id in usages],
        findings={pk: f for pk, f in state.findings.items() if f.usage_id in usages},
        publishers=state.publishers,
        policy_version=state.policy_version,
    )


def _vendor_events(state: PortfolioAsOf):
    """A vendor's changes: those of its products, and those of the models in its lineage that name no product."""
    from django.db.models import Q

    model_ids = {e.model_id for e in state.exposures}
    return Q(product_id__in=list(state.products)) | Q(product__isnull=True, model_id__in=list(model_ids))
