"""Reads for assessments: the facts each model usage is scored on, assembled in bulk from the stored graph."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from assessments.models import RiskRating
from assessments.scoring import ChangeFacts, DriftFacts, EdgeFacts, HostFacts, NodeFacts, UsageFacts
from vendors.models import AIModel, ChangeEvent, ModelUsage
from vendors.selectors import LineageReport, lineage_reports, node_key

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


def _facts(usage: ModelUsage, report: LineageReport, changes: dict[int, list[ChangeFacts]], now: datetime):
    fetched = [m.fetched_at for m in report.models.values() if m.kind == AIModel.Kind.HUB and m.fetched_at]
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
    )


def usage_facts_for(usages: Sequence[ModelUsage], *, now: datetime) -> dict[int, UsageFacts]:
    """The facts of every usage, from one load of the lineage subgraph they share and one query for changes.

    ``usages`` should come from ``vendors.selectors.model_usage_queryset()`` (product, vendor, host, region
    loaded).
    """
    if not usages:
        return {}
    reports = lineage_reports([u.model for u in usages])
    model_ids = {m.pk for report in reports for m in report.models.values()}
    changes: dict[int, list[ChangeFacts]] = {}
    unacknowledged = ChangeEvent.objects.filter(
        model_id__in=model_ids, acknowledged_at__isnull=True, kind__in=SUPPLY_CHAIN_CHANGES
    ).values_list("model_id", "kind", "occurred_at", "summary")
    for model_id, kind, occurred_at, summary in unacknowledged:
        changes.setdefault(model_id, []).append(ChangeFacts(kind=kind, at=occurred_at, summary=summary))
    return {usage.pk: _facts(usage, report, changes, now) for usage, report in zip(usages, reports, strict=True)}


def latest_ratings(usage_ids: Iterable[int]) -> dict[int, RiskRating]:
    """The current rating of each usage (its newest snapshot)."""
    latest: dict[int, RiskRating] = {}
    for rating in RiskRating.objects.filter(usage_id__in=list(usage_ids)).order_by("usage_id", "-created_at", "-id"):
        latest.setdefault(rating.usage_id, rating)
    return latest
