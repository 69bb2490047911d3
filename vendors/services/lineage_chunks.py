"""The chunked path of a large refresh: its seeds split into chunks, one Celery task each (or, in the embedded
mode, threads of this process), that share the walk through claims; the last chunk to finish completes the
refresh.

The refresh itself (its seeds, the walk, the summary, the rescoring it asks for) is ``vendors.services.lineage``,
which hands a refresh above ``LINEAGE_CHUNK_SIZE`` seeds to ``lineage_refresh_fan_out``; the functions it shares
with the chunks are imported from it where they are called (it imports this module).
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from vendors.lineage import RepoSnapshot
from vendors.lineage.discovery import Discovery
from vendors.lineage.sanitize import clean_text
from vendors.models import LineageRefresh, LineageRefreshChunk, LineageRefreshClaim
from vendors.services.lineage_identity_reads import IdentityReads
from vendors.services.lineage_inference import lineage_infer_after_walk, lineage_infer_refresh_subjects
from vendors.services.lineage_store import GraphStore
from vendors.services.lineage_walk import FetchPool, WalkLimits, WalkStats, lineage_walk

logger = logging.getLogger(__name__)


@transaction.atomic
def lineage_refresh_fan_out(refresh: LineageRefresh, seeds: list[str]) -> LineageRefresh:
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
    from vendors import tasks
    from vendors.hub import HubClient

    if len(chunk_ids) == 1 or connection.in_atomic_block or connection.vendor == "sqlite":
        for chunk_id in chunk_ids:
            tasks.lineage_refresh_chunk.delay(chunk_id)  # eager: runs here and now
        return
    client = _SharedHub(HubClient(requests_per_second=settings.HUB_REQUESTS_PER_SECOND), settings.LINEAGE_CONCURRENCY)
    # One pool of fetching threads for all the chunks, as many as requests allowed in flight: the deepest repo any
    # chunk asked for goes first, and no thread waits for a share held by another chunk's.
    pool = FetchPool(client, size=settings.LINEAGE_CONCURRENCY)

    def run(chunk_id: int) -> None:
        try:
            lineage_refresh_chunk_run(chunk_id=chunk_id, worker="embedded", client=client, pool=pool)
        except Exception:  # recorded on the chunk by the service; the thread has no one else to tell
            logger.exception("lineage refresh chunk %s failed", chunk_id)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(pk,), name=f"lineage-chunk-{pk}") for pk in chunk_ids]
    with pool:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def lineage_refresh_chunk_run(
    *, chunk_id: int, worker: str = "", client=None, limits: WalkLimits | None = None, pool: FetchPool | None = None
) -> None:
    """Walk one chunk of a large refresh; the last chunk to finish completes the refresh.

    Repos are claimed per refresh, first come first served: a repo (and so its ancestors) claimed by another
    chunk is that chunk's to fetch. A redelivered chunk recognises its own claims and walks them again. A chunk
    that raises (a bug, a database error, the task's time limit) is recorded as a failed part, with the reason,
    and still counts as finished, so the refresh ends ``partial`` or ``failed`` rather than running forever; the
    next refresh walks its seeds again.
    """
    from vendors.hub import HubClient
    from vendors.services.lineage import lineage_nodes_store, node_progress_count, walk_limits_default

    chunk = LineageRefreshChunk.objects.select_related("refresh").get(pk=chunk_id)
    if chunk.done_at is not None:
        return
    client = client or HubClient(requests_per_second=settings.HUB_REQUESTS_PER_SECOND)
    limits = limits or walk_limits_default()
    # Never before the refresh's start, whatever this worker's clock says: the refresh's end infers for the models
    # fingerprinted since its start, and tells a first sight by the same time (lineage_infer_refresh_subjects).
    now = max(timezone.now(), chunk.refresh.started_at or timezone.now())
    chunk.nodes_done = chunk.nodes_failed = chunk.nodes_known = chunk.changes = 0
    chunk.worker, chunk.error = worker[:255], ""
    chunk.save(update_fields=["nodes_done", "nodes_failed", "nodes_known", "changes", "worker", "error"])
    store, stats = GraphStore(unflushed=True), WalkStats()  # the chunk's final save below flushes
    own_pool = pool is None
    pool = pool if pool is not None else FetchPool(client, size=limits.concurrency)
    reads = IdentityReads(client=client, pool=pool, now=now)  # the fingerprints' files, read on the walk's threads

    def claim(repo_ids: list[str]) -> set[str]:
        owned = repos_claim(chunk, {repo_id.lower()[:200] for repo_id in repo_ids})
        return {repo_id.lower() for repo_id in repo_ids if repo_id.lower()[:200] in owned}

    def on_nodes(nodes: list[tuple[RepoSnapshot, Discovery, int]]) -> None:
        stored = lineage_nodes_store(nodes=nodes, now=now, store=store)
        for (snapshot, discovery, _), events in zip(nodes, stored, strict=True):
            reads.node_stored(snapshot, store=store)
            node_progress_count(chunk, snapshot=snapshot, discovery=discovery, events=events, known=stats.queued)

    try:
        with store.commits_unflushed():
            lineage_walk(chunk.seeds, client=client, on_nodes=on_nodes, limits=limits, aliases=store.aliases(),
                         stats=stats, claim=claim, pool=pool)  # fmt: skip
            store.depth_limited_mark(stats.depth_limited, max_depth=limits.max_depth)
            # Fingerprints only: the refresh infers once every chunk has stored its own (_refresh_finish_if_last).
            lineage_infer_after_walk(reads=reads, now=now, infer_parents=False)
    except Exception as error:  # recorded on the chunk: the refresh must finish, with the reason
        logger.exception("lineage refresh %s: chunk %s failed", chunk.refresh_id, chunk.index)
        chunk.error = clean_text(f"{type(error).__name__}: {error}", 500) or type(error).__name__
    finally:
        reads.cancel()
        if own_pool:
            pool.close()
    chunk.done_at = timezone.now()
    chunk.save(update_fields=["nodes_done", "nodes_failed", "nodes_known", "changes", "done_at", "error"])
    _refresh_finish_if_last(chunk.refresh_id)


def repos_claim(chunk: LineageRefreshChunk, names: set[str]) -> set[str]:
    """Claim these repos (lower-case ids) for ``chunk`` where no other chunk of its refresh has; return those it
    holds, the ones it claimed before included (a redelivered chunk recognises its own). The unique constraint
    decides between chunks claiming at the same moment. On PostgreSQL one statement whatever the number of repos
    (an insert that, on a conflict, touches the row only when the chunk is its own, and returns what it holds);
    elsewhere two."""
    if not names:
        return set()
    if connection.vendor != "postgresql":
        LineageRefreshClaim.objects.bulk_create(
            [LineageRefreshClaim(refresh_id=chunk.refresh_id, name=name, chunk=chunk) for name in sorted(names)],
            ignore_conflicts=True,
        )
        held = LineageRefreshClaim.objects.filter(refresh_id=chunk.refresh_id, chunk=chunk, name__in=names)
        return set(held.values_list("name", flat=True))
    meta, quote = LineageRefreshClaim._meta, connection.ops.quote_name  # the names are the model's, never input
    table, refresh, name, owner = (
        quote(meta.db_table),
        quote(meta.get_field("refresh").column),
        quote(meta.get_field("name").column),
        quote(meta.get_field("chunk").column),
    )
    sql = (
        f"INSERT INTO {table} AS claim ({refresh}, {name}, {owner})"  # noqa: S608
        f" SELECT %s, wanted, %s FROM unnest(%s::text[]) AS wanted"
        f" ON CONFLICT ({refresh}, {name}) DO UPDATE SET {owner} = EXCLUDED.{owner}"
        f" WHERE claim.{owner} = EXCLUDED.{owner} RETURNING {name}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [chunk.refresh_id, chunk.pk, sorted(names)])
        return {row[0] for row in cursor.fetchall()}


def _refresh_finish_if_last(refresh_id: int) -> None:
    """Complete a chunked refresh once every chunk has finished: done, partial (some chunks failed) or failed
    (all of them), with the totals, the reason and the lineage problems of its seeds."""
    from vendors.services.lineage import refresh_problem_counts, refresh_rescore_request

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
        refresh_rescore_request(refresh)


def refresh_progress(refresh: LineageRefresh) -> LineageRefresh:
    """A running chunked refresh counts what its chunks have stored so far."""
    if refresh.status == LineageRefresh.Status.RUNNING and refresh.chunks.exists():
        totals = refresh.chunks.aggregate(
            done=Sum("nodes_done"), failed=Sum("nodes_failed"), known=Sum("nodes_known"), changes=Sum("changes")
        )
        refresh.nodes_done, refresh.nodes_failed = totals["done"] or 0, totals["failed"] or 0
        refresh.nodes_known, refresh.changes = totals["known"] or 0, totals["changes"] or 0
    return refresh
