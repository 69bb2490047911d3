"""The change feed on PostgreSQL with real concurrent transactions: an event that commits after an event with a
higher id was already committed (ids are taken at insert, commits come later) still reaches a poller that read
the feed in between, once, and in a stable place."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests import factories
from tests.api import key_client
from vendors.models import ChangeEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _event(model, summary: str) -> ChangeEvent:
    return ChangeEvent.objects.create(kind="new_sha", model=model, summary=summary, occurred_at=timezone.now())


def _read(client, url: str) -> tuple[list[str], str]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    body = response.json()
    return [event["summary"] for event in body["results"]], body["next"]


def _read_until(client, cursor: str, count: int) -> tuple[list[str], str]:
    """Poll as an integration does until ``count`` events came. Events appear once every older transaction on the
    server has ended, and the test database's server may be running other databases' transactions."""
    seen, deadline = [], time.monotonic() + 120
    while len(seen) < count and time.monotonic() < deadline:
        page, cursor = _read(client, cursor)
        seen += page
        if len(seen) < count:
            time.sleep(0.2)
    return seen, cursor


def test_an_event_committing_after_a_higher_id_was_read_is_still_delivered(postgres, analyst):
    model = factories.AIModelFactory(name="acme/feed-7b", status="resolved")
    client = key_client(analyst, scope="read")
    before, cursor = _read(client, "/api/v1/changes/?page_size=50")
    assert before == []

    inserted, release, ids = threading.Event(), threading.Event(), {}

    def slow_transaction():
        try:
            with transaction.atomic():
                ids["slow"] = _event(model, "slow").pk  # its id is taken now...
                inserted.set()
                assert release.wait(30)  # ...and it commits only after the poller has read
        finally:
            connection.close()

    thread = threading.Thread(target=slow_transaction)
    thread.start()
    try:
        assert inserted.wait(30)
        fast = _event(model, "fast")  # autocommit: a higher id, committed first
        assert fast.pk > ids["slow"]
        assert not ChangeEvent.objects.filter(pk=ids["slow"]).exists()  # not committed: invisible to the poller
        assert ChangeEvent.objects.filter(pk=fast.pk).exists()
        # A feed paging by id alone would serve "fast" now and its cursor would pass "slow" for good.
        first, cursor = _read(client, cursor)
        assert first == [], "an event is held back while an older transaction that could still record one runs"
    finally:
        release.set()
        thread.join(30)
    assert not thread.is_alive()

    second, cursor = _read_until(client, cursor, 2)
    assert second == ["slow", "fast"]
    third, cursor = _read(client, cursor)
    assert third == []
    _event(model, "later")
    fourth, _cursor = _read_until(client, cursor, 1)
    assert fourth == ["later"]


def test_a_transaction_that_began_first_but_records_its_event_last_is_delivered_before_the_cursor_passes(
    postgres, analyst
):
    """The older transaction takes its id before the other records anything, yet inserts its event after it (a
    higher event id): the feed still delivers both, each once."""
    model = factories.AIModelFactory(name="acme/feed-8b", status="resolved")
    client = key_client(analyst, scope="read")
    _, cursor = _read(client, "/api/v1/changes/")
    began, go, done, commit = threading.Event(), threading.Event(), threading.Event(), threading.Event()

    def old_transaction():
        try:
            with transaction.atomic():
                factories.PublisherFactory(name="Began First")  # takes a transaction id now
                began.set()
                assert go.wait(30)
                _event(model, "old")
                done.set()
                assert commit.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=old_transaction)
    thread.start()
    try:
        assert began.wait(30)
        _event(model, "young")  # committed, lower event id than "old" will have
        seen, cursor = _read(client, cursor)
        assert seen == []  # the older transaction may still record an event
        go.set()
        assert done.wait(30)
        seen, cursor = _read(client, cursor)
        assert seen == []
    finally:
        go.set()
        commit.set()
        thread.join(30)
    seen, cursor = _read_until(client, cursor, 2)
    assert seen == ["old", "young"]  # in the order of the transactions that recorded them
    assert _read(client, cursor)[0] == []
