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
5. otherwise finetune. GGUF-only claims are ``unknown`` (see ``_gguf_claims``).
The hub's own inference is closed source (HUB_API 2.1); these rules follow its visible behaviour.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from vendors.lineage.gaps import MAX_GAPS, Gap, GapCode, failure_gap
from vendors.lineage.sanitize import LIST_SCAN_FACTOR, MAX_TAGS_SCANNED, clean_text, hub_id
from vendors.lineage.snapshot import EvidenceSource, ParentClaim, Relation, RepoSnapshot

#: Most parents kept for one repo (fan-out). The largest real merges name a handful; more is noise or abuse.
MAX_PARENTS = 32
#: Most "ignored" notes kept, and the length of each.
MAX_IGNORED = 16
MAX_IGNORED_LEN = 200
#: Longest raw reference we try to parse (a local cache path is longer than an id, but not unbounded).
MAX_REF_LEN = 1024
#: Most elements examined per source, so a million-entry list or tag set costs bounded work.
MAX_SCAN = MAX_PARENTS * LIST_SCAN_FACTOR * 2
#: Most adapter_config.json files read (subfolder adapters: one per folder).
MAX_ADAPTER_FILES = 64

#: Lower number = stronger evidence.
SOURCE_PRIORITY: Mapping[str, int] = {
    EvidenceSource.CARD: 0,
    EvidenceSource.TAGS: 1,
    EvidenceSource.CONFIG: 2,
    EvidenceSource.ADAPTER_CONFIG: 3,
    EvidenceSource.GGUF: 4,
}
KNOWN_RELATIONS = frozenset({Relation.FINETUNE, Relation.ADAPTER, Relation.MERGE, Relation.QUANTIZED})
#: ``quantization_config.quant_method`` values that mean "someone quantized a parent". Not ``fp8``/``mxfp4``:
#: DeepSeek-V3, Kimi-K2 and gpt-oss ship their own weights that way, and Kimi-K2-Instruct is a finetune.
POST_HOC_QUANT_METHODS = frozenset(
    {"bitsandbytes", "gptq", "awq", "aqlm", "hqq", "eetq", "exl2", "quanto", "vptq", "higgs", "spqr", "torchao"}
    | {"compressed-tensors", "fbgemm_fp8"}
)
_PEFT_SOURCES = frozenset({EvidenceSource.CONFIG, EvidenceSource.ADAPTER_CONFIG})
_HUB_HOSTS = frozenset({"huggingface.co", "www.huggingface.co", "hf.co"})
# First path segments of hub URLs that are not model repos.
_NON_MODEL_PATHS = frozenset({"datasets", "spaces", "docs", "api", "collections", "papers", "organizations", "blog"})
_CACHE_DIR = re.compile(r"(?:^|/)models--([^/]+?)(?:/|$)")
_URL = re.compile(r"^(?:https?://)?([^/?#]+)(/[^?#]*)?")
_GGUF_BASE_KEY = re.compile(r"general\.base_model\.(\d{1,4})\.(name|organization|repo_url)")


@dataclass(frozen=True)
class Discovery:
    """The parents of one repo, whether the list was cut at ``MAX_PARENTS``, and what could not be used.

    ``ignored`` holds short readable notes ("adapter_config.json: base is a local path '/data/base'") so the
    UI can say why lineage is incomplete instead of silently showing fewer parents. ``gaps`` are what keeps
    the repo from being a root (unread sources, parents cut at the fan-out limit, parents named in a way that
    cannot be followed); ``declared`` is how many parents the metadata named (a lower bound when a source was
    too long to read in full).
    """

    parents: tuple[ParentClaim, ...]
    truncated: bool
    ignored: tuple[str, ...]
    gaps: tuple[Gap, ...] = ()
    declared: int = 0


@dataclass(frozen=True)
class _Claim:
    repo_id: str
    relation: str | None  # None = not stated; decided by inference after merging
    source: str


