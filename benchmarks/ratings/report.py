"""The report: the figures derived from the measured rescorings, the checks, and the text that is printed.

``report_figures`` turns the measured runs into the report's plain JSON-able sections; ``format_report`` is
the report as ``python -m benchmarks`` prints it; ``ok`` says whether every correctness check passed.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from benchmarks.ratings.measure import RescoreRun

#: The issue's target: the whole portfolio (10,000 usages by default) rescored in under this many seconds.
TARGET_WALL_S = 30.0
#: "The query count does not grow with the portfolio": a batch at the large size may send at most this many
#: statements more than a batch at the small size (a batch may reach one generation deeper, say) ...
PER_BATCH_SLACK = 2
#: ... and the whole large rescoring at most batches x the small size's per-batch figure plus this many.
TOTAL_SLACK = 10


def _run_entry(run: RescoreRun) -> dict[str, Any]:
    return {**asdict(run), **run.figures()}


def _scaling(small: RescoreRun, large: RescoreRun) -> dict[str, Any]:
    """Queries = fixed + batches x per batch, solved from the two sizes: what one more batch costs, what any
    rescoring costs however small."""
    per_batch_small, per_batch_large = small.figures()["queries_per_batch"], large.figures()["queries_per_batch"]
    marginal = fixed = None
    if large.batches != small.batches:
        marginal = (large.db_queries - small.db_queries) / (large.batches - small.batches)
        fixed = small.db_queries - small.batches * marginal
    return {
        "queries_per_batch_small": per_batch_small,
        "queries_per_batch_large": per_batch_large,
        "queries_per_batch_growth": per_batch_large - per_batch_small,
        "queries_per_usage_small": small.figures()["queries_per_usage"],
        "queries_per_usage_large": large.figures()["queries_per_usage"],
        "queries_per_extra_batch": marginal,
        "queries_fixed": fixed,
        "total_bound": large.batches * per_batch_small + TOTAL_SLACK,
    }


def _checks(small: RescoreRun, first: RescoreRun, second: RescoreRun, scaling: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"name": "first rescoring stores one snapshot per usage",
         "ok": first.snapshots_stored == first.usages == first.rated_usages == first.rating_rows,
         "detail": f"{first.snapshots_stored:,} stored for {first.usages:,} usages; {first.rating_rows:,} rating rows "
                   f"over {first.rated_usages:,} usages"},
        {"name": "first rescoring of the small portfolio too",
         "ok": small.snapshots_stored == small.usages == small.rated_usages,
         "detail": f"{small.snapshots_stored:,} stored for {small.usages:,} usages"},
        {"name": "second rescoring stores nothing (nothing changed)",
         "ok": second.snapshots_stored == 0 and second.rating_rows == first.rating_rows,
         "detail": f"{second.snapshots_stored:,} stored; {second.rating_rows:,} rating rows after it"},
        {"name": "queries per batch do not grow with the portfolio",
         "ok": scaling["queries_per_batch_large"] <= scaling["queries_per_batch_small"] + PER_BATCH_SLACK,
         "detail": f"{scaling['queries_per_batch_large']:.1f} per batch at {first.usages:,} usages, "
                   f"{scaling['queries_per_batch_small']:.1f} at {small.usages:,} (at most +{PER_BATCH_SLACK})"},
        {"name": "total queries bounded by batches x per-batch queries",
         "ok": first.db_queries <= scaling["total_bound"],
         "detail": f"{first.db_queries:,} queries <= {first.batches} batches x "
                   f"{scaling['queries_per_batch_small']:.1f} + {TOTAL_SLACK} = {scaling['total_bound']:.0f}"},
    ]  # fmt: skip


def _workers_checks(workers: dict[str, Any], first: RescoreRun, small: RescoreRun) -> list[dict[str, Any]]:
    """The workers' first rescoring stores what the in-process one did, with as many queries per batch: as many as
    a short run in one process needs (a rescoring reads each model's lineage once per run, so a long run in one
    process needs fewer per batch than a worker's part of 10 batches; neither grows with the portfolio)."""
    per_batch = max(first.figures()["queries_per_batch"], small.figures()["queries_per_batch"])
    on_workers = workers["statements_per_batch"]
    return [
        {"name": "first rescoring on the workers stores one snapshot per usage",
         "ok": workers["rating_rows"] == workers["rated_usages"] == workers["usages"] and not workers["failed_tasks"],
         "detail": f"{workers['rating_rows']:,} rating rows over {workers['rated_usages']:,} usages, "
                   f"{workers['usages']:,} usages; {len(workers['failed_tasks'])} failed tasks"},
        {"name": "queries per batch on the workers as in one process",
         "ok": on_workers is not None and on_workers <= per_batch + PER_BATCH_SLACK,
         "detail": f"{_num(on_workers, '.1f')} statements per batch in {workers['parts']} parts, "
                   f"{per_batch:.1f} per batch in one process, the larger of both sizes (at most +{PER_BATCH_SLACK})"},
    ]  # fmt: skip


def report_figures(
    *,
    world: dict[str, Any],
    small_world: dict[str, Any],
    build_s: float,
    small: RescoreRun,
    first: RescoreRun,
    second: RescoreRun,
    preview: dict[str, Any],
    ratings: dict[str, Any],
    profile: dict[str, Any] | None,
    workers: dict[str, Any] | None = None,
    workers_note: str = "",
) -> dict[str, Any]:
    """The report's sections after its config: the worlds, the runs with their derived figures, the scaling
    comparison, what the ratings say, checks and the target."""
    scaling = _scaling(small, first)
    return {
        "world": {**world, "build_s": build_s},
        "small_world": small_world,
        "first": _run_entry(first),
        "second": _run_entry(second),
        "small": _run_entry(small),
        "preview": preview,
        "scaling": scaling,
        "ratings": ratings,
        "profile": profile,
        "workers": workers,
        "workers_note": workers_note,
        "checks": _checks(small, first, second, scaling) + (_workers_checks(workers, first, small) if workers else []),
        "targets": {
            "first_rescoring_wall_s": {"target": TARGET_WALL_S, "measured": first.wall_s,
                                       "met": first.wall_s < TARGET_WALL_S},
            "workers_first_rescoring_wall_s": {
                "target": TARGET_WALL_S, "measured": workers and workers["wall_s"],
                "met": None if not workers or workers["wall_s"] is None else workers["wall_s"] < TARGET_WALL_S,
            },
        },
    }  # fmt: skip


def _num(value: float | None, spec: str, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{unit}"


def _sent(run: dict[str, Any]) -> str:
    if not run["bulk_insert_splits"]:
        return f"{run['db_statements']:,} statements sent"
    return f"{run['db_statements']:,} statements sent, {run['bulk_insert_splits']:,} split bulk inserts"


def format_report(report: dict[str, Any]) -> str:
    """The report as ``python -m benchmarks`` prints it."""
    config, world, small_world = report["config"], report["world"], report["small_world"]
    first, second, small, scaling = report["first"], report["second"], report["small"], report["scaling"]
    target, mib = report["targets"]["first_rescoring_wall_s"], 1024 * 1024
    kinds = ", ".join(f"{n:,} {kind}" for kind, n in world["model_kinds"].items())
    lines = [
        f"Ratings: rescoring {world['usages']:,} model usages (ratings_refresh, batches of {first['batch_size']})",
        f"  models: {kinds}; {world['edges']:,} lineage edges, {world['families']} families, up to "
        f"{world['max_depth']} parent links deep ({world['usages_at_max_depth']:,} usages at that depth)",
        f"  portfolio: {world['vendors']:,} vendors, {world['products']:,} products, {world['models_used']:,} models "
        f"used (the most used by {world['usages_on_most_used_model']:,} usages), {world['hosted_usages']:,} usages "
        f"with a host; {world['unacknowledged_changes']:,} unacknowledged change events",
        f"  database: {config['database']}; built in {world['build_s']:.1f} s with bulk_create; small portfolio: "
        f"{small_world['usages']:,} usages over {small_world['models']:,} models, built the same way",
        "",
        f"  {'metric':<50}{'measured':>14}  target / note",
        f"  {'-' * 50}{'-' * 14}  {'-' * 34}",
    ]

    def row(label: str, value: str, note: str = "") -> None:
        lines.append(f"  {label:<50}{value:>14}  {note}".rstrip())

    met = "met" if target["met"] else "MISSED"
    row("first rescoring: wall time", f"{first['wall_s']:.2f} s", f"target < {target['target']:g} s: {met}")
    row("  usages per second", _num(first["usages_per_s"], ",.0f"), f"{first['ms_per_batch']:.0f} ms per batch")
    row("  snapshots stored", f"{first['snapshots_stored']:,}", f"{first['usages']:,} usages")
    row("  SQL queries", f"{first['db_queries']:,}", f"{first['batches']} batches; {_sent(first)}")
    row("  per batch", f"{first['queries_per_batch']:.1f}", f"{first['queries_per_usage']:.3f} per usage")
    row("second rescoring (nothing changed): wall time", f"{second['wall_s']:.2f} s")
    row("  snapshots stored", f"{second['snapshots_stored']:,}", "0 expected")
    row("  SQL queries", f"{second['db_queries']:,}", f"{second['queries_per_batch']:.1f} per batch; {_sent(second)}")
    preview = report["preview"]
    row("policy preview (what-if, both policies): wall time", f"{preview['wall_s']:.2f} s",
        f"{preview['usages']:,} usages, {preview['tier_changes']:,} would change tier")  # fmt: skip
    row("  SQL queries", f"{preview['db_queries']:,}", "nothing written")
    row(f"first rescoring at {small['usages']:,} usages: wall time", f"{small['wall_s']:.2f} s")
    row("  SQL queries", f"{small['db_queries']:,}", f"{small['batches']} batches; {_sent(small)}")
    row(
        "  per batch",
        f"{small['queries_per_batch']:.1f}",
        f"{small['queries_per_usage']:.3f} per usage",
    )
    row(
        "per-batch growth, small -> large",
        f"{scaling['queries_per_batch_growth']:+.1f}",
        "0 = the query count does not grow with the portfolio",
    )
    row(
        "  queries per extra batch / fixed",
        f"{_num(scaling['queries_per_extra_batch'], '.1f')} / {_num(scaling['queries_fixed'], '.0f')}",
        "from the two sizes: total = fixed + batches x per batch",
    )
    row(
        "peak RSS of this process (ru_maxrss)",
        f"{first['maxrss_bytes'] / mib:.0f} MiB",
        f"{first['maxrss_before_bytes'] / mib:.0f} MiB before the first rescoring",
    )

    kinds_sent = [*first["statements"], *(kind for kind in second["statements"] if kind not in first["statements"])]
    lines += ["", f"  {'SQL statements sent per batch (verb, first table)':<50}{'first':>7} {'second':>7}"]
    lines += [
        f"    {kind:<48}{first['statements'].get(kind, 0) / first['batches']:>7.1f} "
        f"{second['statements'].get(kind, 0) / second['batches']:>7.1f}"
        for kind in kinds_sent
    ]
    ratings = report["ratings"]
    if ratings["usages"]:
        tiers = ", ".join(f"{tier} {n:,}" for tier, n in ratings["tiers"].items())
        factors = ", ".join(f"{code} {n:,}" for code, n in ratings["factors"].items())
        lines += [
            "",
            f"  Ratings after the first rescoring: {tiers}; mean score {ratings['mean_score']:.1f}",
            f"  Usages per factor: {factors}",
        ]
    profile = report["profile"]
    if profile:
        lines += [
            "",
            f"  cProfile of a first rescoring (separate run on a rebuilt portfolio, {profile['wall_s']:.1f} s "
            "under the profiler):",
            f"    {'cumulative s':>12} {'own s':>8} {'calls':>10}  function (by cumulative time)",
        ]
        lines += [
            f"    {e['cumulative_s']:>12.2f} {e['own_s']:>8.2f} {e['calls']:>10,}  {e['function']}"
            for e in profile["cumulative"]
        ]
        lines.append(f"    {'own s':>12} {'cum. s':>8} {'calls':>10}  function (by own time)")
        lines += [
            f"    {e['own_s']:>12.2f} {e['cumulative_s']:>8.2f} {e['calls']:>10,}  {e['function']}"
            for e in profile["own"]
        ]
    lines += ["", *_workers_lines(report)]
    lines += ["", "  Checks:"]
    lines += [f"    [{'ok' if c['ok'] else 'FAILED'}] {c['name']}: {c['detail']}" for c in report["checks"]]
    lines.append(f"  ({report['elapsed_s']:.1f} s in all, building and deleting the portfolios included)")
    return "\n".join(lines)


def _workers_lines(report: dict[str, Any]) -> list[str]:
    """The first rescoring in one process and on the workers, side by side."""
    first, workers, config = report["first"], report["workers"], report["config"]
    lines = [
        "  First rescoring, in one process and on Celery workers over Redis (the task's parts):",
        f"    {'runner':<28}{'wall s':>8}{'usages/s':>10}{'tasks':>7}{'batches':>8}{'SQL/batch':>10}{'CPU s':>8}",
        f"    {'one process':<28}{first['wall_s']:>8.2f}{_num(first['usages_per_s'], ',.0f'):>10}{'-':>7}"
        f"{first['batches']:>8}{first['queries_per_batch']:>10.1f}{'-':>8}",
    ]
    if workers is None:
        return [*lines, f"    {'workers':<28}not run: {report['workers_note']}"]
    label = f"{workers['workers']} workers, parts of {config['chunk_size']:,}"
    lines.append(
        f"    {label:<28}{_num(workers['wall_s'], '.2f'):>8}"
        f"{_num(workers['usages'] / workers['wall_s'] if workers['wall_s'] else None, ',.0f'):>10}"
        f"{workers['tasks']:>7}{workers['batches']:>8}{_num(workers['statements_per_batch'], '.1f'):>10}"
        f"{workers['cpu_s']:>8.1f}"
    )
    target = report["targets"]["workers_first_rescoring_wall_s"]
    lines.append(
        f"    target < {TARGET_WALL_S:g} s on the workers: {'met' if target['met'] else 'MISSED'}; "
        f"{workers['parts']} parts run by {workers['processes']} worker processes, the coordinator task sent "
        f"{workers['coordinator_statements']} statements"
    )
    return lines


def ok(report: dict[str, Any]) -> bool:
    """Whether every correctness check passed (the wall-time target is reported, not enforced: timings are noisy)."""
    return all(check["ok"] for check in report["checks"])
