"""The dashboard's origin countries: those reached only through parents inferred from a model's files are listed
apart, labelled inferred, not declared, with the products they reach and the highest confidence; they are never
added to the declared chart."""

from __future__ import annotations

import pytest

from assessments import selectors
from assessments import services as assessment_services
from tests import factories
from tests.fakehub import make_silent
from vendors.models import AIModel, InferredEdge, LineageRefresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent_usage(fake_hub, knowledge):
    """A product on a repo of an unknown publisher whose metadata names no parent; its config is Qwen2.5-7B-
    Instruct's, so the refresh infers that parent (published in China)."""
    from vendors.services import lineage

    fake_hub.add_repo(make_silent("acme-labs/silent-7b"))
    usage = factories.ModelUsageFactory(model__name="acme-labs/silent-7b", product__name="Contract copilot")
    refresh = LineageRefresh.objects.create(scope="models", model_names=["Qwen/Qwen2.5-7B-Instruct", usage.model.name])
    lineage.lineage_refresh_run(refresh_id=refresh.pk)
    assessment_services.ratings_refresh()
    return usage


def test_a_country_reached_only_by_inference_is_listed_apart_from_the_declared_ones(silent_usage, analyst_client):
    edge = InferredEdge.objects.get(child=silent_usage.model)

    [origin] = selectors.inferred_exposure_by_country()

    assert (origin.code, origin.products, origin.not_declared) == ("CN", 1, 1)
    assert origin.confidence == round(edge.confidence, 2) and origin.confidence > 0.5
    assert "CN" not in dict(selectors.exposure_by_country())
    page = analyst_client.get("/").content.decode()
    assert "inferred, not declared" in page
    assert f"China (CN): 1 product, 1 of them through no declared model; confidence up to {origin.confidence:.2f}" in (
        page
    )


def test_a_product_that_also_declares_a_model_from_there_is_not_counted_as_undeclared(silent_usage):
    qwen = AIModel.objects.get(name="Qwen/Qwen2.5-7B-Instruct")
    factories.ModelUsageFactory(product=silent_usage.product, model=qwen, role="fallback")
    assessment_services.ratings_refresh()

    [origin] = selectors.inferred_exposure_by_country()

    assert (origin.code, origin.products, origin.not_declared) == ("CN", 1, 0)
    assert dict(selectors.exposure_by_country())["CN"] == 1


def test_retired_products_and_an_empty_portfolio_list_nothing(silent_usage, analyst_client):
    from vendors import services

    services.product_remove(product=silent_usage.product, reason="Replaced.", user=None)

    assert selectors.inferred_exposure_by_country() == ()
    assert "inferred, not declared" not in analyst_client.get("/").content.decode()
