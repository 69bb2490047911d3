"""What people read for a factor: its short label (lists, badges, filters, finding titles) and what it means (the
policy editor), one place for every page, PDF and email; and a finding's severity. The factor code stays the key
that integrators read (API, CSV) and is shown beside the label only where it helps them.

Pure: plain values in, plain values out."""

from __future__ import annotations

from assessments.scoring.policy import FACTOR_CODES, TIERS, Policy
from vendors.lineage.display import plain_ids

__all__ = ["FACTOR_CHOICES", "FACTOR_DESCRIPTIONS", "FACTOR_LABELS", "factor_label", "finding_severity", "plain_ids"]

#: The short human name of each factor.
FACTOR_LABELS = {
    "origin.country_of_concern": "Origin in a country of concern",
    "origin.inferred_country_of_concern": "Probable origin in a country of concern (inferred)",
    "origin.sanctioned_publisher": "Sanctioned publisher in the chain",
    "hosting.outside_approved": "Served outside the approved regions",
    "hosting.country_of_concern": "Served from a country of concern",
    "evaluation.published_findings": "Published security evaluation findings",
    "license.non_commercial": "Non-commercial licence",
    "license.territory_exclusion": "Licence excludes a territory",
    "license.unknown": "Unknown licence",
    "license.drift": "Licence differs from the parent's",
    "opacity.incomplete": "Lineage incomplete",
    "opacity.declared_only": "Known only from someone's word",
    "opacity.unknown_publisher": "Unknown publisher",
    "opacity.gated_ancestor": "Gated ancestor",
    "discrepancy.answer_contradicts_lineage": "Vendor's word contradicts the lineage",
    "questionnaire.answer_points": "Risky questionnaire answers",
    "attestation.missing": "No attestation",
    "attestation.expired": "Attestation expired",
    "facts.stale": "Lineage facts out of date",
    "changes.unacknowledged": "Unacknowledged supply-chain changes",
}

#: What each factor means, for people who set its weight. The rules' docstrings say the same at length.
FACTOR_DESCRIPTIONS = {
    "origin.country_of_concern": (
        "An ancestor published from a country of concern (a root weighs \N{MULTIPLICATION SIGN} root multiplier)"
    ),
    "origin.inferred_country_of_concern": (
        "No metadata names a parent, but the config, tokenizer or README match a model from a country of concern "
        "(weighs \N{MULTIPLICATION SIGN} the inference's confidence, never more than a declared origin)"
    ),
    "origin.sanctioned_publisher": "A publisher in the chain is on a sanctions or export-control list",
    "hosting.outside_approved": "Served by an operator or from a region outside the approved regions",
    "hosting.country_of_concern": "Operated from, or served from, a country of concern",
    "evaluation.published_findings": "A published security evaluation found problems in the model or an ancestor",
    "license.non_commercial": "Non-commercial or research-only licence terms anywhere in the chain",
    "license.territory_exclusion": "A licence excludes a territory the usage touches",
    "license.unknown": "A model in the chain has no usable licence tag",
    "license.drift": "A derivative declares a different licence from its parent",
    "opacity.incomplete": "The lineage walk could not reach every root",
    "opacity.declared_only": "Models or parent links known only from someone's word",
    "opacity.unknown_publisher": "A model whose publisher the knowledge base does not know",
    "opacity.gated_ancestor": "A gated repo whose card and parents could not be read",
    "discrepancy.answer_contradicts_lineage": (
        "A questionnaire answer, attestation or imported BOM contradicts the resolved lineage"
    ),
    "questionnaire.answer_points": "The most points the risk points of accepted questionnaire answers can add",
    "attestation.missing": "Nobody at the vendor has signed for this usage's supply chain",
    "attestation.expired": "The attestation has expired or is older than the policy accepts",
    "facts.stale": "The lineage was fetched longer ago than the policy allows, or never",
    "changes.unacknowledged": "Supply-chain changes nobody has looked at (per change, up to the changes cap)",
}

#: (code, label) for choice fields, in the rules' order.
FACTOR_CHOICES = tuple((code, FACTOR_LABELS[code]) for code in FACTOR_CODES)


def factor_label(code: str) -> str:
    """The factor's human label; an unknown code (from an older version of the rules) is shown as it is."""
    return FACTOR_LABELS.get(code, code)


def finding_severity(*, code: str, points: int, critical_tier: bool, policy: Policy) -> str:
    """How urgent a finding is, as a tier name: the tier the factor's points alone reach under the policy, at least
    ``high`` for a factor the policy says opens a finding, and ``critical`` for the largest factor of a critical
    rating."""
    if critical_tier:
        return "critical"
    severity = policy.tier(points)
    if policy.opens_finding(code) and TIERS.index(severity) < TIERS.index("high"):
        severity = "high"
    return severity
