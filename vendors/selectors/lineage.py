"""Lineage as people and tools read it: a model's ancestry loaded from the stored graph, with roots, chains,
origin countries, licences and datasets, in the shape of the CLI contract (DESIGN.md "Contracts")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings

from vendors.lineage.gaps import gaps_from_stored
from vendors.lineage.graph import Ancestry, ancestry, problem_keys
from vendors.models import AIModel, InferredEdge, Publisher
from vendors.selectors.subgraph import Subgraph, lineage_problem_subgraph, lineage_subgraph, node_key

#: What pages and commands say when the knowledge base is empty.
KNOWLEDGE_BASE_EMPTY = (
    "The knowledge base is empty: no publisher, host or country is known, so every origin country shows as "
    "unknown. Run `python manage.py migrate` (it loads the shipped knowledge base) or `python manage.py "
    "load_knowledge`."
)


def knowledge_base_warning() -> str:
    """``KNOWLEDGE_BASE_EMPTY`` when no publisher is known at all (jurisdiction cannot be answered), else ``""``."""
    return "" if Publisher.objects.exists() else KNOWLEDGE_BASE_EMPTY


def inferred_edge_row(edge: InferredEdge, child: str) -> dict:
    """An inferred edge in the CLI contract's shape (``inferred_edges``)."""
    evidence = edge.evidence if isinstance(edge.evidence, dict) else {}
    return {
        "child": child,
        "parent": node_key(edge.parent),
        "relation": edge.relation,
        "source": edge.source,
        "confidence": round(edge.confidence, 2),
        "evidence": {
            "family": evidence.get("family") or None,
            "matched": list(evidence.get("matched") or []),
            "not_matched": list(evidence.get("not_matched") or []),
            "notes": list(evidence.get("notes") or []),
        },
    }


@dataclass(frozen=True)
class LineageReport:
    """One model's lineage: the CLI's JSON object, and what the pages show."""

    subject: str
    model: AIModel
    ancestry: Ancestry
    nodes: tuple[dict, ...]
    edges: tuple[dict, ...]
    models: Mapping[str, AIModel]  # node id -> its row (publisher loaded), for links and scoring
    inferred_edges: tuple[dict, ...] = ()  # parents inferred where the metadata names none (never in ``edges``)
    inferred_countries: tuple[str, ...] = ()  # publisher countries of inferred parents and their ancestors
    inferred_parent_ids: Mapping[str, int] = field(default_factory=dict)  # inferred parent node id -> its row's id
    # Inferred parent node id -> publisher countries of it and its declared ancestors (for scoring).
    inferred_parent_countries: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def model_ids(self) -> dict[str, int]:
        return {key: model.pk for key, model in self.models.items()}

    @property
    def complete(self) -> bool:
        return self.ancestry.complete

    @property
    def roots(self) -> tuple[str, ...]:
        return self.ancestry.roots

    @property
    def countries(self) -> tuple[str, ...]:
        return tuple(origin.country for origin in self.ancestry.origin_countries)

    def as_json(self) -> dict:
        return {
            "subject": self.subject,
            "status": "complete" if self.complete else "incomplete",
            "incomplete_reasons": list(self.ancestry.incomplete_reasons),
            "problems": [{"code": p.code, "node": p.node or None, "reason": p.reason} for p in self.ancestry.problems],
            "problem_counts": dict(self.ancestry.problem_counts),
            "nodes": list(self.nodes),
            "edges": list(self.edges),
            "roots": list(self.roots),
            "chains": [list(chain) for chain in self.ancestry.chains],
            "countries": list(self.countries),
            "licenses": sorted({lic for _, lic in self.ancestry.licenses if lic}),
            "datasets": list(self.ancestry.datasets),
            "inferred_edges": list(self.inferred_edges),
            "inferred_countries": list(self.inferred_countries),
        }


