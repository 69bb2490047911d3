"""Running and measuring one rescoring of the whole portfolio.

``rescore_measure`` times ``assessments.services.ratings_refresh()`` (the public entry point a worker calls,
nothing below it), counts the SQL statements it sends with ``connection.execute_wrapper`` and sorts them by
verb and table, so a report can say where the queries go as the service grows.

SQLite takes at most 999 parameters per statement, so Django splits one ``bulk_create`` of a few hundred rows
into several INSERTs there, as many as the rows need; PostgreSQL gets one. Those extra INSERTs depend on how
many rows a batch writes, not on the size of the portfolio, and would blur the comparison between sizes: the
queries counted (``db_queries``) take back-to-back INSERTs into one table as one, the statements sent
(``db_statements``) are counted too. ``rescore_profile`` runs it
under cProfile instead, for the functions the time goes to.
"""

from __future__ import annotations

import cProfile
import gc
import math
import pstats
import re
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_CHECKOUT = f"{Path(__file__).resolve().parents[2]}/"
_LIBRARY_PREFIX = re.compile(r"^.*/(?:site-packages|lib/python3\.\d+)/")
_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE|JOIN)\s+"?(\w+)"?', re.IGNORECASE)


def batch_size() -> int:
    """The usages ``ratings_refresh`` rescores per batch (``settings.RATINGS_BATCH_SIZE``)."""
    from django.conf import settings

    return max(1, settings.RATINGS_BATCH_SIZE)


def statement_kind(sql: str) -> str:
    """``SELECT vendors_aimodel``: the verb and the first table named, or the verb alone (``SAVEPOINT``)."""
    verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
    table = _TABLE.search(sql)
    return f"{verb} {table.group(1)}" if table and verb not in ("SAVEPOINT", "RELEASE", "ROLLBACK") else verb


@dataclass
class RescoreRun:
    """One call of ``ratings_refresh()`` over the whole portfolio. ``db_statements`` counts every statement sent
    (transaction statements included) and ``statements`` splits them by ``statement_kind``; ``db_queries`` is
    ``db_statements`` less ``bulk_insert_splits``, the INSERTs that continue the one before into the same
    table (SQLite's parameter limit splitting a ``bulk_create``)."""

    label: str
    usages: int
    batch_size: int
    wall_s: float
    db_statements: int
    bulk_insert_splits: int
    db_queries: int
    snapshots_stored: int
    rating_rows: int
    rated_usages: int
    maxrss_before_bytes: int
    maxrss_bytes: int
    statements: dict[str, int] = field(default_factory=dict)

    @property
    def batches(self) -> int:
        return max(1, math.ceil(self.usages / self.batch_size))

    def figures(self) -> dict[str, Any]:
        """The derived figures the report shows next to the raw ones."""
        return {
            "batches": self.batches,
            "queries_per_batch": self.db_queries / self.batches,
            "queries_per_usage": self.db_queries / max(self.usages, 1),
            "usages_per_s": self.usages / self.wall_s if self.wall_s > 0 else None,
            "ms_per_batch": 1000 * self.wall_s / self.batches,
        }


def _maxrss_bytes() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024  # kilobytes on Linux


def rescore_measure(label: str) -> RescoreRun:
    """Time one ``ratings_refresh()`` of every usage and count its SQL statements."""
    from django.db import connection

    from assessments.models import RiskRating
    from assessments.services import ratings_refresh
    from vendors.models import ModelUsage

    usages = ModelUsage.objects.count()
    statements: Counter[str] = Counter()
    splits = 0
    previous = ""

    def count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        nonlocal splits, previous
        kind = statement_kind(sql)
        statements[kind] += 1
        splits += kind == previous and kind.startswith("INSERT ")
        previous = kind
        return execute(sql, params, many, context)

    gc.collect()
    maxrss_before = _maxrss_bytes()
    with connection.execute_wrapper(count):
        started = time.perf_counter()
        stored = ratings_refresh()
        wall = time.perf_counter() - started
    return RescoreRun(
        label=label,
        usages=usages,
        batch_size=batch_size(),
        wall_s=wall,
        db_statements=sum(statements.values()),
        bulk_insert_splits=splits,
        db_queries=sum(statements.values()) - splits,
        snapshots_stored=stored,
        rating_rows=RiskRating.objects.count(),
        rated_usages=RiskRating.objects.values("usage_id").distinct().count(),
        maxrss_before_bytes=maxrss_before,
        maxrss_bytes=_maxrss_bytes(),
        statements=dict(statements.most_common()),
    )


def preview_measure() -> dict[str, Any]:
    """Time the policy editor's what-if preview over the whole portfolio (the critical threshold lowered by 10:
    every usage scored under both policies, nothing written) and count its SQL queries."""
    from django.db import connection

    from assessments.selectors import policy_current, policy_what_if

    current = policy_current()
    moderate, high, critical = current.thresholds
    draft = current.with_changes(version=current.version + 1, thresholds=(moderate, high, critical - 10))
    queries = 0

    def count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        what_if = policy_what_if(draft=draft, current=current)
        wall = time.perf_counter() - started
    return {"wall_s": wall, "db_queries": queries, "usages": what_if.usages, "tier_changes": len(what_if.changes)}


def ratings_summary() -> dict[str, Any]:
    """What the stored ratings say (the newest snapshot of each usage): usages per tier and per factor code, and
    the mean score. Shows the world exercises the rules; not a check (a policy change moves it)."""
    from assessments.models import RiskRating
    from assessments.scoring import TIERS

    newest: dict[int, tuple[int, str, list[dict[str, Any]]]] = {}
    for usage_id, score, tier, factors in RiskRating.objects.order_by("usage_id", "-created_at", "-id").values_list(
        "usage_id", "score", "tier", "factors"
    ):
        newest.setdefault(usage_id, (score, tier, factors))
    tiers = Counter(tier for _, tier, _ in newest.values())
    factors = Counter(row["code"] for _, _, rows in newest.values() for row in rows)
    return {
        "usages": len(newest),
        "tiers": {tier: tiers[tier] for tier in TIERS},
        "factors": dict(factors.most_common()),
        "mean_score": sum(score for score, _, _ in newest.values()) / len(newest) if newest else None,
    }


def rescore_profile(top: int = 15) -> dict[str, Any]:
    """``ratings_refresh()`` under cProfile: wall time (inflated by profiling) and the ``top`` functions by
    cumulative and by own time, as ``{function, calls, own_s, cumulative_s}`` rows."""
    from assessments.services import ratings_refresh

    profiler = cProfile.Profile()
    gc.collect()
    started = time.perf_counter()
    profiler.enable()
    stored = ratings_refresh()
    profiler.disable()
    wall = time.perf_counter() - started
    stats = pstats.Stats(profiler)

    def rows(key: int) -> list[dict[str, Any]]:
        entries = sorted(stats.stats.items(), key=lambda item: -item[1][key])[:top]  # type: ignore[attr-defined]
        return [
            {"function": _function_name(func), "calls": calls, "own_s": own, "cumulative_s": cumulative}
            for func, (_, calls, own, cumulative, _) in entries
        ]

    return {"wall_s": wall, "snapshots_stored": stored, "cumulative": rows(3), "own": rows(2)}


def _function_name(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    if filename == "~":  # built-ins
        return name
    filename = _LIBRARY_PREFIX.sub("", filename.removeprefix(_CHECKOUT))
    return f"{filename}:{line}({name})"
