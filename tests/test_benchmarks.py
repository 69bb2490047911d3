"""The lineage benchmark at a tiny size, without latency: the report's shape and the one-request-per-repo figure.

No timings are asserted: they belong to ``python -m benchmarks`` on a quiet machine, not to the test suite.
"""

from collections import Counter

import pytest

from benchmarks import BENCHMARKS
from benchmarks import lineage as bench
from benchmarks import ratings as ratings_bench
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
        ("GET", "/org/name/resolve/0123abcd/tokenizer_config.json", ("identity", None)),
        ("GET", "/_storage/org/name/0123abcd/name-Q4_K_M.gguf", ("storage", None)),
        ("GET", "/api/agent-harnesses", ("other", None)),
    ],
)
def test_hub_requests_are_classified(method, path, expected):
    assert bench.request_kind(method, path) == expected


def test_the_command_line_selects_benchmarks():
    args = _parser().parse_args(["--only", "lineage", "--sweep", "--json", "out.json"])

    assert args.only == ["lineage"] and args.sweep and str(args.json) == "out.json"
    assert set(BENCHMARKS) == {"lineage", "ratings", "attestations", "portal", "reports", "mbom", "api", "inference"}


def _check_names(report) -> set[str]:
    return {check["name"].rsplit(" (", 1)[0] for check in report["checks"]}


@pytest.mark.django_db
def test_a_tiny_lineage_benchmark_reports_one_request_per_repo():
    report = bench.run(repos=10, usages=20, latency_ms=0, sweep=(1, 16), workers=0)

    assert bench.ok(report), report["checks"]
    world, head = report["world"], report["headline"]
    assert world["repos"] == 10 and world["usages"] == 20 and world["edges"] > 0
    assert head["metadata_requests"] == head["repos_requested"] == 10
    assert head["requests_per_repo"] == 1.0 and f"{head['requests_per_repo']:.2f}" == "1.00"
    assert report["targets"]["requests_per_repo"]["met"] is True
    assert report["targets"]["speedup_vs_sequential"]["met"] is None  # no latency, no bound to compare with
    assert head["nodes_resolved"] == head["nodes_stored"] == 10 and head["edges_stored"] == world["edges"]
    assert head["file_requests"] == world["file_fetches"] and head["storage_requests"] == world["storage_fetches"]
    assert head["concurrency"] == report["config"]["settings_concurrency"]
    # Three refreshes measured from the same state (the default): the figures are the median one's.
    assert report["config"]["repeats"] == 3 and len(head["repeats_wall_s"]) == 3
    assert head["repeats_wall_s"] == sorted(head["repeats_wall_s"]) and head["wall_s"] == head["repeats_wall_s"][1]
    assert head["mode"] == "embedded" and head["chunks"] == head["claims"] == 0  # below LINEAGE_CHUNK_SIZE
    assert report["workers"] is None and report["workers_note"] == "--workers 0"
    assert report["memory"]["tracemalloc_peak_bytes"] > 0
    assert [entry["concurrency"] for entry in report["sweep"]] == [1, 16]
    assert all(entry["requests_per_repo"] == 1.0 for entry in report["sweep"])
    assert _check_names(report) >= {
        "every generated repo resolved",
        "edges equal the generated parent links",
        "every repo asked for exactly once",
        "the task's path: chunked above LINEAGE_CHUNK_SIZE, each repo claimed once",
        "rescoring requested",
    }

    text = bench.format_report(report)
    assert "per unique repo" in text and "1.00" in text and "target 1.00: met" in text
    assert "median of 3: " in text
    assert "FAILED" not in text and "Concurrency sweep" in text
    assert "Celery workers" in text and "not run: --workers 0" in text


