"""Messages: recording an event for each subscribed endpoint, delivering it (one attempt at a time, retried on a
schedule for about a day), the delivery log, the test event, and disabling an endpoint that keeps failing."""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from riskregistry.db.commits import commit_flushed
from riskregistry.roles import ADMIN
from webhooks import delivery, schedule, selectors, signing
from webhooks.models import TEST_EVENT, WebhookAttempt, WebhookEndpoint, WebhookMessage
from webhooks.payloads import Event, body
from webhooks.services.endpoints import endpoint_disable, secrets_in_force
from webhooks.targets import TargetRefused, url_check

logger = logging.getLogger(__name__)
_jitter = random.SystemRandom()
#: A message handed to a worker is not handed again for this long (its task may still be queued).
REQUEUE_AFTER = timedelta(minutes=5)
#: How many due messages one sweep hands to the workers.
SWEEP_BATCH = 1000


def _lease() -> timedelta:
    """While one worker attempts a message no other picks it up: the request's timeout and a margin."""
    return timedelta(seconds=settings.WEBHOOKS_TIMEOUT + 60)


@transaction.atomic
def events_publish(*, events: Sequence[Event]) -> list[WebhookMessage]:
    """A message per event and enabled endpoint subscribed to its type, delivered by the workers after commit."""
    if not events:
        return []
    now = timezone.now()
    endpoints: dict[str, list[WebhookEndpoint]] = {}
    messages = []
    for event in events:
        if event.type not in endpoints:
            endpoints[event.type] = selectors.endpoints_subscribed(event.type)
        text = body(event)
        messages += [
            WebhookMessage(
                endpoint=endpoint,
                message_id=signing.message_id_generate(),
                event_type=event.type,
                body=text,
                next_attempt_at=now,
                queued_at=now,
            )
            for endpoint in endpoints[event.type]
        ]
    return _enqueue(WebhookMessage.objects.bulk_create(messages))


def _enqueue(messages: list[WebhookMessage]) -> list[WebhookMessage]:
    from webhooks import tasks

    for message in messages:
        tasks.webhook_message_deliver.delay_on_commit(message.pk)
    return messages


@transaction.atomic
def endpoint_test_send(*, endpoint: WebhookEndpoint, by=None) -> WebhookMessage:
    """A ``webhook.test`` message to the endpoint (enabled or not), attempted once: whether the receiver gets it
    and verifies its signature shows in the delivery log."""
    now = timezone.now()
    event = Event(
        TEST_EVENT,
        now,
        {
            "endpoint": {"id": endpoint.pk, "url": selectors.api_url("webhook", endpoint.pk)},
            "requested_by": by.get_username() if getattr(by, "is_authenticated", False) else None,
            "note": "A test event sent from riskregistry: if its signature verifies, the endpoint is set up.",
        },
    )
    message = WebhookMessage.objects.create(
        endpoint=endpoint,
        message_id=signing.message_id_generate(),
        event_type=TEST_EVENT,
        body=body(event),
        next_attempt_at=now,
        queued_at=now,
    )
    _enqueue([message])
    return message


def messages_abandon(*, endpoint: WebhookEndpoint, reason: str, now: datetime) -> int:
    """Give up the endpoint's pending messages (it was disabled)."""
    return WebhookMessage.objects.filter(endpoint=endpoint, status=WebhookMessage.Status.PENDING).update(
        status=WebhookMessage.Status.FAILED, next_attempt_at=None, queued_at=None, last_error=reason, finished_at=now
    )


@transaction.atomic
def message_resend(*, message: WebhookMessage) -> WebhookMessage:
    """Try a delivered or failed message again (same webhook-id, same body), with a full retry schedule."""
    message = WebhookMessage.objects.select_for_update().select_related("endpoint").get(pk=message.pk)
    if message.status == WebhookMessage.Status.PENDING:
        return message
    if not message.endpoint.enabled and message.event_type != TEST_EVENT:
        raise ValidationError("The endpoint is disabled: enable it first.")
    now = timezone.now()
    message.status, message.next_attempt_at, message.queued_at = WebhookMessage.Status.PENDING, now, now
    message.finished_at = None
    message.attempts, message.last_error = 0, ""
    message.save(update_fields=["status", "next_attempt_at", "queued_at", "finished_at", "attempts", "last_error"])
    _enqueue([message])
    return message


def message_deliver(*, message_id: int, now: datetime | None = None) -> WebhookAttempt | None:
    """One attempt at a due message: claimed first (two workers never send it at once), sent with no
    transaction open, then recorded. None if it was not due (already delivered, given up or claimed)."""
    now = now or timezone.now()
    with transaction.atomic():
        commit_flushed()  # on disk before it is sent: the claim, and the commits that recorded the message
        claimed = WebhookMessage.objects.filter(
            pk=message_id, status=WebhookMessage.Status.PENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=now + _lease(), queued_at=None)
    if not claimed:
        return None
    message = WebhookMessage.objects.select_related("endpoint").filter(pk=message_id).first()
    if message is None:  # its endpoint was deleted meanwhile
        return None
    endpoint = message.endpoint
    if not endpoint.enabled and message.event_type != TEST_EVENT:
        messages_abandon(endpoint=endpoint, reason="Not sent: the endpoint is disabled.", now=now)
        return None
    headers = signing.signed_headers(
        message_id=message.message_id, body=message.body, secrets_in_force=secrets_in_force(endpoint, now), at=now
    )
    try:
        url_check(endpoint.url)
    except TargetRefused as error:
        outcome = delivery.Outcome(status=None, body="", error=f"Refused target: {error}"[:500], duration_ms=0)
    else:
        outcome = delivery.post(
            url=endpoint.url,
            body=message.body,
            headers=headers,
            timeout=settings.WEBHOOKS_TIMEOUT,
            allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS,
        )
    return attempt_record(message_id=message.pk, outcome=outcome, at=now)


