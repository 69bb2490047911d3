"""Rescoring: rating snapshots, exposure rows and findings kept in step with the lineage, in batches with a fixed
number of queries each."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from assessments import selectors
from assessments.models import Exposure, Finding, RiskRating
from assessments.scoring import DISCREPANCY, Policy, Rating, UsageFacts, score_many
from assessments.services.rows import history_record, rows_insert
from assessments.signals import findings_opened_announce, findings_updated_announce, ratings_changed_announce
from riskregistry.collector import collector_paused
from vendors.models import AIModel, ModelUsage
from vendors.selectors import LineageReport, Subgraph, lineage_reports

logger = logging.getLogger(__name__)

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
        ids = ids.filter(pk__any_of=list(usage_ids))
    stored = 0
    batch: list[int] = []
    run = _Run()
    size = max(1, settings.RATINGS_BATCH_SIZE)
    for pk in ids.values_list("pk", flat=True).iterator(chunk_size=size):
        batch.append(pk)
        if len(batch) == size:
            with collector_paused():
                stored += _batch_rate(batch, policy, now, run)
            _statistics_refresh(run)
            batch = []
    if batch:
        with collector_paused():
            stored += _batch_rate(batch, policy, now, run)
    return stored


#: The tables a rescoring fills and reads back by usage in every batch.
_FILLED_TABLES = (RiskRating, Exposure, Finding)


def _statistics_refresh(run: _Run) -> None:
    """On PostgreSQL, have the planner's statistics of the tables this rescoring fills follow their growth: after
    the 1st, 2nd, 4th, 8th... batch, if this run has stored more ratings than the planner believes the table
    holds, ``ANALYZE`` them (a sample: milliseconds).

    A first rescoring grows them from nothing to a row per usage (several for the exposure). Planned with
    statistics from when they were empty (autovacuum analyses only after a delay, or never where it is off), a
    batch's "current rating of these usages" is answered by scanning every current rating through the
    ``(is_current, tier)`` index, so each batch costs more than the one before: 100,000 usages took over ten
    minutes. At most two statements per power of two of batches; none when the statistics already know more
    rows than the run wrote (a rescoring of a part on a worker, a second rescoring)."""
    run.batches += 1
    if connection.vendor != "postgresql" or not run.stored or run.batches & (run.batches - 1):
        return
    quote = connection.ops.quote_name
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [RiskRating._meta.db_table])
            row = cursor.fetchone()
            if row is not None and row[0] >= run.stored:
                return
            cursor.execute(f"ANALYZE {', '.join(quote(model._meta.db_table) for model in _FILLED_TABLES)}")
    except DatabaseError:  # not the tables' owner: the planner keeps what autovacuum gives it
        logger.info("rescoring: could not refresh the planner's statistics", exc_info=True)


class _Run:
    """What one rescoring reads once and shares between its batches: the rows each usage refers to (its product
    and vendor, its model and publisher, host, region), the lineage report of each model and the facts it gives
    (a popular base is used in every batch), and the ratings of facts already scored. Each is read as the run
    first meets it; a change to one during the run (a lineage refresh, an edited product or host) requests a
    rescoring of its own."""

    def __init__(self) -> None:
        self.related: dict[str, dict[int, object]] = {name: {} for name in _USAGE_RELATED}
        self.reports: dict[int, LineageReport] = {}
        self.graph = Subgraph.empty()  # the lineage rows read so far
        self.facts = selectors.FactsShared()
        self.exposure_rows: dict[int, list[tuple[int, int, bool, list[str]]]] = {}
        self.scored: dict[tuple, tuple[UsageFacts, Any]] = {}  # score_many's cache
        self.batches = 0  # batches rated so far
        self.stored = 0  # snapshots stored so far


#: What a usage's rating reads beside the usage itself (``model_usage_queryset()``'s ``select_related``): the
#: relation, and the rows read with it.
_USAGE_RELATED: dict[str, tuple[str, ...]] = {
    "product": ("vendor",),
    "model": ("publisher",),
    "host": (),
    "region": (),
    "declared_by_user": (),
    "retired_by": (),
}


def _usages_lock(usage_ids: Sequence[int], run: _Run) -> list[ModelUsage]:
    """Lock and read the usages (under the lock: a usage removed or changed since the ids were listed is seen as
    it now is), with the rows of ``_USAGE_RELATED`` the run has not read yet: one query per relation that has
    any. Read with each usage, a popular model or a large product would be read, and built in Python, in every
    batch it appears in, and PostgreSQL joins a batch of usages to their products and models by hashing both tables
    whole (a third of a batch's database time at 100,000 usages)."""
    usages = list(ModelUsage.objects.select_for_update().filter(pk__any_of=list(usage_ids)).order_by("pk"))
    for name, below in _USAGE_RELATED.items():
        field = ModelUsage._meta.get_field(name)
        known = run.related[name]
        missing = {getattr(usage, field.attname) for usage in usages} - known.keys() - {None}
        if missing:
            rows = field.related_model._base_manager.select_related(*below).filter(pk__any_of=list(missing))
            known.update((row.pk, row) for row in rows)
        for usage in usages:
            pk = getattr(usage, field.attname)
            field.set_cached_value(usage, known[pk] if pk is not None else None)  # as select_related does
    return usages


@transaction.atomic
def _batch_rate(usage_ids: Sequence[int], policy: Policy, now: datetime, run: _Run | None = None) -> int:
    run = run or _Run()
    usages = _usages_lock(usage_ids, run)
    latest = selectors.current_rating_states(u.pk for u in usages)
    # A new usage of a hub model whose lineage has not been fetched yet is rated once the refresh lands (which
    # rescores it): a rating of "nothing known yet" would only add noise to its history and maybe a finding.
    usages = [u for u in usages if u.pk in latest or not _awaiting_lineage(u.model)]
    ids = [u.pk for u in usages]
    findings = selectors.live_findings(ids)
    reports = lineage_reports([u.model for u in usages], known=run.reports, loaded=run.graph)
    facts = selectors.usage_facts_for(usages, now=now, findings=findings, reports=reports, shared=run.facts)
    ratings = score_many(facts, policy, run.scored)
    factor_rows: dict[int, list[dict]] = {}  # id(rating) -> its rows: usages scored alike share one rating
    snapshots = []
    for usage in usages:
        if usage.is_retired:
            continue  # an ended usage keeps the ratings it had; nothing new is concluded about it
        rating = ratings[usage.pk]
        rows = factor_rows.get(id(rating))
        if rows is None:
            rows = factor_rows[id(rating)] = _factor_rows(rating)
        if latest.get(usage.pk) == (rating.score, rating.tier, rows, rating.policy_version):
            continue  # nothing changed: no new snapshot
        snapshots.append(
            {
                "usage_id": usage.pk,
                "score": rating.score,
                "tier": rating.tier,
                "factors": rows,
                "policy_version": rating.policy_version,
                "inputs_as_of": rating.inputs_as_of,
                "is_current": True,
            }
        )
    if snapshots:
        RiskRating.objects.filter(usage_id__any_of=[s["usage_id"] for s in snapshots], is_current=True).update(
            is_current=False
        )
        ratings_changed_announce(rows_insert(RiskRating, snapshots))
    _findings_sync(usages, ratings, findings, policy, now)
    _exposures_sync(usages, reports, now, run.exposure_rows)
    run.stored += len(snapshots)
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
) -> int:
    """Open a finding for each factor that needs one and has none; remediate findings whose factor has left the
    rating; reopen accepted findings whose acceptance has expired; keep the rest's evidence current. A retired
    product's or an ended usage's findings are closed and none open for it. Returns how many were opened."""
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
                    {
                        "usage_id": usage.pk,
                        "code": code,
                        "trigger": trigger,
                        "title": factor.reason[:500],
                        "evidence": list(factor.evidence),
                        "points": factor.points,
                        "due_date": today + timedelta(days=policy.finding_due_days),
                    }
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
        opened = rows_insert(Finding, opened)
        history_record(Finding, opened, history_type="+", reason="Opened by rescoring", date=now)
        findings_opened_announce(opened)
    if changed:
        bulk_update_with_history(changed, Finding, fields=_FINDING_SYNC_FIELDS, default_date=now)
        findings_updated_announce(changed)
    return len(opened)


