"""One function per risk factor: ``rule(facts, policy) -> Factor | None``.

Rules only ever add points, and a rule that can fire for several ancestors fires once, with the points of the
worst one and every one in the evidence. That is what keeps a score bounded, explainable and monotone: one more
risk can add a factor or raise one, never lower one. Each reason names the node and the product's model; each
piece of evidence shows the path from the product's model to the node ("A → B → C").
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from fnmatch import fnmatchcase

from assessments.scoring.facts import DECLARED_SOURCES, GATED, Claims, NodeFacts, UsageFacts
from assessments.scoring.policy import Policy

#: Most evidence lines a factor keeps; the last one then says how many more there were.
MAX_EVIDENCE = 50
UNKNOWN_LICENSES = frozenset({"", "unknown", "other"})


@dataclass(frozen=True)
class Factor:
    code: str  # "origin.country_of_concern"
    points: int
    reason: str  # one line: "Qwen/Qwen2.5-7B (Qwen (Alibaba Cloud), CN) is a root of acme/copilot"
    evidence: tuple[str, ...]  # "acme/copilot → Qwen/Qwen2.5-7B", sources, dates


def paths(facts: UsageFacts) -> dict[str, tuple[str, ...]]:
    """Shortest path from the subject to every node, parents taken in id order so the result is deterministic.

    A node the edges do not connect to the subject gets a path of its own id only.
    """
    parents: dict[str, list[str]] = {}
    for edge in facts.edges:
        parents.setdefault(edge.child, []).append(edge.parent)
    found = {facts.subject: (facts.subject,)}
    queue = deque([facts.subject])
    while queue:
        node = queue.popleft()
        for parent in sorted(set(parents.get(node, ()))):
            if parent not in found:
                found[parent] = (*found[node], parent)
                queue.append(parent)
    return {node_id: found.get(node_id, (node_id,)) for node_id in facts.nodes}


def _chain(path: tuple[str, ...]) -> str:
    return " → ".join(path)


def _bounded(lines: Iterable[str]) -> tuple[str, ...]:
    lines = list(dict.fromkeys(lines))
    if len(lines) > MAX_EVIDENCE:
        lines = [*lines[: MAX_EVIDENCE - 1], f"… and {len(lines) - MAX_EVIDENCE + 1} more"]
    return tuple(lines)


def _relation(facts: UsageFacts, node: NodeFacts) -> str:
    """How a node relates to the product's model, for reasons: "is X itself", "is a root of X", ..."""
    if node.id == facts.subject:
        return f"is the product's model {facts.subject} itself"
    role = "a root" if node.id in facts.roots else "an ancestor"
    return f"is {role} of {facts.subject}"


def _more(count: int, what: str) -> str:
    return f" (and {count} more {what})" if count else ""


def _per_node(
    facts: UsageFacts,
    code: str,
    hits: list[tuple[int, NodeFacts, str]],
    what: str,
    describe: Callable[[NodeFacts], str],
) -> Factor | None:
    """One factor for rules that fire per node: points and reason from the worst hit, evidence from all.

    ``hits`` are ``(points, node, detail)``; the worst is the most points, then the shortest path, then the id.
    """
    if not hits:
        return None
    route = paths(facts)
    hits = sorted(hits, key=lambda hit: (-hit[0], len(route[hit[1].id]), hit[1].id))
    points, worst, _ = hits[0]
    reason = f"{worst.label()} {describe(worst)}; it {_relation(facts, worst)}{_more(len(hits) - 1, what)}"
    evidence = (
        f"{_chain(route[node.id])} [{detail}]" if detail else _chain(route[node.id]) for _, node, detail in hits
    )
    return Factor(code, points, reason, _bounded(evidence))


def _concern_origins(facts: UsageFacts, policy: Policy) -> list[NodeFacts]:
    """Nodes published from a country of concern; re-packagers never count as an origin."""
    return [
        node
        for node in facts.nodes.values()
        if not node.is_repackager and node.country.upper() in policy.countries_of_concern
    ]