class _Notes:
    """Bounded, de-duplicated collector for the ``ignored`` notes and the ``truncated`` flag."""

    def __init__(self) -> None:
        self.items: dict[str, None] = {}
        self.gaps: dict[Gap, None] = {}
        self.truncated = False
        self.declared_at_least = 0  # the longest parent list met, counted in full even when not read in full
        self.uncounted = False  # a list was cut whose parents cannot be counted without reading it (tags)

    def add(self, note: str) -> None:
        if len(self.items) < MAX_IGNORED:
            self.items.setdefault(clean_text(note, MAX_IGNORED_LEN), None)

    def gap(self, gap: Gap) -> None:
        if len(self.gaps) < MAX_GAPS:
            self.gaps.setdefault(gap, None)

    def unusable(self, note: str) -> None:
        """A parent is named but cannot be followed: a note, and a gap (the node's base is unknowable)."""
        self.add(note)
        self.gap(Gap(GapCode.PARENT_UNUSABLE, detail=clean_text(note, 200)))

    def scan(self, values: Any, limit: int = MAX_SCAN, *, parents: bool = True) -> list[Any]:
        """At most ``limit`` elements of a list; a longer list marks the result truncated."""
        if parents:
            self.declared_at_least = max(self.declared_at_least, len(values))
        if len(values) > limit:
            self.truncated = True
            self.uncounted |= not parents
        return list(values[:limit])


def _quote(value: Any) -> str:
    if isinstance(value, str):
        return f"'{clean_text(value, 80)}'"
    return f"a {type(value).__name__}"


def normalize_repo_ref(value: Any) -> str | None:
    """The hub model id a reference points at, or None when it points at nothing we can fetch.

    Accepts an id (``ORG/NAME``, legacy ``NAME``), a hub URL (``https://huggingface.co/ORG/NAME``, also with
    ``/tree/…``, ``/resolve/…``, ``/blob/…``, or ``hf.co/ORG/NAME``) and a local hub cache path containing
    ``models--ORG--NAME`` (what ``from_pretrained`` leaves in adapter_config.json after loading from the cache).
    Local directories (``./adapter``, ``/data/base``), dataset/space URLs, empty or over-long values → None.
    """
    if not isinstance(value, str) or len(value) > MAX_REF_LEN:
        return None
    text = value.strip().replace("\\", "/")
    cache = _CACHE_DIR.search(text)
    if cache:
        return hub_id(cache.group(1).replace("--", "/", 1))
    if "://" in text or text.lower().startswith(("huggingface.co/", "www.huggingface.co/", "hf.co/")):
        match = _URL.match(text)
        if not match or match.group(1).lower() not in _HUB_HOSTS:
            return None
        segments = [part for part in (match.group(2) or "").split("/") if part]
        if len(segments) < 2 or segments[0].lower() in _NON_MODEL_PATHS:
            return None
        return hub_id(f"{segments[0]}/{segments[1]}")
    return hub_id(text.rstrip("/"))


def _parse_ref(value: Any, where: str, notes: _Notes) -> str | None:
    """``normalize_repo_ref`` plus a note saying why an unusable value was dropped."""
    if isinstance(value, str) and not value.strip():
        return None
    repo_id = normalize_repo_ref(value)
    if repo_id is None:
        if not isinstance(value, str):
            notes.unusable(f"{where} is {_quote(value)}, not a repo id")
        elif value.strip().startswith(("/", "./", "../", "~")) or "\\" in value:
            notes.unusable(f"{where} is a local path {_quote(value)}, not a hub repo")
        else:
            notes.unusable(f"{where} {_quote(value)} is not a hub repo id")
    return repo_id


def _relation(value: Any, where: str, notes: _Notes) -> str | None:
    if value is None:
        return None
    relation = value.strip().lower() if isinstance(value, str) else None
    if relation in KNOWN_RELATIONS:
        return relation
    notes.add(f"{where} {_quote(value)} is not a known relation")
    return None


