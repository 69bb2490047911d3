"""Change events for inferred parents: a refresh that adds, changes or drops a parent inferred for a model records
a change event labelled as inferred and not declared, announced like every supply-chain change (the webhooks'
outbox gets a ``lineage.changed`` message in the same transaction); a first sight records none."""

import json

import pytest

from tests import factories
from tests.api import key_client
from tests.fakehub import make_silent
from vendors.models import ChangeEvent, InferredEdge, LineageRefresh
from vendors.services import bom_versions_record, lineage
from vendors.services.inferred_changes import InferredParent, InferredState, inferred_changes
from webhooks import services as webhook_services
from webhooks.models import EventType, WebhookMessage

pytestmark = pytest.mark.django_db

INFERRED_KINDS = (
    ChangeEvent.Kind.INFERRED_PARENT_ADDED,
    ChangeEvent.Kind.INFERRED_PARENT_CHANGED,
    ChangeEvent.Kind.INFERRED_PARENT_REMOVED,
)


def _refresh(*names: str) -> LineageRefresh:
    refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.MODELS, model_names=list(names))
    return lineage.lineage_refresh_run(refresh_id=refresh.pk)


def _inferred_events() -> list[ChangeEvent]:
    return list(ChangeEvent.objects.filter(kind__in=INFERRED_KINDS).order_by("pk"))


def test_a_first_inference_is_no_change_and_a_rerun_records_nothing(fake_hub):
    fake_hub.add_repo(make_silent("acme-labs/silent-7b"))
    _refresh("Qwen/Qwen2.5-7B-Instruct", "acme-labs/silent-7b")
    assert InferredEdge.objects.filter(child__name="acme-labs/silent-7b").exists()
    assert _inferred_events() == []  # a first sight is not a change, as for declared parents
    _refresh("Qwen/Qwen2.5-7B-Instruct", "acme-labs/silent-7b")
    assert _inferred_events() == []


def test_a_changed_confidence_and_relation_is_recorded_sent_to_webhooks_and_in_the_feed(fake_hub, settings, analyst):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    fake_hub.add_repo(make_silent("acme-labs/silent-7b"))
    _refresh("Qwen/Qwen2.5-7B-Instruct", "acme-labs/silent-7b")
    edge = InferredEdge.objects.get(child__name="acme-labs/silent-7b")
    inferred = (edge.relation, round(edge.confidence, 2))
    # As an earlier inference (other references, another version of the module) had it.
    InferredEdge.objects.filter(pk=edge.pk).update(relation="unknown", confidence=0.55)
    endpoint, _ = webhook_services.endpoint_create(
        url="http://127.0.0.1:9/hook", event_types=[EventType.LINEAGE_CHANGED]
    )

    _refresh("Qwen/Qwen2.5-7B-Instruct", "acme-labs/silent-7b")
    [event] = _inferred_events()
    api = key_client(analyst, scope="read")
    assert event.kind == ChangeEvent.Kind.INFERRED_PARENT_CHANGED and event.model.name == "acme-labs/silent-7b"
    assert event.summary == (
        f"acme-labs/silent-7b's inferred parent Qwen/Qwen2.5-7B-Instruct changed from unknown, 0.55, inferred:config "
        f"to {inferred[0]}, {inferred[1]:.2f}, inferred:config; inferred, not declared"
    )
    assert event.details == {
        "parent": "Qwen/Qwen2.5-7B-Instruct",
        "inferred": True,
        "declared": False,
        "relation": inferred[0],
        "source": "inferred:config",
        "confidence": inferred[1],
        "old": {"relation": "unknown", "source": "inferred:config", "confidence": 0.55},
    }
    assert event.get_kind_display() == "Inferred parent changed (not declared)"
    # The outbox: the webhook message was recorded with the event, in its transaction.
    [message] = WebhookMessage.objects.filter(endpoint=endpoint)
    body = json.loads(message.body)
    assert body["type"] == "lineage.changed" and body["data"]["kind"] == "inferred_parent_changed"
    assert body["data"]["change"]["id"] == event.pk and "inferred, not declared" in body["data"]["summary"]
    # The change feed serves it, filterable by its kind, with its details.
    rows = api.get("/api/v1/changes/", {"kind": "inferred_parent_changed"}).json()["results"]
    assert [(r["id"], r["kind"], r["details"]["declared"]) for r in rows] == [(event.pk, event.kind, False)]