def _report(
    subject: str,
    model: AIModel,
    graph: Subgraph,
    nodes,
    parents,
    by_key: Mapping[str, AIModel],
    inferred_origins: Mapping[int, tuple[str, ...]],
) -> LineageReport:
    found = ancestry(node_key(model), nodes, parents, max_depth=settings.LINEAGE_MAX_DEPTH)
    in_cycle = {node for edge in found.cycles for node in edge}
    depth_limited = set(found.depth_limited)
    node_rows = []
    for key in (found.start, *found.ancestors):
        m = by_key[key]
        status = "cycle" if key in in_cycle else "depth_limit" if key in depth_limited else m.status
        node_rows.append(
            {
                "id": key,
                "status": status,
                "publisher": m.publisher.name if m.publisher else None,
                "country": (m.publisher.country.code or None) if m.publisher else None,
                "repackager": bool(m.publisher and m.publisher.is_repackager),
                "license": m.license or None,
                "sha": m.sha or None,
                "redirected_from": (graph.aliases.get(m.pk) or (None,))[0],
                "reason": m.status_reason or None,
                "gaps": [gap.as_dict() for gap in gaps_from_stored(m.lineage_gaps)],
                # What the metadata said that was not followed or disagreed (a GGUF header against the card...).
                "notes": [note for note in m.lineage_notes if isinstance(note, str)],
            }
        )
    walked = {found.start, *found.ancestors}
    edge_rows = [
        {"child": child, "parent": e.parent, "relation": e.relation, "source": e.source}
        for child in (found.start, *found.ancestors)
        for e in parents.get(child, ())
        if e.parent in walked
    ]
    inferred_rows, inferred_countries, inferred_ids = [], set(), {}
    for key in (found.start, *found.ancestors):
        for edge in graph.inferred.get(by_key[key].pk, ()):
            inferred_rows.append(inferred_edge_row(edge, key))
            inferred_countries.update(inferred_origins.get(edge.parent_id, ()))
            inferred_ids[node_key(edge.parent)] = edge.parent_id
    return LineageReport(
        subject=subject,
        model=model,
        ancestry=found,
        nodes=tuple(node_rows),
        edges=tuple(edge_rows),
        models={key: by_key[key] for key in walked},
        inferred_edges=tuple(inferred_rows),
        inferred_countries=tuple(sorted(inferred_countries)),
        inferred_parent_ids=inferred_ids,
        inferred_parent_countries={key: inferred_origins.get(pk, ()) for key, pk in inferred_ids.items()},
    )


@dataclass(frozen=True)
class InferredParents:
    """The parents inferred for a subgraph's models, loaded with their declared ancestry: each parent's row
    (publisher loaded), its aliases, and the origin countries of it and its declared ancestors."""

    models: Mapping[int, AIModel]
    aliases: Mapping[int, tuple[str, ...]]
    origins: Mapping[int, tuple[str, ...]]


def inferred_parents(graph: Subgraph, *, loaded: Subgraph | None = None) -> InferredParents:
    """Load the inferred parents of ``graph``'s models and their declared ancestors (two queries a generation;
    ``loaded`` as for ``lineage_subgraph``)."""
    parent_ids = {edge.parent_id for edges in graph.inferred.values() for edge in edges}
    if not parent_ids:
        return InferredParents(models={}, aliases={}, origins={})
    above = lineage_subgraph(parent_ids, loaded=loaded)
    nodes, parents = above.nodes(), above.parents()
    origins = {}
    for parent_id in parent_ids:
        if parent_id in above.models:
            found = ancestry(node_key(above.models[parent_id]), nodes, parents, max_depth=settings.LINEAGE_MAX_DEPTH)
            origins[parent_id] = tuple(origin.country for origin in found.origin_countries)
    return InferredParents(
        models={pk: above.models[pk] for pk in parent_ids if pk in above.models},
        aliases={pk: above.aliases[pk] for pk in parent_ids if pk in above.aliases},
        origins=origins,
    )


def _inferred_origins(graph: Subgraph, loaded: Subgraph | None = None) -> dict[int, tuple[str, ...]]:
    """Origin countries of each inferred parent of ``graph``'s models: the parent and its declared ancestors."""
    return dict(inferred_parents(graph, loaded=loaded).origins)


