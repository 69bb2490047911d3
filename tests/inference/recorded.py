"""References built from the fake hub's recorded repos (their recorded config.json and tokenizer_config.json),
with each repo's family taken from the declared lineage: the root its ``base_model`` chain reaches."""

from __future__ import annotations

import copy
from datetime import datetime
from functools import cache
from typing import Any

from tests.fakehub.records import declared_parents, load_records
from vendors.lineage.inference import Exposed, Reference, fingerprint_from


@cache
def records() -> dict[str, dict[str, Any]]:
    return {record["id"]: record for record in load_records()}


def _date(value: Any) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None


def family_of(repo_id: str) -> tuple[str, int]:
    """The declared root above ``repo_id`` (first parent each time) and how many generations up it is."""
    seen, current, depth = set(), repo_id, 0
    while current in records() and current not in seen:
        seen.add(current)
        parents = declared_parents(records()[current].get("cardData") or {})
        if not parents or parents[0] not in records():
            break
        current, depth = parents[0], depth + 1
    return current, depth


@cache
def references() -> tuple[Reference, ...]:
    found = []
    for repo_id, record in records().items():
        files = record.get("files") or {}
        if "tokenizer_config.json" not in files:  # only the repos recorded with their identifying files
            continue
        family, depth = family_of(repo_id)
        total = (record.get("safetensors") or {}).get("total")
        fingerprint = fingerprint_from(files.get("config.json"), files.get("tokenizer_config.json"), total)
        found.append(Reference(repo_id, fingerprint, family, depth, _date(record.get("createdAt"))))
    return tuple(found)


def exposed(recorded_id: str, **changes: Any) -> Exposed:
    """What a recorded repo exposes, its lineage metadata removed; ``changes`` edit the config or tokenizer."""
    record = records()[recorded_id]
    files = copy.deepcopy(record.get("files") or {})
    config, tokenizer = files.get("config.json"), files.get("tokenizer_config.json")
    for key, value in changes.pop("config", {}).items():
        config[key] = value
    for key, value in changes.pop("tokenizer", {}).items():
        tokenizer[key] = value
    names = tuple(s["rfilename"] for s in record.get("siblings") or () if isinstance(s, dict)) + tuple(files)
    return Exposed(
        repo_id=changes.pop("repo_id", f"someone/{recorded_id.split('/')[-1]}-ft"),
        config=config,
        tokenizer_config=tokenizer,
        readme=changes.pop("readme", ""),
        parameters=changes.pop("parameters", (record.get("safetensors") or {}).get("total")),
        files=changes.pop("files", names),
        created_at=changes.pop("created_at", _date(record.get("createdAt"))),
    )
