"""The ancestry walk: shapes (chains, diamonds, cycles, depth, fan-in), holes, roll-ups, determinism, bounds.

Pure function on plain data, no database. The last tests build the stored graph from the fake hub's
recorded repos with ``discover_parents``, the way the lineage service does, and walk real lineages.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

import pytest

from tests.test_lineage_discovery import RECORD_IDS, load_record, snapshot_from_record
from vendors.lineage import (
    Ancestry,
    CountryOrigin,
    EdgeInfo,
    LicenseDrift,
    NodeInfo,
    NodeStatus,
    Problem,
    Relation,
    ancestry,
    datasets_of,
    discover_parents,
    license_of,
)
from vendors.lineage.graph import problem_keys

World = tuple[dict[str, NodeInfo], dict[str, list[EdgeInfo]]]


def world(edges: Mapping[str, Sequence[str]], **info: dict[str, Any]) -> World:
    """Nodes named in ``edges`` (child → parents), all resolved unless ``info[node]`` says otherwise.

    A parent given as ``"?x"`` is an edge to ``x`` with no NodeInfo (not fetched yet).
    """
    nodes: dict[str, NodeInfo] = {}
    parents: dict[str, list[EdgeInfo]] = {}
    for child, names in edges.items():
        nodes.setdefault(child, NodeInfo(id=child, **info.get(child, {})))
        for name in names:
            parent = name.removeprefix("?")
            parents.setdefault(child, []).append(EdgeInfo(parent=parent, relation=Relation.FINETUNE, source="card"))
            if not name.startswith("?"):
                nodes.setdefault(parent, NodeInfo(id=parent, **info.get(parent, {})))
    return nodes, parents


def walk(
    edges: Mapping[str, Sequence[str]], start: str = "a", *, info: Mapping[str, dict] | None = None, **bounds: int
) -> Ancestry:
    """``ancestry`` of ``start`` in ``world(edges, **info)``; ``bounds`` are its keyword limits."""
    nodes, parents = world(edges, **(info or {}))
    return ancestry(start, nodes, parents, **bounds)


# --- shapes ---------------------------------------------------------------------------------------------

SHAPES = [
    ("no parents", {"a": []}, {"ancestors": (), "roots": ("a",), "chains": (("a",),), "complete": True}),
    (
        "linear",
        {"a": ["b"], "b": ["c"]},
        {"ancestors": ("b", "c"), "roots": ("c",), "chains": (("a", "b", "c"),), "complete": True},
    ),
    (
        "diamond: merge sharing a root",
        {"a": ["y", "x"], "x": ["r"], "y": ["r"]},
        {"ancestors": ("x", "y", "r"), "roots": ("r",), "chains": (("a", "x", "r"), ("a", "y", "r")), "complete": True},
    ),
    (
        "merge of two roots",
        {"a": ["m"], "m": ["p", "q"]},
        {"ancestors": ("m", "p", "q"), "roots": ("p", "q"), "chains": (("a", "m", "p"), ("a", "m", "q"))},
    ),
    (
        "shortcut edge",
        {"a": ["b", "c"], "b": ["c"]},
        {"ancestors": ("b", "c"), "roots": ("c",), "chains": (("a", "b", "c"), ("a", "c")), "cycles": ()},
    ),
    (
        "cycle A<->B",
        {"a": ["b"], "b": ["a"]},
        {"ancestors": ("b",), "roots": (), "chains": (("a", "b"),), "cycles": (("b", "a"),), "complete": False},
    ),
    (
        "self-loop",
        {"a": ["a"]},
        {"ancestors": (), "roots": (), "chains": (("a",),), "cycles": (("a", "a"),), "complete": False},
    ),
    (
        "cycle above the start",
        {"a": ["b"], "b": ["c"], "c": ["b", "r"]},
        {"ancestors": ("b", "c", "r"), "roots": ("r",), "chains": (("a", "b", "c", "r"),), "cycles": (("c", "b"),)},
    ),
    (
        "duplicate edges",
        {"a": ["b", "b", "b"]},
        {"ancestors": ("b",), "chains": (("a", "b"),), "complete": True},
    ),
]


@pytest.mark.parametrize(("edges", "expected"), [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_shapes(edges, expected):
    result = walk(edges)
    for field, value in expected.items():
        assert getattr(result, field) == value, field


def test_cycle_is_reported_readably():
    result = walk({"a": ["b"], "b": ["a"]})
    assert result.incomplete_reasons == ("cycle: b names a, already on the path",)


def test_chain_of_100_stops_at_max_depth():
    edges = {f"n{i}": [f"n{i + 1}"] for i in range(99)}
    result = walk(edges, "n0", max_depth=32)
    assert result.ancestors == tuple(f"n{i}" for i in range(1, 33))
    assert result.depth_limited == ("n32",)
    assert result.chains == (tuple(f"n{i}" for i in range(33)),)
    assert result.roots == ()
    assert result.complete is False
    assert result.incomplete_reasons == ("n32: parents not followed (depth limit 32)",)


def test_chain_of_100_is_complete_with_enough_depth():
    edges = {f"n{i}": [f"n{i + 1}"] for i in range(99)}
    result = walk(edges, "n0", max_depth=100)
    assert len(result.ancestors) == 99
    assert result.roots == ("n99",)
    assert result.complete is True


def test_max_depth_zero_visits_only_the_start():
    result = walk({"a": ["b"]}, max_depth=0)
    assert result.ancestors == ()
    assert result.depth_limited == ("a",)
    assert result.chains == (("a",),)


def test_wide_fan_in():
    parents = [f"p{i:03}" for i in range(500)]
    result = walk({"a": list(reversed(parents))})
    assert result.ancestors == tuple(parents)  # sorted, whatever the edge order
    assert result.roots == tuple(parents)
    assert len(result.chains) == 64
    assert result.chains[0] == ("a", "p000")
    assert result.chains_truncated is True
    assert "not every chain to a root is listed (chain limit)" in result.incomplete_reasons


def test_stacked_diamonds_do_not_explode():
    """20 diamonds on top of each other: 2**20 paths, 61 nodes; the walk stays linear, chains are capped."""
    edges: dict[str, list[str]] = {}
    for i in range(20):
        edges[f"j{i}"] = [f"l{i}", f"r{i}"]
        edges[f"l{i}"] = [f"j{i + 1}"]
        edges[f"r{i}"] = [f"j{i + 1}"]
    result = walk(edges, "j0", max_depth=64, max_chains=10)
    assert len(result.ancestors) == 60
    assert len(set(result.ancestors)) == 60
    assert result.roots == ("j20",)
    assert len(result.chains) == 10
    assert result.chains_truncated is True


def test_max_nodes_bounds_a_wide_graph():
    result = walk({"a": [f"p{i}" for i in range(5000)]}, max_nodes=100)
    assert len(result.ancestors) == 99
    assert result.nodes_truncated is True
    assert "walk stopped after 100 nodes" in result.incomplete_reasons


def test_long_detour_chain_is_cut_at_max_depth():
    """Every node is one hop from the start, but a path through all of them is longer than max_depth."""
    names = [f"b{i:02}" for i in range(40)]
    edges = {"a": names, **{names[i]: [names[i + 1]] for i in range(39)}}
    result = walk(edges, max_depth=5, max_chains=1)
    assert len(result.chains[0]) == 6
    assert result.chains_truncated is True
    assert result.depth_limited == ()


# --- holes ----------------------------------------------------------------------------------------------

HOLES = [
    ("missing parent", {"a": ["b"], "b": ["c"]}, {"c": {"status": NodeStatus.NOT_FOUND}}, "c: not found on the hub"),
    ("gated ancestor", {"a": ["b"], "b": ["c"]}, {"b": {"status": NodeStatus.GATED}}, "b: gated"),
    ("disabled start", {"a": ["b"]}, {"a": {"status": NodeStatus.DISABLED}}, "a: disabled on the hub"),
    ("fetch error", {"a": ["b"]}, {"b": {"status": NodeStatus.ERROR}}, "b: could not be fetched (error)"),
    ("odd status", {"a": ["b"]}, {"b": {"status": "weird\n<b>"}}, "b: status weird <b>"),
    ("not fetched", {"a": ["?b"]}, {}, "b: not fetched yet"),
]


@pytest.mark.parametrize(("edges", "info", "reason"), [h[1:] for h in HOLES], ids=[h[0] for h in HOLES])
def test_holes_make_the_lineage_incomplete(edges, info, reason):
    result = walk(edges, info=info)
    assert result.complete is False
    assert any(r.startswith(reason) for r in result.incomplete_reasons), result.incomplete_reasons


def test_missing_parent_is_a_dead_end_not_a_root():
    result = walk({"a": ["?gone"]})
    assert result.ancestors == ("gone",)
    assert result.roots == ()
    assert result.chains == (("a", "gone"),)
    assert result.unknown_publishers == ("a", "gone")
    assert result.licenses == (("a", ""), ("gone", ""))


def test_unknown_start():
    result = ancestry("nowhere", {}, {})
    assert result.ancestors == ()
    assert result.roots == ()
    assert result.incomplete_reasons == ("nowhere: not fetched yet",)
    assert result.problems == (Problem("not_fetched", "nowhere", "nowhere: not fetched yet"),)


def test_reasons_are_bounded():
    result = walk({"a": [f"?p{i:04}" for i in range(1000)]}, max_nodes=2000)
    assert len(result.incomplete_reasons) == 64
    assert result.incomplete_reasons[-1] == "… and 938 more"


# --- roll-ups -------------------------------------------------------------------------------------------

GGUF_WORLD = {  # a re-packager's GGUF of a distill of a Qwen base, plus a Meta parent and an unknown publisher
    "bartowski/R1-Distill-GGUF": ["deepseek-ai/R1-Distill"],
    "deepseek-ai/R1-Distill": ["Qwen/Qwen2.5-Math-7B", "meta-llama/Llama-3.1-8B"],
    "Qwen/Qwen2.5-Math-7B": ["Qwen/Qwen2.5-7B"],
    "meta-llama/Llama-3.1-8B": ["someone/mystery"],
}
GGUF_INFO = {
    "bartowski/R1-Distill-GGUF": {
        "publisher_key": "bartowski",
        "country": "us",
        "is_repackager": True,
        "license": "apache-2.0",
    },
    "deepseek-ai/R1-Distill": {
        "publisher_key": "deepseek-ai",
        "country": "CN",
        "license": "MIT",
        "datasets": ("d/reasoning",),
    },
    "Qwen/Qwen2.5-Math-7B": {
        "publisher_key": "Qwen",
        "country": "CN",
        "license": "apache-2.0",
        "datasets": ("D/Reasoning", "q/math"),
    },
    "Qwen/Qwen2.5-7B": {"publisher_key": "Qwen", "country": "CN", "license": "apache-2.0"},
    "meta-llama/Llama-3.1-8B": {"publisher_key": "meta-llama", "country": "US", "license": "llama3.1"},
    "someone/mystery": {"license": "llama3.1"},
}


def test_rollups():
    result = walk(GGUF_WORLD, "bartowski/R1-Distill-GGUF", info=GGUF_INFO)
    assert result.origin_countries == (
        CountryOrigin("CN", ("deepseek-ai/R1-Distill", "Qwen/Qwen2.5-Math-7B", "Qwen/Qwen2.5-7B")),
        CountryOrigin("US", ("meta-llama/Llama-3.1-8B",)),  # from Meta, not from the US re-packager
    )
    assert result.unknown_publishers == ("someone/mystery",)
    assert result.datasets == ("d/reasoning", "q/math")
    assert result.license_drift == (
        LicenseDrift("bartowski/R1-Distill-GGUF", "deepseek-ai/R1-Distill", "apache-2.0", "MIT"),
        LicenseDrift("deepseek-ai/R1-Distill", "Qwen/Qwen2.5-Math-7B", "MIT", "apache-2.0"),
        LicenseDrift("deepseek-ai/R1-Distill", "meta-llama/Llama-3.1-8B", "MIT", "llama3.1"),
    )
    assert result.licenses[0] == ("bartowski/R1-Distill-GGUF", "apache-2.0")
    assert result.roots == ("Qwen/Qwen2.5-7B", "someone/mystery")
    assert result.complete is True


@pytest.mark.parametrize(
    ("child", "parent", "drift"),
    [("mit", "mit", False), ("MIT", "mit", False), ("apache-2.0", "mit", True), ("", "mit", False), ("mit", "", False)],
)
def test_license_drift_needs_two_known_licences(child, parent, drift):
    result = walk({"a": ["b"]}, info={"a": {"license": child}, "b": {"license": parent}})
    assert bool(result.license_drift) is drift


def test_repackager_start_contributes_no_country():
    result = walk({"a": ["b"]}, info={"a": {"country": "US", "is_repackager": True}, "b": {}})
    assert result.origin_countries == ()


def test_start_counts_as_an_origin():
    result = walk({"a": []}, info={"a": {"country": "FR", "publisher_key": "mistralai"}})
    assert result.origin_countries == (CountryOrigin("FR", ("a",)),)
    assert result.unknown_publishers == ()


# --- determinism and bounds -----------------------------------------------------------------------------


def test_result_does_not_depend_on_input_order():
    nodes, parents = world(GGUF_WORLD | {"a": ["b", "c"], "b": ["c"], "c": ["b"]}, **GGUF_INFO)
    expected = ancestry("deepseek-ai/R1-Distill", nodes, parents)
    rng = random.Random(7)
    for _ in range(20):
        shuffled_nodes = dict(rng.sample(list(nodes.items()), len(nodes)))
        shuffled_parents = {k: rng.sample(v, len(v)) for k, v in rng.sample(list(parents.items()), len(parents))}
        assert ancestry("deepseek-ai/R1-Distill", shuffled_nodes, shuffled_parents) == expected


def _reference_depths(start: str, edges: Mapping[str, Sequence[str]], max_depth: int) -> dict[str, int]:
    depth = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if depth[node] >= max_depth:
            continue
        for parent in edges.get(node, ()):
            if parent not in depth:
                depth[parent] = depth[node] + 1
                queue.append(parent)
    return depth


def _has_cycle(nodes: set[str], edges: Mapping[str, Sequence[str]]) -> bool:
    """Kahn's algorithm on the explored subgraph."""
    indegree = dict.fromkeys(nodes, 0)
    for node in nodes:
        for parent in edges.get(node, ()):
            indegree[parent] += 1
    ready = [node for node, count in indegree.items() if count == 0]
    seen = 0
    while ready:
        node = ready.pop()
        seen += 1
        for parent in edges.get(node, ()):
            indegree[parent] -= 1
            if indegree[parent] == 0:
                ready.append(parent)
    return seen < len(nodes)


