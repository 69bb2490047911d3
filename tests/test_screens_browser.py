"""Every main page, looked at in a real browser at desktop and phone width: full-page screenshots are kept as
artifacts for a person to look at, and a page wider than the window (a table pushing columns off, a long name
that does not wrap) fails the test.

Drives Debian's Chromium with Playwright, like tests/test_browser.py (whose fixtures it shares). The screenshots go
to ``$RISKREGISTRY_ARTIFACTS`` (default ``tmp/artifacts`` in the working directory), in a ``screens`` folder
whose path the test prints.
"""

import os
from pathlib import Path

import pytest
from django.core.management import call_command

from assessments.models import Finding
from riskregistry.roles import ANALYST
from tests import factories
from tests.test_browser import PASSWORD, browser  # noqa: F401 (fixture)
from vendors.models import AIModel, LineageRefresh, ModelUsage, Vendor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": 1366, "phone": 390}
LONG = "X" * 200  # an unbroken 200-character name: no space for the browser to wrap at


# The page's width and the window's, and the outermost elements that reach past the window's right edge (to say
# what overflows when something does).
_MEASURE = """() => {
  const edge = window.innerWidth;
  const culprits = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.getBoundingClientRect().right > edge + 1 && !culprits.some(c => c.contains(el))) culprits.push(el);
  }
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  return [document.documentElement.scrollWidth, edge, culprits.slice(0, 5).map(name).join(", ")];
}"""


def _artifacts() -> Path:
    folder = Path(os.environ.get("RISKREGISTRY_ARTIFACTS", "tmp/artifacts")).resolve() / "screens"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _main_pages() -> dict[str, str]:
    vendor = Vendor.objects.get(name__startswith="X" * 50)
    product = vendor.products.get()
    usage = ModelUsage.objects.filter(product=product).first()
    model = AIModel.objects.filter(name__startswith="northwind-ai/").first()
    finding = Finding.objects.order_by("pk").first()
    refresh = LineageRefresh.objects.order_by("pk").first()
    return {
        "dashboard": "/",
        "vendors": "/vendors/",
        "vendor": vendor.get_absolute_url(),
        "vendor-edit": f"/vendors/{vendor.pk}/edit/",
        "products": "/products/",
        "product": product.get_absolute_url(),
        "usage": f"/usages/{usage.pk}/",
        "usage-edit": f"/usages/{usage.pk}/edit/",
        "models": "/models/",
        "model": f"/models/{model.pk}/",
        "exposure": "/exposure/",
        "exposure-cn": "/exposure/?country=CN",
        "findings": "/findings/",
        "finding": finding.get_absolute_url(),
        "attestations": "/attestations/",
        "assessments": "/assessments/",
        "publishers-to-identify": "/knowledge/unknown-publishers/",
        "policy": "/policy/",
        "reports": "/reports/",
        "imports": "/imports/",
        "refresh": f"/lineage/refreshes/{refresh.pk}/",
        "search": "/search/?q=northwind",
    }


def test_every_main_page_fits_a_desktop_and_a_phone_with_a_200_character_name(browser, live_server, fake_hub):  # noqa: F811
    call_command("load_demo", verbosity=0)
    vendor = factories.VendorFactory(name=LONG, website="https://" + "x" * 60 + ".example")
    product = factories.ProductFactory(vendor=vendor, name="P" * 200, business_owner="O" * 200)
    factories.ModelUsageFactory(product=product, model=AIModel.objects.filter(name__startswith="northwind-ai/").first())
    call_command("refresh_lineage", "--all", verbosity=0)
    factories.UserFactory(username="ana", role=ANALYST)
    folder = _artifacts()
    print(f"\nscreenshots in {folder}")

    overflowing = []
    for label, width in WIDTHS.items():
        context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("ana")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Third-party AI portfolio").wait_for()
        for name, path in _main_pages().items():
            response = page.goto(path)
            assert response.status == 200, path
            page.screenshot(path=folder / f"{name}-{label}.png", full_page=True)
            scroll_width, inner_width, culprits = page.evaluate(_MEASURE)
            if scroll_width > inner_width:
                overflowing.append(f"{path} at {width} px: {scroll_width} px wide; past the edge: {culprits}")
        context.close()
    assert not overflowing, "pages wider than the window:\n" + "\n".join(overflowing)
