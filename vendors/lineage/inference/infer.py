"""Candidate parents of a repo whose metadata names none: its fingerprint compared with the fingerprints of
known models, and the repos its README names, each claim checked against the named repo's fingerprint.

How the confidence is built (it never says more than the fields carry):

* config: the same architecture, widths, depth and vocabulary as a reference is strong evidence of its family
  (0.80); the same position settings (+0.05), tokenizer (+0.08) and parameter count (+0.02) point at the exact
  reference. An extended vocabulary costs 0.10 and a changed depth (pruned or upscaled) caps it at 0.55; a
  replaced tokenizer (a distillation such as DeepSeek-R1-Distill-Qwen keeps Qwen2's shapes with DeepSeek's tokens)
  costs 0.10 and says so.
* several references equally close: the upstream-most one is named and its confidence drops, since a fine-tune of
  any of them would look the same; the family keeps its confidence.
* tokenizer only (no config to compare): at most 0.55, family level.
* README: a claim whose repo's fingerprint agrees adds 0.10 (capped at 0.97) and makes the source
  ``inferred:readme``; one that disagrees is reported and not believed; one that cannot be checked is 0.45.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from vendors.lineage.inference.compare import Comparison, ConfigMatch, TokenizerMatch, compare
from vendors.lineage.inference.fingerprint import Fingerprint, fingerprint_from
from vendors.lineage.inference.readme import readme_claims, says_merge

#: ``quant_method`` values of a post-hoc quantization (a child quantized from a parent's weights).
QUANT_METHODS = frozenset(
    {"bitsandbytes", "gptq", "awq", "aqlm", "hqq", "eetq", "exl2", "quanto", "vptq", "higgs", "spqr", "torchao"}
    | {"compressed-tensors", "fbgemm_fp8"}
)
#: Most candidates returned.
MAX_CANDIDATES = 4
#: Highest confidence in a parent from the repo's own publisher that declares no parent itself.
SAME_PUBLISHER_CAP = 0.7
#: How much later than a repo its parent may have been made public.
PUBLICATION_SLACK = timedelta(days=7)


#: Files whose presence the inference reads (besides the identifying files it downloads).
_TELLING_NAMES = ("config.json", "tokenizer_config.json", "README.md", "adapter_config.json", "mergekit_config.yml")
#: Most file names kept per repo by ``telling_files``.
MAX_TELLING_FILES = 16


def telling_files(names: Iterable[str]) -> tuple[str, ...]:
    """The file names the inference uses from a repo's listing: the identifying files, adapter and merge configs
    at the root, and a few GGUF files; so a walk can keep them for thousands of repos without the full listing."""
    kept = []
    for name in names:
        if isinstance(name, str) and (name in _TELLING_NAMES or name.lower().endswith(".gguf")):
            kept.append(name)
            if len(kept) >= MAX_TELLING_FILES:
                break
    return tuple(kept)


class InferredSource:
    CONFIG = "inferred:config"
    TOKENIZER = "inferred:tokenizer"
    README = "inferred:readme"
    ALL = (CONFIG, TOKENIZER, README)


@dataclass(frozen=True)
class Exposed:
    """What a repo exposes: its config, tokenizer config, README text, parameter count and file names."""

    repo_id: str
    config: Mapping[str, Any] | None = None
    tokenizer_config: Mapping[str, Any] | None = None
    readme: str = ""
    parameters: int | None = None
    files: tuple[str, ...] = ()
    gguf_architecture: str = ""
    created_at: datetime | None = None
    #: The fingerprint already read from ``config`` and ``tokenizer_config`` (a stored one), used instead of them.
    fingerprint: Fingerprint | None = None


@dataclass(frozen=True)
class Reference:
    """A known model: its fingerprint, its family (the root of its declared lineage) and how far below that
    root it sits (0 for the root)."""

    repo_id: str
    fingerprint: Fingerprint
    family: str = ""
    depth: int = 0
    created_at: datetime | None = None


@dataclass(frozen=True)
class Candidate:
    """A probable parent: the repo, its family, a relation guess, a confidence in [0, 1] and the evidence."""

    parent: str
    family: str
    relation: str
    source: str
    confidence: float
    matched: tuple[str, ...] = ()
    mismatched: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def evidence(self) -> dict[str, Any]:
        return {"matched": list(self.matched), "not_matched": list(self.mismatched), "notes": list(self.notes)}

    def summary(self) -> str:
        what = f"{self.family} family" if self.parent == self.family else f"{self.parent} ({self.family} family)"
        return f"probably {what} ({self.confidence:.2f}): " + (", ".join(self.matched[:4]) or "named in the README")


@dataclass
class _Scored:
    ref: Reference
    comparison: Comparison
    score: float
    notes: list[str] = field(default_factory=list)


def _score(comparison: Comparison, child: Fingerprint) -> tuple[float, list[str]]:
    notes: list[str] = []
    if comparison.config in (ConfigMatch.SAME, ConfigMatch.VOCAB_EXTENDED):
        score = 0.80
        if comparison.rope_same:
            score += 0.05
        if comparison.parameters_same:
            score += 0.02
        if comparison.config == ConfigMatch.VOCAB_EXTENDED:
            score -= 0.10
            notes.append(f"vocabulary extended by {comparison.vocab_added} tokens")
        if comparison.tokenizer == TokenizerMatch.SAME:
            score += 0.08
        elif comparison.tokenizer == TokenizerMatch.DIFFERENT:
            score -= 0.10
            notes.append("same shapes with another tokenizer's special tokens (a distillation or a re-tokenised model)")
        return score, notes
    if comparison.config == ConfigMatch.DEPTH_CHANGED and comparison.layers:
        child_layers, ref_layers = comparison.layers
        kind = "upscaled" if child_layers > ref_layers else "pruned"
        notes.append(f"same widths with {child_layers} layers instead of {ref_layers} (probably {kind})")
        return (0.55 if comparison.tokenizer in (TokenizerMatch.SAME, TokenizerMatch.SIMILAR) else 0.45), notes
    if comparison.config == ConfigMatch.UNKNOWN and not child.has_config:
        if comparison.tokenizer == TokenizerMatch.SAME:
            return 0.55, ["tokenizer only: no config to compare"]
        if comparison.tokenizer == TokenizerMatch.SIMILAR:
            return 0.40, ["tokenizer only: no config to compare"]
    return 0.0, notes


def _relation(subject: Exposed, child: Fingerprint, merge: bool, best: _Scored | None) -> str:
    if child.quantization in QUANT_METHODS or any(f.lower().endswith(".gguf") for f in subject.files):
        return "quantized"
    if merge:
        return "merge"
    if any(f == "adapter_config.json" for f in subject.files):
        return "adapter"
    if best is not None and best.comparison.config == ConfigMatch.DEPTH_CHANGED:
        return "unknown"
    return "finetune"


def _eligible(subject: Exposed, ref: Reference) -> bool:
    """A reference can be a parent: not the repo itself, not one of its declared descendants (whose family is the
    repo), and not published after it (give or take ``PUBLICATION_SLACK``: a lab may make a base public a day after
    the model tuned from it)."""
    if subject.repo_id.lower() in (ref.repo_id.lower(), ref.family.lower()):
        return False
    return not (subject.created_at and ref.created_at and ref.created_at > subject.created_at + PUBLICATION_SLACK)


def infer(subject: Exposed, references: Sequence[Reference]) -> tuple[Candidate, ...]:
    """Candidate parents of ``subject``, most confident first (at most ``MAX_CANDIDATES``)."""
    child = subject.fingerprint
    if child is None:
        child = fingerprint_from(subject.config, subject.tokenizer_config, subject.parameters)
    refs = [ref for ref in references if _eligible(subject, ref)]
    by_id = {ref.repo_id.lower(): ref for ref in refs}
    claims = readme_claims(subject.readme, known=by_id)
    claims = tuple(c for c in claims if c.lower() != subject.repo_id.lower())
    merge = says_merge(subject.readme) or any(f.endswith("mergekit_config.yml") for f in subject.files)

    scored = []
    for ref in refs:
        comparison = compare(child, ref.fingerprint)
        score, notes = _score(comparison, child)
        if score > 0:
            scored.append(_Scored(ref, comparison, score, notes))
    scored.sort(key=lambda s: (-s.score, s.ref.depth, s.ref.repo_id.lower()))
    best = scored[0] if scored else None
    relation = _relation(subject, child, merge, best)
    candidates: dict[str, Candidate] = {}

    for claim in claims:
        candidate = _readme_candidate(claim, by_id.get(claim.lower()), child, relation, scored)
        candidates.setdefault(candidate.parent.lower(), candidate)
    if best is not None and not any(
        c.source == InferredSource.README and c.confidence >= 0.5 for c in candidates.values()
    ):
        candidate = _config_candidate(best, scored, relation, subject.repo_id)
        candidates.setdefault(candidate.parent.lower(), candidate)
    ordered = sorted(candidates.values(), key=lambda c: (-c.confidence, c.parent.lower()))
    return tuple(ordered[:MAX_CANDIDATES])


def _org(repo_id: str) -> str:
    return repo_id.split("/", 1)[0].lower() if "/" in repo_id else ""


def _tied(best: _Scored, scored: Iterable[_Scored]) -> list[_Scored]:
    return [s for s in scored if s.score >= best.score - 0.011]


def _config_candidate(best: _Scored, scored: list[_Scored], relation: str, subject_id: str) -> Candidate:
    notes = list(best.notes)
    root = next((s for s in scored if s.ref.repo_id == best.ref.family and s.ref.depth == 0), None)
    tied = _tied(best, scored)
    if not best.comparison.rope_same and best.ref.depth > 0 and root is not None:
        # Position settings differ from every close model: a sibling post-trained from the same root looks as
        # close as a parent would, so the exact base is not identified and the family's root is named; the
        # family's other models being as close is then expected, not a doubt.
        tied = [s for s in _tied(root, scored) if (s.ref.family or s.ref.repo_id) != root.ref.repo_id] + [root]
        best = root
        notes = [*root.notes, "position settings differ from every known model of the family: its root is named"]
    families = {s.ref.family or s.ref.repo_id for s in tied}
    confidence = best.score
    if len(tied) > 1:
        others = ", ".join(sorted(s.ref.repo_id for s in tied if s is not best)[:3])
        notes.append(f"{len(tied) - 1} other known models match as closely ({others}); the upstream-most is named")
        confidence -= min(0.25, 0.08 * (len(tied) - 1))
        if len(families) > 1:
            confidence = min(confidence, 0.45)
            notes.append("they belong to different families")
    if best.ref.depth == 0 and _org(best.ref.repo_id) and _org(best.ref.repo_id) == _org(subject_id):
        # A publisher's own models often share a base it never published (DeepSeek-R1 and DeepSeek-V3 both come
        # from DeepSeek-V3-Base): the same fingerprint then means a sibling as likely as a parent.
        confidence = min(confidence, SAME_PUBLISHER_CAP)
        notes.append("same publisher: it may share an unpublished base with this model rather than be its parent")
    source = InferredSource.CONFIG
    if best.comparison.config == ConfigMatch.UNKNOWN:
        source = InferredSource.TOKENIZER
    return Candidate(
        parent=best.ref.repo_id,
        family=best.ref.family or best.ref.repo_id,
        relation=relation,
        source=source,
        confidence=round(max(0.0, min(confidence, 0.95)), 2),
        matched=best.comparison.matched,
        mismatched=best.comparison.mismatched,
        notes=tuple(notes),
    )


def _readme_candidate(
    claim: str, ref: Reference | None, child: Fingerprint, relation: str, scored: list[_Scored]
) -> Candidate:
    if ref is None:
        return Candidate(claim, claim, relation, InferredSource.README, 0.45,
                         notes=("named in the README; no fingerprint of it to check the claim against",))  # fmt: skip
    found = next((s for s in scored if s.ref is ref), None)
    comparison = found.comparison if found else compare(child, ref.fingerprint)
    family = ref.family or ref.repo_id
    if found is None:
        agrees = not child.has_config and not child.has_tokenizer  # nothing to check against: the claim alone
        return Candidate(
            claim, family, relation, InferredSource.README, 0.45 if agrees else 0.15,
            comparison.matched, comparison.mismatched,
            ("named in the README" + ("" if agrees else ", but its fingerprint does not match this model's"),),
        )  # fmt: skip
    confidence = min(0.97, max(found.score, 0.75) + 0.10)
    if found.comparison.config == ConfigMatch.DEPTH_CHANGED:
        confidence = min(confidence, 0.75)
    notes = ("named in the README and its fingerprint agrees", *found.notes)
    return Candidate(
        claim,
        family,
        relation,
        InferredSource.README,
        round(confidence, 2),
        comparison.matched,
        comparison.mismatched,
        notes,
    )
