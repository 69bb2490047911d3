"""Explainable risk scoring of a model usage: facts + policy → score 0-100, tier and factors with evidence.

Pure: no Django models, no clock, no I/O beyond reading the package's own data files for ``Policy.default()``.
"""

from assessments.scoring.engine import MAX_SCORE, Rating, score
from assessments.scoring.facts import (
    AttestationFacts,
    ChangeFacts,
    Claims,
    DriftFacts,
    EdgeFacts,
    HostFacts,
    NodeFacts,
    UsageFacts,
    usage_facts,
)
from assessments.scoring.policy import FACTOR_CODES, TIERS, Policy, PolicyError
from assessments.scoring.rules import RULES, Factor

__all__ = [
    "FACTOR_CODES",
    "MAX_SCORE",
    "RULES",
    "TIERS",
    "AttestationFacts",
    "ChangeFacts",
    "Claims",
    "DriftFacts",
    "EdgeFacts",
    "Factor",
    "HostFacts",
    "NodeFacts",
    "Policy",
    "PolicyError",
    "Rating",
    "UsageFacts",
    "score",
    "usage_facts",
]
