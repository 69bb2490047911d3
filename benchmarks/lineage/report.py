"""The report: the figures derived from the measured refreshes, the checks, and the text that is printed.

``report_figures`` turns the measured runs into the report's plain JSON-able sections; ``format_report`` is
the report as ``python -m benchmarks`` prints it; ``ok`` says whether every correctness check passed.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from benchmarks.lineage.measure import RefreshRun
from benchmarks.lineage.world import Portfolio, World

#: The issue's targets for the headline run and the workers run (default settings).
TARGET_REQUESTS_PER_REPO = 1.00
TARGET_SPEEDUP = 8.0
TARGET_BOUND_RATIO = 1.5  # wall time within 1.5x of max(depth bound, throughput bound)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def _derived(run: RefreshRun, *, repos: int, latency: float, critical: int, requests: int) -> dict[str, Any]:
    """The figures the issue asks for; ratios against a bound are ``None`` without latency (no bound)."""
    depth_bound = critical * latency
    at_once = max(1, min(run.parallel, run.chunks or 1))  # chunks walked at the same time, each at the concurrency
    throughput_bound = requests / (run.concurrency * at_once) * latency
    return {
        "requests_per_repo": run.metadata_requests / repos,
        "sequential_bound_s": repos * latency,
        "speedup_vs_sequential": _ratio(repos * latency, run.wall_s) if latency > 0 else None,
        "depth_bound_s": depth_bound,
        "wall_over_depth_bound": _ratio(run.wall_s, depth_bound),
        "throughput_bound_s": throughput_bound,
        "wall_over_lower_bound": _ratio(run.wall_s, max(depth_bound, throughput_bound)),
        "requests_in_flight_allowed": run.concurrency * at_once,
        "store_share": None if run.store_s is None else _ratio(run.store_s, run.wall_s),
        "store_ms_per_node": None if run.store_s is None else 1000 * run.store_s / max(run.nodes_done, 1),
        "queries_per_node": None if run.db_queries is None else run.db_queries / max(run.nodes_done, 1),
    }


def _expected_chunks(seeds: int, chunk_size: int) -> int:
    """Chunks the refresh task makes: none at or below LINEAGE_CHUNK_SIZE seeds, else one per chunk_size."""
    return 0 if seeds <= chunk_size else -(-seeds // chunk_size)


def _checks(run: RefreshRun, world: World, seeds: int) -> list[dict[str, Any]]:
    repos, edges = len(world.nodes), len(world.edges)
    chunks = _expected_chunks(seeds, run.chunk_size)
    return [
        {"name": "refresh finished", "ok": run.status == "done" and run.nodes_failed == 0,
         "detail": f"status {run.status}, {run.nodes_failed} failed nodes"},
        {"name": "every generated repo resolved", "ok": run.nodes_resolved == repos and not run.missing_repos,
         "detail": f"{run.nodes_resolved}/{repos} resolved" + _some(run.missing_repos, "missing")},
        {"name": "no nodes beyond the generated repos", "ok": run.nodes_stored == repos,
         "detail": f"{run.nodes_stored} hub nodes stored" + _some(run.unexpected_repos, "unexpected")},
        {"name": "edges equal the generated parent links",
         "ok": run.edges_stored == edges and not run.missing_edges and not run.unexpected_edges,
         "detail": f"{run.edges_stored} stored, {edges} generated (child, parent, relation)"
         + _some(run.missing_edges, "missing") + _some(run.unexpected_edges, "unexpected")},
        {"name": "every repo asked for exactly once",
         "ok": run.metadata_requests == run.repos_requested == repos,
         "detail": f"{run.metadata_requests} metadata requests for {run.repos_requested} repos"
         + _some(run.repos_requested_twice, "asked more than once")},
        {"name": "one file request per adapter and per GGUF header",
         "ok": run.file_requests == world.file_fetches and run.storage_requests == world.storage_fetches,
         "detail": f"{run.file_requests} file requests for {world.file_fetches} adapters and GGUF repos, "
         f"{run.storage_requests} storage requests for {world.storage_fetches} GGUF headers"},
        {"name": "the task's path: chunked above LINEAGE_CHUNK_SIZE, each repo claimed once",
         "ok": run.chunks == chunks and run.claims == (repos if chunks else 0),
         "detail": f"{seeds} seed repos, chunk size {run.chunk_size}: {run.chunks} chunks ({chunks} expected), "
         f"{run.claims} claims" + (f" ({repos} repos)" if chunks else "")},
        {"name": "rescoring requested", "ok": run.rescoring_requested,
         "detail": "the refresh asked for a rescoring of the portfolio" if run.rescoring_requested
         else "no rescoring asked for: ratings would not follow the new lineage"},
    ]  # fmt: skip


def _some(items: list[Any], label: str) -> str:
    if not items:
        return ""
    return f"; {label}: {', '.join(map(str, items[:5]))}" + (" ..." if len(items) > 5 else "")


def _labelled(checks: list[dict[str, Any]], label: str) -> list[dict[str, Any]]:
    return [{**check, "name": f"{check['name']} ({label})"} for check in checks]


def _other_run_failures(run: RefreshRun, world: World, seeds: int) -> list[dict[str, Any]]:
    """Checks of the runs after the headline, listed only when they fail (the headline's are always listed)."""
    label = f"{run.mode}, concurrency {run.concurrency}" + (", traced" if run.traced_memory else "")
    return _labelled([check for check in _checks(run, world, seeds) if not check["ok"]], label)


def median_run(runs: list[RefreshRun]) -> RefreshRun:
    """The median of several measured refreshes by wall time (of an even number, the slower middle one)."""
    if not runs:
        raise ValueError("no refresh was measured")
    return sorted(runs, key=lambda run: run.wall_s)[len(runs) // 2]


def _target(measured: float | None, target: float, *, at_most: bool = False) -> dict[str, Any]:
    met = None if measured is None else (measured <= target if at_most else measured >= target)
    return {"target": target, "measured": measured, "met": met}


def report_figures(
    *,
    world: World,
    portfolio: Portfolio,
    bounds: dict[str, Any],
    headline_runs: list[RefreshRun],
    memory_run: RefreshRun | None,
    sweep_runs: list[RefreshRun],
    workers_runs: list[RefreshRun] = (),
    workers_note: str = "",
) -> dict[str, Any]:
    """The report's sections after its config: the world, the runs with their derived figures, checks, targets.

    ``bounds`` holds what ``_derived`` needs: unique ``repos``, ``latency`` in seconds, ``critical`` (the
    requests on the critical path) and ``requests`` (metadata and file requests the refresh must make).
    ``headline_runs`` and ``workers_runs`` (none: not run) are every measured refresh of each runner: the figures
    are their medians' (``median_run``), every wall time is listed, and every check listed when it fails.
    """
    headline = median_run(headline_runs)
    workers_run = median_run(list(workers_runs)) if workers_runs else None
    derived = _derived(headline, **bounds)
    seeds = len(portfolio.seeds)
    headline_entry = {**asdict(headline), **derived, "repeats_wall_s": sorted(r.wall_s for r in headline_runs)}
    workers_entry = (
        {
            **asdict(workers_run),
            **_derived(workers_run, **bounds),
            "repeats_wall_s": sorted(r.wall_s for r in workers_runs),
        }
        if workers_run
        else None
    )
    sweep_entries = [{**asdict(r), **_derived(r, **bounds)} for r in sweep_runs]
    one_at_a_time = next((r.wall_s for r in sweep_runs if r.concurrency == 1), None)
    for entry in [headline_entry, *sweep_entries]:  # against the measured run, files and storing included
        entry["speedup_vs_concurrency_1"] = _ratio(one_at_a_time, entry["wall_s"]) if one_at_a_time else None
    return {
        "world": {
            "repos": len(world.nodes), "kinds": world.kinds(), "edges": len(world.edges),
            "longest_chain": world.longest_chain, "critical_path_requests": bounds["critical"],
            "file_fetches": world.file_fetches, "storage_fetches": world.storage_fetches,
            "requests": bounds["requests"], "vendors": portfolio.vendors, "products": portfolio.products,
            "usages": portfolio.usages, "seeds": len(portfolio.seeds),
            "usages_on_most_used_repo": portfolio.usages_per_repo_max,
        },
        "headline": headline_entry,
        "memory": asdict(memory_run) if memory_run else None,
        "sweep": sweep_entries,
        "workers": workers_entry,
        "workers_note": workers_note,
        "checks": _labelled(_checks(headline, world, seeds), "embedded")
        + (_labelled(_checks(workers_run, world, seeds), f"{workers_run.parallel} workers") if workers_run else [])
        + [
            check for r in [memory_run, *sweep_runs, *headline_runs] if r and r is not headline
            for check in _other_run_failures(r, world, seeds)
        ]
        + [check for r in workers_runs if r is not workers_run for check in _other_run_failures(r, world, seeds)],
        "targets": {
            "requests_per_repo": {"target": TARGET_REQUESTS_PER_REPO, "measured": derived["requests_per_repo"],
                                  "met": round(derived["requests_per_repo"], 2) == TARGET_REQUESTS_PER_REPO},
            "speedup_vs_sequential": _target(derived["speedup_vs_sequential"], TARGET_SPEEDUP),
            "wall_over_lower_bound": _target(derived["wall_over_lower_bound"], TARGET_BOUND_RATIO, at_most=True),
            "workers_speedup_vs_sequential": _target(
                workers_entry and workers_entry["speedup_vs_sequential"], TARGET_SPEEDUP),
            "workers_wall_over_lower_bound": _target(
                workers_entry and workers_entry["wall_over_lower_bound"], TARGET_BOUND_RATIO, at_most=True),
        },
    }  # fmt: skip


def _num(value: float | None, spec: str, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{unit}"


def _met(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "n/a without latency"}[met]


def format_report(report: dict[str, Any]) -> str:
    """The report as ``python -m benchmarks`` prints it."""
    config, world, head, targets = report["config"], report["world"], report["headline"], report["targets"]
    latency_ms, mib = config["latency_ms"], 1024 * 1024
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(world["kinds"].items(), key=lambda item: -item[1]))
    lines = [
        f"Lineage: one portfolio refresh of {world['usages']:,} model usages over {world['repos']} unique hub repos",
        f"  world: {kinds}; {world['edges']} parent links; longest chain {world['longest_chain']} repos",
        f"  portfolio: {world['vendors']} vendors, {world['products']} products; {world['seeds']} repos used "
        f"directly, the most used one by {world['usages_on_most_used_repo']} usages",
        f"  hub: fake hub in a child process, +{latency_ms:g} ms per request; database: {config['database']}",
        f"  path: the refresh task with the settings' hub client, LINEAGE_CHUNK_SIZE {config['chunk_size']} "
        f"({world['seeds']} seed repos); headline: the embedded runner (in-process)",
        "",
        f"  {'metric':<52}{'measured':>12}  target / bound",
        f"  {'-' * 52}{'-' * 12}  {'-' * 34}",
    ]

    def row(label: str, value: str, note: str = "") -> None:
        lines.append(f"  {label:<52}{value:>12}  {note}".rstrip())

    row("concurrency (settings.LINEAGE_CONCURRENCY)", f"{head['concurrency']}")
    row("unique repos", f"{world['repos']}")
    row("hub metadata requests (GET /api/models/{id})", f"{head['metadata_requests']}")
    row(
        "  per unique repo",
        f"{head['requests_per_repo']:.2f}",
        f"target {TARGET_REQUESTS_PER_REPO:.2f}: {_met(targets['requests_per_repo']['met'])}",
    )
    row("  most requests for one repo", f"{head['max_requests_one_repo']}")
    row(
        "hub file requests (adapter config, GGUF header)",
        f"{head['file_requests']}",
        f"{world['file_fetches']} adapters and GGUF repos",
    )
    row(
        "  storage requests (GGUF range reads, redirected)",
        f"{head['storage_requests']}",
        f"{world['storage_fetches']} GGUF repos",
    )
    row("hub identity-file requests (inference)", f"{head.get('identity_requests', 0)}", "config, tokenizer, README")
    row("other hub requests (listings, trees, ...)", f"{head['other_requests']}")
    row("chunks / claims", f"{head['chunks']} / {head['claims']}", "0 / 0 at or below LINEAGE_CHUNK_SIZE seeds")
    row("peak requests in flight at the hub", f"{head['peak_in_flight']}", f"concurrency {head['concurrency']}")
    row("wall time of the refresh", f"{head['wall_s']:.2f} s", _repeats(head))
    row(
        "  CPU time of the process (all threads)",
        f"{head['cpu_s']:.2f} s",
        f"{head['cpu_s'] / head['wall_s']:.0%} of wall",
    )
    row(
        "sequential bound (unique repos x latency)",
        f"{head['sequential_bound_s']:.2f} s",
        f"{world['repos']} x {latency_ms:g} ms",
    )
    row(
        "  x faster than one request at a time",
        _num(head["speedup_vs_sequential"], ".1f", "x"),
        f"target >= {TARGET_SPEEDUP:g}x: {_met(targets['speedup_vs_sequential']['met'])}",
    )
    if head["speedup_vs_concurrency_1"] is not None:
        row(
            "  x faster than the measured concurrency-1 run",
            f"{head['speedup_vs_concurrency_1']:.1f}x",
            "files and storing included (--sweep)",
        )
    row(
        "depth bound (critical path x latency)",
        f"{head['depth_bound_s']:.2f} s",
        f"{world['critical_path_requests']} requests in sequence x {latency_ms:g} ms",
    )
    row("  wall / depth bound", _num(head["wall_over_depth_bound"], ".2f"), "1.00 = only the depth waits")
    row(
        "throughput bound (requests / concurrency x latency)",
        f"{head['throughput_bound_s']:.2f} s",
        f"{world['requests']} requests / {head['requests_in_flight_allowed']}",
    )
    row(
        "  wall / max(depth bound, throughput bound)",
        _num(head["wall_over_lower_bound"], ".2f"),
        f"target <= {TARGET_BOUND_RATIO:g}: {_met(targets['wall_over_lower_bound']['met'])}",
    )
    row(
        "storing nodes (on each chunk's walking thread)",
        f"{head['store_s']:.2f} s",
        f"{_num(head['store_share'], '.0%')} of wall, {head['store_ms_per_node']:.1f} ms per node",
    )
    row("database statements", f"{head['db_queries']:,}", f"{head['queries_per_node']:.1f} per node")
    memory = report["memory"]
    if memory:
        row(
            "peak Python heap during the refresh (tracemalloc)",
            f"{memory['tracemalloc_peak_bytes'] / mib:.1f} MiB",
            f"separate traced run ({memory['wall_s']:.1f} s)",
        )
    row(
        "peak RSS of this process (ru_maxrss)",
        f"{head['maxrss_bytes'] / mib:.1f} MiB",
        f"{head['maxrss_before_bytes'] / mib:.1f} MiB before the refresh",
    )
    row("nodes stored / resolved", f"{head['nodes_stored']} / {head['nodes_resolved']}", f"{world['repos']} repos")
    row("edges stored", f"{head['edges_stored']}", f"{world['edges']} generated")
    row("change events recorded", f"{head['changes']}", "none expected on a first refresh")

    if report["sweep"]:
        lines += [
            "",
            "  Concurrency sweep (every run from the same reset state):",
            f"  {'concurrency':>11} {'wall s':>7} {'x faster':>9} {'wall/depth':>11} {'wall/bound':>11} "
            f"{'in flight':>10} {'req/repo':>9} {'store s':>8} {'ms/node':>8} {'vs c=1':>7}",
        ]
        for entry in report["sweep"]:
            speedup = _num(entry["speedup_vs_sequential"], ".1f", "x")
            lines.append(
                f"  {entry['concurrency']:>11} {entry['wall_s']:>7.2f} {speedup:>9} "
                f"{_num(entry['wall_over_depth_bound'], '.2f'):>11} {_num(entry['wall_over_lower_bound'], '.2f'):>11} "
                f"{entry['peak_in_flight']:>10} {entry['requests_per_repo']:>9.2f} {_num(entry['store_s'], '.2f'):>8} "
                f"{_num(entry['store_ms_per_node'], '.1f'):>8} {_num(entry['speedup_vs_concurrency_1'], '.1f', 'x'):>7}"
            )
    lines += ["", *_modes(report)]
    lines += ["", "  Checks:"]
    lines += [f"    [{'ok' if c['ok'] else 'FAILED'}] {c['name']}: {c['detail']}" for c in report["checks"]]
    lines.append(f"  ({report['elapsed_s']:.1f} s in all, setup included)")
    return "\n".join(lines)


def _modes(report: dict[str, Any]) -> list[str]:
    """The embedded runner and the Celery workers side by side, against the same bounds."""
    head, workers = report["headline"], report["workers"]
    lines = [
        "  The refresh task's two runners (same world, same reset state, same bounds):",
        f"  {'mode':<22} {'chunks':>6} {'wall s':>7} {'sequential':>10} {'x faster':>9} {'depth':>6} "
        f"{'throughput':>10} {'wall/max':>9} {'in flight':>9} {'req/repo':>8} {'SQL':>6} {'CPU s':>6}",
    ]
    for label, entry in (("embedded (in-process)", head), (f"{report['config']['workers']} Celery workers", workers)):
        if entry is None:
            lines.append(f"  {label:<22} not run: {report['workers_note']}")
            continue
        lines.append(
            f"  {label:<22} {entry['chunks']:>6} {entry['wall_s']:>7.2f} {entry['sequential_bound_s']:>9.2f}s "
            f"{_num(entry['speedup_vs_sequential'], '.1f', 'x'):>9} {entry['depth_bound_s']:>5.2f}s "
            f"{entry['throughput_bound_s']:>9.2f}s {_num(entry['wall_over_lower_bound'], '.2f'):>9} "
            f"{entry['peak_in_flight']:>9} {entry['requests_per_repo']:>8.2f} {_num(entry['db_queries'], ',d'):>6} "
            f"{entry['cpu_s']:>6.2f}"
        )
    lines.append(
        f"  targets: x faster >= {TARGET_SPEEDUP:g}, wall/max(depth, throughput bound) <= {TARGET_BOUND_RATIO:g}; "
        "the throughput bound counts one allowance of requests per process (the embedded chunks share one)"
    )
    walls = [f"{label} {_repeats(entry)}" for label, entry in (("embedded", head), ("workers", workers)) if entry]
    lines.append(f"  wall times: {'; '.join(walls)}")
    if workers is not None:
        targets = report["targets"]
        lines.append(
            f"  workers: x faster {_met(targets['workers_speedup_vs_sequential']['met'])}, "
            f"wall/max {_met(targets['workers_wall_over_lower_bound']['met'])}"
        )
    return lines


def _repeats(entry: dict[str, Any]) -> str:
    """ "median of 3: 2.15 / 2.19 / 2.25 s" (every refresh measured, fastest first), or "" for one refresh."""
    walls = entry.get("repeats_wall_s") or [entry["wall_s"]]
    if len(walls) == 1:
        return ""
    return f"median of {len(walls)}: {' / '.join(f'{wall:.2f}' for wall in walls)} s"


def ok(report: dict[str, Any]) -> bool:
    """Whether every correctness check passed (targets are reported, not enforced: timings are noisy)."""
    return all(check["ok"] for check in report["checks"])