@pytest.mark.parametrize("seed", range(40))
def test_random_graphs_terminate_and_respect_bounds(seed):
    rng = random.Random(seed)
    for _ in range(25):
        size = rng.randint(1, 40)
        names = [f"n{i}" for i in range(size)]
        density = rng.choice([0.02, 0.08, 0.2, 0.5])
        edges = {n: sorted({p for p in names if rng.random() < density}) for n in names}
        statuses = [NodeStatus.RESOLVED] * 6 + [NodeStatus.NOT_FOUND, NodeStatus.GATED, NodeStatus.ERROR]
        info = {n: {"status": rng.choice(statuses), "country": rng.choice(["", "CN", "US"])} for n in names}
        max_depth, max_chains = rng.randint(0, 8), rng.randint(1, 12)
        start = rng.choice(names)

        result = walk(edges, start, info=info, max_depth=max_depth, max_chains=max_chains)
        nodes, parents = world(edges, **info)
        bounds = {"max_depth": max_depth, "max_chains": max_chains, "max_nodes": rng.choice([3, 10, 4096])}
        assert problem_keys(start, nodes, parents, **bounds) == ancestry(start, nodes, parents, **bounds).problem_keys

        depths = _reference_depths(start, edges, max_depth)
        assert set(result.ancestors) == set(depths) - {start}
        assert len(result.ancestors) == len(set(result.ancestors))
        assert start not in result.ancestors
        assert len(result.chains) <= max_chains
        for chain in result.chains:
            assert chain[0] == start
            assert len(chain) <= max_depth + 1
            assert len(set(chain)) == len(chain)
            assert all(parent in edges[child] for child, parent in pairwise(chain))
        assert set(result.roots) <= set(depths)
        assert all(not edges[root] for root in result.roots)
        assert all(parent in edges[child] for child, parent in result.cycles)
        assert all(depths[node] == max_depth and edges[node] for node in result.depth_limited)
        explored = {n: edges[n] for n in depths if depths[n] < max_depth}
        assert bool(result.cycles) == _has_cycle(set(depths), explored)
        if result.complete:
            assert not result.cycles and not result.depth_limited and not result.chains_truncated
            assert all(info[n]["status"] == NodeStatus.RESOLVED for n in depths)
        assert len(result.incomplete_reasons) <= 64


