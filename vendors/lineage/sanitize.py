"""Bounding hostile hub values: every string and list that leaves this module has a known maximum size.

Hub metadata is written by anyone: card fields carry HTML and script, control and bidi characters, megabyte
strings, huge lists and the wrong types (a dict where a string belongs, numbers, nested lists). The lineage
code reads it only through these helpers, so the size of what we store and show is decided here, once.

HTML is deliberately kept as literal text (``<script>`` stays ``<script>``): escaping belongs to whoever
renders the value (Django templates autoescape), and escaping here would double-escape there and corrupt
values that are legitimately compared (licence ids, repo ids).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from huggingface_hub.utils import HFValidationError, validate_repo_id

from vendors.lineage.snapshot import RepoSnapshot

#: Longest free text we keep from a card field (model names, reasons); longer values end with an ellipsis.
MAX_TEXT_LEN = 500
#: Longest hub id (the hub grammar allows 96 per segment; two segments and a slash).
MAX_ID_LEN = 193
#: Longest licence id (SPDX ids are short; custom ``license_name`` values are slugs).
MAX_LICENSE_LEN = 64
#: Most entries kept from a list-valued field such as ``datasets``.
MAX_LIST_ITEMS = 64
#: Most datasets reported for one repo.
MAX_DATASETS = 64
#: How many raw list elements we look at per kept item: a list of a million non-strings costs bounded work.
LIST_SCAN_FACTOR = 4
#: Most tags examined: repos carry many (languages, datasets) and the hub puts ``base_model:``/``license:`` late.
MAX_TAGS_SCANNED = 2048
ELLIPSIS = "…"

_WHITESPACE = re.compile(r"\s+")
# Cc: C0/C1 controls and DEL; Cf: format characters, including the bidi overrides (U+202E) that make a
# displayed id read differently from the stored one; Cs: lone surrogates, which cannot even be encoded to UTF-8.
_STRIPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_LICENSE_ID = re.compile(r"[a-z0-9][a-z0-9.+_-]*")


def clean_text(value: Any, max_len: int = MAX_TEXT_LEN) -> str:
    """``value`` as one line of plain text of at most ``max_len`` characters; ``""`` for anything not a str.

    Whitespace runs (newlines, tabs) become one space and control/format characters are removed, so a value
    cannot fake extra lines in a log or reorder itself on screen. A value cut short ends with ``…`` (counted in
    ``max_len``). Only a window of the input is examined, so a megabyte string costs the same as a short one.
    HTML is kept verbatim: escaping is the template's job (see the module docstring).
    """
    if not isinstance(value, str) or max_len <= 0:
        return ""
    window = max_len * 4 + 64
    clipped = len(value) > window
    text = _WHITESPACE.sub(" ", value[:window])
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _STRIPPED_CATEGORIES)
    text = _WHITESPACE.sub(" ", text).strip()
    if len(text) > max_len or clipped:
        text = text[: max_len - 1].rstrip() + ELLIPSIS
    return text


def clean_str_list(value: Any, max_items: int = MAX_LIST_ITEMS, max_len: int = MAX_TEXT_LEN) -> tuple[str, ...]:
    """A str or a list of str as a tuple of cleaned, non-empty, distinct strings, at most ``max_items`` long.

    Non-strings (numbers, dicts, nested lists) are dropped rather than stringified: ``str({...})`` of hostile
    input is never a useful value. At most ``max_items * LIST_SCAN_FACTOR`` elements are examined.
    """
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or max_items <= 0:
        return ()
    kept: dict[str, None] = {}
    for item in value[: max_items * LIST_SCAN_FACTOR]:
        text = clean_text(item, max_len)
        if text:
            kept.setdefault(text, None)
            if len(kept) >= max_items:
                break
    return tuple(kept)


def hub_id(value: Any) -> str | None:
    """``value`` if it is exactly a hub repo id (``ORG/NAME`` or a legacy ``NAME``), else None.

    Uses the hub client's own grammar (as ``vendors.validators`` does) plus an ASCII check: the client's
    regex uses ``\\w``, which in Python also matches non-Latin letters the hub itself refuses.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LEN or not value.isascii():
        return None
    try:
        validate_repo_id(value)
    except HFValidationError:
        return None
    return value


def license_id(value: Any) -> str:
    """A licence value as a lower-case SPDX-like id (``apache-2.0``, ``llama3.1``), or ``""`` if unusable.

    Spaces become dashes (``Apache 2.0`` → ``apache-2.0``). Anything that still is not an id (HTML, prose,
    a URL) is unknown rather than kept: it cannot be compared with a parent's licence, and ``""`` is what the
    rest of the code treats as "licence unknown".
    """
    text = clean_text(value, MAX_LICENSE_LEN * 2).lower().replace(" ", "-")
    if not text or len(text) > MAX_LICENSE_LEN or not _LICENSE_ID.fullmatch(text):
        return ""
    return text


def _first_str(value: Any) -> Any:
    """The first string of a list (cards sometimes write ``license: [mit]``), or the value itself."""
    if isinstance(value, list | tuple):
        return next((item for item in value[:MAX_LIST_ITEMS] if isinstance(item, str)), None)
    return value


def license_of(snapshot: RepoSnapshot) -> str:
    """The repo's licence id: card ``license``; its ``license_name`` when that is ``other``; else a tag.

    ``license: other`` plus ``license_name: qwen-research`` is how the hub spells a named custom licence, so
    the name is the more useful id; without a usable name the result stays ``other``. The ``license:`` tag is
    the hub's own rendering of the card value and only consulted when the card has none; the GGUF header's
    ``general.license`` comes last (the card wins where both speak; discovery records the disagreement).
    """
    card = snapshot.card_data if isinstance(snapshot.card_data, Mapping) else {}
    declared = license_id(_first_str(card.get("license")))
    if declared == "other":
        return license_id(_first_str(card.get("license_name"))) or "other"
    if declared:
        return declared
    if isinstance(snapshot.tags, list | tuple):
        for tag in snapshot.tags[:MAX_TAGS_SCANNED]:
            if isinstance(tag, str) and tag.startswith("license:"):
                found = license_id(tag.removeprefix("license:"))
                if found:
                    return found
    header = snapshot.gguf_header if isinstance(snapshot.gguf_header, Mapping) else {}
    return license_id(_first_str(header.get("general.license")))


def datasets_of(snapshot: RepoSnapshot) -> tuple[str, ...]:
    """The card's ``datasets`` that are valid hub dataset ids, in card order, at most ``MAX_DATASETS``.

    These are what the card *declares*: they can mix training data with calibration sets (HUB_API 2.2 #12).
    """
    card = snapshot.card_data if isinstance(snapshot.card_data, Mapping) else {}
    raw = card.get("datasets")
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list | tuple):
        return ()
    kept: dict[str, None] = {}
    for item in raw[: MAX_DATASETS * LIST_SCAN_FACTOR]:
        dataset = hub_id(item.strip() if isinstance(item, str) else None)
        if dataset:
            kept.setdefault(dataset, None)
            if len(kept) >= MAX_DATASETS:
                break
    return tuple(kept)
