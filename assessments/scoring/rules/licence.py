"""Licence terms along the chain: non-commercial, territory exclusions, unknown, drift."""

from __future__ import annotations

from fnmatch import fnmatchcase

from assessments.scoring.facts import UsageFacts
from assessments.scoring.policy import Policy
from assessments.scoring.rules.common import (
    UNKNOWN_LICENSES,
    Factor,
    _bounded,
    _chain,
    _more,
    _per_node,
    lineage_only,
    paths,
)
from vendors.knowledge.provenance import cite_all


@lineage_only
def license_non_commercial(facts: UsageFacts, policy: Policy) -> Factor | None:
    """Non-commercial or research-only terms anywhere in the chain: a vendor's product is commercial use."""
    weight = policy.points("license.non_commercial")
    hits = [
        (weight, node, node.license)
        for node in facts.nodes.values()
        if node.license.strip().lower() in policy.non_commercial_licenses
    ]
    return _per_node(
        facts, "license.non_commercial", hits, "non-commercial licences", lambda n: f"is licensed {n.license}"
    )


def license_territory_exclusion(facts: UsageFacts, policy: Policy) -> Factor | None:
    """A licence that excludes a territory the usage touches (the vendor's country, where the product is used,
    the serving region). Restrictions flow down to derivatives, so any node of the chain can trigger it."""
    places = {facts.vendor_country.upper(), *(c.upper() for c in facts.usage_countries)}
    if facts.host is not None:
        places.add(facts.host.region_country.upper())
    places.discard("")
    weight = policy.points("license.territory_exclusion")
    # Only the exclusions of a territory the usage touches can bite (most usages touch none of them).
    rules = [(rule, touched) for rule in policy.territory_exclusions if (touched := sorted(places & rule.territories))]
    hits = []
    for node in facts.nodes.values() if rules else ():
        for rule, touched in rules:
            by_license = node.license.strip().lower() in rule.licenses
            by_model = any(fnmatchcase(node.id.lower(), p.lower()) for p in rule.models)
            if by_license or by_model:
                hits.append((weight, node, f"{rule.key}: excludes {', '.join(touched)}; {cite_all(rule.sources)}"))
    return _per_node(
        facts,
        "license.territory_exclusion",
        hits,
        "territory exclusions",
        lambda n: "has a licence that excludes a territory this usage touches",
    )


@lineage_only
def license_unknown(facts: UsageFacts, policy: Policy) -> Factor | None:
    """No usable licence tag (empty, "unknown", or a bare "other"). Closed API models are governed by their
    terms of service, not a licence tag, so they are not counted."""
    weight = policy.points("license.unknown")
    hits = [
        (weight, node, node.license or "no licence")
        for node in facts.nodes.values()
        if node.kind != "closed" and node.license.strip().lower() in UNKNOWN_LICENSES
    ]
    return _per_node(facts, "license.unknown", hits, "without a known licence", lambda n: "has no known licence")


@lineage_only
def license_drift(facts: UsageFacts, policy: Policy) -> Factor | None:
    """A derivative declares a different licence from its parent: the parent's terms usually still apply."""
    if not facts.license_drift:
        return None
    route = paths(facts)
    drifts = sorted(facts.license_drift, key=lambda d: (len(route.get(d.child, ())), d.child, d.parent))
    first = drifts[0]
    return Factor(
        "license.drift",
        policy.points("license.drift"),
        f"{first.child} is licensed {first.child_license} but its parent {first.parent} is {first.parent_license}"
        f"{_more(len(drifts) - 1, 'licence changes')}",
        _bounded(
            f"{_chain((*route.get(d.child, (d.child,)), d.parent))} [{d.child_license} ← {d.parent_license}]"
            for d in drifts
        ),
    )
