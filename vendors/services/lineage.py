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
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from vendors.lineage import RepoSnapshot
from vendors.lineage.discovery import Discovery
from vendors.lineage.gaps import node_outcome
from vendors.lineage.sanitize import clean_text
from vendors.models import AIModel, ChangeEvent, LineageEdge, LineageRefresh, ModelUsage, Product
from vendors.selectors import lineage_problem_counts
from vendors.services.lineage_chunks import (  # noqa: F401 (the chunk task and the refresh page call them here)
    lineage_refresh_chunk_run,
    lineage_refresh_fan_out,
    refresh_progress,
)
from vendors.services.lineage_identity_reads import IdentityReads
from vendors.services.lineage_inference import lineage_infer_after_walk
from vendors.services.lineage_store import HUB_SOURCES, GraphStore
from vendors.services.lineage_walk import FetchPool, WalkLimits, WalkStats, lineage_walk
from vendors.services.model_files import model_files_edges_sync
from vendors.services.rescoring import usages_depending_on, usages_rescore_request
from vendors.signals import change_events_announce

logger = logging.getLogger(__name__)


def lineage_nodes_store(
    *, nodes: list[tuple[RepoSnapshot, Discovery, int]], now: datetime, store: GraphStore | None = None
) -> list[list[ChangeEvent]]:
    """Store fetched repos and their parent edges (a walk's answers waiting to be stored, in one transaction);
    return the change events each recorded."""
    return (store or GraphStore()).store_many([(snapshot, discovery) for snapshot, discovery, _ in nodes], now)


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
        return lineage_refresh_fan_out(refresh, seeds)
    client = client or HubClient(requests_per_second=settings.HUB_REQUESTS_PER_SECOND)
    limits = limits or walk_limits_default()
    now = timezone.now()
    refresh.status, refresh.started_at, refresh.finished_at = LineageRefresh.Status.RUNNING, now, None
    refresh.nodes_done = refresh.nodes_failed = refresh.nodes_known = refresh.changes = 0
    refresh.error, refresh.problems = "", {}
    refresh.save()
    store = GraphStore(unflushed=True)  # the refresh's final save below flushes
    pool = FetchPool(client, size=limits.concurrency)
    reads = IdentityReads(client=client, pool=pool, now=now)  # the fingerprints' files, read on the walk's threads

    def on_nodes(nodes: list[tuple[RepoSnapshot, Discovery, int]]) -> None:
        stored = lineage_nodes_store(nodes=nodes, now=now, store=store)
        for (snapshot, discovery, _), events in zip(nodes, stored, strict=True):
            reads.node_stored(snapshot, store=store)
            node_progress_count(refresh, snapshot=snapshot, discovery=discovery, events=events, known=stats.queued)
            if progress is not None:
                progress(refresh.nodes_done, refresh.nodes_known)

    stats = WalkStats()
    try:
        with store.commits_unflushed():
            lineage_walk(seeds, client=client, on_nodes=on_nodes, limits=limits, aliases=store.aliases(), stats=stats,
                         pool=pool)  # fmt: skip
            lineage_infer_after_walk(reads=reads, now=now)
    except Exception as error:
        refresh.status = LineageRefresh.Status.FAILED
        refresh.error = clean_text(f"{type(error).__name__}: {error}", 500)
        refresh.finished_at = timezone.now()
        refresh.save()
        raise
    finally:
        reads.cancel()
        pool.close()
    store.depth_limited_mark(stats.depth_limited, max_depth=limits.max_depth)
    refresh.status = LineageRefresh.Status.DONE
    refresh.finished_at = timezone.now()
    if stats.node_limit_reached:
        refresh.error = f"stopped at the limit of {limits.max_nodes} nodes; raise LINEAGE_MAX_NODES"
    refresh.problems = refresh_problem_counts(seeds)
    with transaction.atomic():
        refresh.save()
        refresh_rescore_request(refresh)
    return refresh


def refresh_problem_counts(seeds: Iterable[str]) -> dict[str, int]:
    """The lineage problems (cycles, depth limits, gated or failed nodes, unread sources...) in the ancestry of
    a refresh's seeds, counted by code: what its summary reports besides the counts of nodes."""
    names = {name.lower() for name in seeds if isinstance(name, str)}
    if not names:
        return {}
    hub = AIModel.objects.annotate(lname=Lower("name")).filter(kind=AIModel.Kind.HUB, lname__in=names)
    return lineage_problem_counts(list(hub.only("pk")))  # the ancestries are loaded from the ids


def refresh_rescore_request(refresh: LineageRefresh) -> None:
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


def node_progress_count(record, *, snapshot: RepoSnapshot, discovery: Discovery, events: list, known: int) -> None:
    """Count one stored node on ``record`` (a refresh, or a chunk of one): done, failed, known so far and changes
    recorded, saved every 25 nodes for the progress page rather than with each node."""
    record.nodes_done += 1
    record.nodes_failed += node_outcome(snapshot, discovery.gaps)[0] != AIModel.Status.RESOLVED
    record.nodes_known = known
    record.changes += len(events)
    if record.nodes_done % 25 == 0:
        record.save(update_fields=["nodes_done", "nodes_failed", "nodes_known", "changes"])


def walk_limits_default() -> WalkLimits:
    """The walk's limits from the settings."""
    return WalkLimits(
        max_depth=settings.LINEAGE_MAX_DEPTH,
        max_nodes=settings.LINEAGE_MAX_NODES,
        concurrency=settings.LINEAGE_CONCURRENCY,
    )


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
