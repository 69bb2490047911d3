"""Benchmarks of riskregistry's services against local stand-ins (``python -m benchmarks``; see README.md).

Each benchmark is a module with ``NAME``, ``add_arguments(parser)``, ``run_from_args(args, log) -> report``,
``format_report(report) -> str`` and ``ok(report) -> bool``; ``BENCHMARKS`` lists them in the order they run.
"""

from benchmarks import api, attestations, inference, lineage, mbom, portal, ratings, reports

BENCHMARKS = {
    lineage.NAME: lineage,
    ratings.NAME: ratings,
    attestations.NAME: attestations,
    portal.NAME: portal,
    reports.NAME: reports,
    api.NAME: api,
    mbom.NAME: mbom,
    inference.NAME: inference,
}

__all__ = ["BENCHMARKS"]
