"""Rating snapshots: scored from the stored lineage after a refresh, stored only when they change."""

import pytest

from assessments.models import RiskRating
from assessments.services import ratings_refresh
from tests import factories
from vendors.models import AIModel, LineageRefresh
from vendors.services import lineage

pytestmark = pytest.mark.django_db


def _resolve(*names):
    refresh = LineageRefresh.objects.create(scope="models", model_names=list(names))
    lineage.lineage_refresh_run(refresh_id=refresh.pk)


def test_a_us_product_on_a_qwen_base_is_rated_with_the_path_as_evidence(fake_hub, knowledge):
    usage = factories.ModelUsageFactory(model__name="northwind-ai/contract-copilot-7b-GGUF")
    _resolve(usage.model.name)

    assert ratings_refresh() == 1

    rating = RiskRating.objects.get(usage=usage)
    codes = [factor["code"] for factor in rating.factors]
    assert "origin.country_of_concern" in codes and rating.tier in ("moderate", "high", "critical")
    origin = next(f for f in rating.factors if f["code"] == "origin.country_of_concern")
    assert "Qwen/Qwen2.5-7B" in origin["reason"]
    assert any("→ Qwen/Qwen2.5-7B" in line for line in origin["evidence"])
    assert rating.policy_version == 1 and rating.inputs_as_of is not None


def test_a_new_snapshot_only_when_the_rating_changes(fake_hub, knowledge):
    usage = factories.ModelUsageFactory(model__name="Qwen/Qwen2.5-7B-Instruct")
    _resolve(usage.model.name)
    ratings_refresh()
    assert ratings_refresh() == 0  # nothing changed

    usage.model.refresh_from_db()
    usage.model.change_events.create(kind="new_sha", summary="new revision", occurred_at=usage.model.fetched_at)
    assert ratings_refresh() == 1  # an unacknowledged supply-chain change
    assert RiskRating.objects.filter(usage=usage).count() == 2


def test_rescoring_runs_after_a_lineage_refresh(fake_hub, knowledge, django_capture_on_commit_callbacks):
    usage = factories.ModelUsageFactory(model__name="deepseek-ai/DeepSeek-R1-Distill-Qwen-7B")
    with django_capture_on_commit_callbacks(execute=True):
        _resolve(usage.model.name)
    assert RiskRating.objects.filter(usage=usage).exists()


def test_rescoring_uses_a_fixed_number_of_queries_whatever_the_portfolio(
    fake_hub, knowledge, django_assert_max_num_queries
):
    usages = [factories.ModelUsageFactory(model__name=name) for name in ("Qwen/Qwen2.5-7B", "BAAI/bge-m3")]
    _resolve("Qwen/Qwen2.5-7B", "BAAI/bge-m3")
    for _ in range(30):
        factories.ModelUsageFactory(model=usages[0].model)
    with django_assert_max_num_queries(40):
        assert ratings_refresh() == 32


def test_the_product_page_shows_each_usage_rating_and_the_worst(analyst_client, fake_hub, knowledge):
    usage = factories.ModelUsageFactory(model__name="deepseek-ai/DeepSeek-R1-Distill-Qwen-7B")
    factories.ModelUsageFactory(product=usage.product, model__name="openai/gpt-oss-20b", role="fallback")
    _resolve("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "openai/gpt-oss-20b")
    ratings_refresh()
    worst = max(RiskRating.objects.all(), key=lambda r: r.score)

    page = analyst_client.get(f"/products/{usage.product.pk}/").content.decode()

    assert f"{worst.get_tier_display()} · {worst.score}" in page
    assert "its riskiest model usage" in page and "country of concern" in page


def test_a_new_usage_is_rated_once_its_lineage_is_fetched_not_before(fake_hub, knowledge):
    usage = factories.ModelUsageFactory(model__name="Qwen/Qwen2.5-7B-Instruct")  # pending, never fetched
    closed = factories.ModelUsageFactory(model=AIModel.objects.get(kind="closed", name="gpt-4o"))  # catalogue

    assert ratings_refresh() == 1  # the closed model only: it has nothing on the hub to wait for
    assert not RiskRating.objects.filter(usage=usage).exists()
    assert RiskRating.objects.filter(usage=closed).exists()

    _resolve(usage.model.name)
    assert ratings_refresh() == 1
    assert RiskRating.objects.get(usage=usage).inputs_as_of is not None


@pytest.mark.parametrize("given", [False, True])
def test_a_large_rescoring_is_handed_out_in_parts_grouped_by_model(monkeypatch, settings, given):
    """A part reads the lineage of the models it rates: parts cut by model read each lineage about once, where
    parts cut in id order would each read most of the portfolio's."""
    from assessments import tasks
    from assessments.services.rescoring import ratings_refresh_run
    from riskregistry.celery import app

    first, second = factories.AIModelFactory(kind="closed"), factories.AIModelFactory(kind="closed")
    usages = [factories.ModelUsageFactory(model=model) for model in (first, second) * 3]  # ids alternate models
    settings.RATINGS_CHUNK_SIZE = 3
    sent = []
    monkeypatch.setitem(app.conf, "task_always_eager", False)  # as with Celery workers: the parts are sent
    monkeypatch.setattr(tasks.ratings_refresh, "delay", sent.append)

    assert ratings_refresh_run(usage_ids=[u.pk for u in reversed(usages)] if given else None) == 0

    by_model = sorted(usages, key=lambda u: (u.model_id, u.pk))
    assert sent == [[u.pk for u in by_model[:3]], [u.pk for u in by_model[3:]]]
    assert {u.model_id for u in by_model[:3]} == {min(first.pk, second.pk)}
    assert not RiskRating.objects.exists()  # each part is rated by the task it was sent as


def test_each_batch_runs_with_the_cycle_collector_paused_and_leaves_it_as_it_was(monkeypatch, settings):
    import gc

    from assessments.services import rescoring

    settings.RATINGS_BATCH_SIZE = 2
    for _ in range(3):
        factories.ModelUsageFactory(model__kind="closed")
    seen = []
    batch_rate = rescoring._batch_rate
    monkeypatch.setattr(rescoring, "_batch_rate", lambda *a, **kw: seen.append(gc.isenabled()) or batch_rate(*a, **kw))

    assert gc.isenabled()
    assert ratings_refresh() == 3
    assert seen == [False, False] and gc.isenabled()

    gc.disable()  # someone else's pause: not ended by ours
    try:
        ratings_refresh()
        assert not gc.isenabled()
    finally:
        gc.enable()
