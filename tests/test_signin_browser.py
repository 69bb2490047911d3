"""Single sign-on and two-factor enrolment in a real browser (Debian's Chromium, as tests/test_browser.py): the
provider's button through a real OpenID Connect provider and back, and the enrolment page's server-drawn QR code
under the Content-Security-Policy."""

import base64

import pytest
from django_otp.oath import totp

from riskregistry.roles import ADMIN
from tests import factories
from tests.oidc import CALLBACK, CLIENT_ID, CLIENT_SECRET
from tests.test_browser import PASSWORD, browser, page  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _csp_refusals(page):  # noqa: F811
    refused = []
    page.on("console", lambda m: refused.append((page.url, m.text)) if "Content Security Policy" in m.text else None)
    return refused


def test_signing_in_with_the_provider_button(page, live_server, settings, oidc_provider, tmp_path):  # noqa: F811
    oidc_provider.client(
        CLIENT_ID, CLIENT_SECRET, redirect_uris=(CALLBACK, f"{live_server.url}/accounts/sso/callback/")
    )
    oidc_provider.rp_settings(settings)
    oidc_provider.user("grace", password="provider password 1", groups=["risk-analysts"])
    refused = _csp_refusals(page)

    page.goto("/vendors/")
    page.screenshot(path=tmp_path / "sign-in.png", full_page=True)
    page.get_by_role("link", name="Sign in with Example IdP").click()
    page.locator("input[name=username]").fill("grace")  # the provider's own sign-in page
    page.locator("input[name=password]").fill("provider password 1")
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("heading", name="Vendors").wait_for()
    assert page.url == f"{live_server.url}/vendors/"
    page.get_by_role("button", name="grace").click()
    assert page.get_by_text("Role: analyst").is_visible()
    assert not refused, refused


def test_an_admin_enrols_two_factor_when_it_is_required(page, settings, tmp_path):  # noqa: F811
    settings.REQUIRE_ADMIN_2FA = True
    factories.UserFactory(username="ada", role=ADMIN)
    refused = _csp_refusals(page)

    page.goto("/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("heading", name="Set up two-factor sign-in").wait_for()
    page.screenshot(path=tmp_path / "two-factor-setup.png", full_page=True)
    qr = page.locator(".qr-code svg").bounding_box()
    assert qr["width"] >= 150 and qr["height"] >= 150
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_label("Code from the app").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Confirm").click()

    page.get_by_role("heading", name="Your backup codes").wait_for()
    assert page.locator(".backup-codes li").count() == 10
    page.get_by_role("link", name="I have kept them").click()
    page.get_by_role("heading", name="Third-party AI portfolio").wait_for()
    assert not refused, refused
