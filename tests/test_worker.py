"""A Celery round trip through the real Redis broker and a real worker process."""

import pytest

from riskregistry.models import WorkerHeartbeat
from riskregistry.tasks import worker_heartbeat
from tests.services import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.postgres]


def test_task_sent_through_redis_runs_in_a_worker_process_and_writes_the_database(celery_worker_factory):
    worker = celery_worker_factory()

    worker_heartbeat.delay()

    beat = wait_for(lambda: WorkerHeartbeat.objects.filter(hostname=worker.name, beats__gte=2).first())
    assert beat is not None, f"the task never ran in the worker; its log:\n{worker.log()}"
    assert beat.beats == 2  # one when the worker started, one from the task


def test_a_started_worker_shows_on_the_health_check_at_once(celery_worker_factory, client):
    worker = celery_worker_factory()
    assert wait_for(lambda: WorkerHeartbeat.objects.filter(hostname=worker.name).exists())

    body = client.get("/healthz").json()

    assert body["task_mode"] == "celery"
    assert worker.name in [w["hostname"] for w in body["workers"]]
