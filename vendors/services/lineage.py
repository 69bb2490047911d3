"""Resolve lineage: run a refresh (the hub walk, storing each node as it arrives), request one for the
workers, and record parents that vendors or analysts declare.

A refresh is idempotent: running it twice changes nothing the second time, and one interrupted at any point (a
killed worker) is simply run again from scratch.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import Lower
from django.utils import timezone

from vendors.lineage import RepoSnapshot
from vendors.lineage.discovery import Discovery
from vendors.lineage.gaps import node_outcome
from vendors.lineage.sanitize import clean_text
from vendors.models import (
    AIModel,
    ChangeEvent,
    LineageEdge,
    LineageRefresh,
    LineageRefreshChunk,
    LineageRefreshClaim,
    ModelUsage,
    Product,
)
from vendors.selectors import lineage_problem_counts
from vendors.services.lineage_inference import (
    lineage_infer_after_walk,
    lineage_infer_refresh_subjects,
    walked_files,
)
from vendors.services.lineage_store import HUB_SOURCES, GraphStore
from vendors.services.lineage_walk import WalkLimits, WalkStats, lineage_walk
from vendors.services.model_files import model_files_edges_sync
from vendors.services.rescoring import usages_depending_on, usages_rescore_request
from vendors.signals import change_events_announce

logger = logging.getLogger(__name__)


def lineage_node_store(
    *, snapshot: RepoSnapshot, discovery: Discovery, now: datetime, store: GraphStore | None = None
) -> list[ChangeEvent]:
    """Store one fetched repo and its parent edges; return the change events it recorded."""
    return (store or GraphStore()).store(snapshot, discovery, now)


def refresh_seeds(refresh: LineageRefresh) -> list[str]:
    """The hub repos a refresh starts from."""
    hub = AIModel.objects.filter(kind=AIModel.Kind.HUB)
    if refresh.scope == LineageRefresh.Scope.PRODUCT:
        hub = hub.filter(
            Q(usages__product=refresh.product_id) | Q(child_edges__child__usages__product=refresh.product_id)
        )
    elif refresh.scope == LineageRefresh.Scope.MODELS:
        return list(refresh.model_names)
    else:
        hub = hub.filter(usages__isnull=False)  # retired products too: their records stay current
        if settings.LINEAGE_INFERENCE:  # the bases inference compares with stay fingerprinted and current
            return sorted(set(hub.values_list("name", flat=True)) | set(reference_models()))
    return sorted(set(hub.values_list("name", flat=True)))


def reference_models() -> tuple[str, ...]:
    """The repos the portfolio refresh walks for the inference's references (``LINEAGE_REFERENCE_MODELS``)."""
    from vendors.knowledge.reference_models import reference_model_ids

    configured = settings.LINEAGE_REFERENCE_MODELS
    return tuple(configured) if configured is not None else reference_model_ids()


def lineage_refresh_run(
    *, refresh_id: int, client=None, limits: WalkLimits | None = None, progress=None
) -> LineageRefresh:
    """Run a refresh from scratch: walk the hub from its seeds, store every node as it arrives, count progress.

    Safe to run again after an interruption: the walk recomputes everything, storing is idempotent.
    ``progress(done, known)`` is called after each node (the CLI draws its progress bar with it).
    """
    from vendors.hub import HubClient

    refresh = LineageRefresh.objects.get(pk=refresh_id)
    seeds = refresh_seeds(refresh)
    if client is None and progress is None and len(seeds) > settings.LINEAGE_CHUNK_SIZE:
        return _refresh_fan_out(refresh, seeds)
    client = client or HubClient(requests_per_second=settings.HUB_REQUESTS_PER_SECOND)
    limits = limits or _default_limits()
    now = timezone.now()
    refresh.status, refresh.started_at, refresh.finished_at = LineageRefresh.Status.RUNNING, now, None
    refresh.nodes_done = refresh.nodes_failed = refresh.nodes_known = refresh.changes = 0
    refresh.error, refresh.problems = "", {}
    refresh.save()
    store = GraphStore()
    walked: list = []

    def on_node(snapshot: RepoSnapshot, discovery: Discovery, depth: int) -> None:
        events = lineage_node_store(snapshot=snapshot, discovery=discovery, now=now, store=store)
        walked.append(walked_files(snapshot))
        refresh.nodes_done += 1
        refresh.nodes_failed += node_outcome(snapshot, discovery.gaps)[0] != AIModel.Status.RESOLVED
        refresh.nodes_known = stats.queued
        refresh.changes += len(events)
        if refresh.nodes_done % 25 == 0:  # progress for the UI, without a write per node
            refresh.save(update_fields=["nodes_done", "nodes_failed", "nodes_known", "changes"])
        if progress is not None:
            progress(refresh.nodes_done, refresh.nodes_known)

    stats = WalkStats()
    try:
        lineage_walk(seeds, client=client, on_node=on_node, limits=limits, aliases=store.aliases(), stats=stats)
        lineage_infer_after_walk(walked=walked, client=client, now=now)
    except Exception as error:
        refresh.status = LineageRefresh.Status.FAILED
        refresh.error = clean_text(f"{type(error).__name__}: {error}", 500)
        refresh.finished_at = timezone.now()
        refresh.save()
        raise
    store.depth_limited_mark(stats.depth_limited, max_depth=limits.max_depth)
    refresh.status = LineageRefresh.Status.DONE
    refresh.finished_at = timezone.now()
    if stats.node_limit_reached:
        refresh.error = f"stopped at the limit of {limits.max_nodes} nodes; raise LINEAGE_MAX_NODES"
    refresh.problems = refresh_problem_counts(seeds)
    with transaction.atomic():
        refresh.save()
        _rescore_after(refresh)
    return refresh


