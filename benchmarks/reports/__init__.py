"""Reports benchmark: the quarterly PDF report of 200 vendors, 1,000 products and 10,000 model usages.

The issue: *wall time, peak memory, page count, and the ratio to WeasyPrint rendering the same final HTML alone
(our own overhead), in one run. Targets: under 60 s and 1 GB on this machine, overhead at most 1.3x.*

1. ``world_build`` (``world``) stores the ratings benchmark's lineage world under a portfolio of exactly that
   size and rates it with ``assessments.services.ratings_refresh()`` (snapshots, exposure, findings).
2. ``report_measure`` (``measure``), in a fresh process, generates the report (figures as of now, the charts,
   the lineage diagrams, the templates, the parts laid out and written one at a time, joined: ``reports.document``)
   and has WeasyPrint alone lay out and write the same HTML with the same fetcher right after each part (its time
   taken out of the report's), so both see the same machine load. Peak memory is that process's high-water mark.

This package is the benchmark module ``benchmarks.BENCHMARKS`` lists (``NAME``, ``add_arguments``,
``run_from_args``, ``format_report``, ``ok``, ``run``).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from benchmarks.reports.measure import report_measure
from benchmarks.reports.world import world_build, world_delete

NAME = "reports"
DEFAULT_VENDORS, DEFAULT_PRODUCTS, DEFAULT_USAGES = 200, 1_000, 10_000
TARGET_WALL_S = 60.0
TARGET_MEMORY_BYTES = 1024**3
TARGET_OVERHEAD = 1.3

__all__ = ["NAME", "add_arguments", "format_report", "ok", "run", "run_from_args", "world_build", "world_delete"]


def run(
    *,
    vendors: int = DEFAULT_VENDORS,
    products: int = DEFAULT_PRODUCTS,
    usages: int = DEFAULT_USAGES,
    repeats: int = 1,
    log: Callable[[str], object] = lambda message: None,
) -> dict[str, Any]:
    """Build and rate the portfolio, measure the report, delete the portfolio (also when it fails)."""
    started = time.perf_counter()
    try:
        log(f"reports: building {vendors} vendors, {products} products, {usages:,} usages")
        world = world_build(vendors=vendors, products=products, usages=usages, log=log)
        log("reports: generating the quarterly report, then WeasyPrint alone on the same HTML")
        measured = report_measure(repeats=repeats)
    finally:
        world_delete()
    return {
        "benchmark": NAME,
        "config": {"vendors": vendors, "products": products, "usages": usages, "repeats": repeats},
        "world": world,
        **measured,
        "targets": {"wall_s": TARGET_WALL_S, "peak_memory_bytes": TARGET_MEMORY_BYTES, "overhead": TARGET_OVERHEAD},
        "elapsed_s": time.perf_counter() - started,
    }


def ok(report: dict[str, Any]) -> bool:
    """Correctness only: a PDF with pages came out (speed targets are reported, not failed on)."""
    return report["pages"] > 0 and report["pdf_bytes"] > 0


def _met(value: float, target: float) -> str:
    return "met" if value <= target else "MISSED"


def format_report(report: dict[str, Any]) -> str:
    mib = 1024 * 1024
    overhead = report["overhead_ratio"]
    return "\n".join(
        [
            f"reports: quarterly PDF of {report['world']['vendors']} vendors, {report['world']['products']:,} "
            f"products, {report['world']['usages']:,} usages (median of {report['repeats']})",
            f"  wall time            {report['wall_s']:8.1f} s   target < {TARGET_WALL_S:.0f} s: "
            f"{_met(report['wall_s'], TARGET_WALL_S)}",
            f"    figures {report['figures_s']:.1f} s, charts + diagrams + templates {report['html_s']:.1f} s, "
            f"{report.get('parts', 1)} parts laid out + joined {report['render_pdf_s']:.1f} s",
            f"  peak memory          {report['peak_memory_bytes'] / mib:8.0f} MiB target < 1024 MiB: "
            f"{_met(report['peak_memory_bytes'], TARGET_MEMORY_BYTES)}",
            f"  pages                {report['pages']:8d}     ({report['pdf_bytes'] / mib:.1f} MiB)",
            f"  WeasyPrint alone     {report['weasyprint_alone_s']:8.1f} s   "
            f"(layout {report['weasyprint_layout_s']:.1f} s, write {report['weasyprint_write_s']:.1f} s)",
            f"  overhead (ratio)     {overhead:8.2f}     target <= {TARGET_OVERHEAD}: "
            f"{_met(overhead, TARGET_OVERHEAD)}",
            f"  CPU time             {report['cpu_s']:8.1f} s   (WeasyPrint alone {report['weasyprint_cpu_s']:.1f} s; "
            "the process's own, much less sensitive to other jobs than wall time)",
        ]
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("reports")
    group.add_argument("--reports-vendors", type=int, default=DEFAULT_VENDORS)
    group.add_argument("--reports-products", type=int, default=DEFAULT_PRODUCTS)
    group.add_argument("--reports-usages", type=int, default=DEFAULT_USAGES)
    group.add_argument("--reports-repeats", type=int, default=1, help="timed runs of each (the median is shown)")


def run_from_args(args: argparse.Namespace, log: Callable[[str], object]) -> dict[str, Any]:
    return run(
        vendors=args.reports_vendors,
        products=args.reports_products,
        usages=args.reports_usages,
        repeats=args.reports_repeats,
        log=log,
    )
