"""The lineage benchmark at a tiny size, without latency: the report's shape and the one-request-per-repo figure.

No timings are asserted: they belong to ``python -m benchmarks`` on a quiet machine, not to the test suite.
"""

import pytest

from benchmarks import BENCHMARKS
from benchmarks import lineage as bench
from benchmarks.__main__ import _parser


def test_the_generated_world_is_deterministic_and_consistent():
    world = bench.world_build(repos=60, seed=7)

    assert world == bench.world_build(repos=60, seed=7)
    assert world.repo_ids != bench.world_build(repos=60, seed=8).repo_ids
    assert len(world.nodes) == len({repo_id.lower() for repo_id in world.repo_ids}) == 60
    known: set[str] = set()
    for node in world.nodes:  # parents come before their children
        assert set(node.parents) <= known, node
        known.add(node.repo_id)
    assert world.longest_chain == len(world.deep_chain) == bench.DEFAULT_CHAIN_LENGTH
    assert {"base", "finetune"} <= set(world.kinds())
    assert [record["id"] for record in world.records] == world.repo_ids


def test_the_critical_path_counts_requests_that_wait_for_a_child():
    world = bench.world_build(repos=12, chain_length=5, seed=3)
    tip = world.deep_chain[-1]

    assert bench.critical_path_requests(world, {tip}) == 5  # one request per generation, tip to root
    assert bench.critical_path_requests(world, set(world.deep_chain)) == 1  # every generation is a seed


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/api/models/org/name", ("metadata", "org/name")),
        ("GET", "/api/models/org%2Fname", ("metadata", "org/name")),
        ("GET", "/api/models/gpt2", ("metadata", "gpt2")),
        ("GET", "/api/models/org/name/revision/main", ("metadata", "org/name")),
        ("GET", "/api/models/org/name/tree/main", ("other", None)),
        ("GET", "/api/models", ("other", None)),
        ("HEAD", "/api/models/org/name", ("other", None)),
        ("GET", "/org/name/resolve/0123abcd/adapter_config.json", ("file", None)),
        ("GET", "/api/agent-harnesses", ("other", None)),
    ],
)
def test_hub_requests_are_classified(method, path, expected):
    assert bench.request_kind(method, path) == expected


def test_the_command_line_selects_benchmarks():
    args = _parser().parse_args(["--only", "lineage", "--sweep", "--json", "out.json"])

    assert args.only == ["lineage"] and args.sweep and str(args.json) == "out.json"
    assert set(BENCHMARKS) == {"lineage"}


@pytest.mark.django_db
def test_a_tiny_lineage_benchmark_reports_one_request_per_repo():
    report = bench.run(repos=10, usages=20, latency_ms=0, sweep=(1, 16))

    assert bench.ok(report), report["checks"]
    world, head = report["world"], report["headline"]
    assert world["repos"] == 10 and world["usages"] == 20 and world["edges"] > 0
    assert head["metadata_requests"] == head["repos_requested"] == 10
    assert head["requests_per_repo"] == 1.0 and f"{head['requests_per_repo']:.2f}" == "1.00"
    assert report["targets"]["requests_per_repo"]["met"] is True
    assert report["targets"]["speedup_vs_sequential"]["met"] is None  # no latency, no bound to compare with
    assert head["nodes_resolved"] == head["nodes_stored"] == 10 and head["edges_stored"] == world["edges"]
    assert head["file_requests"] == world["file_fetches"]
    assert head["concurrency"] == report["config"]["settings_concurrency"]
    assert report["memory"]["tracemalloc_peak_bytes"] > 0
    assert [entry["concurrency"] for entry in report["sweep"]] == [1, 16]
    assert all(entry["requests_per_repo"] == 1.0 for entry in report["sweep"])
    assert {check["name"] for check in report["checks"]} >= {
        "every generated repo resolved",
        "edges equal the generated parent links",
        "every repo asked for exactly once",
    }

    text = bench.format_report(report)
    assert "per unique repo" in text and "1.00" in text and "target 1.00: met" in text
    assert "FAILED" not in text and "Concurrency sweep" in text
