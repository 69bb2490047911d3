"""Writes for assessments: rescoring (``rescoring``), policy versions (``policy``), the findings' workflow
(``findings``) and attestation requests and signatures (``attestations``). Views, tasks and commands call
these; nothing else writes assessments' rows."""

from assessments.services.attestations import (
    attestation_request_cancel,
    attestation_request_create,
    attestation_sign,
    attestation_signed_notify,
    responses_clean,
)
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
    "attestation_request_cancel",
    "attestation_request_create",
    "attestation_sign",
    "attestation_signed_notify",
    "finding_accept",
    "finding_acceptance_revoke",
    "finding_resolve",
    "finding_update",
    "findings_expire",
    "policy_default_ensure",
    "policy_version_create",
    "ratings_refresh",
    "ratings_refresh_request",
    "responses_clean",
]
