"""Pure lineage logic: parent discovery from hub metadata, bounding hostile values, and the graph walk.

No HTTP, no database, no Celery: functions take plain values (``RepoSnapshot``) and return dataclasses.
"""

from vendors.lineage.discovery import MAX_PARENTS, Discovery, discover_parents, normalize_repo_ref, relation_from_files
from vendors.lineage.gaps import Gap, GapCode, node_outcome
from vendors.lineage.graph import (
    Ancestry,
    CountryOrigin,
    EdgeInfo,
    Incomplete,
    LicenseDrift,
    NodeInfo,
    Problem,
    ancestry,
)
from vendors.lineage.sanitize import clean_str_list, clean_text, datasets_of, license_of
from vendors.lineage.snapshot import (
    EvidenceSource,
    NodeStatus,
    ParentClaim,
    Relation,
    RepoSnapshot,
    SourceFailure,
    SourceProblem,
)

__all__ = [
    "MAX_PARENTS",
    "Ancestry",
    "CountryOrigin",
    "Discovery",
    "EdgeInfo",
    "EvidenceSource",
    "Gap",
    "GapCode",
    "Incomplete",
    "LicenseDrift",
    "NodeInfo",
    "NodeStatus",
    "ParentClaim",
    "Problem",
    "Relation",
    "RepoSnapshot",
    "SourceFailure",
    "SourceProblem",
    "ancestry",
    "clean_str_list",
    "clean_text",
    "datasets_of",
    "discover_parents",
    "license_of",
    "node_outcome",
    "normalize_repo_ref",
    "relation_from_files",
]
