"""``score(facts, policy) -> Rating``: run every rule, sum the points (capped at 100), pick the tier.

Pure and deterministic: no clock, no database, factors in a fixed order (points descending, then code), so
the same facts and policy always give an equal ``Rating`` and a stored snapshot can be compared with a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from assessments.scoring.facts import UsageFacts
from assessments.scoring.policy import Policy
from assessments.scoring.rules import RULES, Factor

MAX_SCORE = 100


@dataclass(frozen=True)
class Rating:
    score: int  # 0 to 100
    tier: str  # low, moderate, high, critical
    factors: tuple[Factor, ...]
    policy_version: int
    inputs_as_of: datetime | None  # when the lineage facts were fetched


def score(facts: UsageFacts, policy: Policy) -> Rating:
    """Rate one model usage. A factor whose weight is 0 is switched off by the policy and left out."""
    factors = sorted(
        (factor for rule in RULES if (factor := rule(facts, policy)) is not None and factor.points > 0),
        key=lambda factor: (-factor.points, factor.code),
    )
    total = min(MAX_SCORE, sum(factor.points for factor in factors))
    return Rating(
        score=total,
        tier=policy.tier(total),
        factors=tuple(factors),
        policy_version=policy.version,
        inputs_as_of=facts.facts_as_of,
    )
