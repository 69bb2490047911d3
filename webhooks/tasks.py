"""Celery entry points for webhooks; the logic lives in webhooks.services."""

from celery import shared_task
from django.db import OperationalError

_TRANSIENT = {"autoretry_for": (OperationalError,), "retry_backoff": True, "retry_jitter": True, "max_retries": 3}


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, soft_time_limit=120, time_limit=150,
             **_TRANSIENT)  # fmt: skip
def webhook_message_deliver(message_id: int) -> None:
    """One attempt at a message, if it is due. Failed attempts are retried by ``webhook_messages_due`` on the
    message's own schedule (stored on the row, not in the broker), so a redelivered task does nothing."""
    from webhooks import services

    services.message_deliver(message_id=message_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, **_TRANSIENT)
def webhook_messages_due() -> None:
    """Beat, every few seconds: hand the messages whose next attempt is due to the workers."""
    from webhooks import services

    services.messages_due_enqueue()
