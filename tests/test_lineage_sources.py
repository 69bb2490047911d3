"""A root is a root only when every source that could name a parent was read.

Table-driven over every way a source can fail, each built on the fake hub and fetched with the real hub client;
then the same rule end to end (the ``lineage --json`` contract and the rating's opacity factors); then a property
test on the pure pipeline: failing or removing any one source never turns an incomplete chain complete.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakehub import FakeHub, adapter_config, make_adapter, make_record
from vendors.hub import MAX_LINEAGE_FILE_BYTES, MAX_LINEAGE_FILES, HubClient
from vendors.lineage import (
    EdgeInfo,
    EvidenceSource,
    GapCode,
    Incomplete,
    NodeInfo,
    NodeStatus,
    RepoSnapshot,
    SourceFailure,
    SourceProblem,
    ancestry,
    discover_parents,
    node_outcome,
)

BASE = "Qwen/Qwen2.5-7B"
SUBJECT = "acme/lora"
TOKEN = "hf_granted_elsewhere"


def _adapter(hub: FakeHub) -> None:
    hub.add_repo(make_adapter(SUBJECT, BASE))


def _gated(hub: FakeHub) -> None:
    _adapter(hub)
    hub.set_gated(SUBJECT, "manual")  # model_info stays public, as on the hub; the file is behind the gate


def _gated_with_a_token(hub: FakeHub) -> None:
    _gated(hub)
    hub.require_token("hf_someone_else")  # our token is not the granted one: 403 GatedRepo


def _forbidden(hub: FakeHub) -> None:
    _adapter(hub)
    hub.fail(f"/{SUBJECT}/resolve/", 403, times=None)


def _missing(hub: FakeHub) -> None:
    _adapter(hub)  # the listing names adapter_config.json, fetching it answers 404
    hub.fail(f"/{SUBJECT}/resolve/", 404, times=None, headers={"X-Error-Code": "EntryNotFound"})


def _failing(hub: FakeHub) -> None:
    _adapter(hub)
    hub.fail(f"/{SUBJECT}/resolve/", 503, times=None)


def _too_large(hub: FakeHub) -> None:
    big = adapter_config(BASE, padding="x" * (MAX_LINEAGE_FILE_BYTES + 1))
    hub.add_repo(make_record(SUBJECT, files={"adapter_config.json": big}))


def _not_json(hub: FakeHub) -> None:
    hub.add_repo(make_record(SUBJECT, files={"adapter_config.json": "{not json"}))


def _too_many_files(hub: FakeHub) -> None:
    files = {f"sub{i}/adapter_config.json": adapter_config(BASE) for i in range(MAX_LINEAGE_FILES + 2)}
    hub.add_repo(make_record(SUBJECT, files=files))


def _no_base_in_adapter(hub: FakeHub) -> None:
    hub.add_repo(make_record(SUBJECT, files={"adapter_config.json": adapter_config(None)}))


def _local_path_parent(hub: FakeHub) -> None:
    hub.add_repo(make_record(SUBJECT, parents=[BASE, "./adapter"]))


def _five_thousand_parents(hub: FakeHub) -> None:
    hub.add_repo(make_record(SUBJECT, parents=[f"org{i}/model-{i}" for i in range(5000)]))


def _metadata_gated(hub: FakeHub) -> None:
    _adapter(hub)
    hub.set_gated(SUBJECT, "manual", refuse_metadata=True)


def _gone(hub: FakeHub) -> None:
    pass  # never added: 401 RepoNotFound


def _disabled(hub: FakeHub) -> None:
    _adapter(hub)
    hub.set_disabled(SUBJECT)


def _metadata_failing(hub: FakeHub) -> None:
    _adapter(hub)
    hub.fail(f"/api/models/{SUBJECT}", 500, times=None)


# (case, world, stored node status, problem codes of the chain, a phrase of the reason)
SOURCE_FAILURES = [
    ("adapter config gated", _gated, NodeStatus.GATED, {GapCode.SOURCE_GATED}, "adapter_config.json is gated"),
    ("gated, token not granted", _gated_with_a_token, NodeStatus.GATED, {GapCode.SOURCE_GATED}, "is gated"),
    ("adapter config forbidden", _forbidden, NodeStatus.ERROR, {GapCode.SOURCE_FORBIDDEN}, "refused by the hub"),
    ("listed but missing", _missing, NodeStatus.ERROR, {GapCode.SOURCE_MISSING}, "listed but could not be found"),
    ("adapter config errors", _failing, NodeStatus.ERROR, {GapCode.SOURCE_ERROR}, "HTTP 503"),
    ("adapter config too large", _too_large, NodeStatus.ERROR, {GapCode.SOURCE_ERROR}, "larger than"),
    ("adapter config not JSON", _not_json, NodeStatus.ERROR, {GapCode.SOURCE_ERROR}, "not a JSON object"),
    ("too many adapter configs", _too_many_files, NodeStatus.RESOLVED, {GapCode.SOURCE_NOT_READ}, "2 more"),
    ("adapter names no base", _no_base_in_adapter, NodeStatus.RESOLVED, {GapCode.PARENT_UNUSABLE}, "no base_model"),
    ("parent is a local path", _local_path_parent, NodeStatus.RESOLVED, {GapCode.PARENT_UNUSABLE}, "local path"),
    (
        "fan-out limit",
        _five_thousand_parents,
        NodeStatus.RESOLVED,
        {GapCode.PARENTS_TRUNCATED},
        "followed 32 of 5,000 declared parents",
    ),
    ("metadata gated", _metadata_gated, NodeStatus.GATED, {Incomplete.GATED}, "gated"),
    ("repo gone", _gone, NodeStatus.NOT_FOUND, {Incomplete.NOT_FOUND}, "not found"),
    ("repo disabled", _disabled, NodeStatus.DISABLED, {Incomplete.DISABLED}, "disabled"),
    ("metadata errors", _metadata_failing, NodeStatus.ERROR, {Incomplete.ERROR}, "could not be fetched"),
]


@pytest.fixture(scope="module")
def hub():
    with FakeHub(repos_dir=None) as server:
        yield server


@pytest.fixture
def empty_hub(hub: FakeHub):
    for repo_id in hub.repo_ids():
        hub.remove_repo(repo_id)
    hub.clear_failures()
    hub.require_token(None)
    yield hub


def _client(hub: FakeHub, token: str = "") -> HubClient:
    return HubClient(endpoint=hub.url, token=token, timeout=2.0, max_retries=1, sleep=lambda _: None)


def _walk(snapshot: RepoSnapshot) -> tuple[str, Any]:
    """The subject fetched, stored the way the service stores it, and its ancestry (parents as resolved roots)."""
    discovery = discover_parents(snapshot)
    status, _ = node_outcome(snapshot, discovery.gaps)
    nodes = {SUBJECT: NodeInfo(SUBJECT, status=status, gaps=discovery.gaps)}
    parents = {SUBJECT: [EdgeInfo(p.repo_id, p.relation, p.source) for p in discovery.parents]}
    for claim in discovery.parents:
        nodes[claim.repo_id] = NodeInfo(claim.repo_id)
    return status, ancestry(SUBJECT, nodes, parents)


def test_every_source_read_makes_a_complete_chain(empty_hub: FakeHub) -> None:
    _adapter(empty_hub)
    status, found = _walk(_client(empty_hub).fetch(SUBJECT))
    assert status == NodeStatus.RESOLVED
    assert found.complete and found.roots == (BASE,)


@pytest.mark.parametrize(
    ("world", "status", "codes", "phrase"), [c[1:] for c in SOURCE_FAILURES], ids=[c[0] for c in SOURCE_FAILURES]
)
def test_a_source_that_was_not_read_makes_the_chain_incomplete(empty_hub, world, status, codes, phrase) -> None:
    world(empty_hub)
    token = TOKEN if world is _gated_with_a_token else ""

    stored, found = _walk(_client(empty_hub, token).fetch(SUBJECT))

    assert stored == status
    assert not found.complete
    assert SUBJECT not in found.roots  # a node whose parents may be unknown is never a root
    assert {p.code for p in found.problems if p.node == SUBJECT} == codes
    assert all(p.code in Incomplete.ALL for p in found.problems)
    assert any(phrase in reason for reason in found.incomplete_reasons), found.incomplete_reasons


# --- end to end: the CLI contract and the rating ---------------------------------------------------------


@pytest.mark.django_db
def test_a_gated_adapter_config_is_incomplete_in_the_json_and_the_rating(fake_hub, knowledge) -> None:
    """The issue's case: model_info public, adapter_config.json behind the gate."""
    from assessments.models import RiskRating
    from assessments.services import ratings_refresh
    from tests import factories

    fake_hub.add_repo(make_adapter("acme-labs/gated-lora", BASE))
    fake_hub.set_gated("acme-labs/gated-lora", "manual")
    usage = factories.ModelUsageFactory(model__name="acme-labs/gated-lora")

    out = _lineage_json("acme-labs/gated-lora")

    assert out["status"] == "incomplete"
    assert out["roots"] == [] and out["nodes"][0]["status"] == "gated"
    assert out["nodes"][0]["gaps"] == [
        {
            "code": "source_gated",
            "source": "adapter_config",
            "path": "adapter_config.json",
            "detail": "request access on the hub or set HF_TOKEN",
            "declared_exact": True,
        }
    ]
    assert out["problems"][0]["code"] == "source_gated" and out["problem_counts"] == {"source_gated": 1}
    assert "adapter_config.json is gated" in out["incomplete_reasons"][0]

    ratings_refresh()
    codes = {factor["code"] for factor in RiskRating.objects.get(usage=usage).factors}
    assert {"opacity.incomplete", "opacity.gated_ancestor"} <= codes