def refresh_problem_counts(seeds: Iterable[str]) -> dict[str, int]:
    """The lineage problems (cycles, depth limits, gated or failed nodes, unread sources...) in the ancestry of
    a refresh's seeds, counted by code: what its summary reports besides the counts of nodes."""
    names = {name.lower() for name in seeds if isinstance(name, str)}
    if not names:
        return {}
    models = list(AIModel.objects.annotate(lname=Lower("name")).filter(kind=AIModel.Kind.HUB, lname__in=names))
    return lineage_problem_counts(models)


def _rescore_after(refresh: LineageRefresh) -> None:
    """New lineage facts drive new ratings: rescore what the refresh covered (and, for models, every usage that
    sits on them) once it has committed."""
    if refresh.scope == LineageRefresh.Scope.PORTFOLIO:
        usages_rescore_request()
    elif refresh.scope == LineageRefresh.Scope.PRODUCT:
        usages_rescore_request(
            usage_ids=ModelUsage.objects.filter(product_id=refresh.product_id).values_list("pk", flat=True)
        )
    else:
        names = [name.lower() for name in refresh.model_names]
        models = AIModel.objects.annotate(lname=Lower("name")).filter(
            Q(lname__in=names) | Q(aliases__name__in=refresh.model_names)
        )
        usages_rescore_request(usage_ids=usages_depending_on(models))


def _default_limits() -> WalkLimits:
    return WalkLimits(
        max_depth=settings.LINEAGE_MAX_DEPTH,
        max_nodes=settings.LINEAGE_MAX_NODES,
        concurrency=settings.LINEAGE_CONCURRENCY,
    )


