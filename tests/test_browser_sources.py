"""An auditor reads the policy's curated facts in a browser: each source says whether it is the primary one, and a
fact read only through a copy says so and links the primary it reports on. Drives Debian's Chromium with Playwright."""

import pytest

from riskregistry.roles import VIEWER
from tests import factories
from tests.test_browser import _sign_in, browser  # noqa: F401  (the module-scoped browser fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_policy_page_tells_primary_from_secondary_sources(browser, live_server, tmp_path):  # noqa: F811
    factories.UserFactory(username="audrey", role=VIEWER)
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _sign_in(page, "audrey")
        page.goto("/policy/")
        facts = page.locator("#sources .curated-fact")
        adversaries = facts.filter(has_text="US foreign adversaries, 15 CFR 791.4")
        adversaries.scroll_into_view_if_needed()
        page.screenshot(path=tmp_path / "policy-sources.png", full_page=True)
        assert adversaries.get_by_text("read only through a secondary copy").is_visible()
        copy = adversaries.locator("li.source-secondary").filter(has_text="Wikiwand")
        assert "(secondary, reporting on 15 CFR 791.4 Determination of foreign adversaries (eCFR))" in copy.inner_text()
        primary = copy.get_by_role("link", name="15 CFR 791.4 Determination of foreign adversaries (eCFR)")
        assert primary.get_attribute("href").startswith("https://www.ecfr.gov/current/title-15/")

        crowdstrike = facts.filter(has_text="CrowdStrike: DeepSeek R1")
        assert (
            crowdstrike.locator("li.source-primary")
            .get_by_role("link")
            .get_attribute("href")
            .startswith("https://www.crowdstrike.com/")
        )
        assert crowdstrike.locator("li.source-secondary").count() == 0
        assert not crowdstrike.get_by_text("read only through a secondary copy").count()
    finally:
        context.close()
