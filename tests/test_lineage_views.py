"""Lineage in the web UI: the diagram, the product's exposure, refresh-now with its progress page."""

import pytest

from tests import factories
from vendors.models import AIModel, LineageRefresh
from vendors.services import lineage

pytestmark = pytest.mark.django_db


def _resolve(*names):
    refresh = LineageRefresh.objects.create(scope="models", model_names=list(names))
    lineage.lineage_refresh_run(refresh_id=refresh.pk)


def test_model_page_draws_the_lineage_and_lists_it_as_text(analyst_client, fake_hub, knowledge):
    _resolve("northwind-ai/contract-copilot-7b-GGUF")
    model = AIModel.objects.get(name="northwind-ai/contract-copilot-7b-GGUF")

    page = analyst_client.get(f"/models/{model.pk}/").content.decode()

    assert page.count("<svg") == 1 and "Qwen/Qwen2.5-Math-7B" in page
    root = AIModel.objects.get(name="Qwen/Qwen2.5-7B")
    assert f'href="/models/{root.pk}/"' in page  # diagram and list link to the ancestors
    assert "Origin countries: <strong>CN</strong>" in page


def test_hostile_card_values_never_reach_the_page_as_markup(analyst_client, fake_hub):
    _resolve("synthetic-hostile/html-card")
    model = AIModel.objects.get(name="synthetic-hostile/html-card")
    page = analyst_client.get(f"/models/{model.pk}/").content.decode()
    assert "<script" not in page.split("</footer>")[0].replace('<script src="/static', "")
    assert "onerror=" not in page


def test_product_page_shows_roots_and_origin_of_each_usage(analyst_client, fake_hub, knowledge):
    usage = factories.ModelUsageFactory(model__name="bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF")
    _resolve(usage.model.name)

    page = analyst_client.get(f"/products/{usage.product.pk}/").content.decode()

    assert "Qwen/Qwen2.5-7B" in page and "<strong>CN</strong>" in page
    assert "Where the models come from" in page


def test_refresh_now_runs_and_shows_progress(analyst_client, fake_hub, django_capture_on_commit_callbacks):
    usage = factories.ModelUsageFactory(model__name="Qwen/Qwen2.5-7B-Instruct")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = analyst_client.post("/lineage/refresh/", {"product": usage.product.pk})

    assert len(callbacks) == 1  # the refresh was enqueued after the commit (it ran in-process here)
    refresh = LineageRefresh.objects.get()
    assert response["Location"] == f"/lineage/refreshes/{refresh.pk}/"
    page = analyst_client.get(response["Location"]).content.decode()
    assert refresh.status == "done" and "2 of 2 repos resolved" in page
    assert 'http-equiv="refresh"' not in page  # finished: the page stops reloading


def test_refresh_a_single_model(analyst_client, fake_hub, django_capture_on_commit_callbacks):
    model = factories.AIModelFactory(name="Qwen/Qwen2.5-7B")
    with django_capture_on_commit_callbacks(execute=True):
        analyst_client.post("/lineage/refresh/", {"model": model.pk})
    model.refresh_from_db()
    assert model.status == "resolved"


def test_a_running_refresh_page_reloads_itself(analyst_client):
    refresh = LineageRefresh.objects.create(scope="portfolio", status="running", nodes_done=10, nodes_known=40)
    page = analyst_client.get(f"/lineage/refreshes/{refresh.pk}/").content.decode()
    assert 'http-equiv="refresh"' in page and "25%" in page


def test_viewers_cannot_start_a_refresh(client, viewer):
    client.force_login(viewer)
    assert client.post("/lineage/refresh/").status_code == 403
    assert not LineageRefresh.objects.exists()


def test_bad_ids_in_the_refresh_form_are_404(analyst_client):
    assert analyst_client.post("/lineage/refresh/", {"product": "abc"}).status_code == 404
    assert analyst_client.post("/lineage/refresh/", {"model": "999999"}).status_code == 404
    assert not LineageRefresh.objects.exists()
