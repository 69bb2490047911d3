"""The newcomer's path in a real browser: sign in, browse the demo portfolio, add a vendor and a model.

Drives Debian's Chromium with Playwright (Playwright's own browser download is not used).
"""

import os
import shutil

import pytest
from django.core.management import call_command

from riskregistry.roles import ADMIN, ANALYST, VIEWER
from tests import factories
from tests.services import require

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def browser():
    require("Chromium", shutil.which(CHROMIUM) is not None, f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _nav(page, name):
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def _sign_in(page, username):
    page.goto("/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Third-party AI portfolio").wait_for()


def test_analyst_browses_the_demo_and_adds_a_vendor_product_and_model(page, tmp_path, fake_hub):
    call_command("load_demo", verbosity=0)
    factories.UserFactory(username="ana", role=ANALYST)

    _sign_in(page, "ana")
    _nav(page, "Vendors")
    page.get_by_role("link", name="Northwind Legal AI, Inc.").click()
    page.get_by_role("link", name="Contract Copilot", exact=True).click()
    page.get_by_role("link", name="northwind-ai/contract-copilot-7b").wait_for()  # visible once the page is there
    page.screenshot(path=tmp_path / "product.png", full_page=True)

    _nav(page, "Vendors")
    page.get_by_role("link", name="Add vendor").click()
    page.get_by_label("Legal name").fill("Quill Analytics GmbH")
    page.get_by_label("Country").select_option("DE")
    page.get_by_label("Website").fill("quill.example")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Quill Analytics GmbH").wait_for()
    assert page.get_by_text("Vendor Quill Analytics GmbH created.").is_visible()

    page.get_by_role("link", name="Add product").click()
    page.get_by_label("Name").fill("Quill Assist")
    page.get_by_label("Personal data", exact=True).check()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Quill Assist").wait_for()

    page.get_by_role("link", name="Add the first model").click()
    page.get_by_label("Model", exact=True).fill("not a repo id")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("ORG/NAME").first.wait_for()  # the grammar, shown on the field once the answer is there
    page.get_by_label("Model", exact=True).fill("Qwen/Qwen2.5-7B-Instruct")
    page.get_by_label("Region").select_option(
        label="Amazon Web Services (EC2, SageMaker, EKS) · eu-central-1 (Germany)"
    )
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Qwen/Qwen2.5-7B-Instruct").wait_for()
    # Registering the usage resolved its lineage after the commit (in-process here: no Redis).
    row = page.get_by_role("row").filter(has_text="Qwen/Qwen2.5-7B-Instruct")
    assert "Qwen/Qwen2.5-7B," not in row.inner_text() and "CN" in row.inner_text()  # root and its origin
    assert fake_hub.metadata_requests("Qwen/Qwen2.5-7B") == 1
    page.screenshot(path=tmp_path / "new-product.png", full_page=True)

    page.get_by_role("link", name="Qwen/Qwen2.5-7B-Instruct").click()
    page.get_by_role("heading", name="Lineage").wait_for()
    assert page.locator("figure svg").count() == 1  # the Graphviz diagram
    assert page.get_by_role("link", name="Qwen/Qwen2.5-7B", exact=True).first.is_visible()
    page.screenshot(path=tmp_path / "model.png", full_page=True)


def test_viewer_sees_no_write_actions(page):
    factories.VendorFactory(name="Acme AI, Inc.")
    factories.UserFactory(username="vic", role=VIEWER)

    _sign_in(page, "vic")
    _nav(page, "Vendors")
    assert page.get_by_role("link", name="Add vendor").count() == 0
    page.get_by_role("link", name="Acme AI, Inc.").click()
    page.get_by_role("heading", name="Acme AI, Inc.").wait_for()  # the vendor's page, not the list still
    assert page.get_by_role("link", name="Edit").count() == 0
    assert page.get_by_role("link", name="Archive").count() == 0


def test_analyst_follows_a_dashboard_chart_to_a_finding_and_accepts_the_risk(page, tmp_path, fake_hub):
    import datetime as dt

    from assessments.models import Finding, RiskRating

    call_command("load_demo", verbosity=0)
    call_command("refresh_lineage", "--all", verbosity=0)  # in-process here: rescoring follows the refresh
    factories.UserFactory(username="ana", role=ANALYST)

    _sign_in(page, "ana")
    chart = page.get_by_role("img", name="Products by origin country of their models")
    assert chart.is_visible()
    page.screenshot(path=tmp_path / "dashboard.png", full_page=True)
    chart.locator("a[*|href$='country=CN']").first.click()  # the bar is a link to its blast radius
    page.get_by_role("heading", name="Exposure").wait_for()
    assert "country=CN" in page.url
    row = page.get_by_role("row").filter(has_text="Contract Copilot").filter(has_text="contract-copilot-7b").first
    assert "→" in row.inner_text()  # the path that explains why it is listed

    finding = Finding.objects.filter(usage__product__name="Contract Copilot", code="origin.country_of_concern").first()
    before = RiskRating.objects.get(usage=finding.usage, is_current=True)
    page.goto(f"/findings/?product={finding.usage.product_id}")  # the list, filtered to the product
    page.locator(f"a[href='{finding.get_absolute_url()}']").first.click()
    page.get_by_role("heading", name="Accept the risk").wait_for()
    page.get_by_label("Justification").fill("Weights run on our own hardware; no data leaves the EU.")
    until = dt.date.today() + dt.timedelta(days=90)
    page.get_by_label("Accepted until").fill(until.isoformat())
    page.get_by_role("button", name="Accept the risk").click()
    # A factor the policy marks critical: the acceptance waits for a second approver, an admin.
    page.get_by_text("waiting for a second approver").first.wait_for()
    assert RiskRating.objects.get(usage=finding.usage, is_current=True).score == before.score
    page.context.clear_cookies()
    factories.UserFactory(username="ada", role=ADMIN)
    _sign_in(page, "ada")
    page.goto(finding.get_absolute_url())
    page.get_by_role("button", name="Approve the acceptance").click()
    page.get_by_text("Risk acceptance approved").first.wait_for()
    page.screenshot(path=tmp_path / "finding.png", full_page=True)

    after = RiskRating.objects.get(usage=finding.usage, is_current=True)
    assert after.score == before.score - finding.points
    assert page.get_by_text(f"risk accepted until {until.isoformat()}").first.is_visible()
