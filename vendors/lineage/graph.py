"""Walking the stored lineage graph: ancestors, roots, chains, cycles, and the roll-ups risk rating needs.

Plain data in (``NodeInfo`` per node id, ``EdgeInfo`` lists per child id), one frozen ``Ancestry`` out. The
graph comes from the hub, so it can be cyclic (two repos naming each other), arbitrarily deep or wide, and
have holes (deleted, gated or failed parents). The walk therefore visits each node once, stops at
``max_depth``/``max_nodes``, enumerates at most ``max_chains`` chains, and says in ``incomplete_reasons``
everything that makes the answer partial, so a risk score is never silently based on half a lineage.

Ordering is deterministic and independent of the order the caller's query returned edges in: each node's
parents are taken sorted by id, so "walk order" below means breadth-first in that order.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from vendors.lineage.gaps import Gap, GapCode
from vendors.lineage.sanitize import clean_text
from vendors.lineage.snapshot import NodeStatus, Relation

#: Most nodes one walk visits (a hostile hub can make a graph wide as well as deep).
MAX_NODES = 4096
#: Most datasets reported for a whole ancestry.
MAX_ANCESTRY_DATASETS = 256
#: Most incomplete-reasons kept; the last one then says how many more there were.
MAX_REASONS = 64


class Incomplete:
    """Why a lineage is incomplete: the closed set of ``Problem.code`` values (the node gap codes included)."""

    NOT_FETCHED = "not_fetched"
    # A node whose status says it was not read, under the status's own name.
    NOT_FOUND, GATED, DISABLED, ERROR = NodeStatus.NOT_FOUND, NodeStatus.GATED, NodeStatus.DISABLED, NodeStatus.ERROR
    CYCLE, DEPTH_LIMIT = NodeStatus.CYCLE, NodeStatus.DEPTH_LIMIT
    UNKNOWN_STATUS = "unknown_status"
    NODE_LIMIT = "node_limit"
    CHAIN_LIMIT = "chain_limit"
    # A node whose metadata names no parent while its config, tokenizer or README point at one: the chain ends
    # there only as far as the metadata says, so it is not complete.
    INFERRED = "inferred"
    ALL = frozenset(
        {NOT_FETCHED, NOT_FOUND, GATED, DISABLED, ERROR, CYCLE, DEPTH_LIMIT, UNKNOWN_STATUS, NODE_LIMIT, CHAIN_LIMIT}
        | {INFERRED}
        | GapCode.ALL
    )


@dataclass(frozen=True)
class Problem:
    """One reason the lineage is incomplete: its code (``Incomplete``), the node it is about (``""`` for the
    walk as a whole) and the readable reason."""

    code: str
    node: str
    reason: str


_STATUS_REASONS: Mapping[str, str] = {
    NodeStatus.NOT_FOUND: "not found on the hub (deleted, renamed away or private)",
    NodeStatus.GATED: "gated: its metadata could not be read",
    NodeStatus.DISABLED: "disabled on the hub",
    NodeStatus.ERROR: "could not be fetched (error)",
    NodeStatus.CYCLE: "marked as part of a cycle",
    NodeStatus.DEPTH_LIMIT: "beyond the depth limit when it was fetched",
}


@dataclass(frozen=True)
class NodeInfo:
    """What the walk needs to know about one node; ``""`` means unknown for every text field."""

    id: str
    status: str = NodeStatus.RESOLVED
    publisher_key: str = ""
    country: str = ""  # ISO-3166 alpha-2 of the publisher
    is_repackager: bool = False  # publishes others' weights (quantizers): not an origin
    license: str = ""
    datasets: tuple[str, ...] = ()
    gaps: tuple[Gap, ...] = ()  # sources not read, parents not followed: never a root, never complete
    # Parents inferred where the metadata names none, each said in one line ("probably X (0.92) ..."); the node
    # stays a root of the declared lineage, and the lineage is incomplete.
    inferred: tuple[str, ...] = ()


@dataclass(frozen=True)
class EdgeInfo:
    """One stored edge from a child to ``parent`` (``Relation`` and ``EvidenceSource`` values)."""

    parent: str
    relation: str = Relation.UNKNOWN
    source: str = ""


@dataclass(frozen=True)
class LicenseDrift:
    """An edge whose child declares a different licence than its parent (both known)."""

    child: str
    parent: str
    child_license: str
    parent_license: str


@dataclass(frozen=True)
class CountryOrigin:
    """A publisher country found in the ancestry and the nodes (walk order) it comes from."""

    country: str
    node_ids: tuple[str, ...]


@dataclass(frozen=True)
class Ancestry:
    """Everything known about the ancestors of ``start``; see the module docstring for the guarantees.

    ``ancestors``, ``roots``, ``unknown_publishers``, ``licenses`` and ``datasets`` are in walk order (the
    start first where it is included); ``origin_countries`` is sorted by country. ``chains`` are paths from
    ``start`` to where the walk could not go on (a root, the depth limit, or only edges back into the path).
    ``cycles`` are the back-edges ``(child, parent)`` found; they are never followed. ``depth_limited`` are
    nodes at ``max_depth`` whose parents were not visited. A node with no parent is a root only when it was
    fully read (resolved, every parent source read); otherwise it is a dead end and the lineage is incomplete.
    ``problems`` (at most ``MAX_REASONS``) say why, with a code each; ``problem_counts`` counts every problem
    by code and ``problem_keys`` holds every ``(code, node)``, those past the bound included;
    ``incomplete_reasons`` are the problems' readable reasons.
    """

    start: str
    ancestors: tuple[str, ...]
    roots: tuple[str, ...]
    chains: tuple[tuple[str, ...], ...]
    chains_truncated: bool
    cycles: tuple[tuple[str, str], ...]
    depth_limited: tuple[str, ...]
    nodes_truncated: bool
    complete: bool
    incomplete_reasons: tuple[str, ...]
    problems: tuple[Problem, ...]
    problem_counts: Mapping[str, int]
    problem_keys: frozenset[tuple[str, str]]  # every (code, node) problem, past the bound too
    licenses: tuple[tuple[str, str], ...]
    license_drift: tuple[LicenseDrift, ...]
    datasets: tuple[str, ...]
    origin_countries: tuple[CountryOrigin, ...]
    unknown_publishers: tuple[str, ...]


def shortest_paths(subject: str, edges: Iterable[tuple[str, str]], nodes: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The shortest path from ``subject`` to each of ``nodes`` over ``(child, parent)`` edges, parents taken in
    id order so the answer is deterministic; a node the edges do not reach gets a path of its own id only."""
    parents: dict[str, set[str]] = {}
    for child, parent in edges:
        parents.setdefault(child, set()).add(parent)
    found = {subject: (subject,)}
    queue = deque([subject])
    while queue:
        node = queue.popleft()
        for parent in sorted(parents.get(node, ())):
            if parent not in found:
                found[parent] = (*found[node], parent)
                queue.append(parent)
    return {node: found.get(node, (node,)) for node in nodes}


