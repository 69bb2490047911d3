"""A portfolio refresh survives its worker being killed: a real worker is SIGKILLed in the middle of the walk,
another one picks the redelivered task up, and the stored graph ends complete with no duplicates.

The workers keep the deployed visibility timeout, above the tasks' time limit, so a task still running on a live
worker is never delivered a second time; the killed worker's task is put back as kombu does once that timeout has
passed (``tasks_redeliver_of_dead_worker``)."""

import re
import time
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.db.models.functions import Lower

from tests.fakehub import FakeHub
from tests.services import WorkerProcess, tasks_redeliver_of_dead_worker
from vendors.models import AIModel, ChangeEvent, LineageEdge, LineageRefresh
from vendors.services import lineage

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.postgres]


def _wait_for(predicate, timeout: float, what: str, *workers: WorkerProcess, refresh: LineageRefresh | None = None):
    """Wait for ``predicate``; on a timeout, say what was awaited with the workers' logs and the refresh's state as
    they are then (not as they were when the wait began)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.1)
    state = ""
    if refresh is not None:
        refresh.refresh_from_db()
        chunks = list(refresh.chunks.order_by("index").values_list("index", "worker", "done_at", "nodes_done"))
        state = f"\nrefresh: {refresh.status}, {refresh.nodes_done} nodes, error {refresh.error!r}; chunks: {chunks}"
    logs = "".join(f"\n--- {worker.name} ---\n{worker.log()}" for worker in workers)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{state}{logs}")


def _receipts(task: str, *workers: WorkerProcess) -> Counter:
    """How many times each ``vendors.tasks.<task>`` (by its Celery task id) was received, in these workers' logs."""
    logs = "".join(worker.log_path.read_text() for worker in workers)
    return Counter(re.findall(rf"Task vendors\.tasks\.{task}\[([0-9a-f-]+)\] received", logs))


def _graph():
    return (
        sorted(AIModel.objects.filter(kind="hub").values_list("name", "status", "sha")),
        sorted(LineageEdge.objects.values_list("child__name", "parent__name", "relation", "source")),
    )


def test_a_killed_worker_loses_nothing_and_duplicates_nothing(
    celery_worker_factory, settings, redis_server, celery_queue
):
    call_command("load_demo", verbosity=0)
    with FakeHub(latency=0.08) as hub:
        worker_env = {"HF_ENDPOINT": hub.url, "LINEAGE_CONCURRENCY": "2"}  # slow enough to be caught in the middle
        first = celery_worker_factory(extra_env=worker_env)
        refresh = lineage.lineage_refresh_request(scope=LineageRefresh.Scope.PORTFOLIO)

        def progressed():
            refresh.refresh_from_db()
            return refresh.status == "running" and refresh.nodes_done >= 25

        _wait_for(progressed, 60, "the first worker to get going", first, refresh=refresh)
        first.kill()
        refresh.refresh_from_db()
        assert refresh.status == "running", "the refresh finished before the worker could be killed"
        stored_when_killed = AIModel.objects.filter(kind="hub").exclude(fetched_at=None).count()

        # The unacknowledged task comes back, as it does once the visibility timeout has passed.
        assert tasks_redeliver_of_dead_worker(redis_server, celery_queue, died_at=time.time())
        second = celery_worker_factory(extra_env=worker_env)

        def finished():
            refresh.refresh_from_db()
            return refresh.status == "done"

        _wait_for(finished, 120, "the redelivered refresh to finish", first, second, refresh=refresh)
        after_recovery = _graph()
        # The task came back to the new worker, once: no copy of it ran beside it.
        assert list(_receipts("lineage_refresh", second).values()) == [1]

        settings.HF_ENDPOINT = hub.url
        hub.latency = 0  # the check run only compares graphs; the slow answers were for catching workers mid-walk
        rerun = LineageRefresh.objects.create(scope=LineageRefresh.Scope.PORTFOLIO)
        lineage.lineage_refresh_run(refresh_id=rerun.pk)

    assert stored_when_killed < len(after_recovery[0])  # killed in the middle, not at the end
    assert not AIModel.objects.filter(kind="hub", status="pending").exists()
    duplicates = AIModel.objects.annotate(l=Lower("name")).values("kind", "l").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()
    assert not LineageEdge.objects.values("child", "parent").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert _graph() == after_recovery  # a clean run finds exactly what the recovered run stored
    assert rerun.changes == 0


