"""Explainable risk scoring of a model usage: facts + policy → score 0-100, tier and factors with evidence.

Pure: no Django models, no clock, no I/O beyond reading the package's own data files for ``Policy.default()``.
"""

from assessments.scoring.engine import MAX_SCORE, AcceptedFactor, Rating, lineage_factors, score, score_many
from assessments.scoring.facts import (
    LINEAGE_FIELDS,
    AcceptanceFacts,
    AttestationFacts,
    ChangeFacts,
    Claims,
    DriftFacts,
    EdgeFacts,
    HostFacts,
    InferredFacts,
    NodeFacts,
    QuestionnaireFacts,
    UsageFacts,
    usage_facts,
)
from assessments.scoring.policy import DISCREPANCY, EDITABLE_FIELDS, FACTOR_CODES, TIERS, Policy, PolicyError
from assessments.scoring.rules import RULES, Factor

__all__ = [
    "DISCREPANCY",
    "EDITABLE_FIELDS",
    "FACTOR_CODES",
    "LINEAGE_FIELDS",
    "MAX_SCORE",
    "RULES",
    "TIERS",
    "AcceptanceFacts",
    "AcceptedFactor",
    "AttestationFacts",
    "ChangeFacts",
    "Claims",
    "DriftFacts",
    "EdgeFacts",
    "Factor",
    "HostFacts",
    "InferredFacts",
    "NodeFacts",
    "Policy",
    "PolicyError",
    "QuestionnaireFacts",
    "Rating",
    "UsageFacts",
    "lineage_factors",
    "score",
    "score_many",
    "usage_facts",
]
