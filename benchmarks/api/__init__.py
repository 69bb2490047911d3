"""REST API benchmark: the main lists under gunicorn (2 workers on 127.0.0.1) against 100,000 model usages,
beside a bare Django view returning the same rows as JSON, measured in the same run.

The issue: *p50/p99 latency and throughput of the main lists (products by tier, usages with ratings, findings,
the change feed) beside a bare Django view returning the same rows as JSON. Target: at least 50 % of the bare
view's throughput on every list.*

1. ``world_build`` (``world``) stores vendors, products, models, ``usages`` model usages with a current rating
   each, findings on a share of them and change events, with ``bulk_create`` (the portfolio's shape, not the
   rescoring service: this measures reading).
2. ``serve`` (``server``) starts gunicorn on a free port of 127.0.0.1 with the project's WSGI application and
   ``benchmarks.api.settings`` (the project's settings, plus the bare views' routes and no throttling).
3. ``measure`` (``load``) sends the same number of requests to each list and its bare twin from a few
   keep-alive client threads, in alternating rounds so both see the same machine load, and reports p50/p99
   latency and requests per second.

This package is the benchmark module ``benchmarks.BENCHMARKS`` lists (``NAME``, ``add_arguments``,
``run_from_args``, ``format_report``, ``ok``, ``run``).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from benchmarks.api.load import measure
from benchmarks.api.server import serve
from benchmarks.api.world import world_build, world_delete

NAME = "api"
DEFAULT_USAGES = 100_000
DEFAULT_REQUESTS = 200
DEFAULT_CLIENTS = 4
TARGET_RATIO = 0.5

__all__ = ["NAME", "add_arguments", "format_report", "ok", "run", "run_from_args", "world_build", "world_delete"]


def run(
    *,
    usages: int = DEFAULT_USAGES,
    requests: int = DEFAULT_REQUESTS,
    clients: int = DEFAULT_CLIENTS,
    workers: int = 2,
    page_size: int = 50,
    log: Callable[[str], object] = lambda message: None,
) -> dict[str, Any]:
    """Build the portfolio, serve it, measure every list and its bare twin, stop the server and delete the
    portfolio (also when something fails)."""
    started = time.perf_counter()
    try:
        log(f"api: building {usages:,} model usages with ratings, findings and change events")
        world = world_build(usages=usages, log=log)
        with serve(workers=workers, log=log) as base_url:
            key = world.pop("key")
            lists = measure(base_url, key=key, world=world, requests=requests, clients=clients, size=page_size, log=log)
    finally:
        world_delete()
    for row in lists:
        row["ratio"] = row["api"]["rps"] / row["bare"]["rps"] if row["bare"]["rps"] else 0.0
    return {
        "benchmark": NAME,
        "config": {
            "usages": usages,
            "requests": requests,
            "clients": clients,
            "workers": workers,
            "page_size": page_size,
        },
        "world": world,
        "lists": lists,
        "target_ratio": TARGET_RATIO,
        "elapsed_s": time.perf_counter() - started,
    }


def ok(report: dict[str, Any]) -> bool:
    """Correctness only: every request of both doors answered 200 with the same rows (speed is reported)."""
    return all(row["api"]["errors"] == 0 and row["bare"]["errors"] == 0 and row["same_rows"] for row in report["lists"])


def format_report(report: dict[str, Any]) -> str:
    config = report["config"]
    lines = [
        f"api: gunicorn, {config['workers']} workers on 127.0.0.1, {report['world']['usages']:,} model usages; "
        f"{config['requests']} requests per list and door ({config['page_size']} rows a page) from "
        f"{config['clients']} clients",
        f"  {'list':<24} {'door':<5} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}   API/bare (target >= "
        f"{report['target_ratio']:.0%})",
    ]
    for row in report["lists"]:
        for door in ("api", "bare"):
            figures = row[door]
            ratio = ""
            if door == "api":
                verdict = "met" if row["ratio"] >= report["target_ratio"] else "MISSED"
                ratio = f"   {row['ratio']:6.0%} {verdict}"
            lines.append(
                f"  {row['name']:<24} {door:<5} {figures['p50_ms']:8.1f} {figures['p99_ms']:8.1f} "
                f"{figures['rps']:8.1f}{ratio}"
            )
    lines.append(f"  same rows in both doors: {'yes' if all(r['same_rows'] for r in report['lists']) else 'NO'}")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("api")
    group.add_argument("--api-usages", type=int, default=DEFAULT_USAGES, help="model usages (default 100,000)")
    group.add_argument("--api-requests", type=int, default=DEFAULT_REQUESTS, help="requests per list and door")
    group.add_argument("--api-clients", type=int, default=DEFAULT_CLIENTS, help="concurrent keep-alive clients")


def run_from_args(args: argparse.Namespace, log: Callable[[str], object]) -> dict[str, Any]:
    return run(usages=args.api_usages, requests=args.api_requests, clients=args.api_clients, log=log)