@pytest.mark.django_db(transaction=True)  # the chunks are handed over when the coordinator commits
def test_the_lineage_benchmark_takes_the_chunked_path_above_the_chunk_size():
    report = bench.run(repos=24, usages=60, latency_ms=0, chunk_size=4, workers=0, memory=False)

    assert bench.ok(report), report["checks"]
    head, seeds = report["headline"], report["world"]["seeds"]
    assert seeds > 4 and head["chunks"] == -(-seeds // 4) and head["chunk_size"] == 4
    assert head["claims"] == head["nodes_stored"] == 24  # every repo claimed once, by one chunk
    assert head["requests_per_repo"] == 1.0 and head["edges_stored"] == report["world"]["edges"]


@pytest.mark.worker
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_lineage_benchmark_runs_the_refresh_on_two_real_celery_workers(postgres, redis_server):
    report = bench.run(
        repos=16, usages=40, latency_ms=0, chunk_size=4, workers=2, redis_url=redis_server, memory=False, repeats=2
    )

    assert bench.ok(report), report["checks"]
    workers, head = report["workers"], report["headline"]
    assert workers is not None, report["workers_note"]
    assert workers["mode"] == "workers" and workers["parallel"] == 2 and workers["chunks"] == head["chunks"] > 1
    assert workers["requests_per_repo"] == 1.0 and workers["claims"] == workers["nodes_stored"] == 16
    assert workers["edges_stored"] == report["world"]["edges"] and workers["db_queries"] > 0  # counted in the workers
    assert any(check["name"].endswith("(2 workers)") for check in report["checks"])
    assert "2 Celery workers" in bench.format_report(report)
    walls = workers["repeats_wall_s"]
    assert len(walls) == 2 and workers["wall_s"] == walls[1]  # of two, the slower: the median never flatters


def test_the_median_refresh_is_the_middle_one_by_wall_time_and_every_one_is_checked():
    from dataclasses import replace

    from benchmarks.lineage.report import _other_run_failures, median_run
    from benchmarks.lineage.world import world_build

    world = world_build(repos=10, seed=1)
    good = bench.RefreshRun(
        mode="embedded", concurrency=16, chunk_size=250, parallel=1, traced_memory=False, wall_s=2.0, cpu_s=1.0,
        store_s=0.5, db_queries=40, status="done", nodes_done=10, nodes_failed=0, changes=0, chunks=0, claims=0,
        metadata_requests=10, repos_requested=10, max_requests_one_repo=1, repos_requested_twice=[],
        file_requests=world.file_fetches, identity_requests=0, storage_requests=world.storage_fetches,
        other_requests=0, peak_in_flight=10, nodes_stored=10, nodes_resolved=10, edges_stored=len(world.edges),
        rescoring_requested=True, tracemalloc_peak_bytes=None, maxrss_before_bytes=0, maxrss_bytes=0,
    )  # fmt: skip
    runs = [replace(good, wall_s=wall) for wall in (2.4, 1.9, 2.1)]
    assert median_run(runs).wall_s == 2.1 and median_run(runs[:2]).wall_s == 2.4 and median_run(runs[:1]) is runs[0]
    with pytest.raises(ValueError):
        median_run([])
    failed = replace(good, status="failed", nodes_failed=3)
    assert _other_run_failures(failed, world, 5) and not _other_run_failures(good, world, 5)


# ------------------------------------------------------------------------------------------------------ ratings
# The ratings benchmark at a tiny size: the world it generates, and the report's shape and correctness checks.


def test_the_ratings_world_is_deterministic_and_as_deep_as_promised():
    plan = ratings_bench.world_plan(usages=600, seed=5)

    assert plan == ratings_bench.world_plan(usages=600, seed=5)
    assert plan.usages != ratings_bench.world_plan(usages=600, seed=6).usages
    assert len(plan.usages) == 600 and plan.max_depth == ratings_bench.MAX_DEPTH
    known: set[str] = set()
    for model in plan.models:  # parents come before their children, names are unique per kind
        assert set(model.parents) <= known, model
        known.add(model.name)
    assert len({(m.model_kind, m.name.lower()) for m in plan.models}) == len(plan.models)
    depth = {m.name: m.depth for m in plan.models}
    batch = 500
    for start in range(0, len(plan.usages), batch):  # every batch loads lineage MAX_DEPTH links deep
        assert max(depth[u.model] for u in plan.usages[start : start + batch]) == ratings_bench.MAX_DEPTH
    assert max(Counter((u.product, u.model) for u in plan.usages).values()) == 1  # a product uses a model once
    kinds = {m.kind for m in plan.models}
    assert {"base", "finetune", "gguf", "closed", "declared"} <= kinds
    assert any(p.country in {"CN", "RU", "IR"} for p in plan.publishers)
    assert any("repackager" in p.flags for p in plan.publishers)
    assert any(u.host is not None for u in plan.usages) and any(u.host is None for u in plan.usages)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            'SELECT "vendors_aimodel"."id" FROM "vendors_aimodel" LEFT OUTER JOIN "vendors_publisher"',
            "SELECT vendors_aimodel",
        ),
        ('INSERT INTO "assessments_riskrating" ("usage_id") VALUES (%s)', "INSERT assessments_riskrating"),
        ('UPDATE "assessments_riskrating" SET "is_current" = %s', "UPDATE assessments_riskrating"),
        ('SAVEPOINT "s1_x1"', "SAVEPOINT"),
        ("BEGIN", "BEGIN"),
    ],
)
def test_ratings_statements_are_classified_by_verb_and_table(sql, expected):
    assert ratings_bench.statement_kind(sql) == expected


