"""Ratings benchmark: rescoring a portfolio of 10,000 model usages, its wall time and SQL query count.

The issue: *rescoring 10,000 model usages: wall time and SQL query count. Target: the query count does not
grow with the portfolio, and the whole portfolio rescoring in under 30 s.* ``ratings_refresh`` works in
batches of ``RATINGS_BATCH_SIZE`` usages with a fixed number of queries per batch, so the count should grow
with the number of batches only; the benchmark measures it at two sizes to show that it does.

What it does, in order (README.md says how to read the numbers):

1. ``world_plan`` (``world``) generates a deterministic world: publishers (some in countries of concern,
   some on sanctions lists, re-packagers), hosts and regions, a lineage forest of hub models (base models,
   fine-tunes, GGUF quantizations, LoRA adapters, merges; every family as deep as ``MAX_DEPTH``), closed and
   vendor-declared models, vendors, products, usages and change events. ``world_store`` writes it with
   ``bulk_create``: no hub, no lineage walk.
2. ``rescore_measure`` (``measure``) times the first rescoring of a small portfolio (1,000 usages), then, on a
   rebuilt full-size one, the first rescoring (every usage gets a snapshot) and a second with nothing changed
   (no snapshot), counting SQL statements with ``connection.execute_wrapper``.
3. With ``workers``, ``rescore_on_workers`` (``workers``) takes the portfolio back to before its first
   rescoring and has real Celery worker processes over Redis rescore it, as a deployment does: the rescoring
   task hands the portfolio out in parts of ``RATINGS_CHUNK_SIZE`` usages, which the workers share.
4. ``report_figures``, ``format_report`` and ``ok`` (``report``) derive the figures, print them and judge the
   checks: a snapshot per usage, none the second time, queries per batch the same at both sizes and on the
   workers.

In this process only the public ``assessments.services.ratings_refresh()`` is called, as a worker would, and on
the workers the run is requested with ``ratings_refresh_request()``, so the benchmark keeps measuring the service
as it grows (findings, exposures, ...). ``world_delete`` removes the rows again.

This package is the benchmark module ``benchmarks.BENCHMARKS`` lists: ``NAME``, ``add_arguments``,
``run_from_args``, ``format_report`` and ``ok``, plus ``run`` and the pieces the tests use. Django must be set
up before ``run`` is called (``python -m benchmarks`` does it on a throwaway database).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from benchmarks.ratings.measure import (
    RescoreRun,
    preview_measure,
    ratings_summary,
    rescore_measure,
    rescore_profile,
    statement_kind,
)
from benchmarks.ratings.report import PER_BATCH_SLACK, TARGET_WALL_S, TOTAL_SLACK, format_report, ok, report_figures
from benchmarks.ratings.workers import ratings_state_reset, rescore_on_workers
from benchmarks.ratings.world import DEFAULT_SEED, MAX_DEPTH, Plan, world_delete, world_plan, world_store
from benchmarks.workers import CeleryWorkers, bench_redis_url, redis_problem

NAME = "ratings"
DEFAULT_USAGES = 10_000
DEFAULT_SMALL = 1_000

__all__ = [
    "DEFAULT_SEED",
    "DEFAULT_SMALL",
    "DEFAULT_USAGES",
    "MAX_DEPTH",
    "NAME",
    "PER_BATCH_SLACK",
    "TARGET_WALL_S",
    "TOTAL_SLACK",
    "Plan",
    "RescoreRun",
    "add_arguments",
    "format_report",
    "ok",
    "ratings_state_reset",
    "ratings_summary",
    "rescore_measure",
    "rescore_on_workers",
    "rescore_profile",
    "run",
    "run_from_args",
    "statement_kind",
    "world_delete",
    "world_plan",
    "world_store",
]


def run(
    *,
    usages: int = DEFAULT_USAGES,
    small: int = DEFAULT_SMALL,
    seed: int = DEFAULT_SEED,
    profile: bool = False,
    workers: int = 0,
    redis_url: str | None = None,
    chunk_size: int | None = None,
    log: Callable[[str], object] = lambda message: None,
) -> dict[str, Any]:
    """Build the small portfolio and rescore it, then the full-size one twice; return the report (plain
    JSON-able data). ``profile`` adds a first rescoring under cProfile on a rebuilt portfolio (profiling slows
    it, so it is not the timed run). ``workers`` real Celery workers (0: none) then rescore the same portfolio
    from scratch over the Redis at ``redis_url`` (default ``BENCH_REDIS_URL``, else ``REDIS_URL``), the task
    handing it out in parts of ``chunk_size`` usages (default ``settings.RATINGS_CHUNK_SIZE``).

    Starts by deleting every portfolio row and lineage node in the database (a benchmark run before this one
    may have left its own) and ends by deleting what it created, also when it fails.
    """
    from django.conf import settings
    from django.db import connection

    chunk_size = chunk_size or settings.RATINGS_CHUNK_SIZE
    redis_url = bench_redis_url() if redis_url is None else redis_url
    workers_run, workers_note = None, "--ratings-workers 0" if not workers else redis_problem(redis_url)
    if not 10 <= small < usages:
        raise ValueError("the small portfolio needs at least 10 usages and fewer than the full-size one")
    started = time.perf_counter()
    world_delete()
    try:
        small_plan = world_plan(usages=small, seed=seed)
        log(f"ratings: building the small portfolio ({small:,} usages)")
        world_store(small_plan, log=log)
        log("ratings: first rescoring of the small portfolio")
        small_run = rescore_measure("first, small")
        world_delete()

        plan = world_plan(usages=usages, seed=seed)
        log(f"ratings: building the portfolio ({usages:,} usages)")
        building = time.perf_counter()
        world_store(plan, log=log)
        build_s = time.perf_counter() - building
        log("ratings: first rescoring (every usage gets a snapshot)")
        first = rescore_measure("first")
        log(f"ratings: {first.wall_s:.2f} s, {first.db_queries:,} SQL queries; second rescoring, nothing changed")
        ratings = ratings_summary()
        second = rescore_measure("second")
        log("ratings: policy preview (what-if) over the whole portfolio")
        preview = preview_measure()
        if not workers_note:
            log(f"ratings: first rescoring again, on {workers} Celery workers (parts of {chunk_size:,} usages)")
            ratings_state_reset()
            env = {"RATINGS_CHUNK_SIZE": str(chunk_size)}
            with CeleryWorkers(count=workers, redis_url=redis_url, extra_env=env) as pool:
                workers_run = rescore_on_workers(pool)
            log(f"ratings: {workers_run['wall_s']:.2f} s on {workers} workers")
        profiled = None
        if profile:
            log("ratings: rebuilding the portfolio for a first rescoring under cProfile")
            world_delete()
            world_store(plan, log=log)
            profiled = rescore_profile()
    finally:
        deleting = time.perf_counter()
        world_delete()
        log(f"ratings: portfolio deleted ({time.perf_counter() - deleting:.1f} s)")

    return {
        "benchmark": NAME,
        "config": {
            "usages": usages, "small": small, "seed": seed, "database": connection.vendor, "workers": workers,
            "chunk_size": chunk_size,
        },
        **report_figures(
            world=plan.summary(), small_world=small_plan.summary(), build_s=build_s, small=small_run, first=first,
            second=second, preview=preview, ratings=ratings, profile=profiled, workers=workers_run,
            workers_note=workers_note,
        ),
        "elapsed_s": time.perf_counter() - started,
    }  # fmt: skip


# ------------------------------------------------------------------------------------------------ command line
def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("ratings")
    group.add_argument(
        "--ratings-usages", type=int, default=DEFAULT_USAGES, help=f"model usages rescored (default {DEFAULT_USAGES:,})"
    )
    group.add_argument(
        "--ratings-small",
        type=int,
        default=DEFAULT_SMALL,
        help=f"usages of the smaller portfolio the query count is compared with (default {DEFAULT_SMALL:,})",
    )
    group.add_argument("--ratings-seed", type=int, default=DEFAULT_SEED, help="seed of the generated portfolios")
    group.add_argument(
        "--ratings-workers",
        type=int,
        default=0,
        help="also rescore the portfolio on this many real Celery workers over Redis (BENCH_REDIS_URL or REDIS_URL)",
    )
    group.add_argument(
        "--ratings-chunk-size", type=int, help="usages per task on the workers (default: settings.RATINGS_CHUNK_SIZE)"
    )
    group.add_argument(
        "--ratings-profile",
        action="store_true",
        help="also profile a first rescoring with cProfile and print the top functions (rebuilds the portfolio)",
    )


def run_from_args(args: argparse.Namespace, log: Callable[[str], object]) -> dict[str, Any]:
    return run(
        usages=args.ratings_usages,
        small=args.ratings_small,
        seed=args.ratings_seed,
        profile=args.ratings_profile,
        workers=args.ratings_workers,
        chunk_size=args.ratings_chunk_size,
        log=log,
    )
