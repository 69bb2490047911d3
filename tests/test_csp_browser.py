"""The Content-Security-Policy holds in a real browser: every kind of page, and the admin, render with no inline
script or style refused, and what used to be inline (chart colours) still shows.

Drives Debian's Chromium with Playwright, like tests/test_browser.py (whose fixtures it shares).
"""

import pytest
from django.core.management import call_command

from assessments.models import Finding
from tests import factories
from tests.test_browser import PASSWORD, browser, page  # noqa: F401 (fixtures)
from vendors.models import LineageRefresh, ModelUsage, Vendor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pages_and_the_admin_work_under_the_content_security_policy(page, fake_hub):  # noqa: F811
    call_command("load_demo", verbosity=0)
    call_command("refresh_lineage", "--all", verbosity=0)
    factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    refused = []
    page.on(
        "console",
        lambda message: refused.append((page.url, message.text)) if "Content Security Policy" in message.text else None,
    )

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Third-party AI portfolio").wait_for()

    # Chart colours are presentation attributes now, and still paint the bars.
    bar = page.locator(".chart svg path[fill='#0d6efd']").first
    assert bar.evaluate("element => getComputedStyle(element).fill") == "rgb(13, 110, 253)"

    vendor = Vendor.objects.get(name="Northwind Legal AI, Inc.")
    usage = ModelUsage.objects.filter(product__vendor=vendor).first()
    finding = Finding.objects.first()
    refresh = LineageRefresh.objects.first()
    pages = [
        "/vendors/", f"/vendors/{vendor.pk}/", f"/vendors/{vendor.pk}/delete/", "/products/",
        usage.product.get_absolute_url(), f"/usages/{usage.pk}/", f"/usages/{usage.pk}/edit/",
        f"/models/{usage.model_id}/", "/models/", "/exposure/?country=CN", "/findings/",
        finding.get_absolute_url(), "/policy/", "/policy/edit/", f"/lineage/refreshes/{refresh.pk}/", "/no-such-page/",
        "/admin/", "/admin/vendors/vendor/", f"/admin/vendors/vendor/{vendor.pk}/change/",
        "/admin/vendors/publisher/add/", "/admin/auth/user/add/", "/admin/assessments/finding/",
    ]  # fmt: skip
    for path in pages:
        response = page.goto(path)
        assert response.status in (200, 404), path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
    page.goto("/api/docs/")  # Swagger UI, its settings script served as a file
    page.get_by_text("riskregistry API").first.wait_for()
    # One API docs page: ReDoc needs inline script and styles, so it is not served rather than served broken.
    assert page.goto("/api/redoc/").status == 404

    assert not refused, "\n".join(f"{url}: {text}" for url, text in refused)
