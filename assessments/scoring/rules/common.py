"""What every rule shares: the Factor, paths from the subject to each node, and bounded evidence."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from assessments.scoring.facts import NodeFacts, UsageFacts
from vendors.lineage.graph import shortest_paths

#: Most evidence lines a factor keeps; the last one then says how many more there were.
MAX_EVIDENCE = 50
UNKNOWN_LICENSES = frozenset({"", "unknown", "other"})


@dataclass(frozen=True)
class Factor:
    code: str  # "origin.country_of_concern"
    points: int
    reason: str  # one line: "Qwen/Qwen2.5-7B (Qwen (Alibaba Cloud), CN) is a root of acme/copilot"
    evidence: tuple[str, ...]  # "acme/copilot → Qwen/Qwen2.5-7B", sources, dates


def lineage_only(rule: Callable[[UsageFacts, Any], Factor | None]) -> Callable[[UsageFacts, Any], Factor | None]:
    """Mark a rule that reads only the lineage fields of the facts (``facts.LINEAGE_FIELDS``) and the policy: it
    gives the same factor for every usage of one model, so rescoring runs it once per model
    (``engine.lineage_factors``). ``test_scoring`` varies every other field and checks it never moves."""
    rule.reads_only_lineage = True  # type: ignore[attr-defined]
    return rule


def paths(facts: UsageFacts) -> dict[str, tuple[str, ...]]:
    """Shortest path from the subject to every node (deterministic; see ``shortest_paths``)."""
    return shortest_paths(facts.subject, ((e.child, e.parent) for e in facts.edges), facts.nodes)


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
