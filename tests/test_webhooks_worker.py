"""End to end with a real Celery worker through the real Redis broker: a usage registered in a committed
transaction reaches a receiver on 127.0.0.1 signed (verified with the Standard Webhooks library); a 500 is
logged, and the retry handed over by the sweep is delivered by the worker with the same webhook-id."""

import pytest
from django.db import transaction
from django.utils import timezone

from tests import factories
from tests.services import wait_for
from tests.webhook_receiver import Answer, WebhookReceiver
from vendors import services as vendor_services
from webhooks import services
from webhooks.models import WebhookMessage

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.postgres]


def test_a_worker_delivers_an_event_and_its_retry(celery_worker_factory, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    with WebhookReceiver() as receiver:
        _, secret = services.endpoint_create(url=receiver.url, event_types=["lineage.changed"])
        receiver.secrets.append(secret)
        receiver.answer(Answer(500, "try later"))
        product = factories.ProductFactory(name="Contract Copilot")
        worker = celery_worker_factory(extra_env={"WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true"})

        with transaction.atomic():
            vendor_services.model_usage_register(
                product=product, model_kind="hub", model_name="acme/copilot-7b", role="primary", host=None,
                region=None, share=None, declared_by="analyst", resolve=False,
            )  # fmt: skip
            # Recorded with the fact (an outbox), delivered only after the commit.
            assert WebhookMessage.objects.filter(attempts=0).count() == 1

        failed = wait_for(lambda: WebhookMessage.objects.filter(attempts=1).first(), 60.0)
        assert failed is not None, f"not attempted: the worker's log:\n{worker.log()}"
        assert failed.status == "pending" and failed.last_status_code == 500
        assert failed.attempt_log.get().response_body == "try later"

        # The retry is due (as if its backoff had passed): the sweep hands it to the worker.
        WebhookMessage.objects.filter(pk=failed.pk).update(next_attempt_at=timezone.now())
        with transaction.atomic():
            assert services.messages_due_enqueue() == 1
        delivered = wait_for(lambda: WebhookMessage.objects.filter(pk=failed.pk, status="delivered").first(), 60.0)
        assert delivered is not None, f"retry not delivered: the worker's log:\n{worker.log()}"

    assert [r.headers["webhook-id"] for r in receiver.received] == [failed.message_id] * 2
    assert all(r.verified_with == [secret] for r in receiver.received)
    payload = receiver.received[-1].payload
    assert payload["type"] == "lineage.changed" and payload["data"]["product"]["id"] == product.pk
    assert delivered.attempts == 2 and [a.succeeded for a in delivered.attempt_log.order_by("number")] == [False, True]
