"""Writes for assessments: rating snapshots."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from assessments import selectors
from assessments.models import RiskRating
from assessments.scoring import Policy, Rating, score
from vendors.selectors import model_usage_queryset

_BATCH = 500


def _factor_rows(rating: Rating) -> list[dict]:
    return [
        {"code": f.code, "points": f.points, "reason": f.reason, "evidence": list(f.evidence)} for f in rating.factors
    ]


def ratings_refresh(*, usage_ids: Iterable[int] | None = None, policy: Policy | None = None) -> int:
    """Score every usage (or the given ones) and store a snapshot where the rating changed; returns how many.

    Works in batches with a fixed number of queries per batch: the lineage subgraph, the change events and the
    latest ratings are each loaded once per batch, never per usage.
    """
    policy = policy or Policy.default()
    now = timezone.now()
    usages = model_usage_queryset().order_by("pk")
    if usage_ids is not None:
        usages = usages.filter(pk__in=list(usage_ids))
    stored = 0
    batch = []
    for usage in usages.iterator(chunk_size=_BATCH):
        batch.append(usage)
        if len(batch) == _BATCH:
            stored += _batch_rate(batch, policy, now)
            batch = []
    if batch:
        stored += _batch_rate(batch, policy, now)
    return stored


@transaction.atomic
def _batch_rate(usages, policy: Policy, now) -> int:
    facts = selectors.usage_facts_for(usages, now=now)
    latest = selectors.latest_ratings(u.pk for u in usages)
    snapshots = []
    for usage in usages:
        rating = score(facts[usage.pk], policy)
        rows = _factor_rows(rating)
        current = latest.get(usage.pk)
        if current is not None and (current.score, current.tier, current.factors, current.policy_version) == (
            rating.score,
            rating.tier,
            rows,
            rating.policy_version,
        ):
            continue  # nothing changed: no new snapshot
        snapshots.append(
            RiskRating(
                usage=usage,
                score=rating.score,
                tier=rating.tier,
                factors=rows,
                policy_version=rating.policy_version,
                inputs_as_of=rating.inputs_as_of,
            )
        )
    RiskRating.objects.bulk_create(snapshots)
    return len(snapshots)


def ratings_refresh_request(*, usage_ids: Iterable[int] | None = None) -> None:
    """Rescore after the current transaction commits (in-process without Redis)."""
    from assessments import tasks

    tasks.ratings_refresh.delay_on_commit(list(usage_ids) if usage_ids is not None else None)
