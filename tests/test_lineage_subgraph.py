"""The lineage subgraph read in one recursive query (PostgreSQL) is the one read level by level (every database):
the same models, edges, aliases and inferred parents, for chains, diamonds, cycles, a model beyond the depth
limit, a start id with no row, the node limit and rows already loaded. The narrow read a refresh's problem count
takes (``lineage_problem_subgraph``) gives the same problems as the full one."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from vendors.lineage.graph import ancestry
from vendors.models import AIModel, AIModelAlias, InferredEdge, LineageEdge
from vendors.selectors import lineage_problem_counts
from vendors.selectors.subgraph import Subgraph, lineage_problem_subgraph, lineage_subgraph, node_key

pytestmark = [pytest.mark.django_db]


def _edge(child, parent, relation="finetune"):
    LineageEdge.objects.create(child=child, parent=parent, relation=relation, source="card", observed_at=timezone.now())


@pytest.fixture
def graph():
    """A chain of nine (deeper than a small depth limit), a diamond on it, a cycle of three, a merge of two."""
    model = factories.AIModelFactory
    chain = [model(name=f"chain/m{i}") for i in range(9)]
    for child, parent in itertools.pairwise(chain):
        _edge(child, parent)
    side = model(name="diamond/side")
    _edge(chain[1], side, "merge")
    _edge(side, chain[3])
    loop = [model(name=f"loop/m{i}") for i in range(3)]
    for child, parent in zip(loop, loop[1:] + loop[:1], strict=True):
        _edge(child, parent)
    merged = model(name="merge/child")
    _edge(merged, loop[0], "merge")
    _edge(merged, chain[5], "merge")
    AIModelAlias.objects.create(model=chain[2], name="chain/old-name")
    InferredEdge.objects.create(
        child=loop[1], parent=chain[8], relation="finetune", source="inferred:config", confidence=0.9,
        family="chain", evidence={}, revision="abc", observed_at=timezone.now(),
    )  # fmt: skip
    return {"chain": chain, "side": side, "loop": loop, "merged": merged}


def _shape(subgraph: Subgraph):
    return (
        sorted(subgraph.models),
        {child: [(e.child_id, e.parent_id, e.relation) for e in edges] for child, edges in subgraph.edges.items()},
        dict(subgraph.aliases),
        {child: [(e.child_id, e.parent_id) for e in edges] for child, edges in subgraph.inferred.items()},
    )


def _start_ids(graph, starts) -> list[int]:
    ids = {
        "chain0": graph["chain"][0].pk, "merged": graph["merged"].pk, "loop1": graph["loop"][1].pk,
        "missing": 10**9,
    }  # fmt: skip
    return [ids[name] for name in starts]


def _level_by_level(monkeypatch, *args, **kwargs) -> Subgraph:
    with monkeypatch.context() as patch:
        patch.setattr(connection, "vendor", "level-by-level")  # any database but PostgreSQL
        return lineage_subgraph(*args, **kwargs)


STARTS = [
    (["chain0"], {}),
    (["chain0"], {"max_depth": 3}),
    (["chain0"], {"max_depth": 0}),
    (["merged", "loop1"], {}),
    (["merged", "loop1"], {"max_depth": 1}),
    (["chain0", "merged"], {"max_nodes": 3}),
    (["chain0", "merged"], {"max_nodes": 2}),
    (["chain0", "merged"], {"max_nodes": 1}),
    (["chain0", "missing"], {}),
    (["missing"], {}),
]


@pytest.mark.postgres
@pytest.mark.parametrize(("starts", "options"), STARTS)
def test_the_recursive_query_reads_what_the_walk_level_by_level_reads(postgres, graph, monkeypatch, starts, options):
    start_ids = _start_ids(graph, starts)
    expected = _shape(_level_by_level(monkeypatch, start_ids, **options))
    with CaptureQueriesContext(connection) as queries:
        recursive = lineage_subgraph(start_ids, **options)
    assert _shape(recursive) == expected
    assert expected[0] or starts == ["missing"]
    assert len(queries) <= 5  # the ids, the models, the edges, the aliases, the inferred parents


@pytest.mark.postgres
def test_rows_already_loaded_are_not_read_again_and_the_answer_is_the_same(postgres, graph):
    chain, merged = graph["chain"], graph["merged"]
    loaded = Subgraph.empty()
    first = lineage_subgraph([chain[4].pk], loaded=loaded)  # the top of the chain, read first
    again = lineage_subgraph([chain[0].pk, merged.pk], loaded=loaded)
    assert _shape(again) == _shape(lineage_subgraph([chain[0].pk, merged.pk]))
    assert all(again.models[model.pk] is first.models[model.pk] for model in chain[4:])  # the rows read before


def test_a_cycle_ends_and_each_model_is_read_once(graph):
    subgraph = lineage_subgraph([graph["loop"][0].pk])
    assert sorted(subgraph.models) == sorted(m.pk for m in graph["loop"])
    assert {child: len(edges) for child, edges in subgraph.edges.items()} == {m.pk: 1 for m in graph["loop"]}


def _with_problems(graph) -> None:
    """Statuses and gaps on the graph's nodes, so that the problems to count are more than cycles and limits."""
    chain = graph["chain"]
    AIModel.objects.filter(pk=chain[4].pk).update(status=AIModel.Status.GATED)
    AIModel.objects.filter(pk=chain[6].pk).update(status=AIModel.Status.PENDING)
    gaps = [{"code": "parents_truncated", "followed": 32, "declared": 5000}, {"code": "source_gated", "path": "x"}]
    AIModel.objects.filter(pk=graph["side"].pk).update(lineage_gaps=gaps)
    AIModel.objects.filter(pk=graph["loop"][2].pk).update(status=AIModel.Status.ERROR, lineage_gaps=["unreadable"])


