"""The stored lineage graph read upwards from some models: every ancestor with its parent edges, aliases and
inferred parents, in as few queries as the database allows (``lineage_subgraph``). Lineage reports, exports and
rescoring build on it (``vendors.selectors.lineage``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from vendors.lineage.gaps import gaps_from_stored
from vendors.lineage.graph import EdgeInfo, NodeInfo
from vendors.models import AIModel, AIModelAlias, InferredEdge, LineageEdge


def node_key(model: AIModel) -> str:
    """How a node is named in lineage output: the repo id for hub models, ``kind:name`` otherwise."""
    return _key(model.kind, model.name)


def _key(kind: str, name: str) -> str:
    return name if kind == AIModel.Kind.HUB else f"{kind}:{name}"


def inferred_summary(edge: InferredEdge) -> str:
    """One line for an inferred parent: "probably X (finetune, 0.92, inferred:config): same shapes..."."""
    evidence = edge.evidence if isinstance(edge.evidence, dict) else {}
    matched = [item for item in evidence.get("matched", []) if isinstance(item, str)][:3]
    family = evidence.get("family") if isinstance(evidence.get("family"), str) else ""
    family_text = f", {family} family" if family and family.lower() != edge.parent.name.lower() else ""
    why = f": {', '.join(matched)}" if matched else ""
    return f"probably {node_key(edge.parent)}{family_text} ({edge.relation}, {edge.confidence:.2f}, {edge.source}){why}"


@dataclass(frozen=True)
class Subgraph:
    """Every node reachable upwards from some start nodes, with its parent edges, loaded level by level."""

    models: Mapping[int, AIModel]
    edges: Mapping[int, Sequence[LineageEdge]]
    aliases: Mapping[int, tuple[str, ...]]
    # Parents inferred for the loaded models (child id -> edges, most confident first); their parents are loaded
    # only as far as ``inferred_parents`` says (they are not part of the declared walk).
    inferred: Mapping[int, Sequence[InferredEdge]] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> Subgraph:
        """Nothing loaded yet: for ``lineage_subgraph(loaded=...)`` to fill."""
        return cls(models={}, edges={}, aliases={}, inferred={})

    def nodes(self) -> dict[str, NodeInfo]:
        return {
            node_key(m): NodeInfo(
                id=node_key(m),
                status=m.status,
                publisher_key=m.publisher.key if m.publisher else "",
                country=m.publisher.country.code if m.publisher and m.publisher.country else "",
                is_repackager=bool(m.publisher and m.publisher.is_repackager),
                license=m.license,
                datasets=tuple(m.datasets),
                gaps=gaps_from_stored(m.lineage_gaps),
                inferred=tuple(inferred_summary(edge) for edge in self.inferred.get(m.pk, ())),
            )
            for m in self.models.values()
        }

    def parents(self) -> dict[str, list[EdgeInfo]]:
        return {
            node_key(self.models[child]): [
                EdgeInfo(parent=node_key(self.models[e.parent_id]), relation=e.relation, source=e.source)
                for e in edges
                if e.parent_id in self.models
            ]
            for child, edges in self.edges.items()
        }


def lineage_subgraph(
    start_ids: Iterable[int], *, max_depth: int | None = None, max_nodes: int = 20000, loaded: Subgraph | None = None
) -> Subgraph:
    """Load the ancestors of the given models, whatever the number of starts: on PostgreSQL, unless ``loaded`` is
    given, the ids in one recursive query and then the rows in two; otherwise two queries per generation.

    ``loaded`` (``Subgraph.empty()`` at first) carries the rows between the calls of a caller that reads the
    lineage in parts (rescoring's batches, where a popular base is in every one): a model found there is taken
    with the parent edges, aliases and inferred edges read with it, not read again, and what is read is added to
    it. The subgraph returned is the same either way."""
    max_depth = settings.LINEAGE_MAX_DEPTH if max_depth is None else max_depth
    known = loaded if loaded is not None else Subgraph.empty()
    models: dict[int, AIModel] = {}
    edges: dict[int, list[LineageEdge]] = {}
    read: set[int] = set()
    frontier = set(start_ids)

    def take(pk: int) -> None:
        """Add a model read (now or before) and its parent edges to the subgraph (a row gone since is left out)."""
        if pk in known.models:
            models[pk] = known.models[pk]
            if pk in known.edges:
                edges[pk] = known.edges[pk]

    # A one-off read on PostgreSQL takes the ids in one recursive query. A caller that reads in parts (``loaded``)
    # walks level by level: a generation already loaded costs no query at all.
    if connection.vendor == "postgresql" and frontier and loaded is None:
        reached = _reached(frontier, max_depth, max_nodes)
        _subgraph_rows_read(reached, known)  # nothing is loaded yet: every row is read
        read.update(reached)
        for pk in reached:
            take(pk)
        frontier = set()  # the walk level by level below has nothing left to do
    for _ in range(max_depth + 2):
        frontier -= models.keys()
        if not frontier or len(models) >= max_nodes:
            break
        if new := list(frontier - known.models.keys()):
            _subgraph_rows_read(new, known)
            read.update(new)
        next_frontier = set()
        for pk in frontier:
            take(pk)
            next_frontier.update(edge.parent_id for edge in edges.get(pk, ()))
        frontier = next_frontier
    if read:
        aliases: dict[int, list[str]] = {}
        names = AIModelAlias.objects.filter(model_id__any_of=list(read)).order_by("name")
        for model_id, name in names.values_list("model_id", "name"):
            aliases.setdefault(model_id, []).append(name)
        known.aliases.update((pk, tuple(found)) for pk, found in aliases.items())
        inferred = (
            InferredEdge.objects.filter(child_id__any_of=list(read))
            .select_related("parent")
            .order_by("child_id", "-confidence", "parent__name")
        )
        for edge in inferred:
            known.inferred.setdefault(edge.child_id, []).append(edge)
    return Subgraph(
        models=models,
        edges=edges,
        aliases={pk: known.aliases[pk] for pk in models if pk in known.aliases},
        inferred={pk: known.inferred[pk] for pk in models if pk in known.inferred},
    )


def lineage_problem_subgraph(
    start_ids: Iterable[int], *, max_depth: int | None = None, max_nodes: int = 20000
) -> tuple[dict[int, str], dict[str, NodeInfo], dict[str, list[EdgeInfo]]]:
    """What the lineage problems of these models' ancestries depend on, for ``vendors.lineage.graph.problem_keys``:
    each model's node id (model id -> node id), its ``NodeInfo`` with the status, gaps and inferred parents only
    (no publisher, licence or datasets), and the parent edges, for the models ``lineage_subgraph`` loads.

    A refresh's summary counts the problems of every model it walked: on PostgreSQL these are read in four narrow
    queries instead of full rows with their publishers and aliases; elsewhere from ``lineage_subgraph``."""
    max_depth = settings.LINEAGE_MAX_DEPTH if max_depth is None else max_depth
    start_ids = set(start_ids)
    if connection.vendor != "postgresql" or not start_ids:
        graph = lineage_subgraph(start_ids, max_depth=max_depth, max_nodes=max_nodes)
        return {pk: node_key(model) for pk, model in graph.models.items()}, graph.nodes(), graph.parents()
    reached = _reached(start_ids, max_depth, max_nodes)
    rows = AIModel.objects.filter(pk__any_of=reached).values_list("pk", "kind", "name", "status", "lineage_gaps")
    keys, statuses = {}, {}
    for pk, kind, name, status, gaps in rows:
        keys[pk], statuses[pk] = _key(kind, name), (status, gaps)
    inferred: dict[int, list[str]] = {}
    edges = (
        InferredEdge.objects.filter(child_id__any_of=reached)
        .select_related("parent")
        .order_by("child_id", "-confidence", "parent__name")
    )
    for edge in edges:
        inferred.setdefault(edge.child_id, []).append(inferred_summary(edge))
    nodes = {
        keys[pk]: NodeInfo(
            id=keys[pk], status=status, gaps=gaps_from_stored(gaps), inferred=tuple(inferred.get(pk, ()))
        )
        for pk, (status, gaps) in statuses.items()
    }
    parents: dict[str, list[EdgeInfo]] = {}
    declared = LineageEdge.objects.filter(child_id__any_of=reached).order_by("child_id", "parent_id")
    for child, parent, relation, source in declared.values_list("child_id", "parent_id", "relation", "source"):
        if child in keys:
            found = parents.setdefault(keys[child], [])
            if parent in keys:
                found.append(EdgeInfo(parent=keys[parent], relation=relation, source=source))
    return keys, nodes, parents


def _reached(start_ids: set[int], max_depth: int, max_nodes: int) -> list[int]:
    """PostgreSQL: the ids ``lineage_subgraph`` loads, by generation: whole generations while fewer than
    ``max_nodes`` are loaded."""
    reached: list[int] = []
    for generation in _generations(start_ids, max_depth + 1).values():
        if len(reached) >= max_nodes:
            break
        reached += generation
    return reached


def _subgraph_rows_read(ids: list[int], known: Subgraph) -> None:
    """Read these models and their parent edges into ``known`` (two queries)."""
    known.models.update((m.pk, m) for m in AIModel.objects.select_related("publisher").filter(pk__any_of=ids))
    for edge in LineageEdge.objects.filter(child_id__any_of=ids).order_by("child_id", "parent_id"):
        known.edges.setdefault(edge.child_id, []).append(edge)


def _generations(start_ids: set[int], depth: int) -> dict[int, list[int]]:
    """PostgreSQL: the models reachable upwards from ``start_ids`` (those that exist) in at most ``depth`` steps,
    by generation (the fewest steps to each), in one recursive query: what the level-by-level walk finds, without
    a round trip per level. The steps are counted, so a cycle ends at ``depth`` too."""
    edge = LineageEdge._meta
    quote = connection.ops.quote_name  # the names are the model's, never input
    table, models = quote(edge.db_table), quote(AIModel._meta.db_table)
    child, parent = quote(edge.get_field("child").column), quote(edge.get_field("parent").column)
    sql = (
        f"WITH RECURSIVE walk(id, depth) AS ("  # noqa: S608
        f" SELECT m.id, 0 FROM {models} m WHERE m.id = ANY(%s::bigint[])"
        f" UNION SELECT e.{parent}, w.depth + 1 FROM {table} e JOIN walk w ON e.{child} = w.id WHERE w.depth < %s"
        f") SELECT id, min(depth) AS generation FROM walk GROUP BY id ORDER BY generation, id"
    )
    generations: dict[int, list[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [sorted(start_ids), depth])
        for pk, generation in cursor.fetchall():
            generations.setdefault(generation, []).append(pk)
    return {generation: generations[generation] for generation in sorted(generations)}
