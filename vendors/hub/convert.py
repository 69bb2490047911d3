"""Turning the hub's answers into plain data: ``ModelInfo`` into ``RepoSnapshot``, file bytes into JSON objects.

Everything the hub returns is untrusted: repo owners write the card, the config and the file names, and the hub
stores malformed shapes as they are. These functions never raise on odd shapes; they coerce what has an obvious
reading (a tuple of the string tags) and drop what does not (a list where a dict belongs). Strings are kept
verbatim: bounding and escaping them is the job of whoever displays or stores them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from huggingface_hub import ModelInfo

from vendors.lineage.snapshot import EvidenceSource, NodeStatus, RepoSnapshot, SourceFailure, SourceProblem

#: The lineage files fetched from a repo: PEFT adapters name their base model only there.
LINEAGE_FILE_NAME = "adapter_config.json"
#: At most this many lineage files per repo, root first: a repo with hundreds of adapters is not a reason to
#: send hundreds of requests, and the first few say what the base model is.
MAX_LINEAGE_FILES = 5
#: Real adapter configs are a few KiB; anything past this is not one we want to parse.
MAX_LINEAGE_FILE_BYTES = 256 * 1024

#: GGUF files whose header is not the model's: vision projectors ship beside the language model.
_GGUF_SKIPPED_PREFIXES = ("mmproj",)
_GGUF_LATER_SHARD = re.compile(r"-0*(?:[2-9]|[1-9]\d+)-of-\d+\.gguf$", re.IGNORECASE)

_GATED_MODES = ("auto", "manual")
_SHA_RE = re.compile(r"[0-9a-f]{40}")
# Sibling paths are interpolated into download URLs: refuse dot segments, backslashes and control characters.
_UNSAFE_PATH_RE = re.compile(r"[\x00-\x1f\x7f\\]")
_MAX_PATH_CHARS = 1000


def failed_snapshot(repo_id: str, status: str, reason: str, http_status: int | None = None) -> RepoSnapshot:
    """A node the hub did not describe: ids as asked, no metadata."""
    return RepoSnapshot(
        requested_id=repo_id, repo_id=repo_id, status=status, status_reason=reason, http_status=http_status
    )


def snapshot_from_info(
    requested_id: str,
    info: ModelInfo,
    files: Mapping[str, Mapping[str, Any] | None],
    failures: Iterable[SourceFailure] = (),
    gguf_header: Mapping[str, Any] | None = None,
    gguf_file: str = "",
) -> RepoSnapshot:
    """The snapshot of a successful metadata answer (``info.id`` is the id after any rename redirect).

    ``failures`` are the parent sources that could not be read (files); a card the hub parsed into something
    that is not an object is one more.
    """
    failures = list(failures)
    card = info.card_data
    if card is not None and not isinstance(card, Mapping) and not hasattr(card, "to_dict"):
        failures.append(
            SourceFailure(EvidenceSource.CARD, "README.md", SourceProblem.ERROR, "card metadata is not an object")
        )
    return RepoSnapshot(
        requested_id=requested_id,
        repo_id=info.id,
        status=NodeStatus.RESOLVED,
        http_status=200,
        sha=_text(info.sha),
        author=_text(info.author),
        card_data=card_data_dict(info.card_data),
        config=_mapping(info.config),
        tags=_strings(info.tags),
        siblings=sibling_names(info),
        gguf=_mapping(info.gguf),
        base_models=info.base_models,
        gated=gated_mode(info.gated),
        disabled=info.disabled is True,
        library_name=_text(info.library_name),
        pipeline_tag=_text(info.pipeline_tag),
        created_at=_datetime(info.created_at),
        last_modified=_datetime(info.last_modified),
        parameters=safetensors_parameters(info),
        files=dict(files),
        gguf_header=dict(gguf_header or {}),
        gguf_file=gguf_file,
        source_failures=tuple(failures),
    )


def safetensors_parameters(info: Any) -> int | None:
    """The hub's safetensors parameter count (``safetensors.total``), None when absent or not a positive int."""
    safetensors = getattr(info, "safetensors", None)
    total = getattr(safetensors, "total", None)
    return total if isinstance(total, int) and not isinstance(total, bool) and total > 0 else None


