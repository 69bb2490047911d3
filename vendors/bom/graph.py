"""The shape of a product's chain as a BOM states it: each model's ancestors (each once, nearest first), its
children, the datasets of the chain, and a digest of the graph that changes exactly when a model or edge does."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from vendors.bom.data import BomInput, Edge, InferredEdge


@dataclass(frozen=True)
class Ancestor:
    """An ancestor of a model: how far up, which child it was reached from, and by what relation."""

    key: str
    depth: int
    via: str
    relation: str
    source: str


def parents_of(edges: Iterable[Edge]) -> dict[str, list[Edge]]:
    parents: dict[str, list[Edge]] = {}
    for edge in edges:
        parents.setdefault(edge.child, []).append(edge)
    for found in parents.values():
        found.sort(key=lambda e: e.parent)
    return parents


def children_of(edges: Iterable[Edge]) -> dict[str, list[str]]:
    children: dict[str, set[str]] = {}
    for edge in edges:
        children.setdefault(edge.parent, set()).add(edge.child)
    return {key: sorted(found) for key, found in children.items()}


def ancestors(key: str, parents: Mapping[str, list[Edge]]) -> list[Ancestor]:
    """Every ancestor of ``key`` once, breadth first (nearest first, then by key): a cycle or a diamond never
    repeats one."""
    seen = {key}
    found: list[Ancestor] = []
    level = [key]
    depth = 0
    while level:
        depth += 1
        next_level = []
        for child in sorted(level):
            for edge in parents.get(child, ()):
                if edge.parent in seen:
                    continue
                seen.add(edge.parent)
                found.append(Ancestor(edge.parent, depth, child, edge.relation, edge.source))
                next_level.append(edge.parent)
        level = next_level
    return found


def inferred_of(edges: Iterable[InferredEdge]) -> dict[str, list[InferredEdge]]:
    """Each child's inferred parents, most confident first (then by parent)."""
    found: dict[str, list[InferredEdge]] = {}
    for edge in edges:
        found.setdefault(edge.child, []).append(edge)
    for parents in found.values():
        parents.sort(key=lambda e: (-e.confidence, e.parent))
    return found


def inferred_limitation(edges: Iterable[InferredEdge]) -> str:
    """What a model whose parents are only inferred states among its limitations (its chain stays incomplete)."""
    labels = []
    for edge in edges:
        matched = f": {', '.join(edge.matched[:3])}" if edge.matched else ""
        labels.append(f"{edge.label()}{matched}")
    return "Its metadata names no parent; inferred, not declared: " + "; ".join(labels)


def snapshot(bom: BomInput) -> dict:
    """The graph as a BOM version records it: the models (with the facts a BOM states about them), the edges
    and the usages, and the inferred parents when there are any (so a chain without any keeps the digest it had).
    Sorted, so equal chains give equal snapshots."""
    graph = {
        "models": sorted(
            [
                {
                    "key": m.key,
                    "sha": m.sha,
                    "status": m.status,
                    "publisher": m.publisher.key if m.publisher else "",
                    "country": m.publisher.country if m.publisher else "",
                    "license": m.license,
                    "datasets": list(m.datasets),
                }
                for m in bom.models
            ],
            key=lambda row: row["key"],
        ),
        "edges": sorted([[e.child, e.parent, e.relation, e.source] for e in bom.edges]),
        "usages": sorted(
            [
                [
                    u.model,
                    u.role,
                    u.share or 0,
                    u.host.key if u.host else "",
                    u.host.region_code if u.host else "",
                ]
                for u in bom.usages
            ]
        ),
    }
    if bom.inferred:
        graph["inferred"] = sorted(
            [[e.child, e.parent, e.relation, e.source, round(e.confidence, 2)] for e in bom.inferred]
        )
    return graph


def digest(graph: Mapping) -> str:
    """SHA-256 of a snapshot's canonical JSON."""
    canonical = json.dumps(graph, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class GraphDiff:
    """What changed between two snapshots: models and edges added and removed, models whose facts changed."""

    models_added: tuple[str, ...]
    models_removed: tuple[str, ...]
    models_changed: tuple[str, ...]
    edges_added: tuple[tuple[str, str, str], ...]
    edges_removed: tuple[tuple[str, str, str], ...]
    usages_added: tuple[tuple[str, str], ...]
    usages_removed: tuple[tuple[str, str], ...]
    inferred_added: tuple[tuple[str, str, str, str, float], ...] = ()  # (child, parent, relation, source, conf.)
    inferred_removed: tuple[tuple[str, str, str, str, float], ...] = ()

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.models_added,
                self.models_removed,
                self.models_changed,
                self.edges_added,
                self.edges_removed,
                self.usages_added,
                self.usages_removed,
                self.inferred_added,
                self.inferred_removed,
            )
        )


def diff(old: Mapping, new: Mapping) -> GraphDiff:
    old_models = {row["key"]: row for row in old.get("models", ())}
    new_models = {row["key"]: row for row in new.get("models", ())}
    old_edges = {tuple(e[:3]) for e in old.get("edges", ())}
    new_edges = {tuple(e[:3]) for e in new.get("edges", ())}
    old_usages = {(u[0], u[1]) for u in old.get("usages", ())}
    old_inferred = {tuple(e[:5]) for e in old.get("inferred", ())}
    new_inferred = {tuple(e[:5]) for e in new.get("inferred", ())}
    new_usages = {(u[0], u[1]) for u in new.get("usages", ())}
    return GraphDiff(
        models_added=tuple(sorted(new_models.keys() - old_models.keys())),
        models_removed=tuple(sorted(old_models.keys() - new_models.keys())),
        models_changed=tuple(
            sorted(key for key in new_models.keys() & old_models.keys() if new_models[key] != old_models[key])
        ),
        edges_added=tuple(sorted(new_edges - old_edges)),
        edges_removed=tuple(sorted(old_edges - new_edges)),
        usages_added=tuple(sorted(new_usages - old_usages)),
        usages_removed=tuple(sorted(old_usages - new_usages)),
        inferred_added=tuple(sorted(new_inferred - old_inferred)),
        inferred_removed=tuple(sorted(old_inferred - new_inferred)),
    )
