"""Reads for assessments, shared by the pages, the services and the workers: the facts each usage is scored on
(``facts``), the scoring policy and what a draft would change (``policy``), the portfolio's roll-ups and
exposure (``exposure``), attestation requests and their claims (``attestations``), and assessments with their
answers (``assessments``)."""

from assessments.selectors.assessments import (
    AcceptedAnswers,
    accepted_answers,
    answer_states,
    answers_by_question,
    assessment_queryset,
    comments_by_question,
    evidence_by_question,
    model_table_prefill,
    questionnaire,
    vendor_statements,
)
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
    submission_discrepancies,
    usage_facts_for,
)
from assessments.selectors.policy import TierChange, WhatIf, policy_current, policy_versions, policy_what_if

__all__ = [
    "SUPPLY_CHAIN_CHANGES",
    "AcceptedAnswers",
    "Dashboard",
    "TierChange",
    "WhatIf",
    "acceptance_end",
    "acceptance_facts",
    "accepted_answers",
    "answer_states",
    "answers_by_question",
    "assessment_queryset",
    "attestation_claims",
    "attestation_facts_for",
    "attestation_products",
    "attestation_request_queryset",
    "comments_by_question",
    "dashboard",
    "evidence_by_question",
    "exposure_by_country",
    "exposure_by_root",
    "exposure_matches",
    "exposure_paths",
    "finding_queryset",
    "latest_ratings",
    "live_findings",
    "model_table_prefill",
    "policy_current",
    "policy_versions",
    "policy_what_if",
    "products_by_tier",
    "questionnaire",
    "rating_history",
    "repackager_publisher_ids",
    "submission_discrepancies",
    "usage_facts_for",
    "vendor_statements",
    "with_worst_rating",
    "worst_rating",
]
