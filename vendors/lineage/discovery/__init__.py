"""Parents of one repo: every place the hub metadata names a base model, merged into one claim per parent.

Sources, strongest first (``SOURCE_PRIORITY``): the card's ``base_model`` (what the author wrote), the hub's
``base_model:`` tags and ``baseModels`` expand (the hub's rendering of the card), ``config.peft`` (the hub's
reading of adapter_config.json), the adapter_config.json files themselves, and GGUF ``general.base_model.*``.
The same parent named by several sources becomes one ``ParentClaim`` carrying the strongest source.

Relation of a parent, first rule that applies:
1. explicit: card ``base_model_relation``, a ``base_model:{relation}:X`` tag, the ``baseModels`` relation
   (in source order, so the card's word wins);
2. a PEFT source (``config.peft`` or an adapter_config.json) names this parent ⇒ adapter;
3. the card (or, without card parents, the tags) declares two or more parents ⇒ merge;
4. the repo's files say adapter (adapter_config.json at the root, ``config.peft``) or quantized (``.gguf``
   files, a ``gguf`` key, a post-hoc ``quantization_config``) ⇒ that (``relation_from_files``);
5. otherwise finetune. GGUF-only claims are ``unknown`` (see ``discovery.gguf``).
The hub's own inference is closed source (HUB_API 2.1); these rules follow its visible behaviour.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from vendors.lineage.discovery.gguf import gguf_claims, header_notes, header_of
from vendors.lineage.discovery.refs import (
    KNOWN_RELATIONS,
    MAX_IGNORED,
    MAX_IGNORED_LEN,
    MAX_PARENTS,
    MAX_REF_LEN,
    MAX_SCAN,
    Claim,
    Notes,
    normalize_repo_ref,
    quote,
)
from vendors.lineage.discovery.sources import (
    MAX_ADAPTER_FILES,
    adapter_claims,
    base_models_claims,
    card_claims,
    peft_claims,
    tag_claims,
)
from vendors.lineage.gaps import MAX_GAPS, Gap, GapCode, failure_gap
from vendors.lineage.sanitize import clean_text
from vendors.lineage.snapshot import EvidenceSource, ParentClaim, Relation, RepoSnapshot

__all__ = [
    "KNOWN_RELATIONS",
    "MAX_ADAPTER_FILES",
    "MAX_IGNORED",
    "MAX_IGNORED_LEN",
    "MAX_PARENTS",
    "MAX_REF_LEN",
    "MAX_SCAN",
    "POST_HOC_QUANT_METHODS",
    "SOURCE_PRIORITY",
    "Discovery",
    "discover_parents",
    "normalize_repo_ref",
    "relation_from_files",
]

#: Lower number = stronger evidence.
SOURCE_PRIORITY: Mapping[str, int] = {
    EvidenceSource.CARD: 0,
    EvidenceSource.TAGS: 1,
    EvidenceSource.CONFIG: 2,
    EvidenceSource.ADAPTER_CONFIG: 3,
    EvidenceSource.GGUF: 4,
}
#: ``quantization_config.quant_method`` values that mean "someone quantized a parent". Not ``fp8``/``mxfp4``:
#: DeepSeek-V3, Kimi-K2 and gpt-oss ship their own weights that way, and Kimi-K2-Instruct is a finetune.
POST_HOC_QUANT_METHODS = frozenset(
    {"bitsandbytes", "gptq", "awq", "aqlm", "hqq", "eetq", "exl2", "quanto", "vptq", "higgs", "spqr", "torchao"}
    | {"compressed-tensors", "fbgemm_fp8"}
)
_PEFT_SOURCES = frozenset({EvidenceSource.CONFIG, EvidenceSource.ADAPTER_CONFIG})


@dataclass(frozen=True)
class Discovery:
    """The parents of one repo, whether the list was cut at ``MAX_PARENTS``, and what could not be used.

    ``ignored`` holds short readable notes ("adapter_config.json: base is a local path '/data/base'") so the
    UI can say why lineage is incomplete instead of silently showing fewer parents. ``gaps`` are what keeps
    the repo from being a root (unread sources, parents cut at the fan-out limit, parents named in a way that
    cannot be followed); ``declared`` is how many parents the metadata named (a lower bound when a source was
    too long to read in full). ``evidence`` says what a GGUF header named, and where it disagrees with the card
    (whose word is kept).
    """

    parents: tuple[ParentClaim, ...]
    truncated: bool
    ignored: tuple[str, ...]
    gaps: tuple[Gap, ...] = ()
    declared: int = 0
    evidence: tuple[str, ...] = ()


def _quantized(snapshot: RepoSnapshot, config: Mapping[str, Any]) -> bool:
    if isinstance(snapshot.gguf, Mapping) and snapshot.gguf:
        return True
    siblings = snapshot.siblings if isinstance(snapshot.siblings, list | tuple) else ()
    if any(isinstance(name, str) and name.lower().endswith(".gguf") for name in siblings[:4096]):
        return True
    quant = config.get("quantization_config")
    if not isinstance(quant, Mapping):
        return False
    method = quant.get("quant_method")
    return (isinstance(method, str) and method.lower() in POST_HOC_QUANT_METHODS) or bool(
        quant.get("load_in_4bit") is True or quant.get("load_in_8bit") is True
    )


def relation_from_files(snapshot: RepoSnapshot) -> str | None:
    """What the repo's files say it is, independent of any parent: adapter, quantized, or None.

    Adapter: adapter_config.json at the root (in ``siblings`` or fetched) or ``config.peft``; the hub's rule
    as far as it is visible (subfolder adapters do not make the whole repo an adapter). Quantized: GGUF files
    or a ``gguf`` key, or a ``quantization_config`` of a post-hoc method (``POST_HOC_QUANT_METHODS``).
    """
    config = snapshot.config if isinstance(snapshot.config, Mapping) else {}
    files = snapshot.files if isinstance(snapshot.files, Mapping) else {}
    siblings = snapshot.siblings if isinstance(snapshot.siblings, list | tuple) else ()
    if isinstance(config.get("peft"), Mapping) or "adapter_config.json" in files or "adapter_config.json" in siblings:
        return Relation.ADAPTER
    if _quantized(snapshot, config):
        return Relation.QUANTIZED
    return None


def _merge(claims: Iterable[Claim], is_self: Callable[[str], bool]) -> dict[str, list[Claim]]:
    """Claims grouped per parent (case-insensitive), first spelling and first-seen order kept."""
    grouped: dict[str, list[Claim]] = {}
    for claim in claims:
        if not is_self(claim.repo_id):
            grouped.setdefault(claim.repo_id.lower(), []).append(claim)
    return grouped


def discover_parents(snapshot: RepoSnapshot) -> Discovery:
    """Every parent the metadata of ``snapshot`` names: one claim each, in the order first named.

    Never the repo itself (under its requested or its answered id), at most ``MAX_PARENTS`` (``truncated``
    says when more were named or a source was too long to read in full). Malformed values never raise:
    they are skipped with a note in ``ignored``.
    """
    notes = Notes()
    failures = snapshot.source_failures if isinstance(snapshot.source_failures, tuple | list) else ()
    for failure in failures[:MAX_GAPS]:
        notes.gap(failure_gap(failure))
    card = snapshot.card_data if isinstance(snapshot.card_data, Mapping) else {}
    if not isinstance(snapshot.card_data, Mapping) and snapshot.card_data is not None:
        notes.add(f"card metadata is {quote(snapshot.card_data)}, not an object")
        notes.gap(Gap(GapCode.SOURCE_ERROR, EvidenceSource.CARD, "README.md", "card metadata is not an object"))
    config = snapshot.config if isinstance(snapshot.config, Mapping) else {}

    from_card, declared = card_claims(card, notes)
    from_tags = tag_claims(snapshot.tags, notes)
    claims = [
        *from_card,
        *from_tags,
        *base_models_claims(snapshot.base_models, notes),
        *peft_claims(config, notes),
        *adapter_claims(snapshot.files, notes, frozenset(f.path for f in failures[:MAX_GAPS])),
    ]
    own_ids = {snapshot.requested_id.lower(), snapshot.repo_id.lower()}

    def is_self(repo_id: str) -> bool:
        if repo_id.lower() in own_ids:
            notes.add(f"{clean_text(repo_id, 120)} names the repo itself as its parent")
            return True
        return False

    grouped = _merge(claims, is_self)
    header = header_of(snapshot)
    # A header that is only compared with stronger sources leaves no gaps: its unusable entries do not matter.
    from_header = gguf_claims(header, notes if not grouped else Notes())
    evidence = header_notes(snapshot, header, from_header, [group[0].repo_id for group in grouped.values()])
    if not grouped:
        grouped = _merge(from_header, is_self)

    declared = (declared or {c.repo_id.lower() for c in from_tags}) - own_ids
    from_files = relation_from_files(snapshot)
    parents = []
    for group in grouped.values():
        source = min((c.source for c in group), key=SOURCE_PRIORITY.__getitem__)
        relation = next((c.relation for c in group if c.relation), None)
        if relation is None:
            if any(c.source in _PEFT_SOURCES for c in group):
                relation = Relation.ADAPTER
            elif len(declared) >= 2:
                relation = Relation.MERGE
            else:
                relation = from_files or Relation.FINETUNE
        parents.append(ParentClaim(repo_id=group[0].repo_id, relation=relation, source=source))
    if len(parents) > MAX_PARENTS:
        notes.truncated = True
    kept = tuple(parents[:MAX_PARENTS])
    declared = max(len(parents), notes.declared_at_least)
    if notes.truncated:
        notes.gap(Gap(GapCode.PARENTS_TRUNCATED, followed=len(kept), declared=max(declared, len(kept) + 1),
                      declared_exact=not notes.uncounted or notes.declared_at_least > 0))  # fmt: skip
    return Discovery(
        parents=kept,
        truncated=notes.truncated,
        ignored=tuple(notes.items),
        gaps=tuple(notes.gaps),
        declared=declared,
        evidence=tuple(evidence),
    )
