"""Running and measuring one portfolio refresh, the way the workers run it.

``refresh_measure`` resets the lineage state and runs a portfolio refresh through the refresh task
(``vendors.tasks.lineage_refresh``) with the settings' hub client pointed at the fake hub (``HF_ENDPOINT``), so
a portfolio above ``LINEAGE_CHUNK_SIZE`` takes the chunked path, claims included. Two modes:

- ``embedded``: the task runs in this process, as in the embedded mode without Redis (the chunks one after
  another, in-process); the SQL statements are counted here and ``lineage_nodes_store`` is timed.
- ``workers``: the refresh is requested with ``lineage_refresh_request`` and run by real Celery worker processes
  over Redis (``benchmarks.workers``); the wall time ends when the refresh is stored as finished, the SQL
  statements are what the workers' tasks sent.

Either way it counts what reached the hub (the hub is its own process and logs every request, whoever sent it)
and checks what was stored, in a ``RefreshRun``.
"""

from __future__ import annotations

import contextlib
import gc
import resource
import sys
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from benchmarks.lineage.hub_process import HubProcess, request_kind
from benchmarks.lineage.world import World, lineage_state_reset

EMBEDDED, WORKERS = "embedded", "workers"


@dataclass
class RefreshRun:
    """What one measured refresh did. ``store_s`` is the time spent in ``lineage_nodes_store`` (embedded mode
    only), ``cpu_s`` the CPU time of the processes that ran it (this one, or the workers' tasks), ``db_queries``
    the SQL statements the refresh sent (transaction statements included; in the workers
    mode, those of the workers' refresh tasks). ``parallel`` is how many processes walk at once, each with
    ``concurrency`` requests in flight (the embedded runner walks its chunks side by side within that one)."""

    mode: str
    concurrency: int
    chunk_size: int
    parallel: int
    traced_memory: bool
    wall_s: float
    cpu_s: float
    store_s: float | None
    db_queries: int | None
    status: str
    nodes_done: int
    nodes_failed: int
    changes: int
    chunks: int
    claims: int
    metadata_requests: int
    repos_requested: int
    max_requests_one_repo: int
    repos_requested_twice: list[str]
    file_requests: int
    identity_requests: int
    storage_requests: int
    other_requests: int
    peak_in_flight: int
    nodes_stored: int
    nodes_resolved: int
    edges_stored: int
    rescoring_requested: bool
    tracemalloc_peak_bytes: int | None
    maxrss_before_bytes: int
    maxrss_bytes: int
    missing_repos: list[str] = field(default_factory=list)
    unexpected_repos: list[str] = field(default_factory=list)
    missing_edges: list[list[str]] = field(default_factory=list)
    unexpected_edges: list[list[str]] = field(default_factory=list)
    error: str = ""


def _maxrss_bytes() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024  # kilobytes on Linux