def test_a_large_refresh_is_shared_by_several_workers_and_survives_losing_one(
    celery_worker_factory, settings, redis_server, celery_queue
):
    call_command("load_demo", verbosity=0)
    with FakeHub(latency=0.25) as hub:
        worker_env = {
            "HF_ENDPOINT": hub.url,
            "LINEAGE_CONCURRENCY": "2",
            "LINEAGE_CHUNK_SIZE": "8",  # the demo's ~80 seed repos make ten chunks
        }
        doomed = celery_worker_factory(extra_env=worker_env, concurrency=1)
        steady = celery_worker_factory(extra_env=worker_env, concurrency=1)
        refresh = lineage.lineage_refresh_request(scope=LineageRefresh.Scope.PORTFOLIO)

        def doomed_mid_chunk():
            return refresh.chunks.filter(worker=doomed.name, done_at=None).exists()

        _wait_for(doomed_mid_chunk, 60, "a chunk to start on the first worker", doomed, steady, refresh=refresh)
        doomed.kill()
        orphaned = refresh.chunks.get(worker=doomed.name, done_at=None).pk
        # The killed worker's unacknowledged chunk comes back, as it does once the visibility timeout has passed;
        # the chunk the surviving worker is walking does not.
        redelivered = tasks_redeliver_of_dead_worker(redis_server, celery_queue, died_at=time.time(), alive=[steady])
        assert redelivered
        third = celery_worker_factory(extra_env=worker_env, concurrency=1)

        def finished():
            refresh.refresh_from_db()
            return refresh.status == "done"

        _wait_for(finished, 120, "the refresh to finish", doomed, steady, third, refresh=refresh)
        after_recovery = _graph()
        chunks = refresh.chunks.all()
        assert len(chunks) >= 8 and all(chunk.done_at for chunk in chunks)
        # The work was shared: the killed worker had started a chunk, and others walked the rest (which of the two
        # survivors did how much depends on how fast the third one starts).
        assert "lineage_refresh_chunk" in doomed.log()
        assert "lineage_refresh_chunk" in steady.log() + third.log()
        assert chunks.get(pk=orphaned).worker != doomed.name  # the killed worker's chunk was walked again
        # Each chunk's task was received once, but for what the killed worker held: no copy ran beside another.
        receipts = _receipts("lineage_refresh_chunk", doomed, steady, third)
        assert len(receipts) == len(chunks)
        assert {task for task, count in receipts.items() if count > 1} <= set(redelivered)
        assert max(receipts.values()) <= 2

        settings.HF_ENDPOINT = hub.url
        hub.latency = 0  # the check run only compares graphs; the slow answers were for catching workers mid-walk
        rerun = LineageRefresh.objects.create(scope=LineageRefresh.Scope.MODELS, model_names=list(
            AIModel.objects.filter(kind="hub", usages__isnull=False).values_list("name", flat=True).distinct()
        ))  # fmt: skip
        lineage.lineage_refresh_run(refresh_id=rerun.pk)

    assert not AIModel.objects.filter(kind="hub", status="pending").exists()
    assert not AIModel.objects.annotate(l=Lower("name")).values("kind", "l").annotate(n=Count("id")).filter(n__gt=1)
    assert not LineageEdge.objects.values("child", "parent").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert _graph() == after_recovery
    assert rerun.changes == 0


def test_workers_sharing_a_refresh_infer_a_parent_whose_base_a_later_chunk_fetched(celery_worker_factory):
    from tests import factories
    from tests.fakehub import make_silent
    from tests.test_lineage_inference import _inferred_rows

    for name in ("Aardvark-labs/silent-7b", "Qwen/Qwen2.5-7B-Instruct"):
        factories.ModelUsageFactory(model__name=name)
    with FakeHub() as hub:
        hub.add_repo(make_silent("Aardvark-labs/silent-7b"))  # sorts first: the first chunk's, its base the second's
        worker_env = {"HF_ENDPOINT": hub.url, "LINEAGE_CHUNK_SIZE": "1", "LINEAGE_REFERENCE_MODELS": ""}
        worker = celery_worker_factory(extra_env=worker_env, concurrency=2)
        refresh = lineage.lineage_refresh_request(scope=LineageRefresh.Scope.PORTFOLIO)

        def finished():
            refresh.refresh_from_db()
            return refresh.status not in ("queued", "running")

        _wait_for(finished, 120, "the refresh to finish", worker, refresh=refresh)

    assert refresh.status == "done", refresh.error
    assert refresh.chunks.count() == 2 and "lineage_refresh_chunk" in worker.log()
    assert [row[:4] for row in _inferred_rows()] == [
        ("Aardvark-labs/silent-7b", "Qwen/Qwen2.5-7B-Instruct", "finetune", "inferred:config")
    ]
    assert not ChangeEvent.objects.filter(kind__startswith="inferred_").exists()  # a first sight
