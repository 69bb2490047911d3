"""What keeps one node from being a root: sources of parent claims that were not read, parents that were not
followed. A node with a gap is never a root, and a chain through it is never complete.

The codes are a closed set (``GapCode.ALL``), stored on the node (``AIModel.lineage_gaps``) and read back by the
ancestry walk, which turns each into an "incomplete, because…" problem naming the node.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from vendors.lineage.sanitize import clean_text
from vendors.lineage.snapshot import NodeStatus, RepoSnapshot, SourceFailure, SourceProblem

#: Most gaps kept per node: past a handful the node is as incomplete as it gets.
MAX_GAPS = 16


class GapCode:
    SOURCE_GATED = "source_gated"
    SOURCE_FORBIDDEN = "source_forbidden"
    SOURCE_MISSING = "source_missing"
    SOURCE_ERROR = "source_error"
    SOURCE_NOT_READ = "source_not_read"
    PARENTS_TRUNCATED = "parents_truncated"
    PARENT_UNUSABLE = "parent_unusable"

    ALL = frozenset(
        {
            SOURCE_GATED,
            SOURCE_FORBIDDEN,
            SOURCE_MISSING,
            SOURCE_ERROR,
            SOURCE_NOT_READ,
            PARENTS_TRUNCATED,
            PARENT_UNUSABLE,
        }
    )
    #: Gaps that mean a source could not be read: they decide the node's status (gated or error).
    FAILURES = frozenset({SOURCE_GATED, SOURCE_FORBIDDEN, SOURCE_MISSING, SOURCE_ERROR})


_FAILURE_CODES: Mapping[str, str] = {
    SourceProblem.GATED: GapCode.SOURCE_GATED,
    SourceProblem.FORBIDDEN: GapCode.SOURCE_FORBIDDEN,
    SourceProblem.MISSING: GapCode.SOURCE_MISSING,
    SourceProblem.ERROR: GapCode.SOURCE_ERROR,
    SourceProblem.NOT_READ: GapCode.SOURCE_NOT_READ,
}
_VERBS: Mapping[str, str] = {
    GapCode.SOURCE_GATED: "is gated",
    GapCode.SOURCE_FORBIDDEN: "was refused by the hub",
    GapCode.SOURCE_MISSING: "is listed but could not be found",
    GapCode.SOURCE_ERROR: "could not be read",
    GapCode.SOURCE_NOT_READ: "was not read",
}


@dataclass(frozen=True)
class Gap:
    """One reason a node's parents may be more than those stored; ``text()`` says it in one line."""

    code: str
    source: str = ""
    path: str = ""
    detail: str = ""
    followed: int | None = None
    declared: int | None = None
    declared_exact: bool = True

    def text(self) -> str:
        if self.code == GapCode.PARENTS_TRUNCATED:
            declared = f"{self.declared:,}" if self.declared_exact else f"at least {self.declared:,}"
            return f"followed {self.followed or 0:,} of {declared} declared parents (fan-out limit)"
        if self.code == GapCode.PARENT_UNUSABLE:
            return f"names a parent that cannot be followed: {self.detail}"
        what = self.path or self.source or "a lineage source"
        detail = f" ({self.detail})" if self.detail else ""
        return f"{what} {_VERBS.get(self.code, 'was not read')}{detail}, so the parents it names are unknown"

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value not in ("", None)}

    @classmethod
    def from_dict(cls, value: Any) -> Gap | None:
        """A stored gap back; anything unrecognisable reads as an unknown source error (never as no gap)."""
        if not isinstance(value, Mapping):
            return cls(GapCode.SOURCE_ERROR, detail="unreadable record of a lineage gap")
        code = value.get("code") if value.get("code") in GapCode.ALL else GapCode.SOURCE_ERROR

        def number(key: str) -> int | None:
            found = value.get(key)
            return found if isinstance(found, int) and not isinstance(found, bool) else None

        return cls(
            code=code,
            source=clean_text(value.get("source"), 40),
            path=clean_text(value.get("path"), 200),
            detail=clean_text(value.get("detail"), 200),
            followed=number("followed"),
            declared=number("declared"),
            declared_exact=value.get("declared_exact", True) is not False,
        )


def gaps_from_stored(values: Any) -> tuple[Gap, ...]:
    if not isinstance(values, list | tuple):
        return ()
    return tuple(gap for gap in (Gap.from_dict(v) for v in values[:MAX_GAPS]) if gap is not None)


def failure_gap(failure: SourceFailure) -> Gap:
    return Gap(
        code=_FAILURE_CODES.get(failure.kind, GapCode.SOURCE_ERROR),
        source=clean_text(failure.source, 40),
        path=clean_text(failure.path, 200),
        detail=clean_text(failure.reason, 200),
    )


def node_outcome(snapshot: RepoSnapshot, gaps: Iterable[Gap]) -> tuple[str, str]:
    """The status and reason to store for a fetched node.

    A node whose metadata was read but one of whose parent sources failed is ``gated`` (a source is gated) or
    ``error`` (refused, missing, errored), with the first such source as the reason: its base is unknowable
    until that source is read. Truncation and unusable references keep the node resolved (its gaps still make
    the chain incomplete).
    """
    if snapshot.status != NodeStatus.RESOLVED:
        return snapshot.status, snapshot.status_reason
    failures = [gap for gap in gaps if gap.code in GapCode.FAILURES]
    if not failures:
        return NodeStatus.RESOLVED, ""
    gated = [gap for gap in failures if gap.code == GapCode.SOURCE_GATED]
    first = (gated or failures)[0]
    return (NodeStatus.GATED if gated else NodeStatus.ERROR), clean_text(first.text(), 500)