@contextlib.contextmanager
def _store_timer(spent: list[float]) -> Iterator[None]:
    """Time ``lineage_nodes_store`` (which the refresh looks up as a module global) without changing it."""
    from vendors.services import lineage as lineage_service

    original = lineage_service.lineage_nodes_store

    def timed(**kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(**kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    lineage_service.lineage_nodes_store = timed
    try:
        yield
    finally:
        lineage_service.lineage_nodes_store = original


@contextlib.contextmanager
def hub_settings(hub: HubProcess, *, concurrency: int, chunk_size: int) -> Iterator[None]:
    """The settings a worker of this deployment would have: the hub at ``HF_ENDPOINT``, no token. The synthetic
    hub holds no reference bases, so the refresh walks none (a deployment's portfolio refresh also walks the
    knowledge base's reference bases once each, for the inference)."""
    from django.test import override_settings

    with override_settings(
        HF_ENDPOINT=hub.url,
        HF_TOKEN=None,
        LINEAGE_CONCURRENCY=concurrency,
        LINEAGE_CHUNK_SIZE=chunk_size,
        LINEAGE_REFERENCE_MODELS=[],
    ):
        yield


def worker_env(hub: HubProcess, *, concurrency: int, chunk_size: int) -> dict[str, str]:
    """The same settings for worker processes, as environment variables."""
    return {
        "HF_ENDPOINT": hub.url, "HF_TOKEN": "", "LINEAGE_CONCURRENCY": str(concurrency),
        "LINEAGE_CHUNK_SIZE": str(chunk_size), "LINEAGE_REFERENCE_MODELS": "",
    }  # fmt: skip


def refresh_measure(
    hub: HubProcess,
    world: World,
    *,
    concurrency: int,
    chunk_size: int,
    trace_memory: bool = False,
    workers: Any = None,
) -> RefreshRun:
    """Reset the lineage state, then time one portfolio refresh as the refresh task runs it: in this process
    (``workers`` None) or on the running ``benchmarks.workers.CeleryWorkers``."""
    lineage_state_reset()
    hub.reset_log()
    gc.collect()
    maxrss_before = _maxrss_bytes()
    if workers is None:
        outcome = _run_embedded(hub, concurrency=concurrency, chunk_size=chunk_size, trace_memory=trace_memory)
    else:
        outcome = _run_on_workers(workers)
    return _refresh_run(
        hub, world, outcome, mode=EMBEDDED if workers is None else WORKERS, concurrency=concurrency,
        chunk_size=chunk_size, parallel=1 if workers is None else workers.count, trace_memory=trace_memory,
        maxrss_before=maxrss_before,
    )  # fmt: skip


def _run_embedded(hub: HubProcess, *, concurrency: int, chunk_size: int, trace_memory: bool) -> dict[str, Any]:
    """The refresh task in this process, with Celery eager (the embedded mode): the coordinator, then each
    chunk as its commit hands it over."""
    from django.db import connection
    from django.db.backends.signals import connection_created

    from riskregistry.celery import app
    from vendors import tasks
    from vendors.models import LineageRefresh

    refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.PORTFOLIO)
    spent: list[float] = []
    queries = 0
    counting = threading.Lock()

    def count(execute: Callable[..., Any], *args: Any) -> Any:
        nonlocal queries
        with counting:
            queries += 1
        return execute(*args)

    def count_thread_connections(sender: Any, connection: Any, **kwargs: Any) -> None:
        """The chunks' threads open connections of their own: their statements are counted too."""
        if threading.current_thread() is not threading.main_thread():
            connection.execute_wrappers.append(count)

    # The refresh ends by asking for a rescoring, which a deployment runs as a task of its own (the embedded mode
    # in-process, after the refresh): recorded, not run, so the refresh is measured alone (`--only ratings`).
    rescoring_requests: list[Any] = []
    saved_eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    if trace_memory:
        tracemalloc.start()
    try:
        with (
            hub_settings(hub, concurrency=concurrency, chunk_size=chunk_size),
            _store_timer(spent),
            connection.execute_wrapper(count),
            mock.patch("vendors.services.lineage.usages_rescore_request", lambda **kw: rescoring_requests.append(kw)),
        ):
            started, cpu_started = time.perf_counter(), time.process_time()
            connection_created.connect(count_thread_connections)
            try:
                tasks.lineage_refresh.apply(args=(refresh.pk,), throw=True)
            finally:
                connection_created.disconnect(count_thread_connections)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        traced_peak = tracemalloc.get_traced_memory()[1] if trace_memory else None
    finally:
        app.conf.task_always_eager = saved_eager
        if trace_memory:
            tracemalloc.stop()
    return {"refresh_id": refresh.pk, "wall_s": wall, "cpu_s": cpu, "store_s": sum(spent), "db_queries": queries,
            "rescoring_requested": bool(rescoring_requests), "tracemalloc_peak_bytes": traced_peak}  # fmt: skip


def _run_on_workers(workers: Any) -> dict[str, Any]:
    """The refresh requested as "Refresh now" requests it, run by the worker processes; timed from the request
    to the moment the refresh is stored as finished (its ``finished_at``: one clock, one machine)."""
    from django.utils import timezone

    from vendors.models import LineageRefresh
    from vendors.services.lineage import lineage_refresh_request

    workers.wait_idle()  # the rescoring a previous refresh asked for, say
    workers.task_log_reset()
    requested_at = timezone.now()
    refresh = lineage_refresh_request(scope=LineageRefresh.Scope.PORTFOLIO)
    deadline = time.monotonic() + 600
    while True:
        refresh.refresh_from_db()
        if refresh.status not in (LineageRefresh.Status.QUEUED, LineageRefresh.Status.RUNNING):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"the refresh did not finish on the workers within 600 s:\n{workers.logs()}")
        time.sleep(0.02)
    wall = (refresh.finished_at - requested_at).total_seconds()
    workers.wait_idle()  # the rescoring it asked for: before the next reset, and so its statements are logged
    records = workers.task_log()
    lineage_tasks = [r for r in records if r["task"].startswith("vendors.tasks.lineage_refresh")]
    return {
        "refresh_id": refresh.pk, "wall_s": wall, "store_s": None,
        "cpu_s": sum(r["cpu_s"] for r in lineage_tasks),
        "db_queries": sum(r["db_statements"] for r in lineage_tasks),
        "rescoring_requested": any(r["task"] == "assessments.tasks.ratings_refresh" for r in records),
        "tracemalloc_peak_bytes": None,
    }  # fmt: skip