def _card_claims(card: Mapping[str, Any], notes: _Notes) -> tuple[list[_Claim], set[str]]:
    """Claims from ``base_model``, and every non-empty entry the author declared (usable or not).

    The declared entries decide "merge": ``[org/base, ./adapter]`` is a merge of two inputs even though
    only one of them can be followed.
    """
    relation = _relation(card.get("base_model_relation"), "card base_model_relation", notes)
    raw = card.get("base_model")
    if raw is None:
        return [], set()
    if isinstance(raw, str):
        raw = [raw]
    elif not isinstance(raw, list | tuple):
        notes.unusable(f"card base_model is {_quote(raw)}, expected a repo id or a list of them")
        return [], set()
    claims, declared = [], set()
    for index, item in enumerate(notes.scan(raw)):
        if isinstance(item, str) and item.strip():
            declared.add(item.strip().lower()[:MAX_REF_LEN])
        repo_id = _parse_ref(item, f"card base_model[{index}]", notes)
        if repo_id:
            declared.discard(item.strip().lower())
            declared.add(repo_id.lower())
            claims.append(_Claim(repo_id, relation, EvidenceSource.CARD))
    return claims, declared


def _tag_claims(tags: Any, notes: _Notes) -> list[_Claim]:
    if not isinstance(tags, list | tuple):
        if tags:
            notes.add(f"tags is {_quote(tags)}, not a list")
        return []
    claims = []
    for tag in notes.scan(tags, MAX_TAGS_SCANNED, parents=False):
        if not isinstance(tag, str) or not tag.startswith("base_model:"):
            continue
        rest = tag.removeprefix("base_model:")
        relation = None
        if ":" in rest:
            stated, rest = rest.split(":", 1)
            relation = _relation(stated, "tag base_model relation", notes)
            if relation is None:
                continue
        repo_id = _parse_ref(rest, "tag base_model", notes)
        if repo_id:
            claims.append(_Claim(repo_id, relation, EvidenceSource.TAGS))
    return claims


def _base_models_claims(value: Any, notes: _Notes) -> list[_Claim]:
    """The ``baseModels`` expand: ``{"relation", "models": [{"id"}]}`` (live shape) or a list of ids (typed)."""
    if value is None or value == [] or value == {}:
        return []
    relation = None
    models = value
    if isinstance(value, Mapping):
        relation = _relation(value.get("relation"), "baseModels relation", notes)
        models = value.get("models")
    if not isinstance(models, list | tuple):
        notes.unusable(f"baseModels is {_quote(models)}, not a list of models")
        return []
    claims = []
    for item in notes.scan(models):
        ref = item.get("id") if isinstance(item, Mapping) else item
        repo_id = _parse_ref(ref, "baseModels entry", notes)
        if repo_id:
            claims.append(_Claim(repo_id, relation, EvidenceSource.TAGS))
    return claims


def _peft_claims(config: Mapping[str, Any], notes: _Notes) -> list[_Claim]:
    peft = config.get("peft")
    if peft is None:
        return []
    if not isinstance(peft, Mapping):
        notes.unusable(f"config.peft is {_quote(peft)}, not an object")
        return []
    repo_id = _parse_ref(peft.get("base_model_name_or_path"), "config.peft base_model_name_or_path", notes)
    return [_Claim(repo_id, None, EvidenceSource.CONFIG)] if repo_id else []


def _adapter_paths(files: Mapping[str, Any]) -> Iterator[str]:
    """adapter_config.json paths, root first then by path, so notes and claim order do not depend on fetch order."""
    paths = [
        p for p in files if isinstance(p, str) and (p == "adapter_config.json" or p.endswith("/adapter_config.json"))
    ]
    yield from sorted(paths, key=lambda p: (p.count("/"), p))[:MAX_ADAPTER_FILES]