def origin_country_of_concern(facts: UsageFacts, policy: Policy) -> Factor | None:
    """The weights were made in a country of concern. A root (the base every derivative inherits from) weighs
    ``root_multiplier`` times an intermediate fine-tune."""
    weight = policy.points("origin.country_of_concern")
    hits = []
    for node in _concern_origins(facts, policy):
        is_root = node.id in facts.roots
        points = int(weight * policy.root_multiplier) if is_root else weight
        hits.append((points, node, f"{node.country.upper()}, {'root' if is_root else 'intermediate'}"))
    return _per_node(
        facts, "origin.country_of_concern", hits, "from countries of concern", lambda n: "is from a country of concern"
    )


def origin_sanctioned_publisher(facts: UsageFacts, policy: Policy) -> Factor | None:
    """A publisher on a sanctions or export-control list. Counted for re-packagers too: dealing with a listed
    party is the problem, whoever made the weights."""
    weight = policy.points("origin.sanctioned_publisher")
    hits = [
        (weight, node, ", ".join(sorted(node.flags & policy.sanction_flags)))
        for node in facts.nodes.values()
        if node.flags & policy.sanction_flags
    ]
    return _per_node(
        facts,
        "origin.sanctioned_publisher",
        hits,
        "with listed publishers",
        lambda n: f"has a publisher on {', '.join(sorted(n.flags & policy.sanction_flags))}",
    )


def _host_places(facts: UsageFacts) -> list[tuple[str, str]]:
    """``(what, country)`` for the host's operator and serving region; "" country means unknown or global."""
    host = facts.host
    if host is None:
        return []
    region = f"region {host.region_code or 'global'}"
    return [
        (f"{host.name} operator", host.operator_country.upper()),
        (f"{host.name} {region}", host.region_country.upper()),
    ]


def hosting_outside_approved(facts: UsageFacts, policy: Policy) -> Factor | None:
    """Served by an operator, or from a region, outside the approved countries. Unknown or global serving
    counts as outside: it can be served from anywhere. No approved list means no restriction."""
    if not policy.approved_regions:
        return None
    outside = [
        f"{what}: {country or 'unknown/global'}"
        for what, country in _host_places(facts)
        if country not in policy.approved_regions
    ]
    if not outside:
        return None
    approved = ", ".join(sorted(policy.approved_regions))
    return Factor(
        "hosting.outside_approved",
        policy.points("hosting.outside_approved"),
        f"{facts.subject} is served outside the approved regions ({approved}): {outside[0]}",
        _bounded(outside),
    )


def hosting_country_of_concern(facts: UsageFacts, policy: Policy) -> Factor | None:
    """The host is operated from, or serves from, a country of concern: prompts and data go there."""
    hits = [f"{what}: {country}" for what, country in _host_places(facts) if country in policy.countries_of_concern]
    if not hits:
        return None
    return Factor(
        "hosting.country_of_concern",
        policy.points("hosting.country_of_concern"),
        f"{facts.subject} is served from a country of concern: {hits[0]}",
        _bounded(hits),
    )


