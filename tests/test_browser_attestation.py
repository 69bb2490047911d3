"""The vendor signs an attestation in the portal, in a real browser: the analyst asks from the product's page and
sends the link; the vendor opens it in a fresh browser context on a phone-sized screen, confirms every claim but
one, corrects the lineage with its base model, reloads (the browser kept it), saves a draft, comes back after its
session expired (the server kept it), signs; the analyst sees the signature and the discrepancy. Drives
Debian's Chromium with Playwright."""

import re

import pytest
from django.utils import timezone

from assessments.models import Attestation, AttestationRequest, Finding
from riskregistry.roles import ANALYST
from tests import factories
from tests.test_browser import _sign_in, browser  # noqa: F401  (the module-scoped browser fixture)
from vendors.models import AIModel, LineageEdge, ModelUsage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def product():
    now = timezone.now()
    qwen = factories.PublisherFactory(name="Qwen (Alibaba Cloud)", country="CN")
    root = factories.AIModelFactory(
        name="Qwen/Qwen2.5-7B", publisher=qwen, status=AIModel.Status.RESOLVED, fetched_at=now
    )
    tuned = factories.AIModelFactory(name="acme/contract-7b", status=AIModel.Status.RESOLVED, fetched_at=now)
    LineageEdge.objects.create(child=tuned, parent=root, relation="finetune", source="card", observed_at=now)
    product = factories.ProductFactory(name="Contract Copilot", vendor__name="Acme Legal AI, Inc.")
    ModelUsage.objects.create(product=product, model=tuned)
    factories.ContactFactory(vendor=product.vendor, name="Cora Compliance", email="cora@acme.example", is_primary=True)
    factories.UserFactory(username="ana", role=ANALYST)
    return product


def test_the_vendor_signs_the_attestation_in_the_portal(browser, live_server, product, tmp_path):  # noqa: F811
    analyst = browser.new_context(base_url=live_server.url)
    page = analyst.new_page()
    page.set_default_timeout(20_000)
    _sign_in(page, "ana")
    page.goto(product.get_absolute_url())
    page.get_by_role("link", name="Request attestation").click()
    page.get_by_role("button", name="Record the request").click()
    page.get_by_role("heading", name=re.compile("Attestation request AR-")).wait_for()
    page.get_by_role("button", name="Send the link").click()
    message = page.get_by_text("It is shown here once").inner_text()
    url = re.search(r"https?://\S+/portal/t/\S+/", message).group(0)

    vendor = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    portal = vendor.new_page()
    portal.set_default_timeout(20_000)
    portal.goto("/" + url.split("://", 1)[1].split("/", 1)[1])
    assert "/portal/t/" not in portal.url  # the token was swapped for a session and a clean URL
    portal.get_by_role("heading", name="Attestation of your AI model supply chain").wait_for()
    for radio in portal.get_by_role("radio", name="Confirm").all():
        radio.check()
    lineage = portal.locator("fieldset.claim").filter(has_text="Root model: Qwen/Qwen2.5-7B")
    lineage.get_by_role("radio", name="Correct").check()
    lineage.get_by_label("If you correct it: what is true instead?").fill("Fine-tuned from Llama 3.1 8B, not Qwen.")
    lineage.get_by_label(re.compile("Base \\(root\\) models")).fill("meta-llama/Llama-3.1-8B")
    portal.get_by_label("Your full name").fill("Cora Compliance")
    portal.get_by_label("Your title").fill("Head of Compliance")
    portal.screenshot(path=tmp_path / "portal-attestation.png", full_page=True)
    correction = lineage.get_by_label("If you correct it: what is true instead?")
    portal.reload()  # before saving: this browser kept what was typed
    assert correction.input_value() == "Fine-tuned from Llama 3.1 8B, not Qwen."
    assert portal.get_by_label("Your full name").input_value() == "Cora Compliance"
    portal.get_by_role("button", name="Save draft").click()
    portal.get_by_text("Draft saved").first.wait_for()
    vendor.clear_cookies()  # the portal session expires; the vendor opens the link again
    portal.goto("/" + url.split("://", 1)[1].split("/", 1)[1])
    portal.get_by_text(re.compile("Your draft saved on")).wait_for()  # the server kept it
    assert correction.input_value() == "Fine-tuned from Llama 3.1 8B, not Qwen."
    assert lineage.get_by_role("radio", name="Correct").is_checked()
    assert portal.get_by_label("Your title").input_value() == "Head of Compliance"
    portal.get_by_role("button", name="Sign the attestation").click()
    portal.get_by_text("Confirm that you may sign for the vendor.").wait_for()  # nothing signed; all kept
    assert portal.get_by_label("Your full name").input_value() == "Cora Compliance"
    portal.get_by_role("checkbox", name=re.compile("I may sign on behalf")).check()
    portal.get_by_role("button", name="Sign the attestation").click()
    portal.get_by_text("Signed. Thank you").wait_for()
    assert portal.get_by_role("link", name="Download the signed attestation (PDF)").is_visible()

    attestation = Attestation.objects.get()
    assert attestation.corrected_count == 1 and attestation.request.status == AttestationRequest.Status.SIGNED
    page.reload()
    page.get_by_text(attestation.statement_sha256).wait_for()
    assert page.get_by_text("Fine-tuned from Llama 3.1 8B, not Qwen.").is_visible()
    assert Finding.objects.filter(code="discrepancy.answer_contradicts_lineage").exists()
    analyst.close()
    vendor.close()