@transaction.atomic
def attempt_record(*, message_id: int, outcome: delivery.Outcome, at: datetime) -> WebhookAttempt | None:
    """Log the attempt; the message is delivered, scheduled again, or failed for good; the endpoint's failure
    streak follows, and a streak long enough disables it (the admins are told)."""
    message = WebhookMessage.objects.select_for_update().filter(pk=message_id).first()
    if message is None:  # its endpoint was deleted meanwhile
        return None
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=message.endpoint_id)
    message.attempts += 1  # in this round (a message sent again starts a new round)
    logged = message.attempt_log.aggregate(last=Max("number"))["last"] or 0
    attempt = WebhookAttempt.objects.create(
        message=message,
        number=logged + 1,
        attempted_at=at,
        duration_ms=outcome.duration_ms,
        response_status=outcome.status,
        response_body=outcome.body,
        error=outcome.error or ("" if outcome.succeeded else f"The receiver answered {outcome.status}"),
        succeeded=outcome.succeeded,
    )
    message.last_status_code, message.last_error = outcome.status, attempt.error
    is_test = message.event_type == TEST_EVENT
    if outcome.succeeded:
        message.status, message.next_attempt_at, message.finished_at = WebhookMessage.Status.DELIVERED, None, at
    else:
        delay = None if is_test else schedule.retry_delay(message.attempts, _jitter.random())
        if delay is None:
            message.status, message.next_attempt_at, message.finished_at = WebhookMessage.Status.FAILED, None, at
        else:
            message.next_attempt_at = at + delay
    message.save(
        update_fields=["attempts", "last_status_code", "last_error", "status", "next_attempt_at", "finished_at"]
    )
    if not is_test:
        _streak_follow(endpoint, succeeded=outcome.succeeded, at=at)
    return attempt


def _streak_follow(endpoint: WebhookEndpoint, *, succeeded: bool, at: datetime) -> None:
    if succeeded:
        endpoint.failure_streak, endpoint.failing_since, endpoint.last_success_at = 0, None, at
        endpoint.save(update_fields=["failure_streak", "failing_since", "last_success_at"])
        return
    endpoint.failure_streak += 1
    endpoint.failing_since = endpoint.failing_since or at
    endpoint.last_failure_at = at
    endpoint.save(update_fields=["failure_streak", "failing_since", "last_failure_at"])
    span = timedelta(hours=settings.WEBHOOKS_DISABLE_AFTER_HOURS)
    if (
        endpoint.enabled
        and endpoint.failure_streak >= settings.WEBHOOKS_DISABLE_AFTER_FAILURES
        and at - endpoint.failing_since >= span
    ):
        endpoint_disable(endpoint=endpoint, reason=WebhookEndpoint.DisabledReason.FAILURES, now=at)
        _admins_notify(endpoint)


def _admins_notify(endpoint: WebhookEndpoint) -> None:
    """Email every active admin that the endpoint was disabled (after commit)."""
    from riskregistry.pdf import site_url

    recipients = sorted(
        set(
            get_user_model()
            .objects.filter(Q(groups__name=ADMIN) | Q(is_superuser=True), is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )
    if not recipients:
        logger.warning("Webhook endpoint %s disabled after repeated failures; no admin has an email", endpoint.pk)
        return
    link = site_url().rstrip("/") + endpoint.get_absolute_url()
    subject = f"[riskregistry] Webhook endpoint disabled: {endpoint}"[:200]
    text = (
        f"The webhook endpoint {endpoint.url} was disabled after {endpoint.failure_streak} failed delivery "
        f"attempts in a row since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC.\n\n"
        f"Pending messages were given up and no new events are sent to it. Check the receiver, send it a test "
        f"event, and enable it again at {link}\n"
    )
    transaction.on_commit(lambda: send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, recipients))


@transaction.atomic
def messages_due_enqueue(*, now: datetime | None = None) -> int:
    """Hand the messages whose next attempt is due to the workers (the retries; and any first attempt whose task
    was lost). Returns how many."""
    now = now or timezone.now()
    due = WebhookMessage.objects.filter(status=WebhookMessage.Status.PENDING, next_attempt_at__lte=now).filter(
        Q(queued_at__isnull=True) | Q(queued_at__lt=now - REQUEUE_AFTER)
    )
    ids = list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:SWEEP_BATCH])
    if ids:
        WebhookMessage.objects.filter(pk__in=ids).update(queued_at=now)
        from webhooks import tasks

        for pk in ids:
            tasks.webhook_message_deliver.delay_on_commit(pk)
    return len(ids)
