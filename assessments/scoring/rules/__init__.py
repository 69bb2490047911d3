"""One function per risk factor: ``rule(facts, policy) -> Factor | None``.

Rules only ever add points, and a rule that can fire for several ancestors fires once, with the points of the
worst one and every one in the evidence. That is what keeps a score bounded, explainable and monotone: one more
risk can add a factor or raise one, never lower one. Each reason names the node and the product's model; each
piece of evidence shows the path from the product's model to the node ("A → B → C").
"""

from collections.abc import Callable

from assessments.scoring.facts import UsageFacts
from assessments.scoring.policy import Policy
from assessments.scoring.rules.common import MAX_EVIDENCE, UNKNOWN_LICENSES, Factor, paths
from assessments.scoring.rules.conduct import (
    attestation_expired,
    attestation_missing,
    changes_unacknowledged,
    discrepancy_answer_contradicts_lineage,
    facts_stale,
    questionnaire_answer_points,
)
from assessments.scoring.rules.licence import (
    license_drift,
    license_non_commercial,
    license_territory_exclusion,
    license_unknown,
)
from assessments.scoring.rules.opacity import (
    opacity_declared_only,
    opacity_gated_ancestor,
    opacity_incomplete,
    opacity_unknown_publisher,
)
from assessments.scoring.rules.origin import (
    evaluation_published_findings,
    hosting_country_of_concern,
    hosting_outside_approved,
    origin_country_of_concern,
    origin_inferred_country_of_concern,
    origin_sanctioned_publisher,
)

RULES: tuple[Callable[[UsageFacts, Policy], Factor | None], ...] = (
    origin_country_of_concern,
    origin_inferred_country_of_concern,
    origin_sanctioned_publisher,
    hosting_outside_approved,
    hosting_country_of_concern,
    evaluation_published_findings,
    license_non_commercial,
    license_territory_exclusion,
    license_unknown,
    license_drift,
    opacity_incomplete,
    opacity_declared_only,
    opacity_unknown_publisher,
    opacity_gated_ancestor,
    discrepancy_answer_contradicts_lineage,
    questionnaire_answer_points,
    attestation_missing,
    attestation_expired,
    facts_stale,
    changes_unacknowledged,
)

#: The rules marked ``lineage_only``: they read only the lineage fields of the facts, so give the same factor for
#: every usage of one model; rescoring runs them once per model, the others once per usage.
LINEAGE_RULES = tuple(rule for rule in RULES if getattr(rule, "reads_only_lineage", False))
USAGE_RULES = tuple(rule for rule in RULES if rule not in LINEAGE_RULES)

__all__ = ["LINEAGE_RULES", "MAX_EVIDENCE", "RULES", "UNKNOWN_LICENSES", "USAGE_RULES", "Factor", "paths"]
