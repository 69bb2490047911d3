"""Attestations, pure: the claims a request asks a vendor to confirm (``claims``), and the statement text, its
hash and what the vendor's responses declare for scoring (``statement``)."""

from assessments.attestation.claims import (
    SNAPSHOT_VERSION,
    AttestationClaims,
    EdgeClaim,
    HostClaim,
    NodeClaim,
    ProductClaims,
    Response,
    Signature,
    UsageClaims,
    snapshot_from_json,
)
from assessments.attestation.statement import (
    MAX_CORRECTION,
    Claim,
    ClaimKind,
    claim_list,
    clean_correction,
    clean_names,
    declared_claims,
    missing_responses,
    statement_sha256,
    statement_text,
)

__all__ = [
    "MAX_CORRECTION",
    "SNAPSHOT_VERSION",
    "AttestationClaims",
    "Claim",
    "ClaimKind",
    "EdgeClaim",
    "HostClaim",
    "NodeClaim",
    "ProductClaims",
    "Response",
    "Signature",
    "UsageClaims",
    "claim_list",
    "clean_correction",
    "clean_names",
    "declared_claims",
    "missing_responses",
    "snapshot_from_json",
    "statement_sha256",
    "statement_text",
]