def evaluation_published_findings(facts: UsageFacts, policy: Policy) -> Factor | None:
    """A published security evaluation found problems in the model or an ancestor (kept as data with sources)."""
    weight = policy.points("evaluation.published_findings")
    hits = []
    for node in facts.nodes.values():
        found = [ev for ev in policy.evaluations if any(fnmatchcase(node.id.lower(), p.lower()) for p in ev.models)]
        if found:
            hits.append((weight, node, "; ".join(f"{ev.evaluator} {ev.date}" for ev in found)))
    factor = _per_node(
        facts,
        "evaluation.published_findings",
        hits,
        "evaluated models",
        lambda n: "has published security findings",
    )
    if factor is None:
        return None
    matched = [
        ev
        for _, node, _ in sorted(hits, key=lambda hit: hit[1].id)
        for ev in policy.evaluations
        if any(fnmatchcase(node.id.lower(), p.lower()) for p in ev.models)
    ]
    details = (f"{ev.evaluator}, {ev.date}: {ev.summary} Source: {ev.source.cite()}" for ev in matched)
    return Factor(factor.code, factor.points, factor.reason, _bounded((*factor.evidence, *details)))


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
    hits = []
    for node in facts.nodes.values():
        for rule in policy.territory_exclusions:
            by_license = node.license.strip().lower() in rule.licenses
            by_model = any(fnmatchcase(node.id.lower(), p.lower()) for p in rule.models)
            touched = sorted(places & rule.territories)
            if (by_license or by_model) and touched:
                hits.append((weight, node, f"{rule.key}: excludes {', '.join(touched)}; {rule.source.cite()}"))
    return _per_node(
        facts,
        "license.territory_exclusion",
        hits,
        "territory exclusions",
        lambda n: "has a licence that excludes a territory this usage touches",
    )


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


def opacity_incomplete(facts: UsageFacts, policy: Policy) -> Factor | None:
    """The lineage walk could not reach every root, so every other factor may be missing something."""
    if facts.complete and not facts.incomplete_reasons:
        return None
    reasons = facts.incomplete_reasons or ("lineage marked incomplete",)
    return Factor(
        "opacity.incomplete",
        policy.points("opacity.incomplete"),
        f"The lineage of {facts.subject} is incomplete: {reasons[0]}{_more(len(reasons) - 1, 'problems')}",
        _bounded(reasons),
    )


def opacity_declared_only(facts: UsageFacts, policy: Policy) -> Factor | None:
    """Models or parent links known only from someone's word (no public record to check)."""
    route = paths(facts)
    lines = [f"{_chain(route[n.id])} [declared model]" for n in facts.nodes.values() if n.kind == "declared"]
    lines += [
        f"{_chain((*route.get(e.child, (e.child,)), e.parent))} [parent link from {e.source} only]"
        for e in facts.edges
        if e.source in DECLARED_SOURCES
    ]
    if not lines:
        return None
    lines.sort(key=lambda line: (len(line), line))  # shortest paths first, whatever order the facts came in
    return Factor(
        "opacity.declared_only",
        policy.points("opacity.declared_only"),
        f"Part of the lineage of {facts.subject} is declared only, with no public record: {lines[0]}",
        _bounded(lines),
    )


def opacity_unknown_publisher(facts: UsageFacts, policy: Policy) -> Factor | None:
    """A node whose publisher the knowledge base does not know: its origin cannot be judged."""
    weight = policy.points("opacity.unknown_publisher")
    hits = [(weight, n, "") for n in facts.nodes.values() if not (n.publisher_key or n.publisher_name)]
    return _per_node(
        facts, "opacity.unknown_publisher", hits, "unknown publishers", lambda n: "has an unknown publisher"
    )


def opacity_gated_ancestor(facts: UsageFacts, policy: Policy) -> Factor | None:
    """A gated repo: its card and parents could not be read without accepting its terms."""
    weight = policy.points("opacity.gated_ancestor")
    hits = [(weight, n, "gated") for n in facts.nodes.values() if n.status == GATED]
    return _per_node(facts, "opacity.gated_ancestor", hits, "gated models", lambda n: "is gated")


def _contradictions(facts: UsageFacts, policy: Policy, who: str, claims: Claims) -> list[str]:
    found = []
    if claims.no_country_of_concern:
        for node in sorted(_concern_origins(facts, policy), key=lambda n: (n.id not in facts.roots, n.id)):
            found.append(f"{who} says no models from countries of concern, but {node.label()} {_relation(facts, node)}")
    if claims.base_models:
        declared = {name.lower() for name in claims.base_models}
        for root in sorted(facts.roots):
            # Any root counts, resolved or not: the hub names it, whatever its state now.
            if root.lower() not in declared:
                found.append(f"{who} names base models {', '.join(claims.base_models)}, but {root} is a root")
    if claims.hosting_countries:
        declared = {country.upper() for country in claims.hosting_countries}
        for what, country in _host_places(facts):
            if country and country.upper() not in declared:
                found.append(f"{who} says hosted in {', '.join(sorted(declared))}, but {what} is {country}")
    return found


