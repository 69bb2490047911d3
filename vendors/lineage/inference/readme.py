"""Repo ids a README names as a model's origin: hub links, and ids written after "fine-tuned from", "based on",
"merge of", "original model"... Only claims: the inference checks each against the named repo's fingerprint."""

from __future__ import annotations

import re
from collections.abc import Iterable

from vendors.lineage.discovery.refs import normalize_repo_ref

#: Most README characters read, and most claims kept.
MAX_README_CHARS = 200_000
MAX_CLAIMS = 16

_ID = r"[A-Za-z0-9][\w.\-]{0,95}/[A-Za-z0-9][\w.\-]{0,95}"
_LINK_RE = re.compile(r"https?://(?:www\.)?huggingface\.co/(" + _ID + r")")
_PHRASE_RE = re.compile(
    r"(?:fine[- ]?tun(?:e|ed|ing)\s+(?:version\s+)?(?:of|from|on)|based\s+on|built\s+(?:on|from)|derived\s+from|"
    r"distilled\s+from|merge\s+of|base\s+model\s*[:=]?|original\s+model\s*[:=]?|quantizations?\s+of|trained\s+from)"
    r"[^\n]{0,80}?[\s(\[`'\"](" + _ID + r")",
    re.IGNORECASE,
)
_MERGE_RE = re.compile(r"\bmergekit\b|\bmerge\s+of\b|\bmerged\s+using\b|\bmerge\s+method\b", re.IGNORECASE)
#: Between the parts of a digest: no phrase, id or link runs across it ("|" is neither space nor part of an id).
_DIGEST_SEPARATOR = "\n|\n"
_NOT_MODELS = ("github.com", "datasets/", "spaces/", "docs/", "blog/", "papers/")


def readme_claims(text: str, *, known: Iterable[str] = ()) -> tuple[str, ...]:
    """Repo ids the README names as an origin, in the order named: every hub link to a model, and ids after an
    origin phrase. A bare id in prose counts only when it is a ``known`` repo (prose is full of slashes)."""
    if not isinstance(text, str):
        return ()
    text = text[:MAX_README_CHARS]
    known_ids = {k.lower() for k in known}
    found: dict[str, str] = {}
    for match in _LINK_RE.finditer(text):
        ref = match.group(1).rstrip(".")
        if not any(ref.lower().startswith(prefix) for prefix in _NOT_MODELS) and (rid := normalize_repo_ref(ref)):
            found.setdefault(rid.lower(), rid)
    for match in _PHRASE_RE.finditer(text):
        ref = match.group(1).rstrip(".")
        rid = normalize_repo_ref(ref)
        if rid and rid.lower() in known_ids:
            found.setdefault(rid.lower(), rid)
    return tuple(found.values())[:MAX_CLAIMS]


def readme_digest(text: str) -> str:
    """The parts of a README the inference reads, in a few hundred characters rather than the whole text: every
    hub link, every origin phrase with the id after it, and the first merge marker, each as it stood. Read again,
    the digest names the same claims, in the same order, whatever repos are ``known`` then, and says the same of a
    merge; so a model's README can be kept with its fingerprint and the inference run again without it."""
    if not isinstance(text, str):
        return ""
    text = text[:MAX_README_CHARS]
    parts = [match.group(0) for match in _LINK_RE.finditer(text)]
    parts += [match.group(0) for match in _PHRASE_RE.finditer(text)]
    if merge := _MERGE_RE.search(text):
        parts.append(merge.group(0))
    return _DIGEST_SEPARATOR.join(parts)


def says_merge(text: str) -> bool:
    return isinstance(text, str) and bool(_MERGE_RE.search(text[:MAX_README_CHARS]))
