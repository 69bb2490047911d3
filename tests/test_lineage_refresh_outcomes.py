"""Honest refresh summaries: depth limits, cycles, truncations, gated and failed nodes count as problems in the CLI
and on the refresh page; a part of a refresh that raises is recorded as failed, the refresh ends ``partial`` or
``failed`` with the reason instead of running forever, and the next refresh walks it again (on a real worker)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests import factories
from tests.fakehub import FakeHub, make_adapter, make_chain, make_record
from tests.services import wait_for
from vendors.models import AIModel, LineageRefresh, LineageRefreshChunk
from vendors.selectors import problem_summary
from vendors.services import lineage


def test_problem_summary_reads_as_counts() -> None:
    assert problem_summary({}) == "no lineage problems"
    assert problem_summary({"cycle": 2, "depth_limit": 1, "source_gated": 1}) == (
        "2 cycles, 1 depth limit reached, 1 gated lineage file"
    )


@pytest.mark.django_db
def test_the_cli_counts_cycles_depth_limits_truncations_and_gated_files(fake_hub, settings, analyst_client) -> None:
    settings.LINEAGE_MAX_DEPTH = 3
    for record in make_chain("deep/m", depth=8):
        fake_hub.add_repo(record)
    fake_hub.add_repo(make_adapter("acme-labs/gated-lora", "Qwen/Qwen2.5-7B"))
    fake_hub.set_gated("acme-labs/gated-lora", "manual")
    fake_hub.add_repo(make_record("acme-labs/wide", parents=[f"org{i}/m-{i}" for i in range(40)]))
    for name in ("deep/m-7", "synthetic-loop/a", "acme-labs/gated-lora", "acme-labs/wide"):
        factories.ModelUsageFactory(model__name=name)

    out = StringIO()
    call_command("refresh_lineage", "--all", stdout=out, stderr=StringIO())

    summary = out.getvalue()
    assert "Refresh " in summary and " done: " in summary
    for words in ("1 cycle", "1 depth limit reached", "1 gated lineage file", "1 truncated parent list"):
        assert words in summary, summary
    refresh = LineageRefresh.objects.get()
    assert refresh.problems["cycle"] == 1 and refresh.problems["parents_truncated"] == 1
    page = analyst_client.get(f"/lineage/refreshes/{refresh.pk}/").content.decode()
    assert "1 gated lineage file" in page and "1 cycle" in page
    assert 'style="' not in page.split("<main")[1]


@pytest.mark.django_db
def test_a_part_that_raises_is_recorded_and_the_refresh_ends_failed(fake_hub) -> None:
    refresh = LineageRefresh.objects.create(scope="portfolio", status="running", started_at=timezone.now())
    chunk = LineageRefreshChunk.objects.create(refresh=refresh, index=0, seeds=[None])

    lineage.lineage_refresh_chunk_run(chunk_id=chunk.pk)

    chunk.refresh_from_db()
    refresh.refresh_from_db()
    assert chunk.done_at is not None and chunk.error.startswith("AttributeError")
    assert refresh.status == "failed" and refresh.finished_at is not None
    assert refresh.error.startswith("1 of 1 parts failed (the next refresh walks them again); part 1: AttributeError")


@pytest.mark.worker
@pytest.mark.redis
@pytest.mark.postgres
def test_a_failing_part_makes_a_partial_refresh_and_the_next_refresh_walks_it(celery_worker_factory) -> None:
    from vendors import tasks

    names = ["Qwen/Qwen2.5-7B-Instruct", "BAAI/bge-m3", "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"]
    for name in names:
        factories.ModelUsageFactory(model__name=name)
    with FakeHub() as hub:
        # The inference's reference bases: one the portfolio uses already, so the portfolio's seeds stay its own.
        env = {"HF_ENDPOINT": hub.url, "LINEAGE_CHUNK_SIZE": "2", "LINEAGE_REFERENCE_MODELS": names[0]}
        worker = celery_worker_factory(extra_env=env, concurrency=1)
        refresh = LineageRefresh.objects.create(scope="portfolio", status="running", started_at=timezone.now())
        good = LineageRefreshChunk.objects.create(refresh=refresh, index=0, seeds=names[:2])
        broken = LineageRefreshChunk.objects.create(refresh=refresh, index=1, seeds=[None, names[2]])
        tasks.lineage_refresh_chunk.delay(good.pk)
        tasks.lineage_refresh_chunk.delay(broken.pk)

        def finished():
            refresh.refresh_from_db()
            return refresh.status not in ("queued", "running")

        assert wait_for(finished, 90), f"the refresh did not finish; worker log:\n{worker.log()}"
        assert refresh.status == "partial"
        assert refresh.error.startswith("1 of 2 parts failed") and "part 2: AttributeError" in refresh.error
        assert AIModel.objects.get(name=names[2]).fetched_at is None  # its part never got to it

        again = lineage.lineage_refresh_request(scope=LineageRefresh.Scope.PORTFOLIO)

        def done():
            again.refresh_from_db()
            return again.status not in ("queued", "running")

        assert wait_for(done, 90), f"the next refresh did not finish; worker log:\n{worker.log()}"
    assert again.status == "done" and again.error == ""
    assert again.chunks.count() == 2 and not again.chunks.exclude(error="").exists()
    assert AIModel.objects.get(name=names[2]).status == "resolved"
