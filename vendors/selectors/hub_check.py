"""Does a hub repo exist? Asked once, briefly, when an analyst names a hub model that is not in the graph yet, so
a mistyped id is caught while the form is still open. A slow or unreachable hub is no answer: the usage is saved
and the lineage refresh that follows in the background records what the hub says (``not_found`` and all)."""

from __future__ import annotations

from django.conf import settings

from vendors.hub import HubClient
from vendors.lineage.snapshot import NodeStatus
from vendors.models import AIModel

FOUND, MISSING, UNKNOWN = "found", "missing", "unknown"


def hub_repo_check(repo_id: str, *, client: HubClient | None = None) -> str:
    """``found`` (the repo answers, gated included, or the graph already has it resolved), ``missing`` (the hub
    says it does not exist or is private) or ``unknown`` (no answer in time: check in the background)."""
    known = AIModel.objects.filter(kind=AIModel.Kind.HUB, name__iexact=repo_id).values_list("status", flat=True)
    if any(status != AIModel.Status.NOT_FOUND and status != AIModel.Status.PENDING for status in known):
        return FOUND
    seconds = settings.HUB_CHECK_SECONDS
    client = client or HubClient(
        timeout=seconds, request_deadline=seconds, node_budget=seconds, max_retries=0, backoff_base=0
    )
    snapshot = client.fetch(repo_id)
    if snapshot.status == NodeStatus.NOT_FOUND:
        return MISSING
    if snapshot.status in (NodeStatus.RESOLVED, NodeStatus.GATED, NodeStatus.DISABLED):
        return FOUND
    return UNKNOWN
