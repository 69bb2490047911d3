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
4. ``refresh_measure`` (``measure``) times ``lineage_refresh_run`` on a portfolio refresh, counts what reached
   the hub and checks what was stored. Every measured refresh starts from the same state
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
from benchmarks.lineage.measure import RefreshRun, hub_warm_up, refresh_measure
from benchmarks.lineage.report import (
    TARGET_REQUESTS_PER_REPO,
    TARGET_SPEEDUP,
    format_report,
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

NAME = "lineage"
DEFAULT_LATENCY_MS = 50.0
SWEEP_CONCURRENCY = (1, 4, 16, 32)

__all__ = [
    "DEFAULT_CHAIN_LENGTH",
    "DEFAULT_LATENCY_MS",
    "DEFAULT_REPOS",
    "DEFAULT_SEED",
    "DEFAULT_USAGES",
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
    sweep: tuple[int, ...] = (),
    memory: bool = True,
    log: Callable[[str], object] = lambda message: None,
) -> dict[str, Any]:
    """Build the world and the portfolio, measure the refreshes, return the report (plain JSON-able data).

    ``concurrency`` defaults to ``settings.LINEAGE_CONCURRENCY`` (the headline figure). ``memory`` adds one
    identical refresh under tracemalloc: tracing slows allocation several times and would distort the timing.
    ``sweep`` measures those concurrencies too, each from the same reset state.
    """
    from django.conf import settings
    from django.db import connection

    concurrency = concurrency or settings.LINEAGE_CONCURRENCY
    latency = latency_ms / 1000
    started = time.perf_counter()
    world = world_build(repos=repos, chain_length=chain_length, seed=seed)
    portfolio = portfolio_create(world, usages=usages, seed=seed)
    critical = critical_path_requests(world, set(portfolio.seeds))
    bounds = {
        "repos": len(world.nodes),
        "latency": latency,
        "critical": critical,
        "requests": len(world.nodes) + world.file_fetches,
    }
    log(f"lineage: {len(world.nodes)} repos, {portfolio.usages} usages; fake hub at +{latency_ms:g} ms per request")

    with HubProcess(world.records, latency) as hub:
        hub_warm_up(hub, world)
        log(f"lineage: portfolio refresh at concurrency {concurrency}")
        headline = refresh_measure(hub, world, concurrency=concurrency)
        memory_run = None
        if memory:
            log("lineage: the same refresh under tracemalloc")
            memory_run = refresh_measure(hub, world, concurrency=concurrency, trace_memory=True)
        sweep_runs = []
        for value in sweep:
            log(f"lineage: sweep, concurrency {value}")
            sweep_runs.append(headline if value == concurrency else refresh_measure(hub, world, concurrency=value))

    return {
        "benchmark": NAME,
        "config": {
            "repos": repos, "usages": usages, "latency_ms": latency_ms, "chain_length": chain_length,
            "seed": seed, "concurrency": concurrency, "settings_concurrency": settings.LINEAGE_CONCURRENCY,
            "database": connection.vendor, "hub": "FakeHub in a child process",
        },
        **report_figures(
            world=world, portfolio=portfolio, bounds=bounds, headline=headline, memory_run=memory_run,
            sweep_runs=sweep_runs,
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
    group.add_argument(
        "--sweep",
        action="store_true",
        help=f"also measure concurrency {', '.join(map(str, SWEEP_CONCURRENCY))} (adds about a minute)",
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
        sweep=SWEEP_CONCURRENCY if args.sweep else (),
        memory=not args.no_memory,
        log=log,
    )
