"""What the hub told us about one repo, as plain data: the input of every pure lineage function.

``vendors.hub`` builds these from the hub's answers; nothing here talks to the hub or the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class NodeStatus:
    """Statuses of a lineage node (the values of AIModel.Status and of the CLI contract)."""

    RESOLVED = "resolved"
    NOT_FOUND = "not_found"
    GATED = "gated"
    DISABLED = "disabled"
    ERROR = "error"
    CYCLE = "cycle"
    DEPTH_LIMIT = "depth_limit"


class Relation:
    FINETUNE = "finetune"
    ADAPTER = "adapter"
    MERGE = "merge"
    QUANTIZED = "quantized"
    UNKNOWN = "unknown"


class EvidenceSource:
    """Where a parent claim comes from (the values of LineageEdge.Source)."""

    CARD = "card"
    TAGS = "tags"
    CONFIG = "config"
    ADAPTER_CONFIG = "adapter_config"
    GGUF = "gguf"


class SourceProblem:
    """Why a source that could name a parent was not read (the ``kind`` of a ``SourceFailure``)."""

    GATED = "gated"  # the hub wants an accepted licence / a granted token (X-Error-Code: GatedRepo)
    FORBIDDEN = "forbidden"  # refused without the gate's code (403, a rejected token)
    MISSING = "missing"  # the listing names the file, fetching it answers 404
    ERROR = "error"  # 5xx or timeouts past the retries, too large, not valid JSON, not the expected shape
    NOT_READ = "not_read"  # left unread on purpose: more files than are read per repo, an unsafe path


@dataclass(frozen=True)
class SourceFailure:
    """A source of parent claims that exists but could not be read: its parents are unknown, not absent."""

    source: str  # an EvidenceSource value
    path: str  # the file ("adapter_config.json", "README.md", "model-Q4_K_M.gguf")
    kind: str  # a SourceProblem value
    reason: str  # short, from our own words (nothing quoted from the server)


@dataclass(frozen=True)
class RepoSnapshot:
    """One hub repo as fetched: the metadata answer (with the expanded keys) and the small lineage files.

    ``requested_id`` is the id we asked for; ``repo_id`` is the id the hub answered with (different after a
    rename redirect). On a failure, ``status`` says which and ``status_reason`` why; the metadata fields are
    then empty. Values are raw hub data: hostile input is possible and must be bounded by whoever reads it.
    """

    requested_id: str
    repo_id: str
    status: str = NodeStatus.RESOLVED
    status_reason: str = ""
    http_status: int | None = None
    sha: str = ""
    author: str = ""
    card_data: Mapping[str, Any] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    siblings: tuple[str, ...] = ()
    gguf: Mapping[str, Any] = field(default_factory=dict)
    base_models: Any = None
    gated: str = ""
    disabled: bool = False
    library_name: str = ""
    pipeline_tag: str = ""
    created_at: datetime | None = None
    last_modified: datetime | None = None
    # The safetensors parameter count (``safetensors.total``), None when the hub states none.
    parameters: int | None = None
    # Lineage files fetched from the repo, by path (e.g. "adapter_config.json", "sub/adapter_config.json"):
    # the parsed JSON object, or None when the file could not be read or parsed.
    files: Mapping[str, Mapping[str, Any] | None] = field(default_factory=dict)
    # The lineage keys of one GGUF file's header (``general.base_model.{i}.*``, ``general.organization``,
    # ``general.basename``, ``general.license``...), read with a bounded range request; empty when the repo has no
    # GGUF file or its header could not be read (then ``source_failures`` says why).
    gguf_header: Mapping[str, Any] = field(default_factory=dict)
    gguf_file: str = ""
    # Sources that could name a parent but were not read (a gated adapter_config.json, a GGUF header that timed
    # out...): the node is then not a root, whatever the other sources say.
    source_failures: tuple[SourceFailure, ...] = ()

    @property
    def redirected_from(self) -> str | None:
        return self.requested_id if self.requested_id.lower() != self.repo_id.lower() else None


@dataclass(frozen=True)
class ParentClaim:
    """A claim that ``repo_id`` is a parent, with the relation and the strongest evidence for it."""

    repo_id: str
    relation: str
    source: str
