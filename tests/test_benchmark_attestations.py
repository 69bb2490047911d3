"""The attestation benchmark at a tiny size: the report's shape and its checks. No timing is asserted."""

import pytest

from benchmarks import BENCHMARKS
from benchmarks import attestations as bench
from benchmarks.__main__ import _parser
from vendors.models import Vendor


@pytest.mark.django_db
def test_the_benchmark_measures_both_paths_and_cleans_up():
    report = bench.run(products=2, usages=1, repeats=1)

    assert bench.ok(report), report["checks"]
    assert report["pages"] >= 2
    assert report["claims"] == 7 + 8  # model, lineage, hosting, licences, datasets + a claim per node (2, then 3)
    for path in ("ours", "weasyprint_alone"):
        assert report[path]["total_s"] > 0 and report[path]["peak_bytes"] > 0
    assert report["wall_ratio"] == report["ours"]["total_s"] / report["weasyprint_alone"]["total_s"]
    assert "WeasyPrint alone" in bench.format_report(report)
    assert not Vendor.objects.exists()  # the world is deleted and no request was kept


def test_the_command_line_knows_it():
    args = _parser().parse_args(["--only", "attestations", "--attestation-products", "3"])

    assert args.only == ["attestations"] and args.attestation_products == 3 and "attestations" in BENCHMARKS
