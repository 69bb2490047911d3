"""What a GGUF file's header says about lineage, and where it disagrees with the card.

The hub client reads the header of one ``.gguf`` file of the repo (``RepoSnapshot.gguf_header``); older callers
and the hub's own ``gguf`` expand may carry the same flat keys in ``RepoSnapshot.gguf``. llama.cpp's converter
writes ``general.base_model.{i}.{name,organization,repo_url}`` from the *source* repo's card ``base_model``
(HUB_API 2.1), and ``general.organization``/``general.basename``/``general.license`` from the source itself.

The header is evidence source ``gguf``, the weakest: where the card (or the hub's rendering of it) names parents,
they win and a header naming other ones is recorded as a disagreement; where nothing else names a parent, the
header's base models are followed with relation ``unknown`` (they may be the source's parents rather than this
repo's, and an ancestor with an unknown relation is better than an orphan).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from vendors.lineage.discovery.refs import MAX_SCAN, Claim, Notes, normalize_repo_ref
from vendors.lineage.sanitize import clean_text, hub_id
from vendors.lineage.snapshot import EvidenceSource, Relation, RepoSnapshot

_GGUF_BASE_KEY = re.compile(r"general\.base_model\.(\d{1,4})\.(name|organization|repo_url)")
#: Most disagreement and evidence notes kept per repo.
MAX_GGUF_NOTES = 8


def header_of(snapshot: RepoSnapshot) -> dict[str, Any]:
    """The GGUF keys known for the repo: the hub's ``gguf`` expand, overridden by the file's own header."""
    found: dict[str, Any] = {}
    for source in (snapshot.gguf, getattr(snapshot, "gguf_header", None)):
        if isinstance(source, Mapping):
            found.update({k: v for k, v in list(source.items())[: MAX_SCAN * 8] if isinstance(k, str)})
    return found


def gguf_claims(gguf: Any, notes: Notes) -> list[Claim]:
    """``general.base_model.{i}.*`` as claims (relation ``unknown``), in index order.

    ``repo_url`` is preferred; ``organization``/``name`` are display titles ("Qwen2.5 Math 7B") and only used
    when they happen to form a valid id.
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
        claims.append(Claim(repo_id, Relation.UNKNOWN, EvidenceSource.GGUF))
    return claims


def _where(snapshot: RepoSnapshot) -> str:
    path = getattr(snapshot, "gguf_file", "")
    return f"the GGUF header of {clean_text(path, 120)}" if path else "the GGUF header"


def header_notes(
    snapshot: RepoSnapshot, header: Mapping[str, Any], header_claims: Iterable[Claim], kept: Iterable[str]
) -> list[str]:
    """Readable evidence from the header, and every point where it disagrees with the card.

    ``kept`` are the parent ids followed (from stronger sources when there are any). A header base model that is
    not among them, and a header licence that differs from the card's, are disagreements: the card's word is kept.
    """
    where = _where(snapshot)
    notes: list[str] = []
    kept_ids = {repo_id.lower() for repo_id in kept}
    named = [claim.repo_id for claim in header_claims]
    if named and kept_ids and any(repo_id.lower() not in kept_ids for repo_id in named):
        notes.append(
            f"disagreement: {where} names {', '.join(clean_text(r, 120) for r in named[:4])} as base model; "
            f"the card's {', '.join(sorted(kept_ids)[:4])} is kept"
        )
    card = snapshot.card_data if isinstance(snapshot.card_data, Mapping) else {}
    card_license = card.get("license") if isinstance(card.get("license"), str) else ""
    header_license = header.get("general.license") if isinstance(header.get("general.license"), str) else ""
    if card_license.strip() and header_license.strip() and card_license.strip().lower() != header_license.lower():
        notes.append(
            f"disagreement: {where} gives licence {clean_text(header_license, 80)}; "
            f"the card's {clean_text(card_license, 80)} is kept"
        )
    identity = [
        f"{label} {clean_text(header[key], 80)}"
        for key, label in (("general.organization", "organization"), ("general.basename", "basename"))
        if isinstance(header.get(key), str) and header[key].strip()
    ]
    if identity or (named and getattr(snapshot, "gguf_header", None)):
        base = f"base model {', '.join(clean_text(r, 120) for r in named[:4])}" if named else "no base model"
        notes.append(f"{where}: {'; '.join([*identity, base])}")
    return notes[:MAX_GGUF_NOTES]
