"""The MBOM benchmark at a tiny size: the report's shape and its checks. No timing is asserted."""

import pytest

from benchmarks import BENCHMARKS
from benchmarks import mbom as bench
from benchmarks.__main__ import _parser
from vendors.models import AIModel, Vendor


@pytest.mark.django_db
def test_the_benchmark_measures_export_and_import_and_cleans_up():
    report = bench.run(products=3, models=9, usages=2, components=20, repeats=1)

    assert bench.ok(report), report["checks"]
    assert report["export"]["cyclonedx"]["files"] == report["export"]["spdx"]["files"] == 3
    for fmt in ("cyclonedx", "spdx"):
        assert report["export"][fmt]["total_s"] > 0 and report["export"][fmt]["peak_bytes"] > 0
    assert report["import"]["total_s"] > 0 and report["import"]["peak_bytes"] > 0
    assert "import of 20 components" in bench.format_report(report)
    assert not Vendor.objects.exists() and not AIModel.objects.filter(name__startswith=bench.KEY_PREFIX).exists()


def test_the_command_line_knows_it():
    args = _parser().parse_args(["--only", "mbom", "--mbom-products", "4", "--mbom-components", "100"])

    assert args.only == ["mbom"] and args.mbom_products == 4 and args.mbom_components == 100 and "mbom" in BENCHMARKS
