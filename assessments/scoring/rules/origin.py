"""Where the models come from and where they run: origin, sanctions, hosting, published evaluations."""

from __future__ import annotations

from fnmatch import fnmatchcase

from assessments.scoring.facts import NodeFacts, UsageFacts
from assessments.scoring.policy import Policy
from assessments.scoring.rules.common import Factor, _bounded, _per_node, lineage_only
from vendors.knowledge.provenance import cite_all
from vendors.knowledge.records import FLAGS


def _concern_origins(facts: UsageFacts, policy: Policy) -> list[NodeFacts]:
    """Nodes published from a country of concern; re-packagers never count as an origin."""
    return [
        node
        for node in facts.nodes.values()
        if not node.is_repackager and node.country.upper() in policy.countries_of_concern
    ]


@lineage_only
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


@lineage_only
def origin_inferred_country_of_concern(facts: UsageFacts, policy: Policy) -> Factor | None:
    """A parent inferred where the metadata names none (same shapes, tokenizer or a checked README claim) comes,
    with its declared ancestors, from a country of concern. Weighs the policy's points times the inference's
    confidence (the worst edge counts), and nothing for a country the declared lineage already shows."""
    weight = policy.points("origin.inferred_country_of_concern")
    declared = {node.country.upper() for node in _concern_origins(facts, policy)}
    hits = []
    for edge in facts.inferred:
        concern = sorted({c.upper() for c in edge.countries} & (policy.countries_of_concern - declared))
        if concern:
            hits.append((round(weight * edge.confidence), edge, ", ".join(concern)))
    if not hits:
        return None
    hits.sort(key=lambda hit: (-hit[0], hit[1].child, hit[1].parent))
    points, edge, countries = hits[0]
    return Factor(
        "origin.inferred_country_of_concern",
        points,
        f"{edge.child} names no parent, but is {edge.label()}: origin {countries}",
        _bounded([f"{e.child} \N{RIGHTWARDS ARROW} {e.label()}: {c}" for _, e, c in hits]),
    )


def _list_names(flags) -> list[str]:
    """The knowledge base's wording of each list flag ("on the US Commerce (BIS) Entity List, ..."), not its code."""
    return [FLAGS.get(flag, f"on the {flag} list") for flag in sorted(flags)]


@lineage_only
def origin_sanctioned_publisher(facts: UsageFacts, policy: Policy) -> Factor | None:
    """A publisher on a sanctions or export-control list. Counted for re-packagers too: dealing with a listed
    party is the problem, whoever made the weights."""
    weight = policy.points("origin.sanctioned_publisher")
    hits = [
        (weight, node, "; ".join(_list_names(node.flags & policy.sanction_flags)))
        for node in facts.nodes.values()
        if node.flags & policy.sanction_flags
    ]
    return _per_node(
        facts,
        "origin.sanctioned_publisher",
        hits,
        "with listed publishers",
        lambda n: f"has a publisher {' and '.join(_list_names(n.flags & policy.sanction_flags))}",
    )


def _host_places(facts: UsageFacts) -> list[tuple[str, str, str]]:
    """``(what, country, group)`` for the host's operator and serving region; "" country means unknown, global
    or, with a region group ("EU"), somewhere in that group."""
    host = facts.host
    if host is None:
        return []
    region = f"region {host.region_code or 'global'}"
    return [
        (f"{host.name} operator", host.operator_country.upper(), ""),
        (f"{host.name} {region}", host.region_country.upper(), host.region_group),
    ]


def hosting_outside_approved(facts: UsageFacts, policy: Policy) -> Factor | None:
    """Served by an operator, or from a region, outside the approved countries. A region serving somewhere in a
    region group is inside when every country of the group is approved (the policy may name the group). Unknown or
    global serving counts as outside: it can be served from anywhere. No approved list means no restriction."""
    if not policy.approved_regions:
        return None
    outside = [
        f"{what}: {country or (f'somewhere in {group}' if group else 'unknown/global')}"
        for what, country, group in _host_places(facts)
        if not policy.approves_place(country, group)
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
    hits = [f"{what}: {country}" for what, country, _ in _host_places(facts) if country in policy.countries_of_concern]
    if not hits:
        return None
    return Factor(
        "hosting.country_of_concern",
        policy.points("hosting.country_of_concern"),
        f"{facts.subject} is served from a country of concern: {hits[0]}",
        _bounded(hits),
    )


@lineage_only
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
    details = (f"{ev.evaluator}, {ev.date}: {ev.summary} Sources: {cite_all(ev.sources)}" for ev in matched)
    return Factor(factor.code, factor.points, factor.reason, _bounded((*factor.evidence, *details)))
