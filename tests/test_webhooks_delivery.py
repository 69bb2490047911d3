"""Webhook delivery against a real receiver on 127.0.0.1 that verifies signatures with the Standard Webhooks
library: events from the services reach it after commit, signed; 500s and timeouts are retried on the backoff
schedule and logged; redirects are not followed; an endpoint that keeps failing is disabled and the admins
emailed; a rotated secret keeps the old one signing for its grace period."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tests import factories
from tests.webhook_receiver import Answer, WebhookReceiver
from vendors import services as vendor_services
from webhooks import schedule, services
from webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from webhooks.services.messages import REQUEUE_AFTER

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOKS_TIMEOUT = 2.0
    with WebhookReceiver() as receiver:
        yield receiver


def _endpoint(receiver, types=("lineage.changed",), **options):
    endpoint, secret = services.endpoint_create(url=receiver.url, event_types=list(types), **options)
    receiver.secrets.append(secret)
    return endpoint, secret


def _test_message(endpoint):
    """A lineage.changed message for the endpoint, recorded but not yet attempted."""
    from webhooks.payloads import Event

    event = Event("lineage.changed", timezone.now(), {"change": {"id": 1}})
    (message,) = services.events_publish(events=[event])
    return message


def test_a_usage_registered_reaches_the_receiver_signed_after_commit(receiver, django_capture_on_commit_callbacks):
    endpoint, secret = _endpoint(receiver)
    _endpoint(receiver, types=("rating.changed",))  # subscribed to something else: gets nothing
    product = factories.ProductFactory(name="Contract Copilot")

    with django_capture_on_commit_callbacks(execute=True):
        usage = vendor_services.model_usage_register(
            product=product, model_kind="hub", model_name="acme/copilot-7b", role="primary", host=None,
            region=None, share=None, declared_by="analyst", resolve=False,
        )  # fmt: skip

    (received,) = receiver.received
    assert received.verified_with == [secret]
    assert received.headers["webhook-id"].startswith("msg_")
    assert abs(int(received.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    payload = received.payload
    assert payload["type"] == "lineage.changed" and payload["timestamp"].endswith("Z")
    data = payload["data"]
    assert data["kind"] == "usage_added" and data["product"]["id"] == product.pk
    assert data["product"]["url"] == f"http://127.0.0.1:8000/api/v1/products/{product.pk}/"
    assert data["vendor"]["id"] == product.vendor_id and data["model"]["id"] == usage.model_id
    assert data["change"]["url"].endswith(f"/api/v1/changes/{data['change']['id']}/")
    message = WebhookMessage.objects.get()
    assert message.endpoint == endpoint and message.status == "delivered" and message.attempts == 1
    assert message.message_id == received.headers["webhook-id"] and json.loads(message.body) == payload
    attempt = message.attempt_log.get()
    assert attempt.succeeded and attempt.response_status == 200 and attempt.response_body == "ok"
    endpoint.refresh_from_db()
    assert endpoint.last_success_at is not None and endpoint.failure_streak == 0


def test_the_message_commits_with_the_fact_and_a_rollback_leaves_none(receiver, django_capture_on_commit_callbacks):
    from django.db import transaction

    _endpoint(receiver)
    product = factories.ProductFactory()

    def register(name):
        vendor_services.model_usage_register(
            product=product, model_kind="hub", model_name=name, role="primary", host=None, region=None,
            share=None, declared_by="analyst", resolve=False,
        )  # fmt: skip

    with django_capture_on_commit_callbacks(execute=False), pytest.raises(RuntimeError), transaction.atomic():
        register("acme/x")
        assert WebhookMessage.objects.count() == 1  # recorded in the same transaction (an outbox)
        raise RuntimeError("the write fails after the fact was announced")
    assert WebhookMessage.objects.count() == 0 and receiver.received == []

    # Committed but its delivery task lost (a crash right after the commit): the message is kept, and the sweep
    # hands it to the workers once the requeue delay has passed.
    with django_capture_on_commit_callbacks(execute=False):
        register("acme/y")
    (message,) = WebhookMessage.objects.all()
    assert message.status == WebhookMessage.Status.PENDING and receiver.received == []
    later = timezone.now() + REQUEUE_AFTER + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.messages_due_enqueue(now=later) == 1
    assert [m.headers["webhook-id"] for m in receiver.received] == [message.message_id]


def test_a_500_is_retried_on_the_schedule_with_the_same_id_and_logged(receiver):
    endpoint, _ = _endpoint(receiver)
    receiver.answer(Answer(500, "upstream exploded " + "x" * 5000), Answer(200, "thanks"))
    message = _test_message(endpoint)
    now = timezone.now()

    first = services.message_deliver(message_id=message.pk, now=now)
    message.refresh_from_db()
    assert not first.succeeded and first.response_status == 500 and first.error == "The receiver answered 500"
    assert first.response_body.startswith("upstream exploded") and len(first.response_body) == 1000
    assert message.status == "pending" and message.attempts == 1
    wait = message.next_attempt_at - now
    assert timedelta(seconds=24) <= wait <= timedelta(seconds=36)  # 30 s ± 20%
    assert services.message_deliver(message_id=message.pk, now=now) is None  # not due yet: nothing sent
    assert len(receiver.received) == 1

    second = services.message_deliver(message_id=message.pk, now=message.next_attempt_at)
    message.refresh_from_db()
    assert second.succeeded and second.number == 2 and message.status == "delivered"
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert ids == {message.message_id}
    assert [a.response_status for a in WebhookAttempt.objects.order_by("number")] == [500, 200]


def test_a_timeout_is_a_failed_attempt_and_retried(receiver, settings):
    settings.WEBHOOKS_TIMEOUT = 0.5
    endpoint, _ = _endpoint(receiver)
    receiver.answer(Answer(200, delay=2.0))
    message = _test_message(endpoint)

    attempt = services.message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert not attempt.succeeded and attempt.response_status is None
    assert attempt.error == "Timed out after 0.5 s" and attempt.duration_ms < 1500
    assert message.status == "pending" and message.next_attempt_at > timezone.now()


def test_redirects_are_not_followed(receiver):
    endpoint, _ = _endpoint(receiver)
    receiver.answer(Answer(302, location="http://127.0.0.1:9/elsewhere"))
    attempt = services.message_deliver(message_id=_test_message(endpoint).pk)
    assert not attempt.succeeded and attempt.response_status == 302
    assert attempt.error == "Redirects are not followed (Location: http://127.0.0.1:9/elsewhere)"
    assert len(receiver.received) == 1


def test_a_message_fails_for_good_after_its_last_attempt(receiver, settings):
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 1000
    endpoint, _ = _endpoint(receiver)
    receiver.answer(*[Answer(503)] * schedule.ATTEMPTS)
    message = _test_message(endpoint)
    first_at = timezone.now()
    for _ in range(schedule.ATTEMPTS):
        message.refresh_from_db()
        assert message.status == "pending"
        assert services.message_deliver(message_id=message.pk, now=message.next_attempt_at) is not None
    message.refresh_from_db()
    assert message.status == "failed" and message.attempts == schedule.ATTEMPTS and message.next_attempt_at is None
    assert timedelta(hours=20) < message.finished_at - first_at < timedelta(hours=31)  # about a day
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failure_streak == schedule.ATTEMPTS


def test_an_endpoint_failing_for_a_day_is_disabled_and_its_pending_messages_given_up(receiver, settings):
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 3
    settings.WEBHOOKS_DISABLE_AFTER_HOURS = 24
    endpoint, _ = _endpoint(receiver, description="GRC bridge")
    receiver.answer(*[Answer(500)] * 10)
    failing, waiting = _test_message(endpoint), _test_message(endpoint)
    start = timezone.now()
    # Three failures within an hour: a streak, but not a day long yet.
    for minutes in (0, 1, 2):
        WebhookMessage.objects.filter(pk=failing.pk).update(next_attempt_at=start)
        services.message_deliver(message_id=failing.pk, now=start + timedelta(minutes=minutes))
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failure_streak == 3

    later = start + timedelta(hours=25)
    WebhookMessage.objects.filter(pk=failing.pk).update(next_attempt_at=later)
    services.message_deliver(message_id=failing.pk, now=later)
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_reason == "failures" and endpoint.disabled_by_failures
    waiting.refresh_from_db()
    assert waiting.status == "failed" and "disabled" in waiting.last_error
    # Disabled: new events are not recorded for it.
    from webhooks.payloads import Event

    assert services.events_publish(events=[Event("lineage.changed", later, {})]) == []


def test_the_disable_email_goes_to_the_admins_after_commit(
    receiver, settings, admin_user, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 1
    settings.WEBHOOKS_DISABLE_AFTER_HOURS = 0
    admin_user.email = "ada@example.com"
    admin_user.save()
    factories.UserFactory(username="ana", role="analyst", email="ana@example.com")
    endpoint, _ = _endpoint(receiver)
    receiver.answer(Answer(500))
    with django_capture_on_commit_callbacks(execute=True):
        services.message_deliver(message_id=_test_message(endpoint).pk)
    (email,) = mail.outbox
    assert email.to == ["ada@example.com"] and "disabled" in email.subject
    assert receiver.url in email.body and f"/webhooks/{endpoint.pk}/" in email.body


def test_a_rotated_secret_keeps_the_old_one_signing_for_the_grace_period(receiver):
    endpoint, old = _endpoint(receiver)
    endpoint, new = services.endpoint_secret_rotate(endpoint=endpoint, grace=timedelta(hours=1))
    receiver.secrets.append(new)
    assert new != old and new.startswith("whsec_")

    services.message_deliver(message_id=_test_message(endpoint).pk)
    during = receiver.received[-1]
    assert set(during.verified_with) == {old, new} and len(during.headers["webhook-signature"].split(" ")) == 2

    endpoint.refresh_from_db()
    assert services.secrets_in_force(endpoint, timezone.now() + timedelta(hours=2)) == [new]
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(previous_secret_expires_at=timezone.now())
    services.message_deliver(message_id=_test_message(endpoint).pk)
    after = receiver.received[-1]
    assert after.verified_with == [new] and len(after.headers["webhook-signature"].split(" ")) == 1


def test_a_rotation_without_grace_retires_the_old_secret_at_once(receiver):
    endpoint, _old = _endpoint(receiver)
    endpoint, new = services.endpoint_secret_rotate(endpoint=endpoint, grace=timedelta(0))
    receiver.secrets.append(new)
    services.message_deliver(message_id=_test_message(endpoint).pk)
    assert receiver.received[-1].verified_with == [new]


def test_the_test_event_is_tried_once_and_leaves_the_streak_alone(receiver, django_capture_on_commit_callbacks):
    endpoint, secret = _endpoint(receiver)
    services.endpoint_disable(endpoint=endpoint)
    receiver.answer(Answer(500))
    with django_capture_on_commit_callbacks(execute=True):
        message = services.endpoint_test_send(endpoint=endpoint)
    message.refresh_from_db()
    assert message.status == "failed" and message.attempts == 1
    assert receiver.received[0].payload["type"] == "webhook.test"
    assert receiver.received[0].verified_with == [secret]
    endpoint.refresh_from_db()
    assert endpoint.failure_streak == 0


def test_due_messages_are_handed_to_the_workers_once(receiver, django_capture_on_commit_callbacks):
    endpoint, _ = _endpoint(receiver)
    message = _test_message(endpoint)
    WebhookMessage.objects.filter(pk=message.pk).update(queued_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.messages_due_enqueue() == 1
    assert services.messages_due_enqueue() == 0  # delivered: nothing due
    message.refresh_from_db()
    assert message.status == "delivered" and len(receiver.received) == 1


def test_a_failed_message_sent_again_gets_a_fresh_schedule_and_keeps_its_log(receiver):
    endpoint, _ = _endpoint(receiver)
    receiver.answer(Answer(500))
    message = _test_message(endpoint)
    WebhookMessage.objects.filter(pk=message.pk).update(attempts=schedule.ATTEMPTS - 1)
    services.message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "failed"

    services.message_resend(message=message)
    services.message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == "delivered" and message.attempts == 1
    assert [a.number for a in message.attempt_log.order_by("number")] == [1, 2]
    assert {r.headers["webhook-id"] for r in receiver.received} == {message.message_id}


def test_the_retries_command_sends_what_is_due_and_prints_how_many(
    receiver, capsys, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    endpoint, _ = _endpoint(receiver)
    receiver.answer(Answer(500))
    message = _test_message(endpoint)
    services.message_deliver(message_id=message.pk)
    WebhookMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        call_command("webhook_retries")  # without Redis, it delivers in this process (after its commit)
    assert capsys.readouterr().out.strip().splitlines()[-1] == "1"
    message.refresh_from_db()
    assert message.status == "delivered" and len(receiver.received) == 2


def test_a_large_answer_is_a_success_and_only_its_start_is_kept(receiver):
    endpoint, _ = _endpoint(receiver)
    receiver.answer(Answer(200, "<html>" + "x" * 300_000))
    attempt = services.message_deliver(message_id=_test_message(endpoint).pk)
    assert attempt.succeeded and len(attempt.response_body) == 1000 and attempt.response_body.startswith("<html>")


@pytest.mark.django_db(transaction=True)
def test_a_message_is_claimed_with_a_commit_that_waits_for_the_disk_before_it_is_sent(receiver, postgres, monkeypatch):
    """Sent from inside a run whose commits skip the flush (a lineage walk with the tasks in-process), the claim's
    commit still waits for it: what the message reports is on disk before it leaves."""
    from django.db import connection

    from riskregistry.db.commits import commits_unflushed
    from webhooks import delivery

    endpoint, _ = _endpoint(receiver)
    sent, post = [], delivery.post
    monkeypatch.setattr(delivery, "post", lambda **kwargs: sent.append("POST") or post(**kwargs))

    def record(execute, sql, params, many, context):
        flushed = "SET LOCAL synchronous_commit TO ON" in sql
        sent.append("flushed" if flushed else sql.split(" ")[0] + " " + sql.split('"')[1] if '"' in sql else sql)
        return execute(sql, params, many, context)

    with commits_unflushed(), connection.execute_wrapper(record):
        _test_message(endpoint)  # recorded, and sent by the task it asks for when it commits (in-process here)
    assert len(receiver.received) == 1 and WebhookMessage.objects.get().status == WebhookMessage.Status.DELIVERED
    claim = sent.index("UPDATE webhooks_webhookmessage")
    assert sent[claim - 1] == "flushed"  # the claim's transaction waits for the disk at its commit
    assert claim < sent.index("POST")