def test_the_command_line_has_the_ratings_options():
    args = _parser().parse_args(["--only", "ratings", "--ratings-usages", "60", "--ratings-small", "20"])

    assert args.only == ["ratings"] and args.ratings_usages == 60 and args.ratings_small == 20
    assert args.usages == bench.DEFAULT_USAGES  # the lineage benchmark's options are its own
    assert BENCHMARKS["ratings"] is ratings_bench


@pytest.mark.django_db
def test_a_tiny_ratings_benchmark_checks_snapshots_and_queries_per_batch():
    from django.conf import settings

    from vendors.models import AIModel, ModelUsage, Publisher

    report = ratings_bench.run(usages=60, small=20, profile=True)  # no workers: in this process only

    assert ratings_bench.ok(report), report["checks"]
    first, second, small, scaling = report["first"], report["second"], report["small"], report["scaling"]
    assert report["world"]["usages"] == first["usages"] == 60 and small["usages"] == 20
    assert first["snapshots_stored"] == first["rated_usages"] == 60
    assert second["snapshots_stored"] == 0 and second["rating_rows"] == first["rating_rows"]
    assert small["snapshots_stored"] == 20
    assert first["batches"] == small["batches"] == 1 and first["batch_size"] == settings.RATINGS_BATCH_SIZE
    assert first["db_queries"] == first["db_statements"] - first["bulk_insert_splits"] > 0
    assert {"queries_per_batch_small", "queries_per_batch_large", "queries_per_batch_growth"} <= set(scaling)
    assert first["statements"] and sum(first["statements"].values()) == first["db_statements"]
    assert {check["name"] for check in report["checks"]} == {
        "first rescoring stores one snapshot per usage",
        "first rescoring of the small portfolio too",
        "second rescoring stores nothing (nothing changed)",
        "queries per batch do not grow with the portfolio",
        "total queries bounded by batches x per-batch queries",
    }
    assert set(report["targets"]["first_rescoring_wall_s"]) == {"target", "measured", "met"}
    assert sum(report["ratings"]["tiers"].values()) == 60
    assert report["profile"]["snapshots_stored"] == 60 and report["profile"]["cumulative"]
    # What it built is gone again, the benchmark's publishers included.
    assert not ModelUsage.objects.exists() and not ModelUsage.history.exists()
    assert not AIModel.objects.filter(kind="hub").exists()
    assert not Publisher.objects.filter(key__startswith="bench-ratings-").exists()

    text = ratings_bench.format_report(report)
    assert "queries per batch do not grow" in text and "target < 30 s" in text
    assert "FAILED" not in text and "cProfile" in text and "not run: --ratings-workers 0" in text


