"""The lineage subgraph read in one recursive query (PostgreSQL) is the one read level by level (every database):
the same models, edges, aliases and inferred parents, for chains, diamonds, cycles, a model beyond the depth
limit, a start id with no row, the node limit and rows already loaded."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from vendors.models import AIModelAlias, InferredEdge, LineageEdge
from vendors.selectors.subgraph import Subgraph, lineage_subgraph

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


def _level_by_level(monkeypatch, *args, **kwargs) -> Subgraph:
    with monkeypatch.context() as patch:
        patch.setattr(connection, "vendor", "level-by-level")  # any database but PostgreSQL
        return lineage_subgraph(*args, **kwargs)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("starts", "options"),
    [
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
    ],
)
def test_the_recursive_query_reads_what_the_walk_level_by_level_reads(postgres, graph, monkeypatch, starts, options):
    ids = {
        "chain0": graph["chain"][0].pk, "merged": graph["merged"].pk, "loop1": graph["loop"][1].pk,
        "missing": 10**9,
    }  # fmt: skip
    start_ids = [ids[name] for name in starts]
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
