"""Rescoring: rating snapshots, exposure rows and findings kept in step with the lineage, in batches with a fixed
number of queries each."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from assessments import selectors
from assessments.models import Exposure, Finding, RiskRating
from assessments.scoring import DISCREPANCY, Policy, Rating, score
from assessments.signals import findings_opened_announce, findings_updated_announce, ratings_changed_announce
from vendors.models import AIModel, ModelUsage
from vendors.selectors import LineageReport, lineage_reports, model_usage_queryset

_BATCH = 500
_FINDING_SYNC_FIELDS = ["status", "title", "points", "evidence", "resolution", "resolved_at", "updated_at"]


def _factor_row(factor) -> dict:
    return {"code": factor.code, "points": factor.points, "reason": factor.reason, "evidence": list(factor.evidence)}


def _factor_rows(rating: Rating) -> list[dict]:
    """The factors as stored: those that count, then those under a risk acceptance (with its last valid day)."""
    rows = [_factor_row(f) for f in rating.factors]
    for accepted in rating.accepted:
        acceptance = accepted.acceptance
        last_day = (acceptance.until - timedelta(microseconds=1)).astimezone(UTC).date()
        rows.append(
            {
                **_factor_row(accepted.factor),
                "accepted": {
                    "until": last_day.isoformat(),
                    "by": acceptance.by,
                    "justification": acceptance.justification,
                },
            }
        )
    return rows


def ratings_refresh(*, usage_ids: Iterable[int] | None = None, policy: Policy | None = None) -> int:
    """Score every usage (or the given ones) under the policy in force and store a snapshot where the rating
    changed; keep each usage's exposure rows and findings in step. Returns how many snapshots were stored.

    Works in batches with a fixed number of queries per batch: the lineage subgraph, the change events, the live
    findings, the current ratings and the exposure rows are each loaded once per batch, never per usage, and
    written with bulk statements. Each batch locks its usages' rows first, so two rescorings of the same usages
    (a nightly refresh and a risk acceptance, say) take turns instead of both writing a "current" rating.
    """
    policy = policy or selectors.policy_current()
    now = timezone.now()
    ids = ModelUsage.objects.order_by("pk")
    if usage_ids is not None:
        ids = ids.filter(pk__in=list(usage_ids))
    stored = 0
    batch: list[int] = []
    for pk in ids.values_list("pk", flat=True).iterator(chunk_size=_BATCH):
        batch.append(pk)
        if len(batch) == _BATCH:
            stored += _batch_rate(batch, policy, now)
            batch = []
    if batch:
        stored += _batch_rate(batch, policy, now)
    return stored


@transaction.atomic
def _batch_rate(usage_ids: Sequence[int], policy: Policy, now: datetime) -> int:
    # Read under the lock: a usage removed or changed since the ids were listed is seen as it now is.
    usages = list(model_usage_queryset().select_for_update(of=("self",)).filter(pk__in=usage_ids).order_by("pk"))
    latest = selectors.latest_ratings(u.pk for u in usages)
    # A new usage of a hub model whose lineage has not been fetched yet is rated once the refresh lands (which
    # rescores it): a rating of "nothing known yet" would only add noise to its history and maybe a finding.
    usages = [u for u in usages if u.pk in latest or not _awaiting_lineage(u.model)]
    ids = [u.pk for u in usages]
    findings = selectors.live_findings(ids)
    reports = lineage_reports([u.model for u in usages])
    facts = selectors.usage_facts_for(usages, now=now, findings=findings, reports=reports)
    ratings = {usage.pk: score(facts[usage.pk], policy) for usage in usages}
    snapshots = []
    for usage in usages:
        if usage.is_retired:
            continue  # an ended usage keeps the ratings it had; nothing new is concluded about it
        rating = ratings[usage.pk]
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
                is_current=True,
            )
        )
    if snapshots:
        RiskRating.objects.filter(usage_id__in=[s.usage_id for s in snapshots], is_current=True).update(
            is_current=False
        )
        ratings_changed_announce(RiskRating.objects.bulk_create(snapshots))
    _findings_sync(usages, ratings, findings, policy, now)
    _exposures_sync(usages, reports, now)
    return len(snapshots)


def _awaiting_lineage(model: AIModel) -> bool:
    return model.kind == AIModel.Kind.HUB and model.status == AIModel.Status.PENDING and model.fetched_at is None


def _wanted_findings(rating: Rating, policy: Policy) -> dict[str, str]:
    """Factor code → why it needs a finding: a discrepancy, a critical factor, or the top of a critical rating."""
    wanted = {}
    for factor in (*rating.factors, *(a.factor for a in rating.accepted)):
        if factor.code == DISCREPANCY:
            wanted[factor.code] = Finding.Trigger.DISCREPANCY
        elif policy.opens_finding(factor.code):
            wanted[factor.code] = Finding.Trigger.CRITICAL_FACTOR
    if rating.tier == "critical" and rating.factors:
        wanted.setdefault(rating.factors[0].code, Finding.Trigger.CRITICAL_TIER)
    return wanted


def _findings_sync(
    usages: Sequence[ModelUsage],
    ratings: Mapping[int, Rating],
    live: Mapping[int, Mapping[str, Finding]],
    policy: Policy,
    now: datetime,
) -> None:
    """Open a finding for each factor that needs one and has none; remediate findings whose factor has left the
    rating; reopen accepted findings whose acceptance has expired; keep the rest's evidence current. A retired
    product's or an ended usage's findings are closed and none open for it."""
    today = now.astimezone(UTC).date()
    opened, changed = [], []
    for usage in usages:
        rating, findings = ratings[usage.pk], live.get(usage.pk, {})
        ended = "model usage ended" if usage.is_retired else "product was retired"
        if usage.is_retired or usage.product.status != usage.product.Status.ACTIVE:
            for finding in findings.values():  # nobody needs to act on a product or usage no longer in use
                finding.status, finding.resolved_at = Finding.Status.CLOSED, now
                finding.resolution = f"Closed when the {ended} (rescored on {today:%Y-%m-%d})."
                finding._change_reason = f"Closed: the {ended}"
                finding.updated_at = now
                changed.append(finding)
            continue
        present = {f.code: f for f in rating.factors} | {a.factor.code: a.factor for a in rating.accepted}
        for code, trigger in _wanted_findings(rating, policy).items():
            if code not in findings:
                factor = present[code]
                opened.append(
                    Finding(
                        usage=usage,
                        code=code,
                        trigger=trigger,
                        title=factor.reason[:500],
                        evidence=list(factor.evidence),
                        points=factor.points,
                        due_date=today + timedelta(days=policy.finding_due_days),
                    )
                )
        for code, finding in findings.items():
            factor = present.get(code)
            if factor is None:
                finding.status, finding.resolved_at = Finding.Status.REMEDIATED, now
                finding.resolution = f"The factor left the usage's rating when it was rescored on {today:%Y-%m-%d}."
                finding._change_reason = "Remediated: the factor left the rating"
            else:
                refreshed = (factor.reason[:500], factor.points, list(factor.evidence))
                expired = finding.status == Finding.Status.ACCEPTED and finding.accepted_until < today
                if not expired and refreshed == (finding.title, finding.points, finding.evidence):
                    continue
                finding.title, finding.points, finding.evidence = refreshed
                if expired:
                    finding.status = Finding.Status.OPEN
                    finding._change_reason = f"Risk acceptance expired after {finding.accepted_until:%Y-%m-%d}"
                else:
                    finding._change_reason = "Evidence updated by rescoring"
            finding.updated_at = now
            changed.append(finding)
    if opened:
        findings_opened_announce(
            bulk_create_with_history(opened, Finding, default_change_reason="Opened by rescoring", default_date=now)
        )
    if changed:
        bulk_update_with_history(changed, Finding, fields=_FINDING_SYNC_FIELDS, default_date=now)
        findings_updated_announce(changed)


def _exposures_sync(usages: Sequence[ModelUsage], reports: Sequence[LineageReport], now: datetime) -> None:
    """Make each usage's exposure rows match its lineage: one row per node (the model itself and every
    ancestor) with the shortest path to it; rows only written where something differs, each write recorded in
    the rows' history (what a report of a past quarter reads)."""
    ids = [u.pk for u in usages]
    existing = {(e.usage_id, e.model_id): e for e in Exposure.objects.filter(usage_id__in=ids)}
    wanted: dict[tuple[int, int], Exposure] = {}
    for usage, report in zip(usages, reports, strict=True):
        roots = set(report.roots)
        for node_id, path in selectors.exposure_paths(report).items():
            model = report.models.get(node_id)
            if model is None:
                continue
            wanted.setdefault(
                (usage.pk, model.pk),
                Exposure(usage=usage, model=model, depth=len(path) - 1, is_root=node_id in roots, path=list(path)),
            )
    create, update = [], []
    for key, row in wanted.items():
        old = existing.get(key)
        if old is None:
            create.append(row)
        elif (old.depth, old.is_root, old.path) != (row.depth, row.is_root, row.path):
            old.depth, old.is_root, old.path = row.depth, row.is_root, row.path
            update.append(old)
    gone = [old for key, old in existing.items() if key not in wanted]
    if gone:
        _exposure_history_removed(gone, now)
        Exposure.objects.filter(pk__in=[old.pk for old in gone]).delete()
    if create:
        bulk_create_with_history(create, Exposure, default_change_reason="Rescoring", default_date=now)
    if update:
        bulk_update_with_history(
            update, Exposure, ["depth", "is_root", "path"], default_change_reason="Rescoring", default_date=now
        )