def _adapter_claims(files: Any, notes: _Notes, failed_paths: frozenset[str] = frozenset()) -> list[_Claim]:
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
        repo_id = _parse_ref(base, f"{where} base_model_name_or_path", notes)
        if repo_id:
            claims.append(_Claim(repo_id, None, EvidenceSource.ADAPTER_CONFIG))
    return claims


def _gguf_claims(gguf: Any, notes: _Notes) -> list[_Claim]:
    """GGUF ``general.base_model.{i}.*`` keys (flat, as llama.cpp names them), relation ``unknown``.

    The converter copies the *source* repo's card ``base_model`` into these keys (HUB_API 2.1), so they name
    this repo's grandparents, not its parent. They are only used when nothing else names a parent: an ancestor
    with an unknown relation is better than an orphan, and otherwise they would add a false shortcut edge past
    the real parent. ``repo_url`` is preferred; ``organization``/``name`` are display titles ("Qwen2.5 Math
    7B") and only used when they happen to form a valid id.
    """
    if not isinstance(gguf, Mapping):
        return []
    found: dict[int, dict[str, Any]] = {}
    for key in list(gguf)[: MAX_SCAN * 8]:
        match = _GGUF_BASE_KEY.fullmatch(key) if isinstance(key, str) else None
        if match and int(match.group(1)) < MAX_SCAN:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = gguf[key]
    claims = []
    for index in sorted(found):
        entry = found[index]
        repo_id = normalize_repo_ref(entry.get("repo_url"))
        if repo_id is None and isinstance(entry.get("organization"), str) and isinstance(entry.get("name"), str):
            repo_id = hub_id(f"{entry['organization'].strip()}/{entry['name'].strip()}")
        if repo_id is None:
            notes.unusable(f"gguf general.base_model.{index} does not name a hub repo")
            continue
        claims.append(_Claim(repo_id, Relation.UNKNOWN, EvidenceSource.GGUF))
    return claims


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


def _merge(claims: Iterable[_Claim], is_self: Callable[[str], bool]) -> dict[str, list[_Claim]]:
    """Claims grouped per parent (case-insensitive), first spelling and first-seen order kept."""
    grouped: dict[str, list[_Claim]] = {}
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
    notes = _Notes()
    failures = snapshot.source_failures if isinstance(snapshot.source_failures, tuple | list) else ()
    for failure in failures[:MAX_GAPS]:
        notes.gap(failure_gap(failure))
    card = snapshot.card_data if isinstance(snapshot.card_data, Mapping) else {}
    if not isinstance(snapshot.card_data, Mapping) and snapshot.card_data is not None:
        notes.add(f"card metadata is {_quote(snapshot.card_data)}, not an object")
        notes.gap(Gap(GapCode.SOURCE_ERROR, EvidenceSource.CARD, "README.md", "card metadata is not an object"))
    config = snapshot.config if isinstance(snapshot.config, Mapping) else {}

    card_claims, declared = _card_claims(card, notes)
    tag_claims = _tag_claims(snapshot.tags, notes)
    claims = [
        *card_claims,
        *tag_claims,
        *_base_models_claims(snapshot.base_models, notes),
        *_peft_claims(config, notes),
        *_adapter_claims(snapshot.files, notes, frozenset(f.path for f in failures[:MAX_GAPS])),
    ]
    own_ids = {snapshot.requested_id.lower(), snapshot.repo_id.lower()}

    def is_self(repo_id: str) -> bool:
        if repo_id.lower() in own_ids:
            notes.add(f"{clean_text(repo_id, 120)} names the repo itself as its parent")
            return True
        return False

    grouped = _merge(claims, is_self)
    if not grouped:
        grouped = _merge(_gguf_claims(snapshot.gguf, notes), is_self)

    declared = (declared or {c.repo_id.lower() for c in tag_claims}) - own_ids
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
        parents=kept, truncated=notes.truncated, ignored=tuple(notes.items), gaps=tuple(notes.gaps), declared=declared
    )