@pytest.mark.django_db
def test_a_truncated_parent_list_says_how_many_were_followed(fake_hub, knowledge) -> None:
    fake_hub.add_repo(make_record("acme-labs/wide", parents=[f"org{i}/m-{i}" for i in range(5000)]))
    out = _lineage_json("acme-labs/wide")
    assert out["status"] == "incomplete"
    assert out["nodes"][0]["status"] == "resolved"
    assert out["problem_counts"]["parents_truncated"] == 1
    assert "acme-labs/wide: followed 32 of 5,000 declared parents (fan-out limit)" in out["incomplete_reasons"]


@pytest.mark.django_db
def test_a_gated_source_read_later_completes_the_chain(fake_hub, knowledge) -> None:
    """The next refresh retries the source: once readable, the node resolves and the chain completes."""
    fake_hub.add_repo(make_adapter("acme-labs/gated-lora", BASE))
    fake_hub.set_gated("acme-labs/gated-lora", "manual")
    assert _lineage_json("acme-labs/gated-lora")["status"] == "incomplete"

    fake_hub.set_gated("acme-labs/gated-lora", False)
    out = _lineage_json("acme-labs/gated-lora")
    assert out["status"] == "complete" and out["roots"] == [BASE]
    assert out["nodes"][0]["gaps"] == []