def _exposure_rows(report: LineageReport) -> list[tuple[int, int, bool, list[str]]]:
    """The exposure rows of a usage of the report's model: (node's model id, depth, is root, path), one per node
    (the model itself and every ancestor) with the shortest path to it."""
    roots = set(report.roots)
    rows = []
    for node_id, path in selectors.exposure_paths(report).items():
        model = report.models.get(node_id)
        if model is not None:
            rows.append((model.pk, len(path) - 1, node_id in roots, list(path)))
    return rows


def _exposures_sync(
    usages: Sequence[ModelUsage],
    reports: Sequence[LineageReport],
    now: datetime,
    shared: dict[int, list[tuple[int, int, bool, list[str]]]] | None = None,
) -> int:
    """Make each usage's exposure rows match its lineage (``_exposure_rows``); rows only written where something
    differs, each write recorded in the rows' history (what a report of a past quarter reads). ``shared`` (id of
    a report -> its rows) carries the rows between batches that share report objects. Returns how many rows were
    added."""
    shared = {} if shared is None else shared
    existing = {
        (usage_id, model_id): (pk, depth, is_root, path)
        for pk, usage_id, model_id, depth, is_root, path in Exposure.objects.filter(
            usage_id__any_of=[u.pk for u in usages]
        ).values_list("pk", "usage_id", "model_id", "depth", "is_root", "path")
    }
    wanted: dict[tuple[int, int], tuple[int, bool, list[str]]] = {}
    for usage, report in zip(usages, reports, strict=True):
        rows = shared.get(id(report))
        if rows is None:
            rows = shared[id(report)] = _exposure_rows(report)
        for model_id, depth, is_root, path in rows:
            wanted.setdefault((usage.pk, model_id), (depth, is_root, path))
    create, update = [], []
    for (usage_id, model_id), (depth, is_root, path) in wanted.items():
        old = existing.get((usage_id, model_id))
        if old is None:
            create.append(
                {"usage_id": usage_id, "model_id": model_id, "depth": depth, "is_root": is_root, "path": path}
            )
        elif old[1:] != (depth, is_root, path):
            update.append(
                Exposure(pk=old[0], usage_id=usage_id, model_id=model_id, depth=depth, is_root=is_root, path=path)
            )
    gone = [old[0] for key, old in existing.items() if key not in wanted]
    if gone:  # recorded as they were, with the reason, then deleted without a second record: a queryset's
        # delete() would send simple-history each row's post_delete and record it again, reason-less
        history_record(Exposure, gone, history_type="-", reason="Rescoring", date=now)
        Exposure.objects.filter(pk__any_of=gone)._raw_delete(Exposure.objects.db)  # nothing refers to exposure rows
    if create:
        history_record(Exposure, rows_insert(Exposure, create), history_type="+", reason="Rescoring", date=now)
    if update:
        Exposure.objects.bulk_update(update, ["depth", "is_root", "path"])
        history_record(Exposure, [row.pk for row in update], history_type="~", reason="Rescoring", date=now)
    return len(create)