@transaction.atomic
def _refresh_fan_out(refresh: LineageRefresh, seeds: list[str]) -> LineageRefresh:
    """Split a large refresh into chunks of seeds, one Celery task each, so the workers share the walk.

    Running this again (a redelivered coordinator) starts the refresh over: chunks and claims are replaced.
    """
    from riskregistry.celery import app
    from vendors import tasks

    refresh.status, refresh.started_at, refresh.finished_at = LineageRefresh.Status.RUNNING, timezone.now(), None
    refresh.nodes_done = refresh.nodes_failed = refresh.nodes_known = refresh.changes = 0
    refresh.error, refresh.problems = "", {}
    refresh.save()
    refresh.chunks.all().delete()
    # As few chunks as LINEAGE_CHUNK_SIZE allows, of even sizes (280 seeds: 140 + 140, not 250 + 30), so the
    # workers that take them finish together.
    count = -(-len(seeds) // max(1, settings.LINEAGE_CHUNK_SIZE))
    bounds = [len(seeds) * i // count for i in range(count + 1)]
    chunks = LineageRefreshChunk.objects.bulk_create(
        LineageRefreshChunk(refresh=refresh, index=i, seeds=seeds[bounds[i] : bounds[i + 1]]) for i in range(count)
    )
    if app.conf.task_always_eager:  # the embedded mode: the chunks walk side by side in this process
        chunk_ids = [chunk.pk for chunk in chunks]
        transaction.on_commit(lambda: _chunks_run_beside(chunk_ids))
    else:
        for chunk in chunks:
            tasks.lineage_refresh_chunk.delay_on_commit(chunk.pk)
    return refresh


class _SharedHub:
    """One hub client for chunks walked side by side in one process: at most ``limit`` requests in flight between
    them (``LINEAGE_CONCURRENCY`` per process, as on a worker), so a chunk that finishes early leaves its share to
    the others."""

    def __init__(self, client, limit: int) -> None:
        self._client, self._slots = client, threading.BoundedSemaphore(max(1, limit))

    def fetch(self, repo_id: str):
        with self._slots:
            return self._client.fetch(repo_id)

    def fetch_identity(self, *args, **kwargs):
        with self._slots:
            return self._client.fetch_identity(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._client, name)


def _chunks_run_beside(chunk_ids: list[int]) -> None:
    """Walk the chunks of a refresh at once on threads of this process (the embedded mode, where tasks run
    in-process), as workers would take them, rather than one after the other, each waiting for its deepest chain
    in turn; returns when all have finished (the last completes the refresh). The chunks run here, one after
    another, inside a transaction still open (a test's: threads would not see what it holds) and on SQLite, which
    takes one writer at a time (threads would queue for its lock, or fail on it, for no gain)."""
    from django.db import connection

    from vendors import tasks
    from vendors.hub import HubClient

    if len(chunk_ids) == 1 or connection.in_atomic_block or connection.vendor == "sqlite":
        for chunk_id in chunk_ids:
            tasks.lineage_refresh_chunk.delay(chunk_id)  # eager: runs here and now
        return
    client = _SharedHub(HubClient(requests_per_second=settings.HUB_REQUESTS_PER_SECOND), settings.LINEAGE_CONCURRENCY)

    def run(chunk_id: int) -> None:
        try:
            lineage_refresh_chunk_run(chunk_id=chunk_id, worker="embedded", client=client)
        except Exception:  # recorded on the chunk by the service; the thread has no one else to tell
            logger.exception("lineage refresh chunk %s failed", chunk_id)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(pk,), name=f"lineage-chunk-{pk}") for pk in chunk_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def lineage_refresh_chunk_run(
    *, chunk_id: int, worker: str = "", client=None, limits: WalkLimits | None = None
) -> None:
    """Walk one chunk of a large refresh; the last chunk to finish completes the refresh.

    Repos are claimed per refresh, first come first served: a repo (and so its ancestors) claimed by another
    chunk is that chunk's to fetch. A redelivered chunk recognises its own claims and walks them again. A chunk
    that raises (a bug, a database error, the task's time limit) is recorded as a failed part, with the reason,
    and still counts as finished, so the refresh ends ``partial`` or ``failed`` rather than running forever; the
    next refresh walks its seeds again.
    """
    from vendors.hub import HubClient

    chunk = LineageRefreshChunk.objects.select_related("refresh").get(pk=chunk_id)
    if chunk.done_at is not None:
        return
    client = client or HubClient(requests_per_second=settings.HUB_REQUESTS_PER_SECOND)
    limits = limits or _default_limits()
    # Never before the refresh's start, whatever this worker's clock says: the refresh's end infers for the models
    # fingerprinted since its start, and tells a first sight by the same time (lineage_infer_refresh_subjects).
    now = max(timezone.now(), chunk.refresh.started_at or timezone.now())
    chunk.nodes_done = chunk.nodes_failed = chunk.nodes_known = chunk.changes = 0
    chunk.worker, chunk.error = worker[:255], ""
    chunk.save(update_fields=["nodes_done", "nodes_failed", "nodes_known", "changes", "worker", "error"])
    store, stats = GraphStore(), WalkStats()
    walked: list = []

    def claim(repo_ids: list[str]) -> set[str]:
        """Claim these repos for this chunk where no other chunk has: two statements per call, whatever the
        number of repos (the unique constraint decides between chunks claiming at the same moment)."""
        names = {repo_id.lower()[:200] for repo_id in repo_ids}
        LineageRefreshClaim.objects.bulk_create(
            [LineageRefreshClaim(refresh_id=chunk.refresh_id, name=name, chunk=chunk) for name in sorted(names)],
            ignore_conflicts=True,
        )
        owned = set(
            LineageRefreshClaim.objects.filter(refresh_id=chunk.refresh_id, chunk=chunk, name__in=names).values_list(
                "name", flat=True
            )
        )
        return {repo_id.lower() for repo_id in repo_ids if repo_id.lower()[:200] in owned}

    def on_node(snapshot: RepoSnapshot, discovery: Discovery, depth: int) -> None:
        events = lineage_node_store(snapshot=snapshot, discovery=discovery, now=now, store=store)
        walked.append(walked_files(snapshot))
        chunk.nodes_done += 1
        chunk.nodes_failed += node_outcome(snapshot, discovery.gaps)[0] != AIModel.Status.RESOLVED
        chunk.nodes_known = stats.queued
        chunk.changes += len(events)
        if chunk.nodes_done % 25 == 0:
            chunk.save(update_fields=["nodes_done", "nodes_failed", "nodes_known", "changes"])

    try:
        lineage_walk(chunk.seeds, client=client, on_node=on_node, limits=limits, aliases=store.aliases(),
                     stats=stats, claim=claim)  # fmt: skip
        store.depth_limited_mark(stats.depth_limited, max_depth=limits.max_depth)
        # Fingerprints only: the refresh infers once every chunk has stored its own (_refresh_finish_if_last).
        lineage_infer_after_walk(walked=walked, client=client, now=now, infer_parents=False)
    except Exception as error:  # recorded on the chunk: the refresh must finish, with the reason
        logger.exception("lineage refresh %s: chunk %s failed", chunk.refresh_id, chunk.index)
        chunk.error = clean_text(f"{type(error).__name__}: {error}", 500) or type(error).__name__
    chunk.done_at = timezone.now()
    chunk.save(update_fields=["nodes_done", "nodes_failed", "nodes_known", "changes", "done_at", "error"])
    _refresh_finish_if_last(chunk.refresh_id)


def _refresh_finish_if_last(refresh_id: int) -> None:
    """Complete a chunked refresh once every chunk has finished: done, partial (some chunks failed) or failed
    (all of them), with the totals, the reason and the lineage problems of its seeds."""
    with transaction.atomic():
        refresh = LineageRefresh.objects.select_for_update().get(pk=refresh_id)
        if refresh.status != LineageRefresh.Status.RUNNING or refresh.chunks.filter(done_at=None).exists():
            return
        totals = refresh.chunks.aggregate(
            done=Sum("nodes_done"), failed=Sum("nodes_failed"), known=Sum("nodes_known"), changes=Sum("changes")
        )
        refresh.nodes_done, refresh.nodes_failed = totals["done"] or 0, totals["failed"] or 0
        refresh.nodes_known, refresh.changes = totals["known"] or 0, totals["changes"] or 0
        chunks = list(refresh.chunks.order_by("index").values_list("index", "error", "seeds"))
        failed = [(index, error) for index, error, _ in chunks if error]
        refresh.status = LineageRefresh.Status.DONE
        if failed:
            refresh.status = (
                LineageRefresh.Status.FAILED if len(failed) == len(chunks) else LineageRefresh.Status.PARTIAL
            )
            refresh.error = clean_text(
                f"{len(failed)} of {len(chunks)} parts failed (the next refresh walks them again); "
                f"part {failed[0][0] + 1}: {failed[0][1]}",
                500,
            )
        # Inferred parents, against every fingerprint the chunks stored: the same whichever chunk fetched a base.
        claimed = list(refresh.claims.values_list("name", flat=True))
        try:
            with transaction.atomic():  # a savepoint: a failure here must still finish the refresh, with the reason
                lineage_infer_refresh_subjects(names=claimed, since=refresh.started_at, now=timezone.now())
        except Exception as error:
            logger.exception("lineage refresh %s: inferring parents failed", refresh_id)
            if refresh.status == LineageRefresh.Status.DONE:
                refresh.status = LineageRefresh.Status.PARTIAL
            reason = clean_text(f"inferring parents failed: {type(error).__name__}: {error}", 500)
            refresh.error = clean_text(f"{refresh.error}; {reason}" if refresh.error else reason, 500)
        refresh.problems = refresh_problem_counts(seed for _, _, seeds in chunks for seed in seeds)
        refresh.finished_at = timezone.now()
        refresh.save()
        _rescore_after(refresh)


def refresh_progress(refresh: LineageRefresh) -> LineageRefresh:
    """A running chunked refresh counts what its chunks have stored so far."""
    if refresh.status == LineageRefresh.Status.RUNNING and refresh.chunks.exists():
        totals = refresh.chunks.aggregate(
            done=Sum("nodes_done"), failed=Sum("nodes_failed"), known=Sum("nodes_known"), changes=Sum("changes")
        )
        refresh.nodes_done, refresh.nodes_failed = totals["done"] or 0, totals["failed"] or 0
        refresh.nodes_known, refresh.changes = totals["known"] or 0, totals["changes"] or 0
    return refresh


@transaction.atomic
def lineage_refresh_request(
    *, scope: str, product: Product | None = None, model_names: Iterable[str] = (), user=None
) -> LineageRefresh:
    """Record a refresh and hand it over after commit: to the Celery workers with Redis; without Redis (the
    embedded mode) to a thread beside the web server, so the request that asked answers at once and the progress
    page follows the refresh as it runs."""
    from riskregistry.celery import app
    from vendors import tasks

    refresh = LineageRefresh.objects.create(
        scope=scope,
        product=product,
        model_names=list(model_names),
        requested_by=user if user is not None and user.is_authenticated else None,
    )
    if app.conf.task_always_eager and settings.LINEAGE_REFRESH_BESIDE:
        transaction.on_commit(lambda: _refresh_beside(refresh.pk))
    else:
        tasks.lineage_refresh.delay_on_commit(refresh.pk)
    return refresh


def _refresh_beside(refresh_id: int) -> threading.Thread:
    """Run the refresh task's body on a thread of its own (not a daemon: a process that exits waits for it)."""

    def run() -> None:
        from django.db import connection

        from vendors import tasks

        try:
            tasks.lineage_refresh.apply(args=(refresh_id,))
        except Exception:  # recorded on the refresh by the service; the thread has no one else to tell
            logger.exception("lineage refresh %s failed", refresh_id)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=run, name=f"lineage-refresh-{refresh_id}")
    thread.start()
    return thread


