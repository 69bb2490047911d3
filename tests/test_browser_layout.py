"""Layout fixes seen in a real browser (Debian's Chromium driven by Playwright): the ▶ marker stays on the risk
badge's line, rows of "Publishers to identify" open the organisation's models (and still offer to add the
publisher), "Model and lineage" is the usage page's primary button, and closed API models offer no "Declare a
parent"."""

import pytest
from django.utils import timezone

from assessments.models import RiskRating
from riskregistry.roles import ADMIN, ANALYST
from tests import factories
from tests.test_browser import _sign_in, browser, page  # noqa: F401  (the browser fixtures)
from vendors.models import AIModel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def analyst():
    return factories.UserFactory(username="ana", role=ANALYST)


def test_the_marker_stays_on_the_badge_line_at_phone_width(page, analyst):  # noqa: F811
    usage = factories.ModelUsageFactory(model__name="acme/bot-7b", product__name="Helpdesk")
    RiskRating.objects.create(usage=usage, score=64, tier="high", policy_version=1, factors=[])
    _sign_in(page, "ana")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(usage.product.get_absolute_url())
    summary = page.locator("summary.rating-summary").first
    badge = summary.locator(".badge")
    assert abs(summary.bounding_box()["height"] - badge.bounding_box()["height"]) < 12  # one line, not two


def test_publishers_to_identify_rows_open_the_models(page):  # noqa: F811
    factories.UserFactory(username="ada", role=ADMIN)  # admins add publishers to the knowledge base
    factories.AIModelFactory(name="nobody-known/model-x", status=AIModel.Status.RESOLVED, fetched_at=timezone.now())
    _sign_in(page, "ada")
    page.goto("/knowledge/unknown-publishers/")
    row = page.get_by_role("row").filter(has_text="nobody-known")
    box = row.locator("td").nth(1).bounding_box()  # anywhere on the row: the count of models, here
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url("**/models/?q=nobody-known%2F")
    assert page.get_by_role("link", name="nobody-known/model-x").is_visible()
    page.go_back()
    page.get_by_role("link", name="Add as a publisher").click()  # the other link in the row still works
    page.wait_for_url("**/admin/**")


def test_usage_page_and_closed_models(page, analyst):  # noqa: F811
    closed, _ = AIModel.objects.get_or_create(name="acme-closed-9", kind=AIModel.Kind.CLOSED)
    usage = factories.ModelUsageFactory(model=closed)
    _sign_in(page, "ana")
    page.goto(f"/usages/{usage.pk}/")
    button = page.get_by_role("link", name="Model and lineage")
    assert "btn-primary" in button.get_attribute("class")
    button.click()
    page.get_by_role("heading", name="Parents of this model").wait_for()
    assert page.get_by_role("link", name="Declare a parent").count() == 0
    page.goto(f"/models/{closed.pk}/parents/new/")
    page.get_by_text("is a closed API model: it has no parent to declare").wait_for()


def test_a_mistyped_hub_id_is_caught_and_confirmed(page, analyst, fake_hub):  # noqa: F811
    from vendors.models import ModelUsage

    product = factories.ProductFactory(name="Helpdesk")
    _sign_in(page, "ana")
    page.goto(f"/products/{product.pk}/models/new/")
    page.get_by_label("Model", exact=True).fill("nobody-here/nonexistent-model-xyz")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("The hub has no repository nobody-here/nonexistent-model-xyz").wait_for()
    assert not ModelUsage.objects.filter(product=product).exists()
    page.get_by_label("Register it anyway").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("nobody-here/nonexistent-model-xyz saved on Helpdesk").wait_for()
    assert ModelUsage.objects.filter(product=product, model__name="nobody-here/nonexistent-model-xyz").exists()
