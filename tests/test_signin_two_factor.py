"""TOTP two-factor sign-in (django-otp): enrolment with a server-drawn QR code and the secret, confirmation with a
real code computed from the secret, backup codes, the code at every sign-in, REQUIRE_ADMIN_2FA, an admin lifting
another's devices, and every step in the audit trail."""

import base64
import re

import pytest
import segno
from django.contrib.auth.models import User
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from riskregistry.models import SecurityEvent
from riskregistry.roles import ADMIN, ANALYST
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def _code(device: TOTPDevice, ahead: int = 1) -> str:
    """What the authenticator app shows (``ahead`` steps on: a code is accepted once, and tests run within one
    30-second step)."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + ahead):0{device.digits}d}"


def _enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def _sign_in(client, username):
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD}, REMOTE_ADDR="198.51.100.4")


def _kinds(user) -> list[str]:
    return list(SecurityEvent.objects.filter(user=user).order_by("pk").values_list("kind", flat=True))


def test_an_admin_enrols_with_the_qr_code_or_the_secret_and_confirms_with_a_code(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/accounts/two-factor/setup/")
    html = page.content.decode()

    assert page.status_code == 200
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert "<path" in svg and "style=" not in svg and "<script" not in svg  # drawn on the server, CSP-clean
    assert (
        "script-src 'self'" in page["Content-Security-Policy"]
        and "'unsafe-inline'" not in page["Content-Security-Policy"]
    )
    device = TOTPDevice.objects.get(user=admin_user, confirmed=False)
    assert "secret=" in device.config_url and "issuer=riskregistry" in device.config_url
    expected = segno.make(device.config_url, error="m").svg_inline(scale=5, border=4, dark="#000", light="#fff")
    assert re.search(r'd="([^"]+)"', expected).group(1) in svg  # the QR code is of this device's key URI
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key

    wrong = client.post(
        "/accounts/two-factor/setup/", {"token": "000000" if _code(device, 0) != "000000" else "111111"}
    )
    assert "That code is not right" in wrong.content.decode()
    device.throttle_reset()

    done = client.post("/accounts/two-factor/setup/", {"token": _code(device, 0)})

    codes = re.findall(r"<li>([a-z2-7]{8})</li>", done.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert set(StaticDevice.objects.get(user=admin_user).token_set.values_list("token", flat=True)) == set(codes)
    assert _kinds(admin_user) == ["2fa.failed", "2fa.enrolled", "2fa.backup_codes_generated"]
    assert client.get("/vendors/").status_code == 200  # this session gave its code


def test_a_user_with_an_authenticator_gives_a_code_after_the_password(client, analyst):
    device = _enrolled(analyst)

    response = _sign_in(client, analyst.username)
    assert response.status_code == 302
    blocked = client.get("/vendors/?tier=high")
    assert blocked.status_code == 302
    assert blocked["Location"] == "/accounts/two-factor/verify/?next=%2Fvendors%2F%3Ftier%3Dhigh"
    assert client.get("/api/v1/vendors/").status_code == 302  # the session's API door too

    refused = client.post("/accounts/two-factor/verify/?next=/vendors/", {"token": "12345"})
    assert "That code is not right" in refused.content.decode()
    device.throttle_reset()
    accepted = client.post("/accounts/two-factor/verify/", {"token": _code(device), "next": "/vendors/?tier=high"})

    assert accepted.status_code == 302 and accepted["Location"] == "/vendors/?tier=high"
    assert client.get("/vendors/").status_code == 200
    assert _kinds(analyst) == ["2fa.failed", "2fa.verified"]


def test_a_code_may_not_send_the_browser_elsewhere(client, analyst):
    device = _enrolled(analyst)
    client.force_login(analyst)
    response = client.post("/accounts/two-factor/verify/", {"token": _code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_wrong_codes_are_throttled(client, analyst, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 600  # the wait after a wrong code, in seconds, doubling after each
    device = _enrolled(analyst)
    client.force_login(analyst)
    client.post("/accounts/two-factor/verify/", {"token": "000001"})

    response = client.post("/accounts/two-factor/verify/", {"token": _code(device)})

    assert "Too many wrong codes: wait" in response.content.decode()
    assert client.get("/vendors/").status_code == 302
    assert SecurityEvent.objects.filter(user=analyst, kind="2fa.failed", detail="throttled").exists()


def test_a_backup_code_works_once(client, analyst):
    device = _enrolled(analyst)
    client.force_login(analyst)
    client.post("/accounts/two-factor/verify/", {"token": _code(device)})
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", client.post("/accounts/two-factor/backup-codes/").content.decode())
    assert len(codes) == 10
    client.logout()

    client.force_login(analyst)
    assert client.post("/accounts/two-factor/verify/", {"token": codes[0].upper()})["Location"] == "/"
    client.logout()
    client.force_login(analyst)
    assert "That code is not right" in client.post("/accounts/two-factor/verify/", {"token": codes[0]}).content.decode()
    event = SecurityEvent.objects.get(user=analyst, kind="2fa.backup_code_used")
    assert event.detail == "9 backup codes left"


def test_new_backup_codes_need_a_verified_session(client, analyst):
    _enrolled(analyst)
    client.force_login(analyst)
    assert client.post("/accounts/two-factor/backup-codes/").status_code == 302  # to the code first


def test_required_for_admins_they_enrol_before_anything_else(client, settings, admin_user, analyst):
    settings.REQUIRE_ADMIN_2FA = True
    root = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    for user in (admin_user, root):
        client.force_login(user)
        for path in ("/admin/", "/policy/edit/", "/webhooks/", "/"):
            response = client.get(path)
            assert response.status_code == 302, (user, path)
            assert response["Location"].startswith("/accounts/two-factor/setup/?next="), (user, path)
        assert "must use two-factor sign-in" in client.get("/accounts/two-factor/setup/").content.decode()
        client.logout()

    client.force_login(analyst)  # only admins must
    assert client.get("/vendors/").status_code == 200
    client.logout()

    client.force_login(admin_user)
    client.get("/accounts/two-factor/setup/")
    device = TOTPDevice.objects.get(user=admin_user)
    client.post("/accounts/two-factor/setup/", {"token": _code(device, 0)})
    assert client.get("/policy/edit/").status_code == 200
    assert client.get("/webhooks/").status_code == 200


def test_replacing_the_authenticator_needs_the_current_one(client, analyst):
    device = _enrolled(analyst)
    client.force_login(analyst)
    assert client.get("/accounts/two-factor/setup/")["Location"].startswith("/accounts/two-factor/verify/")
    client.post("/accounts/two-factor/verify/", {"token": _code(device)})
    client.get("/accounts/two-factor/setup/")
    new = TOTPDevice.objects.get(user=analyst, confirmed=False)

    client.post("/accounts/two-factor/setup/", {"token": _code(new, 0)})

    assert list(TOTPDevice.objects.filter(user=analyst).values_list("pk", flat=True)) == [new.pk]


def test_an_admin_lifts_another_admins_devices_with_a_reason(client, admin_user):
    other = factories.UserFactory(username="otto-admin", role=ADMIN)
    _enrolled(other)
    _enrolled(admin_user)
    StaticDevice.objects.create(user=other, name="Backup codes").token_set.create(token="abcdefgh")
    client.force_login(admin_user)
    client.post("/accounts/two-factor/verify/", {"token": _code(TOTPDevice.objects.get(user=admin_user))})

    listing = client.get("/accounts/two-factor/users/").content.decode()
    assert "otto-admin" in listing and f"/accounts/two-factor/users/{other.pk}/remove/" in listing
    assert client.post(f"/accounts/two-factor/users/{other.pk}/remove/", {"reason": ""}).status_code == 200
    response = client.post(f"/accounts/two-factor/users/{other.pk}/remove/", {"reason": "Lost phone, ticket 4711"})

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=other).exists() and not StaticDevice.objects.filter(user=other).exists()
    event = SecurityEvent.objects.get(kind="2fa.removed")
    assert event.user == other and event.actor == admin_user and event.detail == "Lost phone, ticket 4711"

    own = client.post(f"/accounts/two-factor/users/{admin_user.pk}/remove/", {"reason": "mine"})
    assert "Another administrator must remove" in own.content.decode()
    assert TOTPDevice.objects.filter(user=admin_user).exists()


def test_only_admins_see_or_lift_others_devices(client, analyst, viewer):
    other = factories.UserFactory(username="otto", role=ANALYST)
    _enrolled(other)
    for user in (analyst, viewer):
        client.force_login(user)
        assert client.get("/accounts/two-factor/users/").status_code == 403
        assert client.post(f"/accounts/two-factor/users/{other.pk}/remove/", {"reason": "x"}).status_code == 403
    assert TOTPDevice.objects.filter(user=other).exists()


def test_a_lifted_device_stops_asking_for_a_code(client, analyst, admin_user):
    _enrolled(analyst)
    client.force_login(analyst)
    assert client.get("/vendors/").status_code == 302
    TOTPDevice.objects.filter(user=analyst).delete()  # what the removal above does

    response = client.get("/accounts/two-factor/verify/?next=/vendors/")

    assert response["Location"] == "/vendors/" and client.get("/vendors/").status_code == 200


def test_the_admin_site_does_not_show_or_delete_devices_around_the_audit_trail(client):
    root = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    index = client.get("/admin/").content.decode()
    assert "/admin/otp_totp/" not in index and "/admin/otp_static/" not in index
    assert "/admin/riskregistry/securityevent/" in index
    assert client.get("/admin/riskregistry/securityevent/").status_code == 200
    assert User.objects.filter(username="root").exists()


@pytest.mark.parametrize("next_url", ["-15", "home", "//evil.example/", "https://evil.example/"])
def test_a_next_that_is_not_a_path_on_this_site_leads_home_not_to_a_500(client, next_url):
    client.force_login(factories.UserFactory(username="nora"))
    response = client.get("/accounts/two-factor/verify/", {"next": next_url})
    assert response.status_code in (200, 302)
    assert next_url not in response.get("Location", "")
