"""The labelled evaluation set of the lineage inference, and its measurement.

Every recorded repo of the fake hub whose identifying files are recorded is a case, exposed as the inference sees
a silent repo: its config, tokenizer config, README prose and file names, with its lineage metadata (the card's
``base_model``) removed. The truth is the declared first parent (and its family: the root of the declared chain),
or a label below where the parent is named only in prose, or "no recorded parent" for a base. The references are
every other recorded fingerprint, except the case's declared descendants (a refresh knows those from the graph).

Cases whose true parent is not recorded are left out and listed (``UNLABELLED``): nothing on the set can say
whether an answer about them is right.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tests.fakehub.records import declared_parents
from tests.inference.recorded import exposed, family_of, records, references
from vendors.lineage.inference import infer

#: Parents known from the README prose or the publisher's documentation, not from metadata.
PROSE_LABELS: Mapping[str, str] = {
    "NousResearch/Hermes-3-Llama-3.1-8B": "meta-llama/Llama-3.1-8B",  # "a full parameter fine-tune of Llama-3.1 8B"
}
#: Cases left out: the true parent is not a recorded repo.
UNLABELLED: Mapping[str, str] = {
    "deepseek-ai/DeepSeek-R1": "trained from DeepSeek-V3-Base, which is not recorded (DeepSeek-V3 is its sibling)",
    "meta-llama/Meta-Llama-3-70B-Instruct": "tuned from Meta-Llama-3-70B, which is not recorded",
    "microsoft/Phi-3.5-mini-instruct": "Microsoft publishes no separate Phi-3.5-mini base",
    "mistralai/Mistral-7B-v0.3": "Mistral-7B-v0.2 with an extended vocabulary; v0.2 is not recorded",
}
#: The stored threshold: candidates below it are not inferred edges.
THRESHOLD = 0.5
#: Confidence bins of the calibration table.
BINS = ((0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.01))


@dataclass(frozen=True)
class Case:
    repo_id: str
    parent: str | None  # None: no recorded parent (a base)
    family: str | None


def cases() -> list[Case]:
    found = []
    for reference in references():
        repo_id = reference.repo_id
        if repo_id in UNLABELLED:
            continue
        parents = declared_parents(records()[repo_id].get("cardData") or {})
        parent = parents[0] if parents else PROSE_LABELS.get(repo_id)
        if parent is not None and parent not in records():
            continue
        found.append(Case(repo_id, parent, family_of(parent)[0] if parent else None))
    return found


def _descendants(repo_id: str) -> set[str]:
    return {
        other for other in records() if other != repo_id and repo_id in _ancestors(other)
    }  # fmt: skip


def _ancestors(repo_id: str) -> set[str]:
    seen, todo = set(), [repo_id]
    while todo:
        for parent in declared_parents(records().get(todo.pop(), {}).get("cardData") or {}):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def predictions() -> list[dict[str, Any]]:
    """One row per case: the truth and the inference's most confident candidate (or none)."""
    rows = []
    for case in cases():
        record = records()[case.repo_id]
        # As a refresh sees it: the repo's own id, README prose and publication date (``exposed`` keeps the date).
        subject = exposed(case.repo_id, repo_id=case.repo_id, readme=record.get("readme_body") or "")
        banned = _descendants(case.repo_id) | {case.repo_id}
        refs = [ref for ref in references() if ref.repo_id not in banned]
        candidates = infer(subject, refs)
        best = candidates[0] if candidates else None
        rows.append(
            {
                "repo": case.repo_id,
                "true_parent": case.parent,
                "true_family": case.family,
                "parent": best.parent if best else None,
                "family": best.family if best else None,
                "source": best.source if best else None,
                "confidence": best.confidence if best else 0.0,
            }
        )
    return rows


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def evaluate(rows: list[dict[str, Any]] | None = None, threshold: float = THRESHOLD) -> dict[str, Any]:
    """Precision and recall at family and exact-base level, wrong answers above the threshold, calibration."""
    rows = predictions() if rows is None else rows
    made = [r for r in rows if r["parent"] and r["confidence"] >= threshold]
    with_parent = [r for r in rows if r["true_parent"]]
    family_right = [r for r in made if r["true_family"] and r["family"] == r["true_family"]]
    exact_right = [r for r in made if r["true_parent"] and r["parent"] == r["true_parent"]]
    calibration = []
    for low, high in BINS:
        inside = [r for r in made if low <= r["confidence"] < high]
        if inside:
            mean = sum(r["confidence"] for r in inside) / len(inside)
            calibration.append(
                {
                    "bin": f"{low:.1f}-{min(high, 1.0):.1f}",
                    "n": len(inside),
                    "mean_confidence": round(mean, 3),
                    "family_accuracy": round(sum(r in family_right for r in inside) / len(inside), 3),
                    "exact_accuracy": round(sum(r in exact_right for r in inside) / len(inside), 3),
                }
            )
    brier = sum((r["confidence"] - (r in exact_right)) ** 2 for r in made) / len(made) if made else None
    return {
        "cases": len(rows),
        "cases_with_parent": len(with_parent),
        "bases": len(rows) - len(with_parent),
        "inferred": len(made),
        "family_precision": _ratio(len(family_right), len(made)),
        "family_recall": _ratio(len(family_right), len(with_parent)),
        "exact_precision": _ratio(len(exact_right), len(made)),
        "exact_recall": _ratio(len(exact_right), len(with_parent)),
        "wrong_family_above_threshold": sorted(r["repo"] for r in made if r not in family_right),
        "wrong_exact_above_threshold": sorted(r["repo"] for r in made if r not in exact_right),
        "brier_exact": round(brier, 4) if brier is not None else None,
        "calibration": calibration,
        "unlabelled": dict(UNLABELLED),
        "rows": rows,
    }