def lineage_reports(
    models: Sequence[AIModel],
    *,
    subjects: Sequence[str] | None = None,
    known: dict[int, LineageReport] | None = None,
    loaded: Subgraph | None = None,
) -> list[LineageReport]:
    """Reports for several models from one load of their common subgraph (shared ancestors loaded once); a model
    named several times gets the same report object each time (treat reports as read-only).

    ``known`` (model id -> report) carries reports between calls, for a caller that reads the same lineage in
    parts (rescoring's batches): models found there are not loaded again, new ones are added to it; ``loaded``
    (``Subgraph.empty()`` at first) likewise keeps the rows read for them, so an ancestor the parts share is read
    once (``lineage_subgraph``).
    """
    if known is not None and subjects is None:
        missing = list({m.pk: m for m in models if m.pk not in known}.values())
        if missing:
            found = lineage_reports(missing, loaded=loaded)
            known.update((m.pk, report) for m, report in zip(missing, found, strict=True))
        return [known[m.pk] for m in models]
    graph = lineage_subgraph((m.pk for m in models), loaded=loaded)
    nodes, parents = graph.nodes(), graph.parents()
    subjects = subjects or [node_key(m) for m in models]
    by_key = {node_key(m): m for m in graph.models.values()}  # once per subgraph, not per report
    origins = _inferred_origins(graph, loaded)
    # Many usages share a model (a popular base): its report is built once and shared.
    built: dict[tuple[str, int], LineageReport] = {}
    reports = []
    for subject, m in zip(subjects, models, strict=True):
        report = built.get((subject, m.pk))
        if report is None:
            report = built[subject, m.pk] = _report(subject, graph.models[m.pk], graph, nodes, parents, by_key, origins)
        reports.append(report)
    return reports


#: How each problem code reads in a summary: (one, several).
_PROBLEM_LABELS: Mapping[str, tuple[str, str]] = {
    "not_fetched": ("model not fetched", "models not fetched"),
    "not_found": ("model not found", "models not found"),
    "gated": ("gated model", "gated models"),
    "disabled": ("disabled model", "disabled models"),
    "error": ("failed model", "failed models"),
    "cycle": ("cycle", "cycles"),
    "depth_limit": ("depth limit reached", "depth limits reached"),
    "unknown_status": ("model in an unknown state", "models in an unknown state"),
    "node_limit": ("walk stopped at the node limit", "walks stopped at the node limit"),
    "chain_limit": ("chain list cut at its limit", "chain lists cut at their limit"),
    "source_gated": ("gated lineage file", "gated lineage files"),
    "source_forbidden": ("refused lineage file", "refused lineage files"),
    "source_missing": ("missing lineage file", "missing lineage files"),
    "source_error": ("unreadable lineage source", "unreadable lineage sources"),
    "source_not_read": ("unread lineage file", "unread lineage files"),
    "parents_truncated": ("truncated parent list", "truncated parent lists"),
    "parent_unusable": ("parent that cannot be followed", "parents that cannot be followed"),
    "inferred": ("parent inferred, not declared", "parents inferred, not declared"),
}


def lineage_problem_counts(models: Sequence[AIModel]) -> dict[str, int]:
    """Every lineage problem in the ancestry of ``models``, counted once per (code, node) and by code."""
    seen: set[tuple[str, str]] = set()
    if models:  # the problems alone: what they depend on is read, and no more of the ancestries is built
        ids = list(dict.fromkeys(m.pk for m in models))
        keys, nodes, parents = lineage_problem_subgraph(ids)
        for model_id in ids:
            if model_id in keys:  # a row deleted since has no ancestry left to count
                seen |= problem_keys(keys[model_id], nodes, parents, max_depth=settings.LINEAGE_MAX_DEPTH)
    counts: dict[str, int] = {}
    for code, _ in seen:
        counts[code] = counts.get(code, 0) + 1
    return dict(sorted(counts.items()))


def problem_summary(counts: Mapping[str, int]) -> str:
    """``{"cycle": 2, "gated": 1}`` as "2 cycles, 1 gated model"; ``"no lineage problems"`` when empty."""
    parts = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        one, several = _PROBLEM_LABELS.get(code, (code.replace("_", " "), code.replace("_", " ")))
        parts.append(f"{count} {one if count == 1 else several}")
    return ", ".join(parts) if parts else "no lineage problems"
