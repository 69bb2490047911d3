"""``score(facts, policy) -> Rating``: run every rule, sum the points (capped at 100), pick the tier.

Pure and deterministic: no clock, no database, factors in a fixed order (points descending, then code), so
the same facts and policy always give an equal ``Rating`` and a stored snapshot can be compared with a new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assessments.scoring.facts import LINEAGE_FIELDS, AcceptanceFacts, UsageFacts
from assessments.scoring.policy import Policy
from assessments.scoring.rules import LINEAGE_RULES, USAGE_RULES, Factor

MAX_SCORE = 100


@dataclass(frozen=True)
class AcceptedFactor:
    """A factor whose risk was accepted: shown with the acceptance, its points not counted."""

    factor: Factor
    acceptance: AcceptanceFacts


@dataclass(frozen=True)
class Rating:
    score: int  # 0 to 100
    tier: str  # low, moderate, high, critical
    factors: tuple[Factor, ...]  # the factors that count, largest first
    policy_version: int
    inputs_as_of: datetime | None  # when the lineage facts were fetched
    accepted: tuple[AcceptedFactor, ...] = ()  # factors under a valid risk acceptance

    def all_codes(self) -> frozenset[str]:
        return frozenset(f.code for f in self.factors) | {a.factor.code for a in self.accepted}


def lineage_factors(facts: UsageFacts, policy: Policy) -> tuple[Factor, ...]:
    """What the rules that read only the lineage (``LINEAGE_RULES``) find: the same for every usage of one model
    under one policy, so a caller scoring many usages of it computes them once and passes them to ``score``."""
    return tuple(factor for rule in LINEAGE_RULES if (factor := rule(facts, policy)) is not None)


def score(facts: UsageFacts, policy: Policy, *, lineage: tuple[Factor, ...] | None = None) -> Rating:
    """Rate one model usage. A factor whose weight is 0 is switched off by the policy and left out; a factor
    under a risk acceptance still valid at ``facts.now`` is kept aside and its points are not counted.

    ``lineage``: ``lineage_factors(facts, policy)`` if the caller has it (computed for another usage of the same
    lineage); computed here otherwise."""
    found = lineage_factors(facts, policy) if lineage is None else lineage
    usage = (factor for rule in USAGE_RULES if (factor := rule(facts, policy)) is not None)
    factors = sorted(
        (factor for factor in (*found, *usage) if factor.points > 0),
        key=lambda factor: (-factor.points, factor.code),
    )
    valid = {a.code: a for a in sorted(facts.acceptances, key=lambda a: a.until) if a.until > facts.now}
    counted = tuple(f for f in factors if f.code not in valid)
    total = min(MAX_SCORE, sum(factor.points for factor in counted))
    return Rating(
        score=total,
        tier=policy.tier(total),
        factors=counted,
        policy_version=policy.version,
        inputs_as_of=facts.facts_as_of,
        accepted=tuple(AcceptedFactor(f, valid[f.code]) for f in factors if f.code in valid),
    )


def score_many(
    facts: Mapping[int, UsageFacts], policy: Policy, cache: dict[tuple, tuple[UsageFacts, Any]] | None = None
) -> dict[int, Rating]:
    """Rate many usages (key -> facts), as ``score`` rates each. What the rules that read only the lineage find
    is found once per lineage (``lineage_factors``), and usages whose other facts are equal too (the same model,
    role, host, vendor country, answers...: common in a large portfolio) are scored once and share the
    ``Rating``. ``cache`` carries both between calls (a rescoring's batches), for as long as the caller keeps it.

    Lineages are told apart by the identity of their facts' parts (the ``nodes`` mapping, the ``edges``...), never
    compared field by field (at 100,000 usages, hashing each usage's edges and nodes cost more than scoring it):
    facts built for usages of one model share them, as ``assessments.selectors.usage_facts_for`` builds them,
    and facts changed with ``dataclasses.replace`` get new ones. The cache keeps the facts it was given alive
    with what they gave, so an identity is never reused while it holds it."""
    cache = {} if cache is None else cache
    ratings: dict[int, Rating] = {}
    for key, usage_facts in facts.items():
        lineage_key = (id(policy), *(_part(usage_facts, name) for name in _LINEAGE_KEY))
        lineage = cache.get(lineage_key)
        if lineage is None:
            lineage = cache[lineage_key] = (usage_facts, lineage_factors(usage_facts, policy))
        usage_key: tuple | None = (lineage_key, *(getattr(usage_facts, name) for name in _USAGE_FIELDS))
        try:
            found = cache.get(usage_key)
        except TypeError:  # a value that cannot be hashed: scored on its own
            usage_key, found = None, None
        if found is None:
            found = (usage_facts, score(usage_facts, policy, lineage=lineage[1]))
            if usage_key is not None:
                cache[usage_key] = found
        ratings[key] = found[1]
    return ratings


def _part(facts: UsageFacts, name: str) -> object:
    value = getattr(facts, name)
    return value if type(value) in (str, bool) else id(value)  # the subject is built per usage: by value


#: The lineage fields, in a fixed order, for ``score_many``'s keys.
_LINEAGE_KEY = tuple(sorted(LINEAGE_FIELDS))

#: The fields of ``UsageFacts`` that can differ between usages of one lineage.
_USAGE_FIELDS = tuple(name for name in UsageFacts.__dataclass_fields__ if name not in LINEAGE_FIELDS)
