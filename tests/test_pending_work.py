"""Pages with pending work (lineage being resolved, usages waiting for a rating) say so and follow it: the product
page and its findings' pages poll a status URL and reload once the work is done, with no inline script."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.models import Finding, RiskRating
from assessments.selectors.pending import product_pending_work
from riskregistry.roles import ANALYST, VIEWER
from tests import factories
from tests.test_browser import PASSWORD, browser, page  # noqa: F401 (fixtures)
from vendors.models import AIModel, LineageRefresh, Product


def _usage(status=AIModel.Status.PENDING):
    return factories.ModelUsageFactory(model__status=status, product__name="Contract Copilot")


def _rate(usage):
    return RiskRating.objects.create(usage=usage, score=40, tier="moderate", policy_version=1)


@pytest.mark.django_db
def test_what_is_pending_for_a_product():
    usage = _usage()
    product = usage.product
    assert product_pending_work(product).as_dict() == {
        "pending": True, "models_resolving": 1, "refreshes": 0, "unrated": 0,
    }  # fmt: skip
    AIModel.objects.filter(pk=usage.model_id).update(status=AIModel.Status.RESOLVED)
    assert product_pending_work(product).unrated == 1  # resolved, waiting for its rating
    _rate(usage)
    assert not product_pending_work(product).pending

    refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.PRODUCT, product=product)
    assert product_pending_work(product).refreshes == 1
    LineageRefresh.objects.filter(pk=refresh.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert not product_pending_work(product).pending  # a refresh stuck for hours is not waited for

    other = factories.ModelUsageFactory(model__status=AIModel.Status.RESOLVED)
    Product.objects.filter(pk=other.product_id).update(status=Product.Status.RETIRED)
    other.product.refresh_from_db()
    assert not product_pending_work(other.product).pending  # a retired product is not rescored


@pytest.mark.django_db
def test_the_status_url_answers_json_to_those_who_may_see_the_product(client, viewer):
    usage = _usage()
    url = f"/products/{usage.product_id}/pending.json"
    assert client.get(url).status_code == 302  # anonymous: sign in first
    client.force_login(factories.UserFactory())
    assert client.get(url).status_code == 403  # no role
    client.force_login(viewer)
    response = client.get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert response.json()["pending"] is True and response.json()["models_resolving"] == 1
    assert client.get("/products/999999/pending.json").status_code == 404


@pytest.mark.django_db
def test_the_product_and_finding_pages_say_what_is_pending(client, viewer):
    usage = _usage()
    finding = Finding.objects.create(usage=usage, code="x.y", trigger="critical_factor", title="Something")
    client.force_login(viewer)
    for url in (usage.product.get_absolute_url(), finding.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "Pending:" in html and "the lineage of 1 model is being resolved" in html, url
        assert f'data-status-url="/products/{usage.product_id}/pending.json"' in html, url
        assert "riskregistry/pending.js" in html, url
    AIModel.objects.filter(pk=usage.model_id).update(status=AIModel.Status.RESOLVED)
    _rate(usage)
    for url in (usage.product.get_absolute_url(), finding.get_absolute_url()):
        html = client.get(url).content.decode()
        assert "Pending:" not in html and "pending.js" not in html, url


def _sign_in(page, username):  # noqa: F811
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Third-party AI portfolio").wait_for()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_product_page_follows_the_work_and_reloads_when_it_is_done(page):  # noqa: F811
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    usage = _usage()
    factories.UserFactory(username="vic", role=VIEWER)
    _sign_in(page, "vic")
    page.goto(usage.product.get_absolute_url())
    status = page.get_by_role("status").filter(has_text="Pending:")
    assert "being resolved" in status.inner_text()

    AIModel.objects.filter(pk=usage.model_id).update(status=AIModel.Status.RESOLVED)  # the worker's part
    _rate(usage)
    status.wait_for(state="detached")  # the page reloaded itself
    assert page.get_by_text("Moderate · 40").first.is_visible()
    assert not refused


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_finding_page_being_typed_into_offers_the_reload_instead(page):  # noqa: F811
    usage = _usage()
    finding = Finding.objects.create(usage=usage, code="x.y", trigger="critical_factor", title="Something")
    factories.UserFactory(username="ana", role=ANALYST)
    _sign_in(page, "ana")
    page.goto(finding.get_absolute_url())
    page.get_by_label("Justification").fill("Runs on our own hardware")

    AIModel.objects.filter(pk=usage.model_id).update(status=AIModel.Status.RESOLVED)
    _rate(usage)
    page.get_by_role("link", name="Reload to see the results").wait_for()
    assert page.get_by_label("Justification").input_value() == "Runs on our own hardware"  # nothing lost


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_with_celery_the_product_page_follows_a_real_worker(page, celery_worker_factory, fake_hub, knowledge):  # noqa: F811
    """A usage registered with Celery is resolved and rated by a real worker after the request: the page says it is
    pending meanwhile and shows the rating once the worker is done, without a reload by hand."""
    from vendors.services.portfolio import model_usage_register

    product = factories.ProductFactory(name="Contract Copilot")
    model_usage_register(product=product, model_kind=AIModel.Kind.HUB, model_name="Qwen/Qwen2.5-7B-Instruct")
    factories.UserFactory(username="vic", role=VIEWER)
    _sign_in(page, "vic")
    page.goto(product.get_absolute_url())
    status = page.get_by_role("status").filter(has_text="Pending:")
    assert "being resolved" in status.inner_text()  # queued in Redis; no worker has started yet

    celery_worker_factory(extra_env={"HF_ENDPOINT": fake_hub.url})
    status.wait_for(state="detached", timeout=60_000)
    page.locator("details summary .badge").first.wait_for()  # the rating, after the page reloaded itself
    assert RiskRating.objects.filter(usage__product=product, is_current=True).exists()
