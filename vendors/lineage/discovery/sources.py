"""Parent claims from the repo's metadata: the card, the hub's tags and ``baseModels``, ``config.peft`` and the
adapter_config.json files. Each function reads one source and returns its claims in the order named."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from vendors.lineage.discovery.refs import MAX_REF_LEN, Claim, Notes, parse_ref, quote, stated_relation
from vendors.lineage.gaps import Gap, GapCode
from vendors.lineage.sanitize import MAX_TAGS_SCANNED, clean_text
from vendors.lineage.snapshot import EvidenceSource

#: Most adapter_config.json files read (subfolder adapters: one per folder).
MAX_ADAPTER_FILES = 64


def card_claims(card: Mapping[str, Any], notes: Notes) -> tuple[list[Claim], set[str]]:
    """Claims from ``base_model``, and every non-empty entry the author declared (usable or not).

    The declared entries decide "merge": ``[org/base, ./adapter]`` is a merge of two inputs even though
    only one of them can be followed.
    """
    relation = stated_relation(card.get("base_model_relation"), "card base_model_relation", notes)
    raw = card.get("base_model")
    if raw is None:
        return [], set()
    if isinstance(raw, str):
        raw = [raw]
    elif not isinstance(raw, list | tuple):
        notes.unusable(f"card base_model is {quote(raw)}, expected a repo id or a list of them")
        return [], set()
    claims, declared = [], set()
    for index, item in enumerate(notes.scan(raw)):
        if isinstance(item, str) and item.strip():
            declared.add(item.strip().lower()[:MAX_REF_LEN])
        repo_id = parse_ref(item, f"card base_model[{index}]", notes)
        if repo_id:
            declared.discard(item.strip().lower())
            declared.add(repo_id.lower())
            claims.append(Claim(repo_id, relation, EvidenceSource.CARD))
    return claims, declared


def tag_claims(tags: Any, notes: Notes) -> list[Claim]:
    if not isinstance(tags, list | tuple):
        if tags:
            notes.add(f"tags is {quote(tags)}, not a list")
        return []
    claims = []
    for tag in notes.scan(tags, MAX_TAGS_SCANNED, parents=False):
        if not isinstance(tag, str) or not tag.startswith("base_model:"):
            continue
        rest = tag.removeprefix("base_model:")
        relation = None
        if ":" in rest:
            stated, rest = rest.split(":", 1)
            relation = stated_relation(stated, "tag base_model relation", notes)
            if relation is None:
                continue
        repo_id = parse_ref(rest, "tag base_model", notes)
        if repo_id:
            claims.append(Claim(repo_id, relation, EvidenceSource.TAGS))
    return claims


def base_models_claims(value: Any, notes: Notes) -> list[Claim]:
    """The ``baseModels`` expand: ``{"relation", "models": [{"id"}]}`` (live shape) or a list of ids (typed)."""
    if value is None or value == [] or value == {}:
        return []
    relation = None
    models = value
    if isinstance(value, Mapping):
        relation = stated_relation(value.get("relation"), "baseModels relation", notes)
        models = value.get("models")
    if not isinstance(models, list | tuple):
        notes.unusable(f"baseModels is {quote(models)}, not a list of models")
        return []
    claims = []
    for item in notes.scan(models):
        ref = item.get("id") if isinstance(item, Mapping) else item
        repo_id = parse_ref(ref, "baseModels entry", notes)
        if repo_id:
            claims.append(Claim(repo_id, relation, EvidenceSource.TAGS))
    return claims


def peft_claims(config: Mapping[str, Any], notes: Notes) -> list[Claim]:
    peft = config.get("peft")
    if peft is None:
        return []
    if not isinstance(peft, Mapping):
        notes.unusable(f"config.peft is {quote(peft)}, not an object")
        return []
    repo_id = parse_ref(peft.get("base_model_name_or_path"), "config.peft base_model_name_or_path", notes)
    return [Claim(repo_id, None, EvidenceSource.CONFIG)] if repo_id else []


def _adapter_paths(files: Mapping[str, Any]) -> Iterator[str]:
    """adapter_config.json paths, root first then by path, so notes and claim order do not depend on fetch order."""
    paths = [
        p for p in files if isinstance(p, str) and (p == "adapter_config.json" or p.endswith("/adapter_config.json"))
    ]
    yield from sorted(paths, key=lambda p: (p.count("/"), p))[:MAX_ADAPTER_FILES]


def adapter_claims(files: Any, notes: Notes, failed_paths: frozenset[str] = frozenset()) -> list[Claim]:
    if not isinstance(files, Mapping):
        return []
    claims = []
    for path in _adapter_paths(files):
        where = clean_text(path, 120)
        document = files[path]
        if not isinstance(document, Mapping):
            notes.add(f"{where} could not be read or parsed")
            if path not in failed_paths:  # the client said why already; otherwise say it here
                notes.gap(Gap(GapCode.SOURCE_ERROR, EvidenceSource.ADAPTER_CONFIG, where, "not a JSON object"))
            continue
        base = document.get("base_model_name_or_path")
        if base is None or (isinstance(base, str) and not base.strip()):
            notes.unusable(f"{where} names no base_model_name_or_path")
            continue
        repo_id = parse_ref(base, f"{where} base_model_name_or_path", notes)
        if repo_id:
            claims.append(Claim(repo_id, None, EvidenceSource.ADAPTER_CONFIG))
    return claims
