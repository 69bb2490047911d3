"""Writes for assessments: rescoring (``rescoring``), policy versions (``policy``) and the findings' workflow
(``findings``). Views, tasks and commands call these; nothing else writes assessments' rows."""

from assessments.services.findings import (
    finding_accept,
    finding_acceptance_revoke,
    finding_resolve,
    finding_update,
    findings_expire,
)
from assessments.services.policy import policy_default_ensure, policy_version_create
from assessments.services.rescoring import ratings_refresh, ratings_refresh_request

__all__ = [
    "finding_accept",
    "finding_acceptance_revoke",
    "finding_resolve",
    "finding_update",
    "findings_expire",
    "policy_default_ensure",
    "policy_version_create",
    "ratings_refresh",
    "ratings_refresh_request",
]
