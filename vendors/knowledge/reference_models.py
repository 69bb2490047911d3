"""The reference models of the lineage inference (``reference_models.toml``): hub repo ids, validated."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from vendors.lineage.sanitize import hub_id

REFERENCE_MODELS_FILE = Path(__file__).resolve().parent / "reference_models.toml"


@cache
def reference_model_ids(path: Path = REFERENCE_MODELS_FILE) -> tuple[str, ...]:
    """The listed repo ids, in file order; an entry that is not a valid hub id is an error in the shipped file."""
    listed = tomllib.loads(path.read_text(encoding="utf-8")).get("models", [])
    ids = []
    for entry in listed:
        repo_id = hub_id(entry) if isinstance(entry, str) else None
        if not repo_id or "/" not in repo_id:
            raise ValueError(f"{path.name}: {entry!r} is not a hub repo id (ORG/NAME)")
        ids.append(repo_id)
    return tuple(dict.fromkeys(ids))
