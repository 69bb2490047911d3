"""Rescoring through the real Redis broker and a real worker process: a lineage refresh and a new policy version
each enqueue a rescoring that a worker runs, with the result in the shared PostgreSQL database."""

import pytest

from assessments import selectors, services
from assessments.models import Finding, RiskRating
from tests import factories
from tests.services import wait_for
from vendors.models import LineageRefresh
from vendors.services import lineage

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.postgres]

QWEN_GGUF = "northwind-ai/contract-copilot-7b-GGUF"


def test_a_worker_rescores_after_a_refresh_and_after_a_new_policy_version(celery_worker_factory, fake_hub, knowledge):
    usage = factories.ModelUsageFactory(model__name=QWEN_GGUF)
    worker = celery_worker_factory()
    refresh = LineageRefresh.objects.create(scope="models", model_names=[QWEN_GGUF])
    lineage.lineage_refresh_run(refresh_id=refresh.pk)  # committed: its rescoring goes to the worker

    first = wait_for(
        lambda: RiskRating.objects.filter(usage=usage, is_current=True, inputs_as_of__isnull=False).first(),
        timeout=60.0,
    )
    assert first is not None, f"no rating: the worker's log:\n{worker.log()}"
    assert first.policy_version == 1
    assert Finding.objects.filter(usage=usage, code="origin.country_of_concern").exists()

    current = selectors.policy_current()
    moderate, high, _ = current.thresholds
    services.policy_version_create(
        policy=current.with_changes(thresholds=(moderate, high, high + 1)), note="Stricter critical tier", based_on=1
    )

    second = wait_for(
        lambda: RiskRating.objects.filter(usage=usage, is_current=True, policy_version=2).first(), timeout=60.0
    )
    assert second is not None, f"not rescored under version 2: the worker's log:\n{worker.log()}"
    assert second.score == first.score and second.tier == "critical"
    assert RiskRating.objects.filter(usage=usage, policy_version=1).exists()  # the history keeps version 1's


def test_a_large_rescoring_is_handed_out_in_parts_that_two_workers_share(celery_worker_factory):
    from vendors.models import ModelUsage

    usages = [factories.ModelUsageFactory(model__kind="closed") for _ in range(7)]  # rated without a lineage walk
    env = {"RATINGS_CHUNK_SIZE": "2"}  # 7 usages: parts of 2, 2, 2 and 1
    first = celery_worker_factory(extra_env=env, concurrency=1)
    second = celery_worker_factory(extra_env=env, concurrency=1)

    services.ratings_refresh_request()  # every usage, as a refresh of the portfolio asks

    rated = wait_for(lambda: RiskRating.objects.filter(is_current=True).count() == len(usages), timeout=90.0)
    assert rated, f"not every usage was rescored; the workers' logs:\n{first.log()}\n{second.log()}"
    assert RiskRating.objects.count() == ModelUsage.objects.count() == len(usages)  # one snapshot each, no overlap
    lines = (first.log() + second.log()).splitlines()
    done = [line for line in lines if "assessments.tasks.ratings_refresh[" in line and "succeeded" in line]
    assert len(done) == 1 + 4  # the request, which hands out the parts, then one task per part