# --- the recorded hub, walked ---------------------------------------------------------------------------

COUNTRIES = {"Qwen": "CN", "deepseek-ai": "CN", "meta-llama": "US", "mistralai": "FR", "NousResearch": "US"}
REPACKAGERS = {"bartowski", "gaianet", "eaddario", "lmstudio-community", "unsloth"}


@pytest.fixture(scope="module")
def recorded_world() -> World:
    """Every recorded repo as a node, its discovered parents as edges; renamed ids followed like the hub does."""
    records = [load_record(repo_id) for repo_id in RECORD_IDS]
    aliases = {alias.lower(): r["id"] for r in records for alias in r.get("aliases") or []}
    ids = {r["id"].lower(): r["id"] for r in records}
    nodes: dict[str, NodeInfo] = {}
    parents: dict[str, list[EdgeInfo]] = {}
    for record in records:
        snapshot = snapshot_from_record(record)
        org = record["id"].split("/")[0]
        nodes[record["id"]] = NodeInfo(
            id=record["id"],
            status=NodeStatus.DISABLED if record.get("disabled") else NodeStatus.RESOLVED,
            publisher_key=org,
            country=COUNTRIES.get(org, ""),
            is_repackager=org in REPACKAGERS,
            license=license_of(snapshot),
            datasets=datasets_of(snapshot),
        )
        for claim in discover_parents(snapshot).parents:
            target = aliases.get(claim.repo_id.lower()) or ids.get(claim.repo_id.lower())
            if target is None:  # absent upstream: the service stores it as not_found
                target = claim.repo_id
                nodes[target] = NodeInfo(id=target, status=NodeStatus.NOT_FOUND)
            parents.setdefault(record["id"], []).append(EdgeInfo(target, claim.relation, claim.source))
    return nodes, parents


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (
            "northwind-ai/contract-copilot-7b-GGUF",
            {
                "roots": ("Qwen/Qwen2.5-7B",),
                "chains": (
                    (
                        "northwind-ai/contract-copilot-7b-GGUF",
                        "northwind-ai/contract-copilot-7b",
                        "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
                        "Qwen/Qwen2.5-Math-7B",
                        "Qwen/Qwen2.5-7B",
                    ),
                ),
                "complete": True,
            },
        ),
        (
            "lexify/legal-merge-7b",  # merge of a merge: Qwen2.5-7B is reached along three paths, visited once
            {
                "ancestors": (
                    "Qwen/Qwen2.5-7B-Instruct",
                    "yasserrmd/DeepSeek-7B-1M",
                    "Qwen/Qwen2.5-7B",
                    "Qwen/Qwen2.5-7B-Instruct-1M",
                    "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
                    "Qwen/Qwen2.5-Math-7B",
                ),
                "roots": ("Qwen/Qwen2.5-7B",),
                "complete": True,
                "origin_countries": (
                    CountryOrigin(
                        "CN",
                        (
                            "Qwen/Qwen2.5-7B-Instruct",
                            "Qwen/Qwen2.5-7B",
                            "Qwen/Qwen2.5-7B-Instruct-1M",
                            "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
                            "Qwen/Qwen2.5-Math-7B",
                        ),
                    ),
                ),
            },
        ),
        (
            "lmstudio-community/Meta-Llama-3.1-8B-Instruct-GGUF",  # parent renamed since; the edge follows it
            {
                "ancestors": ("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B"),
                "complete": True,
                "origin_countries": (
                    CountryOrigin("US", ("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B")),
                ),
            },
        ),
        (
            "gaianet/DeepSeek-R1-Distill-Qwen-7B-GGUF",
            {
                "license_drift": (
                    LicenseDrift(
                        "gaianet/DeepSeek-R1-Distill-Qwen-7B-GGUF",
                        "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
                        "apache-2.0",
                        "mit",
                    ),
                    LicenseDrift(
                        "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "Qwen/Qwen2.5-Math-7B", "mit", "apache-2.0"
                    ),
                )
            },
        ),
        (
            "synthetic-loop/a",
            {
                "ancestors": ("synthetic-loop/b",),
                "cycles": (("synthetic-loop/b", "synthetic-loop/a"),),
                "complete": False,
            },
        ),
        (
            "acme-labs/orphan-ft",
            {
                "incomplete_reasons": (
                    "acme-labs/deleted-base: not found on the hub (deleted, renamed away or private)",
                )
            },
        ),
        ("acme-labs/takedown-7b", {"complete": False, "roots": ("Qwen/Qwen2.5-7B",)}),
        ("eaddario/DeepSeek-R1-Distill-Qwen-7B-GGUF", {"datasets": ("eaddario/imatrix-calibration",)}),
    ],
)
def test_recorded_lineages(recorded_world, start, expected):
    nodes, parents = recorded_world
    result = ancestry(start, nodes, parents)
    for field, value in expected.items():
        assert getattr(result, field) == value, field


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ([], {"a": ("a",), "x": ("x",)}),
        ([("a", "b"), ("b", "c")], {"a": ("a",), "b": ("a", "b"), "c": ("a", "b", "c"), "x": ("x",)}),
        # two routes to c: the shorter wins; between equals, parents in id order
        ([("a", "c"), ("a", "b"), ("b", "c")], {"a": ("a",), "b": ("a", "b"), "c": ("a", "c"), "x": ("x",)}),
        ([("a", "d"), ("a", "b"), ("b", "c"), ("d", "c")], {"c": ("a", "b", "c")}),
        ([("a", "b"), ("b", "a")], {"a": ("a",), "b": ("a", "b")}),  # a cycle ends the walk
    ],
)
def test_shortest_paths_are_deterministic(edges, expected):
    from vendors.lineage.graph import shortest_paths

    found = shortest_paths("a", edges, ["a", "b", "c", "d", "x"])
    assert {node: found[node] for node in expected} == expected
    assert shortest_paths("a", reversed(edges), ["a", "b", "c", "d", "x"]) == found