def _parents_of(node: str, parents: Mapping[str, Sequence[EdgeInfo]]) -> tuple[str, ...]:
    """Distinct parent ids of ``node``, sorted, so results do not depend on the caller's edge order."""
    edges = parents.get(node) or ()
    return tuple(sorted({edge.parent for edge in edges if isinstance(edge.parent, str)}))


@functools.lru_cache(maxsize=4096)
def _label(node: str) -> str:
    """A node's id as it reads in a reason (cached: a portfolio's ancestries name the same bases again and again)."""
    return clean_text(node, 200)


def _find_back_edges(start: str, expanded: Mapping[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """Edges into a node still on the depth-first stack: exactly the edges that close a cycle.

    Iterative, so a deep graph cannot exhaust Python's recursion limit.
    """
    on_stack: set[str] = {start}
    done: set[str] = set()
    back: list[tuple[str, str]] = []
    stack: list[tuple[str, int]] = [(start, 0)]
    while stack:
        node, index = stack[-1]
        children = expanded.get(node, ())
        if index == len(children):
            stack.pop()
            on_stack.discard(node)
            done.add(node)
            continue
        stack[-1] = (node, index + 1)
        child = children[index]
        if child in on_stack:
            back.append((node, child))
        elif child not in done:
            on_stack.add(child)
            stack.append((child, 0))
    return back


def _chains(
    start: str, dag: Mapping[str, tuple[str, ...]], max_len: int, max_chains: int
) -> tuple[list[tuple[str, ...]], bool]:
    """Maximal paths from ``start`` in the back-edge-free graph, at most ``max_chains``, at most ``max_len`` long.

    Removing a depth-first search's back-edges leaves a DAG, so every path ends; the caps bound the
    (otherwise exponential) number of paths through stacked diamonds.
    """
    chains: list[tuple[str, ...]] = []
    truncated = False
    stack: list[tuple[tuple[str, ...], int]] = [((start,), 0)]
    while stack:
        path, index = stack.pop()
        children = dag.get(path[-1], ())
        if not children:
            if len(chains) == max_chains:
                return chains, True
            chains.append(path)
            continue
        if len(path) >= max_len:
            truncated = True
            if len(chains) == max_chains:
                return chains, True
            chains.append(path)
            continue
        if index + 1 < len(children):
            stack.append((path, index + 1))
        stack.append(((*path, children[index]), 0))
    return chains, truncated


@dataclass(frozen=True)
class _Walk:
    """What ``ancestry`` and ``problem_keys`` share: the bounded walk from one node, its cycles and its problems."""

    order: list[str]
    expanded: dict[str, tuple[str, ...]]
    depth_limited: list[str]
    nodes_truncated: bool
    cycles: list[tuple[str, str]]
    chains: list[tuple[str, ...]]
    chains_truncated: bool
    problems: list[Problem]


def _walk(
    start: str,
    nodes: Mapping[str, NodeInfo],
    parents: Mapping[str, Sequence[EdgeInfo]],
    *,
    max_depth: int,
    max_chains: int,
    max_nodes: int,
) -> _Walk:
    depth: dict[str, int] = {start: 0}
    order: list[str] = [start]
    expanded: dict[str, tuple[str, ...]] = {}
    depth_limited: list[str] = []
    nodes_truncated = False
    queue = deque([start])
    while queue:
        node = queue.popleft()
        node_parents = _parents_of(node, parents)
        if not node_parents:
            continue
        if depth[node] >= max_depth:
            depth_limited.append(node)
            continue
        kept = []
        for parent in node_parents:
            if parent not in depth:
                if len(order) >= max_nodes:
                    nodes_truncated = True
                    continue
                depth[parent] = depth[node] + 1
                order.append(parent)
                queue.append(parent)
            kept.append(parent)
        expanded[node] = tuple(kept)

    cycles = _find_back_edges(start, expanded)
    back = set(cycles)
    dag = {node: tuple(p for p in kept if (node, p) not in back) for node, kept in expanded.items()}
    chains, chains_truncated = _chains(start, dag, max_depth + 1, max_chains)
    problems = _problems(order, nodes, cycles, depth_limited, max_depth, nodes_truncated, max_nodes, chains_truncated)
    return _Walk(order, expanded, depth_limited, nodes_truncated, cycles, chains, chains_truncated, problems)


def ancestry(
    start: str,
    nodes: Mapping[str, NodeInfo],
    parents: Mapping[str, Sequence[EdgeInfo]],
    *,
    max_depth: int = 32,
    max_chains: int = 64,
    max_nodes: int = MAX_NODES,
) -> Ancestry:
    """Walk from ``start`` to its roots: breadth-first, each node once, never more than the given bounds.

    A parent id with no ``NodeInfo`` is treated as not fetched yet (incomplete). Node ids are compared
    exactly; the caller passes one spelling per node (repo ids as stored, or database ids).
    """
    walk = _walk(start, nodes, parents, max_depth=max_depth, max_chains=max_chains, max_nodes=max_nodes)
    order, problems = walk.order, walk.problems
    roots = tuple(node for node in order if not _parents_of(node, parents) and _fully_read(nodes.get(node)))
    keys = frozenset((problem.code, problem.node) for problem in problems)
    counts: dict[str, int] = {}
    for problem in problems:
        counts[problem.code] = counts.get(problem.code, 0) + 1
    if len(problems) > MAX_REASONS:
        more = len(problems) - MAX_REASONS + 1
        problems = [*problems[: MAX_REASONS - 1], Problem(problems[MAX_REASONS - 1].code, "", f"… and {more} more")]
    infos = [nodes.get(node) or NodeInfo(id=node, status="") for node in order]
    return Ancestry(
        start=start,
        ancestors=tuple(order[1:]),
        roots=roots,
        chains=tuple(walk.chains),
        chains_truncated=walk.chains_truncated,
        cycles=tuple(walk.cycles),
        depth_limited=tuple(walk.depth_limited),
        nodes_truncated=walk.nodes_truncated,
        complete=not problems,
        incomplete_reasons=tuple(problem.reason for problem in problems),
        problems=tuple(problems),
        problem_counts=dict(sorted(counts.items())),
        problem_keys=keys,
        licenses=tuple((info.id, info.license) for info in infos),
        license_drift=_license_drift(walk.expanded, nodes),
        datasets=_datasets(infos),
        origin_countries=_origin_countries(infos),
        unknown_publishers=tuple(info.id for info in infos if not info.publisher_key),
    )


def problem_keys(
    start: str,
    nodes: Mapping[str, NodeInfo],
    parents: Mapping[str, Sequence[EdgeInfo]],
    *,
    max_depth: int = 32,
    max_chains: int = 64,
    max_nodes: int = MAX_NODES,
) -> frozenset[tuple[str, str]]:
    """``ancestry(...).problem_keys`` without the rest of the ancestry (roots, licences, datasets, countries): what
    a refresh's summary counts for each model it walked. Only the nodes' status, gaps and inferred parents count."""
    walk = _walk(start, nodes, parents, max_depth=max_depth, max_chains=max_chains, max_nodes=max_nodes)
    return frozenset((problem.code, problem.node) for problem in walk.problems)


def _fully_read(info: NodeInfo | None) -> bool:
    return info is not None and info.status == NodeStatus.RESOLVED and not info.gaps


def _problems(
    order: Sequence[str],
    nodes: Mapping[str, NodeInfo],
    cycles: Sequence[tuple[str, str]],
    depth_limited: Sequence[str],
    max_depth: int,
    nodes_truncated: bool,
    max_nodes: int,
    chains_truncated: bool,
) -> list[Problem]:
    """Every problem, one per node status or gap, cycle, depth limit and bound, in walk order (not bounded)."""
    problems: list[Problem] = []
    for node in order:
        info = nodes.get(node)
        label = _label(node)
        if info is None or info.status == "pending":  # no row yet, or a row not fetched yet
            problems.append(Problem(Incomplete.NOT_FETCHED, node, f"{label}: not fetched yet"))
            continue
        gaps = tuple(gap for gap in info.gaps if isinstance(gap, Gap))
        explained = any(gap.code in GapCode.FAILURES for gap in gaps)  # the gap is why the status is not resolved
        if info.status != NodeStatus.RESOLVED and not explained:
            code = info.status if info.status in _STATUS_REASONS else Incomplete.UNKNOWN_STATUS
            status = _STATUS_REASONS.get(info.status, f"status {clean_text(info.status, 40)}")
            problems.append(Problem(code, node, f"{label}: {status}"))
        problems += [Problem(gap.code, node, f"{label}: {gap.text()}") for gap in gaps]
        problems += [
            Problem(
                Incomplete.INFERRED, node, f"{label}: names no parent; inferred, not declared: {clean_text(text, 300)}"
            )
            for text in info.inferred[:4]
            if isinstance(text, str)
        ]
    problems += [
        Problem(Incomplete.CYCLE, child, f"cycle: {_label(child)} names {_label(parent)}, already on the path")
        for child, parent in cycles
    ]
    problems += [
        Problem(Incomplete.DEPTH_LIMIT, node, f"{_label(node)}: parents not followed (depth limit {max_depth})")
        for node in depth_limited
    ]
    if nodes_truncated:
        problems.append(Problem(Incomplete.NODE_LIMIT, "", f"walk stopped after {max_nodes} nodes"))
    if chains_truncated:
        problems.append(Problem(Incomplete.CHAIN_LIMIT, "", "not every chain to a root is listed (chain limit)"))
    return problems


def _license_drift(expanded: Mapping[str, tuple[str, ...]], nodes: Mapping[str, NodeInfo]) -> tuple[LicenseDrift, ...]:
    """Visited edges whose two ends declare different known licences (compared case-insensitively)."""
    drift = []
    for child, kept in expanded.items():
        child_license = (nodes[child].license if child in nodes else "").strip()
        for parent in kept:
            parent_license = (nodes[parent].license if parent in nodes else "").strip()
            if child_license and parent_license and child_license.lower() != parent_license.lower():
                drift.append(LicenseDrift(child, parent, child_license, parent_license))
    return tuple(drift)


def _datasets(infos: Sequence[NodeInfo]) -> tuple[str, ...]:
    """Union of every node's datasets in walk order, de-duplicated case-insensitively, bounded."""
    seen: dict[str, str] = {}
    for info in infos:
        for dataset in info.datasets:
            if isinstance(dataset, str) and dataset:
                seen.setdefault(dataset.lower(), dataset)
                if len(seen) >= MAX_ANCESTRY_DATASETS:
                    return tuple(seen.values())
    return tuple(seen.values())


def _origin_countries(infos: Sequence[NodeInfo]) -> tuple[CountryOrigin, ...]:
    """Publisher countries of the start and its ancestors, re-packagers and unknown countries excluded.

    A quantizer re-publishing Qwen weights does not make the weights originate in the quantizer's country
    (and does not remove Qwen's), so ``is_repackager`` nodes contribute nothing here.
    """
    by_country: dict[str, list[str]] = {}
    for info in infos:
        country = clean_text(info.country, 8).upper()
        if country and not info.is_repackager:
            by_country.setdefault(country, []).append(info.id)
    return tuple(CountryOrigin(country, tuple(ids)) for country, ids in sorted(by_country.items()))
