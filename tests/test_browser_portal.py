"""The questionnaire round trip in a real browser: the analyst sends the MBOM questionnaire; the vendor opens the
link in a fresh browser context, corrects the pre-filled model row, uploads evidence, saves, reloads, submits; the
analyst reviews, sees the contradiction with the resolved lineage, accepts, and finds the discrepancy finding; the
old link answers 410 after a reissue. Drives Debian's Chromium with Playwright."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from assessments.models import Assessment, Evidence, Finding
from riskregistry.roles import ANALYST
from tests import factories
from tests.test_browser import _sign_in, browser  # noqa: F401  (the module-scoped browser fixture)
from vendors.models import AIModel, LineageEdge, ModelUsage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def portfolio():
    now = timezone.now()
    qwen = factories.AIModelFactory(name="Qwen/Qwen2.5-7B", status=AIModel.Status.RESOLVED, fetched_at=now)
    tuned = factories.AIModelFactory(name="acme/contract-7b", status=AIModel.Status.RESOLVED, fetched_at=now)
    LineageEdge.objects.create(child=tuned, parent=qwen, relation="finetune", source="card", observed_at=now)
    product = factories.ProductFactory(name="Contract Copilot", vendor__name="Acme Legal AI, Inc.")
    ModelUsage.objects.create(product=product, model=tuned)
    factories.ContactFactory(vendor=product.vendor, name="Cora Compliance", email="cora@acme.example")
    factories.UserFactory(username="ana", role=ANALYST)
    return product


def test_mbom_questionnaire_round_trip(browser, live_server, portfolio, tmp_path):  # noqa: F811
    analyst = browser.new_context(base_url=live_server.url)
    page = analyst.new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, "ana")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Assessments", exact=True).click()
    page.get_by_role("link", name="Send a questionnaire").click()
    page.get_by_label("Questionnaire").select_option("ai-mbom")
    page.get_by_label("Product", exact=True).select_option(label=str(portfolio))
    page.get_by_label("Contacts").select_option(label="Cora Compliance <cora@acme.example>")
    page.get_by_label("Due date").fill((timezone.now().date() + timedelta(days=21)).isoformat())
    page.get_by_role("button", name="Send").click()
    message = page.get_by_role("alert").filter(has_text="Portal link").inner_text()
    url = re.search(r"https?://\S+/portal/a/\S+/", message).group(0)
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]

    # The vendor, in a fresh browser context (no session, no cookies), on a phone-sized screen.
    vendor = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    portal = vendor.new_page()
    portal.set_default_timeout(15_000)
    portal.goto(path)
    assert "/portal/a/" not in portal.url  # the token was swapped for a session and a clean URL
    portal.get_by_role("heading", name="AI model bill of materials").wait_for()
    assert portal.get_by_label("Row 1 Model (hub id or API name)").input_value() == "acme/contract-7b"
    assert portal.get_by_label("Row 1 Base model (if derived)").input_value() == "Qwen/Qwen2.5-7B"
    portal.get_by_label("Row 1 Base model (if derived)").fill("meta-llama/Llama-3.1-8B")  # the vendor's word
    portal.get_by_label("Row 1 How derived").select_option("finetune")
    portal.locator("#q-origin\\.no_country_of_concern-yes").check()
    portal.locator("#q-origin\\.derivation_documented-yes").check()
    portal.locator("#f-origin\\.derivation_file").set_input_files(
        files=[{"name": "model-card.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    portal.locator("#na-data\\.training_datasets").check()
    portal.locator("#nar-data\\.training_datasets").fill("We call a hosted model; we train nothing.")
    portal.locator("#q-data\\.customer_data_training-never").check()
    portal.locator("#in-hosting\\.countries").fill("US")
    portal.locator("#in-hosting\\.subprocessors").fill("1")
    portal.locator("#q-change\\.notice_days-days_30_or_more").check()
    portal.locator("#q-compliance\\.screening-yes").check()
    portal.locator("#q-compliance\\.evaluations-red_team").check()
    portal.get_by_role("button", name="Save draft").click()
    portal.get_by_text("Saved. You can come back").wait_for()
    portal.reload()
    assert portal.get_by_label("Row 1 Base model (if derived)").input_value() == "meta-llama/Llama-3.1-8B"
    assert portal.get_by_role("link", name="model-card.pdf").is_visible()
    portal.screenshot(path=tmp_path / "portal-draft.png", full_page=True)
    # Removing a file asks first; dismissed, nothing happens.
    questions = []
    portal.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    portal.get_by_role("button", name="Remove").click()
    assert questions and "model-card.pdf" in questions[0]
    assert portal.get_by_role("link", name="model-card.pdf").is_visible()

    # The analyst sends a new link: the old one (and the session it opened) answers 410; the new one works and
    # shows everything saved so far.
    assessment = Assessment.objects.get()
    page.goto(assessment.get_absolute_url())
    page.get_by_role("button", name="Send a new link").click()
    page.get_by_text("the old one answers 410").wait_for()
    assert portal.goto(path).status == 410
    assert portal.reload().status == 410
    new_url = re.search(r"https?://\S+/portal/a/\S+/", mail.outbox[-1].body).group(0)
    portal.goto("/" + new_url.split("://", 1)[1].split("/", 1)[1])
    assert portal.get_by_label("Row 1 Base model (if derived)").input_value() == "meta-llama/Llama-3.1-8B"
    portal.get_by_role("button", name="Submit answers").click()
    portal.get_by_text("your answers were submitted").wait_for()
    assert portal.get_by_role("button", name="Submit answers").count() == 0  # read-only now
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.SUBMITTED
    assert Evidence.objects.filter(assessment=assessment).count() == 1

    # The analyst reviews: the contradiction with the resolved lineage is shown before accepting.
    page.goto(assessment.get_absolute_url())
    review = page.get_by_role("alert").filter(has_text="contradict the resolved lineage")
    assert "Qwen/Qwen2.5-7B is a root" in review.inner_text()
    assert "resolved chain: acme/contract-7b → Qwen/Qwen2.5-7B" in review.inner_text()
    # Answer by answer: the buttons under an answer submit that answer's own review form.
    page.locator("[id='q-hosting.countries']").get_by_role("button", name="Accept answer").click()
    page.get_by_text("hosting.countries: accepted.").wait_for()
    assert "1 accepted" in page.get_by_role("heading", name="Review").locator("..").inner_text()
    page.get_by_role("button", name="Accept the assessment").click()
    page.get_by_text("Accepted: the declared models").wait_for()
    page.get_by_role("heading", name="Discrepancies with the resolved lineage").wait_for()
    finding = Finding.objects.get(code="discrepancy.answer_contradicts_lineage")
    page.locator(f"a[href='{finding.get_absolute_url()}']").first.click()
    page.get_by_text("meta-llama/Llama-3.1-8B").first.wait_for()
    page.screenshot(path=tmp_path / "finding.png", full_page=True)
    analyst.close()
    vendor.close()
