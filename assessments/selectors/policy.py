"""Reads of the scoring policy: the version in force, the history, and what a draft would change (what-if)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from assessments.models import ScoringPolicy
from assessments.scoring import (
    Policy,
    Rating,
    data,
    score_many,
)
from assessments.scoring.policy import TIERS
from assessments.selectors.facts import FactsShared, usage_facts_for
from riskregistry.collector import collector_paused
from vendors.knowledge.provenance import Source, only_secondary
from vendors.models import ModelUsage, Product
from vendors.selectors import LineageReport, Subgraph, lineage_reports, model_usage_queryset


def policy_current() -> Policy:
    """The policy in force: the newest stored version, or the shipped default before any is stored."""
    row = ScoringPolicy.objects.order_by("-version").first()
    return Policy.from_document(row.version, row.document) if row else Policy.default()


def policy_version_queryset() -> QuerySet[ScoringPolicy]:
    return ScoringPolicy.objects.select_related("created_by")


def policy_versions() -> list[ScoringPolicy]:
    return list(policy_version_queryset().order_by("-version"))


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
    retired_usages: int = 0  # usages of retired products, left out as on the dashboard


def policy_what_if(*, draft: Policy, current: Policy | None = None, now: datetime | None = None) -> WhatIf:
    """Score every usage under both policies from the same facts, in batches (a fixed number of queries per
    batch), and list those whose tier would change. Nothing is written. Like the dashboard, only active products
    count: the usages of retired products are left out (and counted, so the page can say so)."""
    current = current or policy_current()
    now = now or timezone.now()
    before: Counter[str] = Counter(dict.fromkeys(TIERS, 0))
    after: Counter[str] = Counter(dict.fromkeys(TIERS, 0))
    changes, score_changes, count = [], 0, 0
    usages = model_usage_queryset().filter(product__status=Product.Status.ACTIVE).order_by("pk")
    batch: list[ModelUsage] = []
    # As rescoring does: each lineage read, and its facts built, once for all batches; each set of facts scored once.
    reports: dict[int, LineageReport] = {}
    graph, shared, scored = Subgraph.empty(), FactsShared(), {}

    def rate(batch: list[ModelUsage]) -> None:
        nonlocal score_changes, count
        with collector_paused():
            found = lineage_reports([u.model for u in batch], known=reports, loaded=graph)
            facts = usage_facts_for(batch, now=now, reports=found, shared=shared)
            olds, news = score_many(facts, current, scored), score_many(facts, draft, scored)
        for usage_id in facts:
            old, new = olds[usage_id], news[usage_id]
            before[old.tier] += 1
            after[new.tier] += 1
            count += 1
            if old.score != new.score:
                score_changes += 1
            if old.tier != new.tier:
                changes.append(TierChange(usage=by_id[usage_id], before=old, after=new))

    by_id: dict[int, ModelUsage] = {}
    size = max(1, settings.RATINGS_BATCH_SIZE)
    for usage in usages.iterator(chunk_size=size):
        by_id[usage.pk] = usage
        batch.append(usage)
        if len(batch) == size:
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
        retired_usages=ModelUsage.objects.filter(product__status=Product.Status.RETIRED).count(),
    )


@dataclass(frozen=True)
class CuratedFact:
    """One curated fact behind the policy (a country list, a licence rule, an evaluation) with its sources."""

    label: str
    detail: str
    sources: tuple[Source, ...]

    @property
    def only_secondary(self) -> bool:
        return only_secondary(self.sources)


def policy_curated_facts(policy: Policy) -> list[tuple[str, list[CuratedFact]]]:
    """The shipped data the policy rests on, by kind, each fact with its sources (primary or secondary)."""
    non_commercial, _ = data.licenses()
    return [
        (
            "Country lists",
            [
                CuratedFact(lst.title, ", ".join(sorted(lst.countries)) + (" (the default)" if lst.default else ""),
                            lst.sources)
                for lst in data.regulation()
            ],
        ),
        (
            "Published security evaluations",
            [CuratedFact(f"{ev.evaluator}: {ev.family}", f"{ev.date}. {ev.summary}", ev.sources)
             for ev in policy.evaluations],
        ),
        (
            "Non-commercial licences",
            [CuratedFact(row.license, row.note, row.sources) for row in non_commercial
             if row.license in policy.non_commercial_licenses],
        ),
        (
            "Licence territory exclusions",
            [CuratedFact(row.key, row.note, row.sources) for row in policy.territory_exclusions],
        ),
    ]  # fmt: skip