def _exposure_history_removed(rows: Sequence[Exposure], now: datetime) -> None:
    """Record removed exposure rows in their history (simple-history records no bulk deletes)."""
    historical = Exposure.history.model
    tracked = historical.tracked_fields
    historical.objects.bulk_create(
        [
            historical(
                history_date=now,
                history_type="-",
                history_change_reason="Rescoring",
                **{field.attname: getattr(row, field.attname) for field in tracked},
            )
            for row in rows
        ],
        batch_size=_BATCH,
    )


def ratings_refresh_request(*, usage_ids: Iterable[int] | None = None) -> None:
    """Rescore after the current transaction commits (in-process without Redis)."""
    from assessments import tasks

    tasks.ratings_refresh.delay_on_commit(list(usage_ids) if usage_ids is not None else None)


def ratings_refresh_run(*, usage_ids: Iterable[int] | None = None) -> int:
    """What the rescoring task runs. With Celery workers (Redis), more usages than ``RATINGS_CHUNK_SIZE`` are
    handed out in parts of that many, in id order, one task each, so the workers share the batches; otherwise
    (or in the embedded mode, where tasks run in-process) they are rescored here. Returns the snapshots stored
    here (0 when handed out: each part stores its own).

    The parts are disjoint and each batch locks its usages, so parts running at once never write the same
    usage; a usage added after the ids were listed is rescored by the request its creation makes.
    """
    from assessments import tasks
    from riskregistry.celery import app

    size = max(1, settings.RATINGS_CHUNK_SIZE)
    if app.conf.task_always_eager:
        return ratings_refresh(usage_ids=usage_ids)
    if usage_ids is None:
        ids = list(ModelUsage.objects.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted(set(usage_ids))
    if len(ids) <= size:
        return ratings_refresh(usage_ids=ids)
    for start in range(0, len(ids), size):
        tasks.ratings_refresh.delay(ids[start : start + size])
    return 0
