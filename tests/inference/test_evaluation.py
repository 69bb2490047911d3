"""The inference measured on the labelled set (``tests/inference/evaluation.py``) against the issue's targets:
family precision >= 0.95 at recall >= 0.8, exact-base precision >= 0.9, no wrong inferred edge above 0.5."""

from tests.inference.evaluation import THRESHOLD, cases, evaluate


def test_the_labelled_set_has_bases_and_derivatives_of_several_families():
    labelled = cases()
    assert len(labelled) >= 40
    with_parent = [case for case in labelled if case.parent]
    assert len(with_parent) >= 20 and len(labelled) - len(with_parent) >= 15
    assert len({case.family for case in with_parent}) >= 10
    assert "NousResearch/Hermes-3-Llama-3.1-8B" in {case.repo_id for case in with_parent}  # prose-only lineage


def test_the_targets_are_met_on_the_labelled_set():
    report = evaluate()
    assert report["family_precision"] >= 0.95 and report["family_recall"] >= 0.8, report
    assert report["exact_precision"] >= 0.9, report
    assert report["wrong_family_above_threshold"] == [] and report["wrong_exact_above_threshold"] == []
    assert all(row["confidence"] < THRESHOLD for row in report["rows"] if row["true_parent"] is None)


def test_the_measures_count_what_they_say():
    rows = [
        {"repo": "a", "true_parent": "p", "true_family": "f", "parent": "p", "family": "f", "confidence": 0.9},
        {"repo": "b", "true_parent": "p", "true_family": "f", "parent": "q", "family": "f", "confidence": 0.8},
        {"repo": "c", "true_parent": "p", "true_family": "f", "parent": "x", "family": "g", "confidence": 0.6},
        {"repo": "d", "true_parent": None, "true_family": None, "parent": "p", "family": "f", "confidence": 0.55},
        {"repo": "e", "true_parent": "p", "true_family": "f", "parent": "p", "family": "f", "confidence": 0.4},
    ]
    report = evaluate(rows)
    assert (report["inferred"], report["cases_with_parent"]) == (4, 4)
    assert report["family_precision"] == 0.5 and report["family_recall"] == 0.5
    assert report["exact_precision"] == 0.25 and report["exact_recall"] == 0.25
    assert report["wrong_family_above_threshold"] == ["c", "d"]
    assert report["wrong_exact_above_threshold"] == ["b", "c", "d"]
    assert [row["bin"] for row in report["calibration"]] == ["0.5-0.6", "0.6-0.7", "0.8-0.9", "0.9-1.0"]
