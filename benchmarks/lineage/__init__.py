"""Lineage benchmark: one portfolio refresh of 2,000+ model usages over 300+ hub repos, against a slow hub.

What it does, in order (README.md says how to read the numbers):

1. ``world_build`` (``world``) generates a deterministic lineage forest (base models, fine-tunes, GGUF
   quantizations, LoRA adapters found through ``adapter_config.json``, a few merges, one chain as deep as
   ``chain_length``, popular bases shared by many products) as fake-hub records, with the edges the service
   must find.
2. ``HubProcess`` (``hub_process``) serves those records from a ``FakeHub`` in a child process that adds
   ``latency`` to every request. A child process, so the hub's own request handling does not compete with the
   service for this process's GIL (or show up in its memory): the service is measured, not the fake.
3. ``portfolio_create`` (``world``) registers vendors, products and usages in the database with ``bulk_create``.
4. ``refresh_measure`` (``measure``) runs a portfolio refresh through the refresh task, as a worker does (the
   settings' hub client, chunked above ``LINEAGE_CHUNK_SIZE``, claims included): with the embedded runner in
   this process, then on real Celery worker processes over Redis (``benchmarks.workers``). It counts what
   reached the hub and checks what was stored. Every measured refresh starts from the same state
   (``lineage_state_reset``).
5. ``report_figures``, ``format_report`` and ``ok`` (``report``) derive the figures, print them and judge the
   checks.

This package is the benchmark module ``benchmarks.BENCHMARKS`` lists: ``NAME``, ``add_arguments``,
``run_from_args``, ``format_report`` and ``ok``, plus ``run`` and the pieces the tests use.

Django must be set up before ``run`` is called (``python -m benchmarks`` does it on a throwaway database).
Nothing at import time needs Django: the hub's child process imports this package too.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from benchmarks.lineage.hub_process import HubProcess, request_kind
from benchmarks.lineage.measure import RefreshRun, hub_warm_up, refresh_measure, worker_env
from benchmarks.lineage.report import (
    TARGET_REQUESTS_PER_REPO,
    TARGET_SPEEDUP,
    format_report,
    median_run,
    ok,
    report_figures,
)
from benchmarks.lineage.world import (
    DEFAULT_CHAIN_LENGTH,
    DEFAULT_REPOS,
    DEFAULT_SEED,
    DEFAULT_USAGES,
    RELATION_OF_KIND,
    Node,
    Portfolio,
    World,
    critical_path_requests,
    lineage_state_reset,
    portfolio_create,
    usage_targets,
    world_build,
)
from benchmarks.workers import CeleryWorkers, bench_redis_url, redis_problem

NAME = "lineage"
DEFAULT_LATENCY_MS = 50.0
DEFAULT_WORKERS = 2
DEFAULT_REPEATS = 3
SWEEP_CONCURRENCY = (1, 4, 16, 32)

__all__ = [
    "DEFAULT_CHAIN_LENGTH",
    "DEFAULT_LATENCY_MS",
    "DEFAULT_REPEATS",
    "DEFAULT_REPOS",
    "DEFAULT_SEED",
    "DEFAULT_USAGES",
    "DEFAULT_WORKERS",
    "NAME",
    "RELATION_OF_KIND",
    "SWEEP_CONCURRENCY",
    "TARGET_REQUESTS_PER_REPO",
    "TARGET_SPEEDUP",
    "HubProcess",
    "Node",
    "Portfolio",
    "RefreshRun",
    "World",
    "add_arguments",
    "critical_path_requests",
    "format_report",
    "lineage_state_reset",
    "ok",
    "portfolio_create",
    "refresh_measure",
    "request_kind",
    "run",
    "run_from_args",
    "usage_targets",
    "world_build",
]


def run(
    *,
    repos: int = DEFAULT_REPOS,
    usages: int = DEFAULT_USAGES,
    latency_ms: float = DEFAULT_LATENCY_MS,
    chain_length: int = DEFAULT_CHAIN_LENGTH,
    seed: int = DEFAULT_SEED,
    concurrency: int | None = None,
    chunk_size: int | None = None,
    workers: int = DEFAULT_WORKERS,
    repeats: int = DEFAULT_REPEATS,
    redis_url: str | None = None,
    sweep: tuple[int, ...] = (),
    memory: bool = True,
    log: Callable[[str], object] = lambda message: None,
) -> dict[str, Any]:
    """Build the world and the portfolio, measure the refreshes, return the report (plain JSON-able data).

    ``concurrency`` defaults to ``settings.LINEAGE_CONCURRENCY`` (the headline figure). ``memory`` adds one
    identical refresh under tracemalloc: tracing slows allocation several times and would distort the timing.
    ``sweep`` measures those concurrencies too, each from the same reset state. ``chunk_size`` defaults to
    ``settings.LINEAGE_CHUNK_SIZE``. ``workers`` real Celery workers (0: none) run the same refresh over the
    Redis at ``redis_url`` (default ``BENCH_REDIS_URL``, else ``REDIS_URL``); without one that answers, the
    workers run is reported as not run, with the reason. Each runner's refresh is measured ``repeats`` times, each
    from the same reset state: the report's figures are those of the median refresh by wall time (one refresh on a
    shared machine is noisy), with every refresh's wall time listed and checked.
    """
    from django.conf import settings
    from django.db import connection

    concurrency = concurrency or settings.LINEAGE_CONCURRENCY
    chunk_size = chunk_size or settings.LINEAGE_CHUNK_SIZE
    redis_url = bench_redis_url() if redis_url is None else redis_url
    latency = latency_ms / 1000
    started = time.perf_counter()
    world = world_build(repos=repos, chain_length=chain_length, seed=seed)
    portfolio = portfolio_create(world, usages=usages, seed=seed)
    critical = critical_path_requests(world, set(portfolio.seeds))
    bounds = {
        "repos": len(world.nodes),
        "latency": latency,
        "critical": critical,
        "requests": world.requests,
    }
    log(f"lineage: {len(world.nodes)} repos, {portfolio.usages} usages; fake hub at +{latency_ms:g} ms per request")

    with HubProcess(world.records, latency) as hub:
        hub_warm_up(hub, world)
        log(f"lineage: portfolio refresh at concurrency {concurrency}, embedded runner")
        headline_runs = [
            refresh_measure(hub, world, concurrency=concurrency, chunk_size=chunk_size) for _ in range(repeats)
        ]
        headline = median_run(headline_runs)  # the sweep's run at this concurrency
        memory_run = None
        if memory:
            log("lineage: the same refresh under tracemalloc")
            memory_run = refresh_measure(hub, world, concurrency=concurrency, chunk_size=chunk_size, trace_memory=True)
        sweep_runs = []
        for value in sweep:
            log(f"lineage: sweep, concurrency {value}")
            if value == concurrency:
                sweep_runs.append(headline)
            else:
                sweep_runs.append(refresh_measure(hub, world, concurrency=value, chunk_size=chunk_size))
        workers_runs: list[RefreshRun] = []
        workers_note = "--workers 0" if not workers else redis_problem(redis_url)
        if not workers_note:
            env = worker_env(hub, concurrency=concurrency, chunk_size=chunk_size)
            log(f"lineage: starting {workers} Celery workers over Redis")
            with CeleryWorkers(count=workers, redis_url=redis_url, extra_env=env) as pool:
                log("lineage: warm-up refresh on the workers (their first tasks pay for imports and connections)")
                refresh_measure(hub, world, concurrency=concurrency, chunk_size=chunk_size, workers=pool)
                log(f"lineage: portfolio refresh on {workers} Celery workers")
                workers_runs = [
                    refresh_measure(hub, world, concurrency=concurrency, chunk_size=chunk_size, workers=pool)
                    for _ in range(repeats)
                ]
        else:
            log(f"lineage: the workers run is not run: {workers_note}")

    return {
        "benchmark": NAME,
        "config": {
            "repos": repos, "usages": usages, "latency_ms": latency_ms, "chain_length": chain_length,
            "seed": seed, "concurrency": concurrency, "settings_concurrency": settings.LINEAGE_CONCURRENCY,
            "chunk_size": chunk_size, "settings_chunk_size": settings.LINEAGE_CHUNK_SIZE, "workers": workers,
            "repeats": repeats,
            "database": connection.vendor, "hub": "FakeHub in a child process",
        },
        **report_figures(
            world=world, portfolio=portfolio, bounds=bounds, headline_runs=headline_runs, memory_run=memory_run,
            sweep_runs=sweep_runs, workers_runs=workers_runs, workers_note=workers_note,
        ),
        "elapsed_s": time.perf_counter() - started,
    }  # fmt: skip


# ------------------------------------------------------------------------------------------------ command line
def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("lineage")
    group.add_argument("--repos", type=int, default=DEFAULT_REPOS, help=f"unique hub repos (default {DEFAULT_REPOS})")
    group.add_argument("--usages", type=int, default=DEFAULT_USAGES, help=f"model usages (default {DEFAULT_USAGES})")
    group.add_argument("--latency-ms", type=float, default=DEFAULT_LATENCY_MS, help="added to every hub request")
    group.add_argument("--concurrency", type=int, help="headline concurrency (default: settings.LINEAGE_CONCURRENCY)")
    group.add_argument("--chunk-size", type=int, help="seeds per chunk (default: settings.LINEAGE_CHUNK_SIZE)")
    group.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help=f"Celery worker processes for the workers run (default {DEFAULT_WORKERS}; 0: embedded runner only); "
        "needs Redis at BENCH_REDIS_URL or REDIS_URL",
    )
    group.add_argument(
        "--sweep",
        action="store_true",
        help=f"also measure concurrency {', '.join(map(str, SWEEP_CONCURRENCY))} (adds about a minute)",
    )
    group.add_argument(
        "--repeats",
        type=int,
        default=DEFAULT_REPEATS,
        help=f"refreshes measured per runner, the median reported (default {DEFAULT_REPEATS})",
    )
    group.add_argument("--no-memory", action="store_true", help="skip the extra refresh under tracemalloc")
    group.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the generated world and portfolio")


def run_from_args(args: argparse.Namespace, log: Callable[[str], object]) -> dict[str, Any]:
    return run(
        repos=args.repos,
        usages=args.usages,
        latency_ms=args.latency_ms,
        seed=args.seed,
        concurrency=args.concurrency,
        chunk_size=args.chunk_size,
        workers=args.workers,
        repeats=args.repeats,
        sweep=SWEEP_CONCURRENCY if args.sweep else (),
        memory=not args.no_memory,
        log=log,
    )
