"""Lineage in the web UI: the diagram, the product's exposure, refresh-now with its progress page."""

import pytest

from tests import factories
from vendors import services
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
    assert "Chains to the roots" in page and "Qwen/Qwen2.5-Math-7B → Qwen/Qwen2.5-7B" in page


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

    # The refresh was enqueued after the commit (it ran in-process here), then the product's ratings.
    assert ["lineage_refresh" in repr(callbacks[0]), "ratings_refresh" in repr(callbacks[1])] == [True, True]
    refresh = LineageRefresh.objects.get()
    assert response["Location"] == f"/lineage/refreshes/{refresh.pk}/"
    page = analyst_client.get(response["Location"]).content.decode()
    assert refresh.status == "done" and "2 of 2 repos fetched" in page
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


def test_analyst_declares_a_parent_the_hub_does_not_show_and_removes_it(analyst_client):
    model = factories.AIModelFactory(kind="declared", name="brightdesk-intent-classifier-v3")

    response = analyst_client.post(
        f"/models/{model.pk}/parents/new/",
        {"parent_kind": "hub", "parent_name": "Qwen/Qwen2.5-0.5B-Instruct", "relation": "finetune", "source": "vendor"},
    )

    assert response.status_code == 302
    edge = model.parent_edges.get()
    assert (edge.parent.name, edge.source, edge.relation) == ("Qwen/Qwen2.5-0.5B-Instruct", "vendor", "finetune")
    page = analyst_client.get(f"/models/{model.pk}/").content.decode()
    assert "Declared by the vendor" in page
    analyst_client.post(f"/lineage/edges/{edge.pk}/delete/")
    assert not model.parent_edges.exists()
    assert list(model.change_events.values_list("kind", flat=True)) == ["parent_removed", "parent_added"]


def test_declaring_a_bad_or_duplicate_parent_is_a_form_error(analyst_client):
    model = factories.AIModelFactory(name="acme/model")
    bad = analyst_client.post(
        f"/models/{model.pk}/parents/new/",
        {"parent_kind": "hub", "parent_name": "not valid", "relation": "finetune", "source": "analyst"},
    )
    assert "ORG/NAME" in bad.content.decode()
    itself = analyst_client.post(
        f"/models/{model.pk}/parents/new/",
        {"parent_kind": "hub", "parent_name": "ACME/model", "relation": "finetune", "source": "analyst"},
    )
    assert "its own parent" in itself.content.decode()
    assert not model.parent_edges.exists()


def test_hub_parents_cannot_be_removed_by_hand(analyst_client):
    edge = factories.AIModelFactory().parent_edges.create(
        parent=factories.AIModelFactory(), relation="finetune", source="card", observed_at="2026-01-01T00:00:00Z"
    )
    response = analyst_client.post(f"/lineage/edges/{edge.pk}/delete/", follow=True)
    assert "comes from the hub" in response.content.decode()
    assert type(edge).objects.filter(pk=edge.pk).exists()


def test_unknown_publishers_are_listed_for_review(analyst_client, knowledge):
    factories.ModelUsageFactory(model__name="northwind-ai/contract-copilot-7b")
    factories.AIModelFactory(name="northwind-ai/contract-copilot-7b-GGUF")
    services.ai_model_get_or_create(kind="hub", name="Qwen/Qwen2.5-7B")  # a known publisher: not listed

    page = analyst_client.get("/knowledge/unknown-publishers/").content.decode()

    assert "northwind-ai" in page and "Qwen/" not in page


def test_an_admin_adds_an_unknown_organisation_as_a_publisher_from_the_list(client, admin_user):
    factories.AIModelFactory(name="northwind-ai/contract-copilot-7b")
    admin_user.is_staff = True  # the admin site is for staff
    admin_user.save(update_fields=["is_staff"])
    client.force_login(admin_user)

    page = client.get("/knowledge/unknown-publishers/").content.decode()
    link = "/admin/vendors/publisher/add/?org=northwind-ai"
    assert f'href="{link}"' in page and "with its country and a source" in page

    form = client.get(link).content.decode()
    assert 'name="orgs-0-org_id"' in form and 'value="northwind-ai"' in form  # the organisation, filled in
    assert 'name="key"' in form and "Northwind" not in form


def test_the_whole_portfolio_can_be_refreshed_from_the_models_page(
    analyst_client, fake_hub, django_capture_on_commit_callbacks, settings
):
    settings.LINEAGE_REFERENCE_MODELS = []  # the portfolio's own models only (the inference's bases: elsewhere)
    factories.ModelUsageFactory(model__name="Qwen/Qwen2.5-7B-Instruct")
    assert "Refresh all lineage" in analyst_client.get("/models/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        analyst_client.post("/lineage/refresh/")

    refresh = LineageRefresh.objects.get()
    assert (refresh.scope, refresh.status, refresh.nodes_done) == ("portfolio", "done", 2)
    assert "Last refresh" in analyst_client.get("/models/").content.decode()


def test_beat_re_resolves_the_portfolio_daily(settings, fake_hub):
    from vendors import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["lineage-refresh-portfolio"]
    assert entry["task"] == "vendors.tasks.lineage_refresh_portfolio"
    assert entry["schedule"].hour == {3}
    factories.ModelUsageFactory(model__name="Qwen/Qwen2.5-7B")

    tasks.lineage_refresh_portfolio.apply()

    assert LineageRefresh.objects.get().status == "done"
    assert AIModel.objects.get(name="Qwen/Qwen2.5-7B").status == "resolved"
