"""Reading one parent reference, and the bounded notes kept about references that cannot be followed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from vendors.lineage.gaps import MAX_GAPS, Gap, GapCode
from vendors.lineage.sanitize import LIST_SCAN_FACTOR, clean_text, hub_id
from vendors.lineage.snapshot import Relation

#: Most parents kept for one repo (fan-out). The largest real merges name a handful; more is noise or abuse.
MAX_PARENTS = 32
#: Most "ignored" notes kept, and the length of each.
MAX_IGNORED = 16
MAX_IGNORED_LEN = 200
#: Longest raw reference we try to parse (a local cache path is longer than an id, but not unbounded).
MAX_REF_LEN = 1024
#: Most elements examined per source, so a million-entry list or tag set costs bounded work.
MAX_SCAN = MAX_PARENTS * LIST_SCAN_FACTOR * 2
KNOWN_RELATIONS = frozenset({Relation.FINETUNE, Relation.ADAPTER, Relation.MERGE, Relation.QUANTIZED})
_HUB_HOSTS = frozenset({"huggingface.co", "www.huggingface.co", "hf.co"})
# First path segments of hub URLs that are not model repos.
_NON_MODEL_PATHS = frozenset({"datasets", "spaces", "docs", "api", "collections", "papers", "organizations", "blog"})
_CACHE_DIR = re.compile(r"(?:^|/)models--([^/]+?)(?:/|$)")
_URL = re.compile(r"^(?:https?://)?([^/?#]+)(/[^?#]*)?")


@dataclass(frozen=True)
class Claim:
    repo_id: str
    relation: str | None  # None = not stated; decided by inference after merging
    source: str


class Notes:
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


def quote(value: Any) -> str:
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


def parse_ref(value: Any, where: str, notes: Notes) -> str | None:
    """``normalize_repo_ref`` plus a note saying why an unusable value was dropped."""
    if isinstance(value, str) and not value.strip():
        return None
    repo_id = normalize_repo_ref(value)
    if repo_id is None:
        if not isinstance(value, str):
            notes.unusable(f"{where} is {quote(value)}, not a repo id")
        elif value.strip().startswith(("/", "./", "../", "~")) or "\\" in value:
            notes.unusable(f"{where} is a local path {quote(value)}, not a hub repo")
        else:
            notes.unusable(f"{where} {quote(value)} is not a hub repo id")
    return repo_id


def stated_relation(value: Any, where: str, notes: Notes) -> str | None:
    if value is None:
        return None
    relation = value.strip().lower() if isinstance(value, str) else None
    if relation in KNOWN_RELATIONS:
        return relation
    notes.add(f"{where} {quote(value)} is not a known relation")
    return None