def ratings_refresh_request(*, usage_ids: Iterable[int] | None = None) -> None:
    """Rescore after the current transaction commits (in-process without Redis)."""
    from assessments import tasks

    tasks.ratings_refresh.delay_on_commit(list(usage_ids) if usage_ids is not None else None)


def ratings_refresh_run(*, usage_ids: Iterable[int] | None = None) -> int:
    """What the rescoring task runs. With Celery workers (Redis), more usages than ``RATINGS_CHUNK_SIZE`` are
    handed out in parts of that many, one task each, so the workers share the batches; otherwise (or in the
    embedded mode, where tasks run in-process) they are rescored here. Returns the snapshots stored here (0 when
    handed out: each part stores its own).

    The parts group the usages by model (then by id): a part reads the lineage of the models it rates, so parts
    cut in plain id order, each meeting most of the portfolio's models, read the whole lineage again each (at
    100,000 usages in parts of 5,000, the workers spent more time reading than one process took for all).

    The parts are disjoint and each batch locks its usages (in id order, in one statement), so parts running at
    once never write the same usage; a usage added after the ids were listed is rescored by the request its
    creation makes.
    """
    from assessments import tasks
    from riskregistry.celery import app

    size = max(1, settings.RATINGS_CHUNK_SIZE)
    if app.conf.task_always_eager:
        return ratings_refresh(usage_ids=usage_ids)
    wanted = sorted(set(usage_ids)) if usage_ids is not None else None
    if wanted is not None and len(wanted) <= size:
        return ratings_refresh(usage_ids=wanted)
    usages = ModelUsage.objects.order_by("model_id", "pk")
    if wanted is not None:
        usages = usages.filter(pk__any_of=wanted)
    ids = list(usages.values_list("pk", flat=True))
    if len(ids) <= size:
        return ratings_refresh(usage_ids=ids)
    for start in range(0, len(ids), size):
        tasks.ratings_refresh.delay(ids[start : start + size])
    return 0
