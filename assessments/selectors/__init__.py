"""Reads for assessments, shared by the pages, the services and the workers: the facts each usage is scored on
(``facts``), the scoring policy and what a draft would change (``policy``), and the portfolio's roll-ups and
exposure (``exposure``)."""

from assessments.selectors.attestations import (
    attestation_claims,
    attestation_facts_for,
    attestation_products,
    attestation_request_queryset,
)
from assessments.selectors.exposure import (
    Dashboard,
    dashboard,
    exposure_by_country,
    exposure_by_root,
    exposure_matches,
    products_by_tier,
    repackager_publisher_ids,
    with_worst_rating,
    worst_rating,
)
from assessments.selectors.facts import (
    SUPPLY_CHAIN_CHANGES,
    acceptance_end,
    acceptance_facts,
    exposure_paths,
    finding_queryset,
    latest_ratings,
    live_findings,
    rating_history,
    usage_facts_for,
)
from assessments.selectors.policy import TierChange, WhatIf, policy_current, policy_versions, policy_what_if

__all__ = [
    "SUPPLY_CHAIN_CHANGES",
    "Dashboard",
    "TierChange",
    "WhatIf",
    "acceptance_end",
    "acceptance_facts",
    "attestation_claims",
    "attestation_facts_for",
    "attestation_products",
    "attestation_request_queryset",
    "dashboard",
    "exposure_by_country",
    "exposure_by_root",
    "exposure_matches",
    "exposure_paths",
    "finding_queryset",
    "latest_ratings",
    "live_findings",
    "policy_current",
    "policy_versions",
    "policy_what_if",
    "products_by_tier",
    "rating_history",
    "repackager_publisher_ids",
    "usage_facts_for",
    "with_worst_rating",
    "worst_rating",
]