def _lineage_json(repo_id: str) -> dict:
    from io import StringIO

    buffer = StringIO()
    call_command("lineage", repo_id, "--json", stdout=buffer)
    return json.loads(buffer.getvalue())


# --- property: failing or removing one source never completes an incomplete chain ------------------------

NAMES = [f"org/m{i}" for i in range(6)]
FAIL_KINDS = [
    SourceProblem.GATED,
    SourceProblem.FORBIDDEN,
    SourceProblem.MISSING,
    SourceProblem.ERROR,
    SourceProblem.NOT_READ,
]


@st.composite
def worlds(draw) -> dict[str, RepoSnapshot | None]:
    """Snapshots of a few repos naming parents among themselves through the card, the tags and adapter files;
    some fail outright (``None`` = metadata not read), some carry source failures already."""
    snapshots: dict[str, RepoSnapshot | None] = {}
    for index, name in enumerate(NAMES):
        if draw(st.integers(0, 9)) == 0:
            snapshots[name] = None
            continue
        later = [*NAMES[index + 1 :], "org/outside"] if draw(st.booleans()) else NAMES
        card = draw(st.lists(st.sampled_from(later), max_size=2, unique=True))
        tag_parents = draw(st.lists(st.sampled_from(later), max_size=2, unique=True))
        adapter = draw(st.none() | st.sampled_from(later))
        header = draw(st.none() | st.sampled_from(later))  # a GGUF header naming a base model
        failures = ()
        if draw(st.integers(0, 5)) == 0:
            failures = (SourceFailure(EvidenceSource.ADAPTER_CONFIG, "x/adapter_config.json",
                                      draw(st.sampled_from(FAIL_KINDS)), "already failing"),)  # fmt: skip
        snapshots[name] = RepoSnapshot(
            requested_id=name,
            repo_id=name,
            card_data={"base_model": card} if card else {},
            tags=tuple(f"base_model:{p}" for p in tag_parents),
            files={"adapter_config.json": adapter_config(adapter)} if adapter else {},
            siblings=(*(("adapter_config.json",) if adapter else ()), *(("m.gguf",) if header else ())),
            gguf_header={"general.base_model.0.repo_url": f"https://huggingface.co/{header}"} if header else {},
            gguf_file="m.gguf" if header else "",
            source_failures=failures,
        )
    return snapshots


