"""The navigation's search box in a real browser: typed into on any page, it shows what it found grouped by kind,
and a hit leads to its page. Drives Debian's Chromium with Playwright, like tests/test_browser.py."""

import pytest

from riskregistry.roles import VIEWER
from tests import factories
from tests.test_browser import _sign_in, browser, page  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_box_in_the_navigation_finds_a_vendor_and_its_product(page):  # noqa: F811
    factories.ProductFactory(vendor__name="Northwind Legal AI, Inc.", name="Contract Copilot")
    factories.UserFactory(username="vic", role=VIEWER)
    _sign_in(page, "vic")
    page.goto("/vendors/")
    box = page.get_by_role("searchbox", name="Search vendors, products, models, publishers and findings")
    box.fill("northwind")
    box.press("Enter")
    page.get_by_role("heading", name="Search", exact=True).wait_for()
    assert page.get_by_role("heading", name="Vendors").is_visible()
    assert page.get_by_role("heading", name="Products").is_visible()
    page.get_by_role("link", name="Contract Copilot").click()
    page.get_by_role("heading", name="Contract Copilot").wait_for()
