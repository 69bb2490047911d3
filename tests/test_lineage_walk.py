"""The walk's order against a slow hub: a parent is asked for ahead of the seeds still waiting, and before the node
that names it is stored, so a deep chain is walked while the seeds are rather than after them."""

from __future__ import annotations

import time
from urllib.parse import unquote

import pytest

from tests.fakehub import FakeHub, make_chain, make_record
from vendors.hub import HubClient
from vendors.services.lineage_walk import STORE_BATCH, WalkLimits, lineage_walk

SEEDS = [f"acme/seed-{i:02d}" for i in range(12)]


def _asked(hub: FakeHub) -> list[str]:
    """The repos asked for, in the order the hub received them."""
    prefix = "/api/models/"
    return [unquote(r.path)[len(prefix) :] for r in hub.requests if r.method == "GET" and r.path.startswith(prefix)]


def test_a_chain_found_among_the_seeds_is_walked_before_the_seeds_still_waiting() -> None:
    with FakeHub(repos_dir=None, latency=0.02) as hub:
        for record in make_chain("deep/m", depth=4):
            hub.add_repo(record)
        for seed in SEEDS:
            hub.add_repo(make_record(seed))
        stored: list[str] = []

        stats = lineage_walk(
            ["deep/m-3", *SEEDS],
            client=HubClient(endpoint=hub.url, token="", timeout=5.0),
            on_node=lambda snapshot, discovery, depth: stored.append(snapshot.repo_id),
            limits=WalkLimits(concurrency=1),
        )

        asked = _asked(hub)
    assert sorted(asked) == sorted(["deep/m-0", "deep/m-1", "deep/m-2", "deep/m-3", *SEEDS])  # each once
    assert stats.fetched == len(asked) == len(stored)
    # One request at a time: the chain's three ancestors jump the queue of twelve seeds (in FIFO order they would
    # come last, one after another, each waiting for the one before).
    assert asked.index("deep/m-0") < asked.index(SEEDS[-1]), asked
    assert stored.index("deep/m-3") < stored.index("deep/m-2") < stored.index("deep/m-1") < stored.index("deep/m-0")


def test_parents_are_asked_for_before_the_node_that_names_them_is_stored() -> None:
    with FakeHub(repos_dir=None, latency=0.02) as hub:
        for record in make_chain("deep/m", depth=3):
            hub.add_repo(record)
        claimed_before_stored: dict[str, set[str]] = {}
        claimed: set[str] = set()

        def claim(repo_ids: list[str]) -> set[str]:
            claimed.update(repo_id.lower() for repo_id in repo_ids)
            return {repo_id.lower() for repo_id in repo_ids}

        def on_node(snapshot, discovery, depth) -> None:
            claimed_before_stored[snapshot.repo_id] = set(claimed)
            time.sleep(0.05)  # a slow database: the hub keeps working meanwhile

        lineage_walk(
            ["deep/m-2"],
            client=HubClient(endpoint=hub.url, token="", timeout=5.0),
            on_node=on_node,
            claim=claim,
            limits=WalkLimits(concurrency=2),
        )

    assert "deep/m-1" in claimed_before_stored["deep/m-2"]
    assert "deep/m-0" in claimed_before_stored["deep/m-1"]


def test_the_answers_waiting_to_be_stored_are_handed_over_together_in_the_order_answered() -> None:
    with FakeHub(repos_dir=None, latency=0.01) as hub:
        for record in make_chain("deep/m", depth=4):
            hub.add_repo(record)
        for seed in SEEDS:
            hub.add_repo(make_record(seed))
        batches: list[list[str]] = []

        def on_nodes(nodes) -> None:
            batches.append([snapshot.repo_id for snapshot, _, _ in nodes])
            time.sleep(0.05)  # a slow database: answers pile up meanwhile

        stats = lineage_walk(
            ["deep/m-3", *SEEDS],
            client=HubClient(endpoint=hub.url, token="", timeout=5.0),
            on_nodes=on_nodes,
            limits=WalkLimits(concurrency=8),
        )

    stored = [name for batch in batches for name in batch]
    assert sorted(stored) == sorted(["deep/m-0", "deep/m-1", "deep/m-2", "deep/m-3", *SEEDS])  # each once
    assert stats.fetched == len(stored)
    assert max(len(batch) for batch in batches) == STORE_BATCH and all(batches)  # together, never more
    assert stored.index("deep/m-3") < stored.index("deep/m-2") < stored.index("deep/m-1") < stored.index("deep/m-0")


@pytest.mark.parametrize("callbacks", [{}, {"on_node": print, "on_nodes": print}])
def test_a_walk_takes_one_of_the_two_callbacks(callbacks) -> None:
    with pytest.raises(TypeError, match="one of on_node and on_nodes"):
        lineage_walk(["acme/x"], client=None, **callbacks)