def card_data_dict(card_data: Any) -> dict[str, Any]:
    """``ModelCardData`` back to the plain dict the hub sent (``None`` values dropped, as ``to_dict`` does).

    ``to_dict`` rebuilds ``model-index`` from parsed eval results and can trip over a malformed one; lineage does
    not need it, so the fallback keeps every other key as stored.
    """
    if isinstance(card_data, Mapping):
        return dict(card_data)
    if not hasattr(card_data, "to_dict"):
        return {}  # None, or a list/str the hub stored as cardData
    try:
        data = card_data.to_dict()
    except (TypeError, ValueError, KeyError, AttributeError):
        raw = dict(getattr(card_data, "__dict__", {}))
        data = {k: v for k, v in raw.items() if v is not None and k not in ("eval_results", "model_name")}
    return data if isinstance(data, dict) else {}


def sibling_names(info: ModelInfo) -> tuple[str, ...]:
    """The repo's file paths (``rfilename`` of each sibling), strings only."""
    siblings = info.siblings if isinstance(info.siblings, list) else []
    return tuple(name for name in (getattr(s, "rfilename", None) for s in siblings) if isinstance(name, str))


def gated_mode(value: Any) -> str:
    """``"auto"``, ``"manual"`` or ``""`` (not gated).

    An unknown truthy value still means someone controls access, so it reads as the stricter ``"manual"``.
    """
    if value in _GATED_MODES:
        return str(value)
    return "manual" if value else ""


def pinned_revision(sha: str) -> str:
    """The revision to download lineage files at: the metadata's commit, so files and card match."""
    return sha if _SHA_RE.fullmatch(sha) else "main"


def lineage_file_paths(siblings: Iterable[str]) -> list[str]:
    """The ``adapter_config.json`` files worth fetching: safe paths only, root first, then by path, capped."""
    return lineage_file_plan(siblings)[0]


def lineage_file_plan(siblings: Iterable[str]) -> tuple[list[str], int]:
    """``(paths to fetch, how many other adapter_config.json files are listed)``: those past the cap, and
    those whose path is not safe to put in a URL, are left unread (and the repo is then not a root)."""
    named = {path for path in siblings if path.rsplit("/", 1)[-1] == LINEAGE_FILE_NAME}
    wanted = sorted((p for p in named if _safe_path(p)), key=lambda path: (path.count("/"), path))
    read = wanted[:MAX_LINEAGE_FILES]
    return read, len(named) - len(read)


def gguf_unsafe_paths(siblings: Iterable[str]) -> int:
    """How many ``.gguf`` files are listed at paths not safe to put in a URL (never read: the node says so)."""
    return sum(1 for p in siblings if isinstance(p, str) and p.lower().endswith(".gguf") and not _safe_path(p))


def gguf_file_choice(siblings: Iterable[str]) -> str | None:
    """The one ``.gguf`` file whose header is read for lineage, or ``None`` when the repo lists none.

    Every quant of a repo carries the same ``general.*`` metadata, so one is enough: the shallowest, first by
    path, a first shard rather than a later one, never a vision projector (``mmproj-*``, another model's header).
    """
    candidates = [
        path
        for path in siblings
        if isinstance(path, str)
        and path.lower().endswith(".gguf")
        and _safe_path(path)
        and not path.rsplit("/", 1)[-1].lower().startswith(_GGUF_SKIPPED_PREFIXES)
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda p: (p.count("/"), bool(_GGUF_LATER_SHARD.search(p)), p))


def parse_json_object(body: bytes) -> dict[str, Any] | None:
    """The file as a JSON object, or ``None`` when it is not valid JSON or not an object."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # bad UTF-8 and bad JSON are ValueErrors; deep nesting recurses
        return None
    return value if isinstance(value, dict) else None


def _safe_path(path: str) -> bool:
    segments = path.split("/")
    return (
        0 < len(path) <= _MAX_PATH_CHARS
        and not _UNSAFE_PATH_RE.search(path)
        and all(segment not in ("", ".", "..") for segment in segments)
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(item for item in value if isinstance(item, str))
    return ()


def _datetime(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None
