"""inference: lineage inference measured on the labelled set (``tests/inference/evaluation.py``).

Every recorded repo whose config and tokenizer config the fake hub serves, exposed with its lineage metadata removed,
is inferred about against the fingerprints of the others. Reports precision and recall at family and exact-base
level for the inferred edges (confidence >= 0.5), the wrong edges above 0.5, and the calibration (confidence
against accuracy per bin, and the Brier score). Targets (the issue's): family precision >= 0.95 at recall >= 0.8,
exact-base precision >= 0.9, no wrong inferred edge above 0.5. Pure computation: no database, no hub.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

NAME = "inference"
TARGETS = {"family_precision": 0.95, "family_recall": 0.8, "exact_precision": 0.9}


def run(log: Callable[[str], object] = lambda message: None) -> dict[str, Any]:
    from tests.inference.evaluation import evaluate

    log("inference: evaluating the labelled set")
    report = evaluate()
    report["targets"] = dict(TARGETS)
    report["checks"] = {
        **{name: report[name] is not None and report[name] >= target for name, target in TARGETS.items()},
        "no_wrong_edge_above_threshold": not report["wrong_exact_above_threshold"],
    }
    return report


def format_report(report: dict[str, Any]) -> str:
    lines = [
        "== inference: lineage inference on the labelled set ==",
        f"cases {report['cases']} ({report['cases_with_parent']} with a recorded parent, {report['bases']} bases); "
        f"inferred edges (confidence >= 0.5): {report['inferred']}",
    ]
    for name, target in TARGETS.items():
        verdict = "met" if report["checks"][name] else "MISSED"
        lines.append(f"  {name:<18} {report[name]}  (target >= {target}: {verdict})")
    lines.append(f"  exact_recall       {report['exact_recall']}")
    wrong = report["wrong_exact_above_threshold"]
    lines.append(f"  wrong edges above 0.5: {len(wrong)}" + (f" ({', '.join(wrong)})" if wrong else ""))
    lines.append(f"  Brier score (exact base): {report['brier_exact']}")
    lines.append("  calibration: bin, edges, mean confidence, family accuracy, exact accuracy")
    for row in report["calibration"]:
        lines.append(
            f"    {row['bin']}  {row['n']:>3}  {row['mean_confidence']:.3f}  {row['family_accuracy']:.3f}  "
            f"{row['exact_accuracy']:.3f}"
        )
    lines.append(f"  left out (true parent not recorded): {', '.join(report['unlabelled'])}")
    return "\n".join(lines)


def ok(report: dict[str, Any]) -> bool:
    return all(report["checks"].values())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options: the labelled set is fixed."""


def run_from_args(args: argparse.Namespace, log: Callable[[str], object]) -> dict[str, Any]:
    return run(log)
