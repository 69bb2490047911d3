"""Bounded hub calls: a total deadline per request (a slow-drip hub cannot hold one for minutes), a cap on the
metadata read, retries that stay within a per-node budget, and "Refresh now" that answers at once in the embedded
mode while the refresh runs beside the web server."""

from __future__ import annotations

import threading
import time

import pytest
from huggingface_hub import constants

from tests import factories
from tests.fakehub import FakeHub, make_adapter, make_record
from vendors.hub import HubClient
from vendors.lineage import GapCode, NodeStatus, discover_parents
from vendors.models import LineageRefresh

BASE = "Qwen/Qwen2.5-7B"


@pytest.fixture(autouse=True)
def _no_telemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_TELEMETRY", True)


@pytest.fixture(scope="module")
def hub():
    with FakeHub() as server:
        yield server


@pytest.fixture
def clean_hub(hub: FakeHub):
    hub.clear_failures()
    yield hub
    hub.clear_failures()


class FakeClock:
    """Counts retry waits without waiting (the per-node budget is measured on it)."""

    def __init__(self) -> None:
        self.now, self.waits = 0.0, []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def _client(hub: FakeHub, **options) -> HubClient:
    return HubClient(endpoint=hub.url, token="", **{"timeout": 5.0, **options})


def test_a_slow_drip_hub_cannot_hold_a_request_past_its_deadline(clean_hub: FakeHub) -> None:
    clean_hub.fail(BASE, "drip", times=None, delay=0.2)  # every read answers well within the 5 s read timeout
    client = _client(clean_hub, request_deadline=1.0, node_budget=2.5, backoff_base=0.1, backoff_cap=0.2)

    started = time.monotonic()
    snapshot = client.fetch(BASE)
    elapsed = time.monotonic() - started

    assert snapshot.status == NodeStatus.ERROR
    assert "before the request's deadline" in snapshot.status_reason
    assert "per-node time budget of 2.5 s" in snapshot.status_reason
    assert elapsed < 4.5  # one body would take minutes at this pace


def test_a_slow_drip_lineage_file_is_a_failed_source(clean_hub: FakeHub) -> None:
    clean_hub.add_repo(make_adapter("acme/drip-lora", BASE))
    clean_hub.fail("/acme/drip-lora/resolve/", "drip", times=None, delay=0.2)
    client = _client(clean_hub, request_deadline=0.8, node_budget=3.0, max_retries=1, backoff_base=0.1)

    snapshot = client.fetch("acme/drip-lora")

    assert snapshot.status == NodeStatus.RESOLVED  # the metadata was read...
    gaps = discover_parents(snapshot).gaps
    assert [gap.code for gap in gaps] == [GapCode.SOURCE_ERROR]  # ...but not the file that names the base
    assert "deadline" in gaps[0].detail


def test_metadata_larger_than_the_cap_is_not_read_and_says_why(clean_hub: FakeHub) -> None:
    clean_hub.add_repo(
        make_record("acme/huge-card", filler=[{"path": "cardData.notes", "text": "x", "bytes": 3_000_000}])
    )
    clock = FakeClock()
    client = _client(clean_hub, max_metadata_bytes=1_048_576, sleep=clock.sleep, clock=clock)

    snapshot = client.fetch("acme/huge-card")

    assert snapshot.status == NodeStatus.ERROR
    assert snapshot.status_reason == "metadata not read: the hub's answer is larger than 1,048,576 bytes"
    assert clock.waits == []  # too large is final, not retried
    assert _client(clean_hub).fetch("acme/huge-card").status == NodeStatus.RESOLVED  # the default cap is larger


def test_retries_stop_within_the_per_node_budget(clean_hub: FakeHub) -> None:
    clean_hub.fail(BASE, 503, times=None, headers={"Retry-After": "7"})
    clock = FakeClock()
    client = _client(clean_hub, max_retries=10, node_budget=20.0, sleep=clock.sleep, clock=clock)

    snapshot = client.fetch(BASE)

    assert clock.waits == [7.0, 7.0]  # a third wait would end past 20 s
    assert snapshot.status == NodeStatus.ERROR
    assert snapshot.status_reason == (
        "hub answered HTTP 503; gave up after 3 attempts: the per-node time budget of 20 s would run out before "
        "the next one"
    )


@pytest.mark.django_db(transaction=True)
def test_refresh_now_answers_at_once_and_the_progress_page_follows_it(client, analyst, settings) -> None:
    settings.LINEAGE_REFRESH_BESIDE = True  # the embedded mode: no Redis, the refresh runs beside the web server
    usage = factories.ModelUsageFactory(model__name="northwind-ai/contract-copilot-7b-GGUF")
    client.force_login(analyst)
    client.get(f"/products/{usage.product.pk}/")  # the first request of a process imports the views: not timed
    with FakeHub(latency=1.0) as slow_hub:  # a chain of 4 generations: 4 s at the very least
        settings.HF_ENDPOINT, settings.HUB_TIMEOUT = slow_hub.url, 5.0
        started = time.monotonic()
        response = client.post("/lineage/refresh/", {"product": usage.product.pk})
        answered = time.monotonic() - started
        refresh = LineageRefresh.objects.get()

        def finished():
            refresh.refresh_from_db()
            return refresh.status not in ("queued", "running")

        try:
            assert refresh.status in ("queued", "running"), refresh.status  # answered before the walk ended
            assert answered < 3.0, answered
            assert response.status_code == 302 and response["Location"] == f"/lineage/refreshes/{refresh.pk}/"
            first = client.get(response["Location"]).content.decode()
            assert 'http-equiv="refresh"' in first  # still running: the page keeps following it
        finally:  # never leave the thread running past the test: it rescores after marking the refresh done
            for thread in threading.enumerate():
                if thread.name == f"lineage-refresh-{refresh.pk}":
                    thread.join(90)
            assert finished(), refresh.status
    assert refresh.status == "done" and refresh.nodes_done >= 5
    page = client.get(response["Location"]).content.decode()
    assert "Done" in page and 'http-equiv="refresh"' not in page
