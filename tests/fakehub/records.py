"""Recorded repositories: loading, validation and the values the Hub derives.

A *record* is one JSON object per repository (see ``repos/README.md``).  Most
keys are passed through as the Hub's API fields; a few control keys
(:data:`CONTROL_KEYS`) describe things the API does not return directly:
file contents, old ids, revisions.  :func:`build_repo` turns a record into a
:class:`Repo` holding everything the server needs, computed once, so request
handling stays cheap under heavy concurrency.

Derived values follow the Hub's documented behaviour where it is documented
(``base_model:`` tags, siblings, git blob ids) and are marked GUESS where the
Hub's logic is closed source (relation inference).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .gguf_files import default_metadata, gguf_bytes

DEFAULT_REPOS_DIR = Path(__file__).resolve().parent / "repos"
HUB_META_FILE = "_hub.json"

#: Record keys that are not API fields.
CONTROL_KEYS = frozenset(
    {"provenance", "aliases", "files", "readme_body", "revisions", "refuse_metadata", "filler"}
    | {"gguf_metadata", "gguf_padding", "file_sources"}
)
RELATIONS = ("adapter", "merge", "quantized", "finetune")
DEFAULT_DATE = "2024-09-04T12:00:00.000Z"
# GUESS: quantisation methods after which the Hub shows a child as "quantized".
_QUANT_METHODS = {"bitsandbytes", "gptq", "awq", "hqq", "aqlm", "exl2"}
_GITATTRIBUTES = (
    "*.bin filter=lfs diff=lfs merge=lfs -text\n"
    "*.gguf filter=lfs diff=lfs merge=lfs -text\n"
    "*.pt filter=lfs diff=lfs merge=lfs -text\n"
    "*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
    "tokenizer.json filter=lfs diff=lfs merge=lfs -text\n"
)
REPO_ID_RE = re.compile(r"^(?:[\w.\-]+/)?[\w.\-]+$")


class RecordError(ValueError):
    """A record cannot be turned into a repository."""


def record_filename(repo_id: str) -> str:
    """File name for a repo id: ``org/name`` -> ``org--name.json`` (ids cannot contain ``--/``)."""
    if not REPO_ID_RE.match(repo_id) or ".." in repo_id:
        raise RecordError(f"not a valid repo id: {repo_id!r}")
    return repo_id.replace("/", "--") + ".json"


def derived_hex(*parts: str, length: int = 40) -> str:
    """Deterministic hex string, so ids and shas are stable across runs."""
    return hashlib.sha1("\x00".join(parts).encode(), usedforsecurity=False).hexdigest()[:length]


def git_blob_sha1(content: bytes) -> str:
    """The git object id of a blob: what the Hub reports as ``blobId`` and ETag."""
    return hashlib.sha1(b"blob %d\x00" % len(content) + content, usedforsecurity=False).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


@dataclass(frozen=True)
class RepoFile:
    """One file of a snapshot. ``content is None`` means an LFS object: its bytes are served from the storage
    route only when ``lfs_content`` holds them (GGUF files), never from ``/resolve``."""

    path: str
    size: int
    blob_id: str
    content: bytes | None = None
    lfs_sha256: str | None = None
    pointer_size: int | None = None
    lfs_content: bytes | None = None

    @property
    def is_lfs(self) -> bool:
        return self.lfs_sha256 is not None


@dataclass
class Snapshot:
    """A repository at one revision, with the values the Hub computes."""

    repo_id: str
    sha: str
    fields: dict[str, Any]
    files: dict[str, RepoFile]
    parents: list[str]
    relation: str | None
    tags: list[str]

    @property
    def card_data(self) -> dict[str, Any]:
        card = self.fields.get("cardData")
        return card if isinstance(card, dict) else {}


@dataclass
class Repo:
    """A repository: its current snapshot, other revisions, and fake-hub controls."""

    repo_id: str
    record: dict[str, Any]
    main: Snapshot
    revisions: dict[str, Snapshot] = field(default_factory=dict)

    @property
    def gated(self) -> str | bool:
        return self.record.get("gated") or False

    @property
    def disabled(self) -> bool:
        return bool(self.record.get("disabled"))

    @property
    def private(self) -> bool:
        return bool(self.record.get("private"))

    @property
    def refuse_metadata(self) -> bool:
        return bool(self.record.get("refuse_metadata"))

    def at(self, revision: str) -> Snapshot | None:
        """The snapshot for a branch name, tag, full commit sha, or ``None``."""
        if revision in ("main", self.main.sha):
            return self.main
        if revision in self.revisions:
            return self.revisions[revision]
        return next((snap for snap in self.revisions.values() if snap.sha == revision), None)


def declared_parents(card: dict[str, Any]) -> list[str]:
    """``cardData.base_model`` as a list; malformed entries are ignored like the Hub ignores them."""
    base = card.get("base_model")
    if isinstance(base, str):
        return [base] if base.strip() else []
    if isinstance(base, list):
        return [item for item in base if isinstance(item, str) and item.strip()]
    return []


def infer_relation(fields: dict[str, Any], files: dict[str, RepoFile], parents: list[str]) -> str | None:
    """The relation the Hub shows for a child (explicit value wins; otherwise GUESS heuristics)."""
    if not parents:
        return None
    card = fields.get("cardData") if isinstance(fields.get("cardData"), dict) else {}
    explicit = card.get("base_model_relation")
    if isinstance(explicit, str) and explicit in RELATIONS:
        return explicit
    if fields.get("gguf") or any(path.endswith(".gguf") for path in files):
        return "quantized"
    config = fields.get("config") if isinstance(fields.get("config"), dict) else {}
    quant = config.get("quantization_config") if isinstance(config.get("quantization_config"), dict) else {}
    if quant.get("quant_method") in _QUANT_METHODS:
        return "quantized"
    if "adapter_config.json" in files:
        return "adapter"
    if len(parents) >= 2:
        return "merge"
    return "finetune"


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def compute_tags(
    fields: dict[str, Any], files: dict[str, RepoFile], parents: list[str], relation: str | None
) -> list[str]:
    """Tags the way the Hub assembles them; a record's own ``tags`` list pins them instead."""
    card = fields.get("cardData") if isinstance(fields.get("cardData"), dict) else {}
    config = fields.get("config") if isinstance(fields.get("config"), dict) else {}
    tags: list[str] = []
    tags += _strings(fields.get("library_name") or card.get("library_name"))
    if any(path.endswith(".safetensors") for path in files):
        tags.append("safetensors")
    if fields.get("gguf") or any(path.endswith(".gguf") for path in files):
        tags.append("gguf")
    if "adapter_config.json" in files:
        tags.append("peft")
    tags += _strings(config.get("model_type"))
    tags += _strings(fields.get("pipeline_tag") or card.get("pipeline_tag"))
    tags += _strings(card.get("tags"))
    quant = config.get("quantization_config") if isinstance(config.get("quantization_config"), dict) else {}
    if quant.get("load_in_4bit") or quant.get("bits") == 4:
        tags.append("4-bit")
    if quant.get("load_in_8bit") or quant.get("bits") == 8:
        tags.append("8-bit")
    tags += _strings(quant.get("quant_method"))
    tags += _strings(card.get("language"))
    tags += [f"dataset:{name}" for name in _strings(card.get("datasets"))]
    tags += [f"base_model:{parent}" for parent in parents]
    tags += [f"base_model:{relation}:{parent}" for parent in parents]
    tags += [f"license:{name}" for name in _strings(card.get("license"))]
    tags.append("region:us")
    return list(dict.fromkeys(tags))


