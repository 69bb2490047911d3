"""Two analysts edit the same vendor in two browsers: the second save is refused with what the first changed, who
and when, keeps what the second typed, and goes through when saved again, without undoing the first's change.
Drives Debian's Chromium with Playwright."""

import pytest

from riskregistry.roles import ANALYST
from tests import factories
from tests.test_browser import _sign_in, browser  # noqa: F401  (the module-scoped browser fixture)
from vendors.models import Vendor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _analyst_page(browser, live_server, username):  # noqa: F811
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    _sign_in(page, username)
    return context, page


def test_two_analysts_edit_the_same_vendor_and_nothing_is_lost(browser, live_server, tmp_path):  # noqa: F811
    vendor = factories.VendorFactory(name="Acme AI, Inc.", country="US", tier="medium", website="https://acme.example")
    factories.UserFactory(username="alice", role=ANALYST)
    factories.UserFactory(username="bob", role=ANALYST)
    alice_context, alice = _analyst_page(browser, live_server, "alice")
    bob_context, bob = _analyst_page(browser, live_server, "bob")
    try:
        # Both open the edit form of the same vendor.
        for page in (alice, bob):
            page.goto(f"/vendors/{vendor.pk}/")
            page.get_by_role("link", name="Edit").click()
            page.get_by_role("heading", name="Edit Acme AI, Inc.").wait_for()

        # Alice raises the tier and saves.
        alice.get_by_label("Criticality").select_option("critical")
        alice.get_by_role("button", name="Save").click()
        alice.get_by_text("Vendor Acme AI, Inc. saved.").wait_for()

        # Bob, on the form he opened before, changes the website and the description, and saves.
        bob.get_by_label("Website").fill("https://bob.example")
        bob.get_by_label("Description").fill("Bob's due-diligence notes.")
        bob.get_by_role("button", name="Save").click()
        stale = bob.locator("#stale-changes")
        stale.wait_for()
        bob.screenshot(path=tmp_path / "stale.png", full_page=True)
        assert "was changed by alice" in bob.get_by_role("alert").first.inner_text()
        row = stale.get_by_role("row").filter(has_text="Criticality")
        assert [cell.strip() for cell in row.locator("td").all_inner_texts()[:4]] == [
            "Criticality", "Moderate", "Critical", "alice"
        ]  # fmt: skip
        # Nothing Bob typed is lost, and the tier he had left alone now shows Alice's value.
        assert bob.get_by_label("Website").input_value() == "https://bob.example"
        assert bob.get_by_label("Description").input_value() == "Bob's due-diligence notes."
        assert bob.get_by_label("Criticality").input_value() == "critical"
        vendor.refresh_from_db()
        assert (vendor.tier, vendor.website, vendor.description) == ("critical", "https://acme.example", "")

        # Saved again, Bob's change goes through on top of Alice's.
        bob.get_by_role("button", name="Save").click()
        bob.get_by_text("Vendor Acme AI, Inc. saved.").wait_for()
        vendor = Vendor.objects.get(pk=vendor.pk)
        assert (vendor.tier, vendor.website, vendor.description) == (
            "critical", "https://bob.example", "Bob's due-diligence notes."
        )  # fmt: skip
        history = bob.locator("table.history-change").inner_text()
        assert "alice" in history and "bob" in history
    finally:
        alice_context.close()
        bob_context.close()
