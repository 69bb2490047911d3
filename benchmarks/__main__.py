"""Run the benchmarks and print a report: ``python -m benchmarks [--only lineage] [--json PATH] [--sweep]``.

The database is a throwaway SQLite file in a temporary directory, set up before Django starts, unless
``BENCH_DATABASE_URL`` names another one (PostgreSQL): that database must hold no portfolio and no models
beyond the knowledge base ``migrate`` loads, and what the benchmark created is deleted again at the end. Exit
status 1 when a correctness check fails; missed speed targets are reported, not failed on (timings on shared
machines are noisy).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import BENCHMARKS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append", help="run only this benchmark")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the full report as JSON here")
    for module in BENCHMARKS.values():
        module.add_arguments(parser)
    return parser


def django_setup(workdir: Path) -> str:
    """Point Django at the benchmark database (before ``django.setup()``) and migrate it; returns its vendor."""
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = url
    os.environ["RISKREGISTRY_VAR_DIR"] = str(workdir)  # the development secret key, not the checkout's var/
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskregistry.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    # Development settings log every query in DEBUG; a deployed worker does not, and neither do we.
    settings.DEBUG = False
    call_command("migrate", verbosity=0, interactive=False)
    if os.environ.get("BENCH_DATABASE_URL"):
        _require_empty()
    return connection.vendor


def _require_empty() -> None:
    """A ``BENCH_DATABASE_URL`` database holds nothing but what ``migrate`` put there: no portfolio, no models
    other than the shipped knowledge base's (closed models, which the benchmarks leave alone)."""
    from vendors.models import AIModel, ModelUsage, Product, Vendor

    found = [
        label
        for label, rows in (
            ("vendors", Vendor.objects.all()),
            ("products", Product.objects.all()),
            ("model usages", ModelUsage.objects.all()),
            ("models beyond the shipped knowledge base", AIModel.objects.filter(shipped_fingerprint="")),
        )
        if rows.exists()
    ]
    if found:
        sys.exit(
            f"BENCH_DATABASE_URL must point at a database of its own (it holds {', '.join(found)}): the benchmark "
            "deletes every portfolio row and lineage node it finds. Use an empty database, migrated or not."
        )


def _delete_benchmark_data() -> None:
    """Leave a BENCH_DATABASE_URL database as it was found: the knowledge base kept, everything else the
    benchmarks made deleted (history rows included)."""
    from benchmarks.lineage import lineage_state_reset
    from benchmarks.ratings import world_delete

    lineage_state_reset()
    world_delete()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    selected = args.only or list(BENCHMARKS)
    workdir = Path(tempfile.mkdtemp(prefix="riskregistry-bench-"))
    reports: dict[str, Any] = {}
    failed = False
    try:
        database = django_setup(workdir)
        for name in selected:
            module = BENCHMARKS[name]
            report = module.run_from_args(args, log=lambda message: print(message, file=sys.stderr, flush=True))
            reports[name] = report
            print(module.format_report(report), flush=True)
            failed |= not module.ok(report)
        if os.environ.get("BENCH_DATABASE_URL"):
            _delete_benchmark_data()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        summary = {"python": platform.python_version(), "machine": platform.platform(), "database": database}
        args.json.write_text(json.dumps({**summary, "benchmarks": reports}, indent=2) + "\n", encoding="utf-8")
        print(f"JSON report written to {args.json}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