def _gguf_content(repo_id: str, fields: dict[str, Any], controls: dict[str, Any]) -> bytes:
    """The bytes served for every ``.gguf`` file of a snapshot (a tiny real GGUF file)."""
    card = fields.get("cardData") if isinstance(fields.get("cardData"), dict) else {}
    metadata = controls.get("gguf_metadata")
    if not isinstance(metadata, dict):
        metadata = default_metadata(repo_id, fields, declared_parents(card))
    gguf = fields.get("gguf") if isinstance(fields.get("gguf"), dict) else {}
    architecture = gguf.get("architecture") if isinstance(gguf.get("architecture"), str) else "llama"
    return gguf_bytes(metadata, architecture=architecture, padding=int(controls.get("gguf_padding") or 0))


def _file_table(repo_id: str, fields: dict[str, Any], controls: dict[str, Any]) -> dict[str, RepoFile]:
    """Every file of a snapshot: recorded contents, a generated README, and LFS siblings."""
    contents: dict[str, bytes] = {".gitattributes": _GITATTRIBUTES.encode()}
    card = fields.get("cardData") if isinstance(fields.get("cardData"), dict) else {}
    body = controls.get("readme_body")
    if card or body:
        contents["README.md"] = _front_matter(card, body or f"# {repo_id.split('/')[-1]}\n").encode()
    for path, value in (controls.get("files") or {}).items():
        if value is None:
            contents.pop(path, None)
        elif isinstance(value, str):
            contents[path] = value.encode()
        else:  # JSON documents are recorded as objects for readability
            contents[path] = (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode()
    table = {
        path: RepoFile(path=path, size=len(data), blob_id=git_blob_sha1(data), content=data)
        for path, data in contents.items()
    }
    siblings = fields.get("siblings")
    if isinstance(siblings, list):
        for sibling in siblings:
            if not isinstance(sibling, dict) or not isinstance(sibling.get("rfilename"), str):
                continue
            path = sibling["rfilename"]
            if path in table:
                continue
            lfs = sibling.get("lfs") if isinstance(sibling.get("lfs"), dict) else {}
            size = int(sibling.get("size") or lfs.get("size") or 0)
            sha256 = lfs.get("sha256") or hashlib.sha256(f"{repo_id}/{path}".encode()).hexdigest()
            pointer = lfs_pointer(sha256, size)
            table[path] = RepoFile(
                path=path,
                size=size,
                blob_id=git_blob_sha1(pointer),
                lfs_sha256=sha256,
                pointer_size=len(pointer),
                lfs_content=_gguf_content(repo_id, fields, controls) if path.lower().endswith(".gguf") else None,
            )
    return dict(sorted(table.items()))


def _set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    *head, last = dotted.split(".")
    for key in head:
        data = data.setdefault(key, {})
    data[last] = value


def _apply_fillers(fields: dict[str, Any], fillers: Iterable[dict[str, Any]]) -> None:
    """Expand ``filler`` entries (huge values are generated rather than stored on disk)."""
    for filler in fillers:
        text, size = str(filler["text"]), int(filler["bytes"])
        _set_path(fields, filler["path"], (text * (size // max(len(text), 1) + 1))[:size])


def _snapshot(repo_id: str, sha: str, fields: dict[str, Any], controls: dict[str, Any]) -> Snapshot:
    files = _file_table(repo_id, fields, controls)
    card = fields.get("cardData") if isinstance(fields.get("cardData"), dict) else {}
    parents = declared_parents(card)
    relation = infer_relation(fields, files, parents)
    # A record's own "tags" are served verbatim (even malformed ones, for hostile tests).
    tags = fields["tags"] if "tags" in fields else compute_tags(fields, files, parents, relation)
    return Snapshot(repo_id, sha, fields, files, parents, relation, tags)


#: What a commit holds: the files, the README (its front matter is the card) and the file list. Hub-side fields
#: (gated, disabled, downloads, likes, dates) change without a commit, and a rename keeps the commit.
_COMMIT_KEYS = ("files", "readme_body", "cardData", "siblings", "gguf_metadata", "gguf_padding", "file_sources")


def _commit_content(record: dict[str, Any]) -> str:
    """The record's committed content, as text: a record whose files change gets a new commit sha, as on the Hub,
    unless it names its ``sha``."""
    content = {key: record[key] for key in _COMMIT_KEYS if key in record}
    return json.dumps(content, sort_keys=True, default=repr) if content else ""


def build_repo(record: dict[str, Any]) -> Repo:
    """Validate a record and compute its snapshots. The record itself is not modified."""
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        raise RecordError("a record needs a string 'id'")
    record = copy.deepcopy(record)
    repo_id = record["id"]
    record_filename(repo_id)  # validates the id
    record.setdefault("_id", derived_hex("object-id", repo_id, length=24))
    record.setdefault("sha", derived_hex("commit", repo_id, _commit_content(record)))
    fields = {key: value for key, value in record.items() if key not in CONTROL_KEYS}
    _apply_fillers(fields, record.get("filler") or [])
    controls = {key: record[key] for key in CONTROL_KEYS if key in record}
    main = _snapshot(repo_id, fields["sha"], fields, controls)
    revisions: dict[str, Snapshot] = {}
    for name, overlay in (record.get("revisions") or {}).items():
        if not isinstance(overlay, dict):
            raise RecordError(f"{repo_id}: revision {name!r} must be an object")
        sha = overlay.get("sha") or (
            name if re.fullmatch(r"[0-9a-f]{40}", name) else derived_hex("commit", repo_id, name)
        )
        rev_fields = {**fields, **{k: v for k, v in overlay.items() if k not in CONTROL_KEYS}, "sha": sha}
        rev_controls = {**controls, **{k: v for k, v in overlay.items() if k in CONTROL_KEYS}}
        revisions[name] = _snapshot(repo_id, sha, rev_fields, rev_controls)
    return Repo(repo_id=repo_id, record=record, main=main, revisions=revisions)


def load_records(repos_dir: Path | str = DEFAULT_REPOS_DIR) -> list[dict[str, Any]]:
    """Every ``*.json`` record in ``repos_dir`` (files starting with ``_`` hold hub-wide data)."""
    records = []
    for path in sorted(Path(repos_dir).glob("*.json")):
        if path.name.startswith("_"):
            continue
        record = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(record, dict) or "id" not in record:
            raise RecordError(f"{path.name}: not a repo record")
        records.append(record)
    return records


def load_hub_meta(repos_dir: Path | str = DEFAULT_REPOS_DIR) -> dict[str, Any]:
    """Hub-wide data: namespace profiles and parents that are intentionally absent."""
    path = Path(repos_dir) / HUB_META_FILE
    if not path.exists():
        return {"namespaces": {}, "intentionally_missing": []}
    return json.loads(path.read_text(encoding="utf-8"))


def _front_matter(card_data: dict[str, Any], body: str) -> str:
    """A README.md the way the Hub stores it: ``---`` YAML ``---`` then prose; cardData is derived from it."""
    if not card_data:
        return body
    header = yaml.safe_dump(card_data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return f"---\n{header}---\n\n{body}"
