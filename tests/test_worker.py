"""A Celery round trip through the real Redis broker and a real worker process."""

import time

import pytest

from riskregistry.models import WorkerHeartbeat
from riskregistry.tasks import worker_heartbeat

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.postgres]


def _wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.2)
    return None


def test_task_sent_through_redis_runs_in_a_worker_process_and_writes_the_database(celery_worker_factory):
    worker = celery_worker_factory()

    worker_heartbeat.delay()

    beat = _wait_for(lambda: WorkerHeartbeat.objects.filter(hostname=worker.name, beats__gte=2).first())
    assert beat is not None, f"the task never ran in the worker; its log:\n{worker.log()}"
    assert beat.beats == 2  # one when the worker started, one from the task


def test_a_started_worker_shows_on_the_health_check_at_once(celery_worker_factory, client):
    worker = celery_worker_factory()
    assert _wait_for(lambda: WorkerHeartbeat.objects.filter(hostname=worker.name).exists())

    body = client.get("/healthz").json()

    assert body["task_mode"] == "celery"
    assert worker.name in [w["hostname"] for w in body["workers"]]