@pytest.mark.worker
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_ratings_benchmark_rescores_in_parts_on_two_real_celery_workers(postgres, redis_server):
    report = ratings_bench.run(usages=60, small=20, workers=2, redis_url=redis_server, chunk_size=25)

    assert ratings_bench.ok(report), report["checks"]
    workers = report["workers"]
    assert workers is not None, report["workers_note"]
    assert workers["usages"] == workers["rating_rows"] == workers["rated_usages"] == 60
    assert workers["parts"] == 3 and workers["part_sizes"] == [10, 25] and workers["tasks"] == 4
    assert workers["statements_per_batch"] > 0 and workers["batches"] == 3
    assert "queries per batch on the workers as in one process" in {check["name"] for check in report["checks"]}
    assert "2 workers, parts of 25" in ratings_bench.format_report(report)


@pytest.mark.django_db
def test_the_portal_benchmark_saves_and_submits_a_small_assessment():
    from benchmarks import portal

    report = portal.run(questions=8, rows=3, repeat=1)

    assert portal.ok(report), report["checks"]
    assert {"portal_save", "portal_submit", "service_save"} <= set(report["figures"])
    assert "portal save / service alone" in portal.format_report(report)


@pytest.mark.django_db
def test_the_reports_world_has_exactly_the_size_asked_for_and_is_rated():
    from assessments.models import RiskRating
    from benchmarks import reports as reports_bench
    from vendors.models import ModelUsage, Product, Vendor

    world = reports_bench.world_build(vendors=3, products=7, usages=40)

    assert world["usages"] == 40
    assert (Vendor.objects.count(), Product.objects.count(), ModelUsage.objects.count()) == (3, 7, 40)
    assert RiskRating.objects.filter(is_current=True).count() > 30  # rated by the real rescoring service
    reports_bench.world_delete()
    assert not Vendor.objects.exists()


def test_the_reports_benchmark_prints_its_figures_against_the_targets():
    from benchmarks import reports as reports_bench

    figures = {"wall_s": 42.0, "figures_s": 3.0, "html_s": 4.0, "render_pdf_s": 35.0, "peak_memory_bytes": 600 * 2**20}
    figures |= {"pages": 180, "pdf_bytes": 3 * 2**20, "weasyprint_alone_s": 34.0, "weasyprint_layout_s": 25.0}
    figures |= {"weasyprint_write_s": 9.0, "overhead_ratio": 42 / 34, "repeats": 1}
    figures |= {"cpu_s": 40.5, "weasyprint_cpu_s": 33.5}
    report = {**figures, "world": {"vendors": 200, "products": 1000, "usages": 10000}}
    text = reports_bench.format_report(report)

    assert "200 vendors, 1,000 products, 10,000 usages" in text and "180" in text
    assert "CPU time                 40.5 s   (WeasyPrint alone 33.5 s" in text
    assert "target < 60 s: met" in text and "target <= 1.3: met" in text
    assert reports_bench.ok(report) and not reports_bench.ok({**report, "pages": 0})
    args = _parser().parse_args(["--only", "reports", "--reports-vendors", "5", "--reports-repeats", "3"])
    assert args.reports_vendors == 5 and args.reports_repeats == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_tiny_api_benchmark_serves_every_list_through_gunicorn_beside_its_bare_twin(postgres, monkeypatch):
    from benchmarks import api as api_bench
    from tests.services import database_url_for_test_database
    from vendors.models import ModelUsage

    monkeypatch.setenv("DATABASE_URL", database_url_for_test_database())  # gunicorn reads the test database
    report = api_bench.run(usages=120, requests=8, clients=2, workers=2, page_size=5)

    assert api_bench.ok(report), report
    assert [row["name"] for row in report["lists"]] == [
        "products by risk tier", "usages with ratings", "findings", "change feed",
    ]  # fmt: skip
    for row in report["lists"]:
        assert row["same_rows"] and row["api"]["requests"] == row["bare"]["requests"] == 8
        assert row["api"]["rps"] > 0 and row["bare"]["p99_ms"] >= row["bare"]["p50_ms"] > 0
    assert report["world"]["usages"] == 120 and report["world"]["findings"] == 24
    assert "API/bare" in api_bench.format_report(report)
    assert not ModelUsage.objects.exists()  # the benchmark deleted what it made