def _refresh_run(hub: HubProcess, world: World, outcome: dict[str, Any], **config: Any) -> RefreshRun:
    """What reached the hub and what was stored, beside the outcome of the run."""
    from vendors.models import AIModel, LineageEdge, LineageRefresh

    refresh = LineageRefresh.objects.get(pk=outcome["refresh_id"])
    kinds: Counter[str] = Counter()
    per_repo: Counter[str] = Counter()
    for method, path in hub.requests():
        kind, repo_id = request_kind(method, path)
        kinds[kind] += 1
        if repo_id is not None:
            per_repo[repo_id.lower()] += 1
    hub_nodes = AIModel.objects.filter(kind=AIModel.Kind.HUB)
    stored = set(hub_nodes.values_list("name", flat=True))
    resolved = set(hub_nodes.filter(status=AIModel.Status.RESOLVED).values_list("name", flat=True))
    edges = set(LineageEdge.objects.values_list("child__name", "parent__name", "relation"))
    expected_repos, expected_edges = set(world.repo_ids), world.edges
    return RefreshRun(
        mode=config["mode"],
        concurrency=config["concurrency"],
        chunk_size=config["chunk_size"],
        parallel=config["parallel"],
        traced_memory=config["trace_memory"],
        wall_s=outcome["wall_s"],
        cpu_s=outcome["cpu_s"],
        store_s=outcome["store_s"],
        db_queries=outcome["db_queries"],
        status=refresh.status,
        nodes_done=refresh.nodes_done,
        nodes_failed=refresh.nodes_failed,
        changes=refresh.changes,
        chunks=refresh.chunks.count(),
        claims=refresh.claims.count(),
        metadata_requests=kinds["metadata"],
        repos_requested=len(per_repo),
        max_requests_one_repo=max(per_repo.values(), default=0),
        repos_requested_twice=sorted(repo for repo, n in per_repo.items() if n > 1)[:20],
        file_requests=kinds["file"],
        identity_requests=kinds["identity"],
        storage_requests=kinds["storage"],
        other_requests=kinds["other"],
        peak_in_flight=hub.peak_in_flight(),
        nodes_stored=len(stored),
        nodes_resolved=len(resolved & expected_repos),
        edges_stored=len(edges),
        rescoring_requested=outcome["rescoring_requested"],
        tracemalloc_peak_bytes=outcome["tracemalloc_peak_bytes"],
        maxrss_before_bytes=config["maxrss_before"],
        maxrss_bytes=_maxrss_bytes(),
        missing_repos=sorted(expected_repos - resolved)[:20],
        unexpected_repos=sorted(stored - expected_repos)[:20],
        missing_edges=[list(e) for e in sorted(expected_edges - edges)[:20]],
        unexpected_edges=[list(e) for e in sorted(edges - expected_edges)[:20]],
        error=refresh.error,
    )


def hub_warm_up(hub: HubProcess, world: World) -> None:
    """One fetch before timing: the first request pays for imports and a connection, as a fresh worker does."""
    from vendors.hub import HubClient

    HubClient(endpoint=hub.url, token="", timeout=10).fetch(world.repo_ids[0])
