"""Findings as an analyst reads and works them, in a real browser (Debian's Chromium driven by Playwright): the
severity badge and the factor's label, the chain that caused it, a comment in the thread and the history, "My
findings", and the acceptance card with its revoke button inside it."""

import datetime as dt

import pytest
from django.utils import timezone

from assessments.models import Finding
from riskregistry.roles import ANALYST
from tests import factories
from tests.test_browser import _sign_in, browser, page  # noqa: F401  (the browser fixtures)
from vendors.models import AIModel, LineageEdge

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def finding():
    now = timezone.now()
    analyst = factories.UserFactory(username="ana", role=ANALYST)
    root = factories.AIModelFactory(name="Qwen/Qwen2.5-7B", status=AIModel.Status.RESOLVED, fetched_at=now)
    tuned = factories.AIModelFactory(name="acme/contract-7b", status=AIModel.Status.RESOLVED, fetched_at=now)
    LineageEdge.objects.create(child=tuned, parent=root, relation="finetune", source="card", observed_at=now)
    usage = factories.ModelUsageFactory(model=tuned, product__name="Contract Copilot")
    return Finding.objects.create(
        usage=usage,
        code="origin.country_of_concern",
        trigger=Finding.Trigger.CRITICAL_FACTOR,
        title="Qwen/Qwen2.5-7B (Alibaba Cloud, CN) is an ancestor",
        evidence=["Qwen/Qwen2.5-7B is a root"],
        points=40,
        owner=analyst,
        status=Finding.Status.ACCEPTED,
        justification="Weights run on our own hardware.",
        accepted_until=timezone.now().date() + dt.timedelta(days=30),
        due_date=timezone.now().date() + dt.timedelta(days=5),
    )


def test_analyst_reads_comments_and_finds_their_findings(page, finding, tmp_path):  # noqa: F811
    _sign_in(page, "ana")
    page.goto("/findings/mine/")
    page.get_by_role("heading", name="My findings").wait_for()
    row = page.get_by_role("row").filter(has_text="Contract Copilot")
    assert "High" in row.inner_text() and "Origin in a country of concern" in row.inner_text()
    assert "origin.country_of_concern" not in page.locator("main").inner_text()
    row.get_by_role("link", name="Qwen/Qwen2.5-7B (Alibaba Cloud, CN) is an ancestor").click()

    page.get_by_role("heading", name="Origin in a country of concern").wait_for()
    assert page.locator("#chains").inner_text().strip() == "acme/contract-7b → Qwen/Qwen2.5-7B"
    assert "origin.country_of_concern" not in page.locator("main").inner_text()

    # The revoke button sits inside the acceptance card, beside "Accept the risk".
    card = page.locator("#accept").bounding_box()
    revoke = page.get_by_role("button", name="Revoke the acceptance").bounding_box()
    assert card["x"] <= revoke["x"] and revoke["x"] + revoke["width"] <= card["x"] + card["width"]
    assert card["y"] <= revoke["y"] and revoke["y"] + revoke["height"] <= card["y"] + card["height"]

    page.get_by_label("Comment").fill("Asked the vendor for the hosting contract.")
    page.get_by_role("button", name="Add the comment").click()
    page.get_by_text("Comment added.").wait_for()
    assert "Asked the vendor for the hosting contract." in page.locator(".finding-comment").inner_text()
    assert "Commented" in page.locator("table.history-change").inner_text()
    page.screenshot(path=tmp_path / "finding.png", full_page=True)

    page.get_by_role("button", name="Revoke the acceptance").click()
    page.get_by_role("alert").filter(has_text="Risk acceptance revoked").wait_for()
    finding.refresh_from_db()
    assert finding.status != Finding.Status.ACCEPTED  # open again (and remediated by rescoring: no factor here)