@transaction.atomic
def lineage_parent_declare(
    *, child: AIModel, parent_kind: str, parent_name: str, relation: str, source: str, user=None
) -> LineageEdge:
    """Record a parent that no public metadata shows, as the vendor or an analyst states it.

    Declared edges are kept apart from the hub's (their source says who declared them) and a hub refresh never
    removes them.
    """
    from vendors.services.portfolio import ai_model_get_or_create

    if source not in (LineageEdge.Source.VENDOR, LineageEdge.Source.ANALYST):
        raise ValidationError({"source": "A declared parent comes from the vendor or an analyst."})
    parent = ai_model_get_or_create(kind=parent_kind, name=parent_name, declared_source=source)
    if parent.pk == child.pk:
        raise ValidationError({"parent_name": "A model cannot be its own parent."})
    if LineageEdge.objects.filter(child=child, parent=parent).exists():
        raise ValidationError({"parent_name": f"{parent.name} is already a parent of {child.name}."})
    edge = LineageEdge(child=child, parent=parent, relation=relation, source=source, observed_at=timezone.now())
    edge.full_clean()
    edge.save()
    added = ChangeEvent.objects.create(
        kind=ChangeEvent.Kind.PARENT_ADDED,
        model=child,
        summary=clean_text(f"{child.name} declared as derived from {parent.name} ({relation}, per {source})", 500),
        details={"parent": parent.name, "relation": relation, "source": source, "user": getattr(user, "pk", None)},
        occurred_at=edge.observed_at,
    )
    change_events_announce([added])
    model_files_edges_sync(model=child)  # a declared parent replaces parents inferred from uploaded files
    if parent.kind == AIModel.Kind.HUB and parent.fetched_at is None:
        lineage_refresh_request(scope=LineageRefresh.Scope.MODELS, model_names=[parent.name], user=user)
    usages_rescore_request(usage_ids=usages_depending_on([child]))
    return edge


@transaction.atomic
def lineage_parent_remove(*, edge: LineageEdge, user=None) -> None:
    """Remove a declared parent; what the hub says is removed only by the hub."""
    if edge.source in HUB_SOURCES:
        raise ValidationError("This parent comes from the hub's metadata; it changes when the hub's record does.")
    removed = ChangeEvent.objects.create(
        kind=ChangeEvent.Kind.PARENT_REMOVED,
        model=edge.child,
        summary=clean_text(f"{edge.child.name} no longer declared as derived from {edge.parent.name}", 500),
        details={"parent": edge.parent.name, "source": edge.source, "user": getattr(user, "pk", None)},
        occurred_at=timezone.now(),
    )
    change_events_announce([removed])
    child = edge.child
    edge.delete()
    model_files_edges_sync(model=child)  # the last declared parent gone: those inferred from its files return
    usages_rescore_request(usage_ids=usages_depending_on([child]))
