"""Running and measuring one portfolio refresh.

``refresh_measure`` resets the lineage state, times ``lineage_refresh_run`` with the real hub client, counts
what reached the hub and what the database was sent, and records what was stored, in a ``RefreshRun``.
"""

from __future__ import annotations

import contextlib
import gc
import resource
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from benchmarks.lineage.hub_process import HubProcess, request_kind
from benchmarks.lineage.world import World, lineage_state_reset


@dataclass
class RefreshRun:
    """What one measured refresh did. ``store_s`` is the time spent in ``lineage_node_store`` on the walk's
    calling thread, ``db_queries`` the SQL statements the refresh sent (transaction statements included)."""

    concurrency: int
    traced_memory: bool
    wall_s: float
    store_s: float
    db_queries: int
    status: str
    nodes_done: int
    nodes_failed: int
    changes: int
    metadata_requests: int
    repos_requested: int
    max_requests_one_repo: int
    repos_requested_twice: list[str]
    file_requests: int
    identity_requests: int
    other_requests: int
    peak_in_flight: int
    nodes_stored: int
    nodes_resolved: int
    edges_stored: int
    tracemalloc_peak_bytes: int | None
    maxrss_before_bytes: int
    maxrss_bytes: int
    missing_repos: list[str] = field(default_factory=list)
    unexpected_repos: list[str] = field(default_factory=list)
    missing_edges: list[list[str]] = field(default_factory=list)
    unexpected_edges: list[list[str]] = field(default_factory=list)


def _maxrss_bytes() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024  # kilobytes on Linux


@contextlib.contextmanager
def _store_timer(spent: list[float]) -> Iterator[None]:
    """Time ``lineage_node_store`` (which the refresh looks up as a module global) without changing it."""
    from vendors.services import lineage as lineage_service

    original = lineage_service.lineage_node_store

    def timed(**kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(**kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    lineage_service.lineage_node_store = timed
    try:
        yield
    finally:
        lineage_service.lineage_node_store = original


def refresh_measure(hub: HubProcess, world: World, *, concurrency: int, trace_memory: bool = False) -> RefreshRun:
    """Reset the lineage state, then time one portfolio refresh with the real hub client."""
    from django.db import connection

    from vendors.hub import HubClient
    from vendors.models import AIModel, LineageEdge, LineageRefresh
    from vendors.services.lineage import lineage_refresh_run
    from vendors.services.lineage_walk import WalkLimits

    lineage_state_reset()
    refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.PORTFOLIO)
    client = HubClient(endpoint=hub.url, token="", timeout=10)
    limits = WalkLimits(max_depth=32, max_nodes=20000, concurrency=concurrency)
    hub.reset_log()
    spent: list[float] = []
    queries = 0

    def count(execute: Callable[..., Any], *args: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(*args)

    # The refresh ends by asking for a rescoring, which a deployment runs as a task of its own (without Redis it
    # would run inline here): recorded, not run, so the refresh is measured alone (`--only ratings` measures it).
    rescoring_requests: list[Any] = []

    def rescore_request(**kwargs: Any) -> None:
        rescoring_requests.append(kwargs)

    gc.collect()
    maxrss_before = _maxrss_bytes()
    if trace_memory:
        tracemalloc.start()
    try:
        with (
            _store_timer(spent),
            connection.execute_wrapper(count),
            mock.patch("vendors.services.lineage.usages_rescore_request", rescore_request),
        ):
            started = time.perf_counter()
            refresh = lineage_refresh_run(refresh_id=refresh.pk, client=client, limits=limits)
            wall = time.perf_counter() - started
        if not rescoring_requests:
            raise RuntimeError("the refresh asked for no rescoring: ratings would not follow the new lineage")
        traced_peak = tracemalloc.get_traced_memory()[1] if trace_memory else None
    finally:
        if trace_memory:
            tracemalloc.stop()

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
        concurrency=concurrency,
        traced_memory=trace_memory,
        wall_s=wall,
        store_s=sum(spent),
        db_queries=queries,
        status=refresh.status,
        nodes_done=refresh.nodes_done,
        nodes_failed=refresh.nodes_failed,
        changes=refresh.changes,
        metadata_requests=kinds["metadata"],
        repos_requested=len(per_repo),
        max_requests_one_repo=max(per_repo.values(), default=0),
        repos_requested_twice=sorted(repo for repo, n in per_repo.items() if n > 1)[:20],
        file_requests=kinds["file"],
        identity_requests=kinds["identity"],
        other_requests=kinds["other"],
        peak_in_flight=hub.peak_in_flight(),
        nodes_stored=len(stored),
        nodes_resolved=len(resolved & expected_repos),
        edges_stored=len(edges),
        tracemalloc_peak_bytes=traced_peak,
        maxrss_before_bytes=maxrss_before,
        maxrss_bytes=_maxrss_bytes(),
        missing_repos=sorted(expected_repos - resolved)[:20],
        unexpected_repos=sorted(stored - expected_repos)[:20],
        missing_edges=[list(e) for e in sorted(expected_edges - edges)[:20]],
        unexpected_edges=[list(e) for e in sorted(edges - expected_edges)[:20]],
    )


def hub_warm_up(hub: HubProcess, world: World) -> None:
    """One fetch before timing: the first request pays for imports and a connection, as a fresh worker does."""
    from vendors.hub import HubClient

    HubClient(endpoint=hub.url, token="", timeout=10).fetch(world.repo_ids[0])
