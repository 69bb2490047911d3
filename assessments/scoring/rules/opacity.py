"""What cannot be seen: incomplete lineage, declared-only parents, unknown publishers, gated ancestors."""

from __future__ import annotations

from assessments.scoring.facts import DECLARED_SOURCES, GATED, UsageFacts
from assessments.scoring.policy import Policy
from assessments.scoring.rules.common import Factor, _bounded, _chain, _more, _per_node, lineage_only, paths


@lineage_only
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


@lineage_only
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


@lineage_only
def opacity_unknown_publisher(facts: UsageFacts, policy: Policy) -> Factor | None:
    """A node whose publisher the knowledge base does not know: its origin cannot be judged."""
    weight = policy.points("opacity.unknown_publisher")
    hits = [(weight, n, "") for n in facts.nodes.values() if not (n.publisher_key or n.publisher_name)]
    return _per_node(
        facts, "opacity.unknown_publisher", hits, "unknown publishers", lambda n: "has an unknown publisher"
    )


@lineage_only
def opacity_gated_ancestor(facts: UsageFacts, policy: Policy) -> Factor | None:
    """A gated repo: its card and parents could not be read without accepting its terms."""
    weight = policy.points("opacity.gated_ancestor")
    hits = [(weight, n, "gated") for n in facts.nodes.values() if n.status == GATED]
    return _per_node(facts, "opacity.gated_ancestor", hits, "gated models", lambda n: "is gated")