def discrepancy_answer_contradicts_lineage(facts: UsageFacts, policy: Policy) -> Factor | None:
    """The vendor's questionnaire answers or signed attestation say something the resolved lineage refutes."""
    found = _contradictions(facts, policy, "The questionnaire answer", facts.answers)
    if facts.attestation is not None:
        who = f"The attestation signed {facts.attestation.signed_at.date().isoformat()}"
        found += _contradictions(facts, policy, who, facts.attestation.claims)
    if not found:
        return None
    return Factor(
        "discrepancy.answer_contradicts_lineage",
        policy.points("discrepancy.answer_contradicts_lineage"),
        found[0],
        _bounded(found),
    )


def attestation_missing(facts: UsageFacts, policy: Policy) -> Factor | None:
    """Nobody at the vendor has signed for this usage's supply chain."""
    if facts.attestation is not None:
        return None
    return Factor(
        "attestation.missing",
        policy.points("attestation.missing"),
        f"No attestation covers {facts.subject}",
        (),
    )


def attestation_expired(facts: UsageFacts, policy: Policy) -> Factor | None:
    """An attestation past its expiry date, or older than the policy accepts."""
    att = facts.attestation
    if att is None:
        return None
    too_old = facts.now - att.signed_at > timedelta(days=policy.attestation_max_age_days)
    lapsed = att.expires_at is not None and att.expires_at <= facts.now
    if not (too_old or lapsed):
        return None
    why = f"expired {att.expires_at.date().isoformat()}" if lapsed and att.expires_at else "too old"
    return Factor(
        "attestation.expired",
        policy.points("attestation.expired"),
        f"The attestation for {facts.subject} signed {att.signed_at.date().isoformat()} is {why}",
        (
            f"signed {att.signed_at.isoformat()} by {att.signed_by or 'unknown'}; policy maximum age "
            f"{policy.attestation_max_age_days} days",
        ),
    )


def facts_stale(facts: UsageFacts, policy: Policy) -> Factor | None:
    """The lineage was fetched longer ago than the policy allows (or never): the hub may have changed since."""
    limit = timedelta(days=policy.max_fact_age_days)
    if facts.facts_as_of is not None and facts.now - facts.facts_as_of <= limit:
        return None
    when = "never fetched" if facts.facts_as_of is None else f"last fetched {facts.facts_as_of.date().isoformat()}"
    return Factor(
        "facts.stale",
        policy.points("facts.stale"),
        f"The lineage of {facts.subject} is {when}; the policy allows {policy.max_fact_age_days} days",
        (when,),
    )


def changes_unacknowledged(facts: UsageFacts, policy: Policy) -> Factor | None:
    """Supply-chain changes nobody has looked at: points per change, up to ``changes_cap``."""
    if not facts.changes:
        return None
    changes = sorted(facts.changes, key=lambda c: (c.at, c.kind, c.summary))
    latest = changes[-1]
    return Factor(
        "changes.unacknowledged",
        min(policy.changes_cap, policy.points("changes.unacknowledged") * len(changes)),
        f"{len(changes)} unacknowledged supply-chain change(s) to {facts.subject}, latest: {latest.summary}",
        _bounded(f"{c.at.date().isoformat()} {c.kind}: {c.summary}" for c in changes),
    )


RULES: tuple[Callable[[UsageFacts, Policy], Factor | None], ...] = (
    origin_country_of_concern,
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
    attestation_missing,
    attestation_expired,
    facts_stale,
    changes_unacknowledged,
)