@pytest.mark.postgres
@pytest.mark.parametrize(("starts", "options"), STARTS)
def test_the_narrow_read_gives_the_full_reads_problems(postgres, graph, starts, options):
    _with_problems(graph)
    start_ids = _start_ids(graph, starts)
    full = lineage_subgraph(start_ids, **options)
    with CaptureQueriesContext(connection) as queries:
        keys, nodes, parents = lineage_problem_subgraph(start_ids, **options)
    assert len(queries) <= 4  # the ids, the models, the inferred parents, the edges
    assert keys == {pk: node_key(model) for pk, model in full.models.items()}
    assert parents == full.parents()
    problem_fields = {key: (n.status, n.gaps, n.inferred) for key, n in full.nodes().items()}
    assert {key: (n.status, n.gaps, n.inferred) for key, n in nodes.items()} == problem_fields
    assert nodes or starts == ["missing"]


@pytest.mark.parametrize("starts", [["chain0"], ["merged", "loop1"], ["chain0", "merged", "loop1"], ["missing"]])
@pytest.mark.parametrize("max_depth", [0, 2, 32])
def test_the_problem_count_is_the_union_of_the_ancestries_problems(graph, settings, starts, max_depth):
    settings.LINEAGE_MAX_DEPTH = max_depth
    _with_problems(graph)
    start_ids = _start_ids(graph, starts)
    full = lineage_subgraph(start_ids)
    nodes, parents = full.nodes(), full.parents()
    keys: set[tuple[str, str]] = set()
    for pk in start_ids:
        if pk in full.models:
            keys |= ancestry(node_key(full.models[pk]), nodes, parents, max_depth=max_depth).problem_keys
    expected: dict[str, int] = {}
    for code, _ in keys:
        expected[code] = expected.get(code, 0) + 1
    models = [*AIModel.objects.filter(pk__in=start_ids), AIModel(pk=10**9)]  # the last: a row deleted meanwhile
    assert lineage_problem_counts(models) == dict(sorted(expected.items()))
    assert expected or starts == ["missing"]
