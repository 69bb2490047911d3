"""The report: the figures derived from the measured refreshes, the checks, and the text that is printed.

``report_figures`` turns the measured runs into the report's plain JSON-able sections; ``format_report`` is
the report as ``python -m benchmarks`` prints it; ``ok`` says whether every correctness check passed.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from benchmarks.lineage.measure import RefreshRun
from benchmarks.lineage.world import Portfolio, World

#: The issue's targets for the headline run (default settings).
TARGET_REQUESTS_PER_REPO = 1.00
TARGET_SPEEDUP = 8.0


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def _derived(run: RefreshRun, *, repos: int, latency: float, critical: int, requests: int) -> dict[str, Any]:
    """The figures the issue asks for; ratios against a bound are ``None`` without latency (no bound)."""
    depth_bound = critical * latency
    throughput_bound = requests / run.concurrency * latency
    return {
        "requests_per_repo": run.metadata_requests / repos,
        "sequential_bound_s": repos * latency,
        "speedup_vs_sequential": _ratio(repos * latency, run.wall_s) if latency > 0 else None,
        "depth_bound_s": depth_bound,
        "wall_over_depth_bound": _ratio(run.wall_s, depth_bound),
        "throughput_bound_s": throughput_bound,
        "wall_over_lower_bound": _ratio(run.wall_s, max(depth_bound, throughput_bound)),
        "store_share": _ratio(run.store_s, run.wall_s),
        "store_ms_per_node": 1000 * run.store_s / max(run.nodes_done, 1),
        "queries_per_node": run.db_queries / max(run.nodes_done, 1),
    }


def _checks(run: RefreshRun, world: World) -> list[dict[str, Any]]:
    repos, edges = len(world.nodes), len(world.edges)
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
        {"name": "one file request per adapter", "ok": run.file_requests == world.file_fetches,
         "detail": f"{run.file_requests} file requests, {world.file_fetches} adapters"},
    ]  # fmt: skip


def _some(items: list[Any], label: str) -> str:
    if not items:
        return ""
    return f"; {label}: {', '.join(map(str, items[:5]))}" + (" ..." if len(items) > 5 else "")


def _other_run_failures(run: RefreshRun, world: World) -> list[dict[str, Any]]:
    """Checks of the runs after the headline, listed only when they fail (the headline's are always listed)."""
    label = f"concurrency {run.concurrency}" + (", traced" if run.traced_memory else "")
    return [{**check, "name": f"{check['name']} ({label})"} for check in _checks(run, world) if not check["ok"]]


def report_figures(
    *,
    world: World,
    portfolio: Portfolio,
    bounds: dict[str, Any],
    headline: RefreshRun,
    memory_run: RefreshRun | None,
    sweep_runs: list[RefreshRun],
) -> dict[str, Any]:
    """The report's sections after its config: the world, the runs with their derived figures, checks, targets.

    ``bounds`` holds what ``_derived`` needs: unique ``repos``, ``latency`` in seconds, ``critical`` (the
    requests on the critical path) and ``requests`` (metadata and file requests the refresh must make).
    """
    derived = _derived(headline, **bounds)
    speedup = derived["speedup_vs_sequential"]
    headline_entry = {**asdict(headline), **derived}
    sweep_entries = [{**asdict(r), **_derived(r, **bounds)} for r in sweep_runs]
    one_at_a_time = next((r.wall_s for r in sweep_runs if r.concurrency == 1), None)
    for entry in [headline_entry, *sweep_entries]:  # against the measured run, files and storing included
        entry["speedup_vs_concurrency_1"] = _ratio(one_at_a_time, entry["wall_s"]) if one_at_a_time else None
    return {
        "world": {
            "repos": len(world.nodes), "kinds": world.kinds(), "edges": len(world.edges),
            "longest_chain": world.longest_chain, "critical_path_requests": bounds["critical"],
            "file_fetches": world.file_fetches, "vendors": portfolio.vendors, "products": portfolio.products,
            "usages": portfolio.usages, "seeds": len(portfolio.seeds),
            "usages_on_most_used_repo": portfolio.usages_per_repo_max,
        },
        "headline": headline_entry,
        "memory": asdict(memory_run) if memory_run else None,
        "sweep": sweep_entries,
        "checks": _checks(headline, world) + [
            check for r in [memory_run, *sweep_runs] if r and r is not headline
            for check in _other_run_failures(r, world)
        ],
        "targets": {
            "requests_per_repo": {"target": TARGET_REQUESTS_PER_REPO, "measured": derived["requests_per_repo"],
                                  "met": round(derived["requests_per_repo"], 2) == TARGET_REQUESTS_PER_REPO},
            "speedup_vs_sequential": {"target": TARGET_SPEEDUP, "measured": speedup,
                                      "met": None if speedup is None else speedup >= TARGET_SPEEDUP},
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
    row("hub file requests (adapter_config.json)", f"{head['file_requests']}", f"{world['file_fetches']} adapters")
    row("hub identity-file requests (inference)", f"{head.get('identity_requests', 0)}", "config, tokenizer, README")
    row("other hub requests (listings, trees, ...)", f"{head['other_requests']}")
    row("peak requests in flight at the hub", f"{head['peak_in_flight']}", f"concurrency {head['concurrency']}")
    row("wall time of the refresh", f"{head['wall_s']:.2f} s")
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
        f"{world['repos'] + world['file_fetches']} requests / {head['concurrency']}",
    )
    row(
        "  wall / max(depth bound, throughput bound)",
        _num(head["wall_over_lower_bound"], ".2f"),
        "1.00 = as fast as the hub allows",
    )
    row(
        "storing nodes (on the walk's calling thread)",
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
                f"{entry['peak_in_flight']:>10} {entry['requests_per_repo']:>9.2f} {entry['store_s']:>8.2f} "
                f"{entry['store_ms_per_node']:>8.1f} {_num(entry['speedup_vs_concurrency_1'], '.1f', 'x'):>7}"
            )
    lines += ["", "  Checks:"]
    lines += [f"    [{'ok' if c['ok'] else 'FAILED'}] {c['name']}: {c['detail']}" for c in report["checks"]]
    lines.append(f"  ({report['elapsed_s']:.1f} s in all, setup included)")
    return "\n".join(lines)


def ok(report: dict[str, Any]) -> bool:
    """Whether every correctness check passed (targets are reported, not enforced: timings are noisy)."""
    return all(check["ok"] for check in report["checks"])