def _chain(snapshots: dict[str, RepoSnapshot | None], start: str):
    """Fetch → discover → store → walk, purely: what the refresh and the report do, without HTTP or a database."""
    nodes: dict[str, NodeInfo] = {}
    parents: dict[str, list[EdgeInfo]] = {}
    for name, snapshot in snapshots.items():
        if snapshot is None:
            nodes[name] = NodeInfo(name, status=NodeStatus.ERROR)
            continue
        discovery = discover_parents(snapshot)
        status, _ = node_outcome(snapshot, discovery.gaps)
        nodes[name] = NodeInfo(name, status=status, gaps=discovery.gaps)
        parents[name] = [EdgeInfo(p.repo_id, p.relation, p.source) for p in discovery.parents]
    return ancestry(start, nodes, parents)


def _fail_one(snapshot: RepoSnapshot, how: str, kind: str) -> RepoSnapshot | None:
    if how == "metadata":
        return None
    if how == "adapter" and snapshot.files:  # the listed file could not be read: the client records why
        return replace(
            snapshot,
            files={"adapter_config.json": None},
            source_failures=(
                *snapshot.source_failures,
                SourceFailure(EvidenceSource.ADAPTER_CONFIG, "adapter_config.json", kind, "failed"),
            ),
        )
    if how == "gguf" and snapshot.gguf_header:  # the header was not read: the client records why
        return replace(
            snapshot,
            gguf_header={},
            source_failures=(*snapshot.source_failures, SourceFailure(EvidenceSource.GGUF, "m.gguf", kind, "failed")),
        )
    return replace(  # another source (a GGUF header, a subfolder adapter) failed
        snapshot,
        source_failures=(*snapshot.source_failures, SourceFailure(EvidenceSource.GGUF, "m.gguf", kind, "failed")),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    snapshots=worlds(),
    start=st.sampled_from(NAMES),
    target=st.sampled_from(NAMES),
    how=st.sampled_from(["metadata", "adapter", "gguf", "other"]),
    kind=st.sampled_from(FAIL_KINDS),
)
def test_failing_any_one_source_never_completes_an_incomplete_chain(snapshots, start, target, how, kind) -> None:
    before = _chain(snapshots, start)
    if snapshots[target] is None:
        return
    after = _chain({**snapshots, target: _fail_one(snapshots[target], how, kind)}, start)

    if not before.complete:
        assert not after.complete
    if target == start or target in before.ancestors:  # a failure anywhere on the chain is always seen
        assert not after.complete
        assert target not in after.roots
    assert set(after.roots) <= set(before.roots)  # a failure never makes a new root