def test_a_parent_now_declared_drops_the_inferred_one_and_a_dropped_declaration_brings_it_back(fake_hub):
    fake_hub.add_repo(make_silent("acme-labs/silent-7b"))
    usage = factories.ModelUsageFactory(model__name="acme-labs/silent-7b")
    _refresh("Qwen/Qwen2.5-7B-Instruct", "acme-labs/silent-7b")
    confidence = round(InferredEdge.objects.get(child__name="acme-labs/silent-7b").confidence, 2)
    [first] = bom_versions_record(product_ids=[usage.product_id])
    assert first.graph["inferred"][0][:4] == ["acme-labs/silent-7b", "Qwen/Qwen2.5-7B-Instruct", "finetune",
                                              "inferred:config"]  # fmt: skip

    fake_hub.add_repo(make_silent("acme-labs/silent-7b", cardData={"base_model": "Qwen/Qwen2.5-7B-Instruct"}))
    _refresh("acme-labs/silent-7b")
    assert not InferredEdge.objects.filter(child__name="acme-labs/silent-7b").exists()
    # Retired, not erased: kept with the time and the reason, out of the current lineage.
    [retired] = InferredEdge.history.filter(child__name="acme-labs/silent-7b")
    assert retired.retired_reason == "parent_named" and retired.retired_at is not None
    assert (retired.parent.name, round(retired.confidence, 2)) == ("Qwen/Qwen2.5-7B-Instruct", confidence)
    assert not usage.model.inferred_parent_edges.exists()
    [dropped] = _inferred_events()
    assert dropped.kind == ChangeEvent.Kind.INFERRED_PARENT_REMOVED
    assert dropped.summary == (
        "acme-labs/silent-7b is no longer inferred to derive from Qwen/Qwen2.5-7B-Instruct (was finetune, "
        f"{confidence:.2f}, inferred:config); inferred, not declared"
    )
    assert dropped.details["old"] == {"relation": "finetune", "source": "inferred:config", "confidence": confidence}
    # The declared parent is its own change, recorded by the walk as always.
    assert ChangeEvent.objects.filter(kind=ChangeEvent.Kind.PARENT_ADDED, model__name="acme-labs/silent-7b").exists()
    # The product's next BOM version has the declared edge and no inferred one, and names the change.
    [second] = bom_versions_record(product_ids=[usage.product_id])
    assert "inferred" not in second.graph and second.graph["edges"]
    assert dropped.summary in second.changes

    fake_hub.add_repo(make_silent("acme-labs/silent-7b"))
    _refresh("acme-labs/silent-7b")
    added = _inferred_events()[-1]
    assert added.kind == ChangeEvent.Kind.INFERRED_PARENT_ADDED
    assert added.summary == (
        "acme-labs/silent-7b is now inferred to derive from Qwen/Qwen2.5-7B-Instruct (finetune, "
        f"{confidence:.2f}, inferred:config); inferred, not declared"
    )
    assert added.details["declared"] is False and added.details["confidence"] == confidence
    # The parent inferred again is a new edge; the retired one stays as it was.
    history = InferredEdge.history.filter(child__name="acme-labs/silent-7b").order_by("pk")
    assert [(edge.pk, edge.retired_reason) for edge in history] == [(retired.pk, "parent_named"), (history[1].pk, "")]
    assert InferredEdge.objects.get(child__name="acme-labs/silent-7b").pk == history[1].pk


def _state(known, *edges, ids=(1, 2, 3)) -> InferredState:
    return InferredState(
        model_ids=frozenset(ids),
        known=frozenset(known),
        edges={(child, parent): InferredParent(f"m{child}", f"p{parent}", *rest) for child, parent, *rest in edges},
    )


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (_state({1}), _state({1}, (1, 9, "finetune", "inferred:config", 0.9)), [("inferred_parent_added", 1)]),
        (_state({1}, (1, 9, "finetune", "inferred:config", 0.9)), _state({1}), [("inferred_parent_removed", 1)]),
        (
            _state({1}, (1, 9, "finetune", "inferred:config", 0.9)),
            _state({1}, (1, 9, "finetune", "inferred:config", 0.91)),
            [("inferred_parent_changed", 1)],
        ),
        (
            _state({1}, (1, 9, "finetune", "inferred:config", 0.9)),
            _state({1}, (1, 9, "finetune", "inferred:readme", 0.9)),
            [("inferred_parent_changed", 1)],
        ),
        (
            _state({1}, (1, 9, "finetune", "inferred:config", 0.9)),
            _state({1}, (1, 9, "finetune", "inferred:config", 0.9)),
            [],
        ),
        # Never fingerprinted before this refresh: a first sight, not a change.
        (_state(set()), _state({2}, (2, 9, "finetune", "inferred:config", 0.9)), []),
        (
            _state({1, 2}, (1, 9, "merge", "inferred:config", 0.7)),
            _state({1, 2}, (1, 8, "merge", "inferred:config", 0.7), (2, 9, "unknown", "inferred:tokenizer", 0.6)),
            [("inferred_parent_removed", 1), ("inferred_parent_added", 1), ("inferred_parent_added", 2)],
        ),
    ],
)
def test_inferred_changes_between_two_states(before, after, expected):
    found = [(kind, child) for kind, child, _, _ in inferred_changes(before, after)]
    assert sorted(found) == sorted(expected)
