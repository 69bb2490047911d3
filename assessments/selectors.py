"""Reads for assessments: the facts each model usage is scored on, assembled in bulk from the stored graph."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from assessments.models import LIVE_STATUSES, Finding, RiskRating, ScoringPolicy
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
from vendors.models import AIModel, ChangeEvent, ModelUsage
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
    """The shortest path from the report's subject to each of its nodes, parents taken in id order."""
    parents: dict[str, list[str]] = {}
    for edge in report.edges:
        parents.setdefault(edge["child"], []).append(edge["parent"])
    found = {report.subject: (report.subject,)}
    queue = deque([report.subject])
    while queue:
        node = queue.popleft()
        for parent in sorted(set(parents.get(node, ()))):
            if parent not in found:
                found[parent] = (*found[node], parent)
                queue.append(parent)
    return {node["id"]: found.get(node["id"], (node["id"],)) for node in report.nodes}


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
