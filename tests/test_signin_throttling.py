"""Sign-in throttling (django-axes): repeated failures lock the account and the address, the right password is then
refused too, admins see and lift the lockout, and every sign-in, failed or successful, is kept for the audit."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def _sign_in(client, username, password, address="203.0.113.7"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, settings):
    factories.UserFactory(username="ana")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(client, "ana", "wrong").status_code == 200  # the form again, with its error
    locked = _sign_in(client, "ana", "wrong")
    assert locked.status_code == 429 and "Sign-in temporarily locked" in locked.content.decode()

    assert _sign_in(client, "ana", PASSWORD).status_code == 429
    assert _sign_in(client, "ana", PASSWORD, address="198.51.100.9").status_code == 429  # per account
    assert "_auth_user_id" not in client.session


def test_repeated_failures_from_one_address_lock_it_for_every_account(client, settings):
    factories.UserFactory(username="bob")
    for n in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, f"guess{n}", "wrong", address="192.0.2.50")
    assert _sign_in(client, "bob", PASSWORD, address="192.0.2.50").status_code == 429
    assert _sign_in(client, "bob", PASSWORD, address="192.0.2.51").status_code == 302  # another address is fine


def test_an_admin_sees_the_lockout_and_lifts_it(client, settings):
    factories.UserFactory(username="ana")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "ana", "wrong")
    admin = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    listing = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "ana" in listing and "203.0.113.7" in listing
    attempt = AccessAttempt.objects.get(username="ana")
    client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    client.logout()

    assert _sign_in(client, "ana", PASSWORD).status_code == 302


def test_failed_and_successful_sign_ins_are_kept(client):
    factories.UserFactory(username="ana")
    _sign_in(client, "ana", "wrong")
    _sign_in(client, "ana", PASSWORD)

    assert AccessFailureLog.objects.filter(username="ana", ip_address="203.0.113.7").count() == 1
    success = AccessLog.objects.get(username="ana")
    assert success.ip_address == "203.0.113.7" and success.attempt_time is not None
    assert not AccessAttempt.objects.filter(username="ana").exists()  # a success clears the failures


BEHIND_TWO_PROXIES = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.7, 10.0.0.1"}


@pytest.mark.parametrize(
    ("proxies", "meta", "expected"),
    [
        (0, {"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": "6.6.6.6"}, "203.0.113.7"),  # header ignored
        (1, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}, "203.0.113.7"),
        (1, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.7"}, "203.0.113.7"),
        (2, BEHIND_TWO_PROXIES, "203.0.113.7"),
        (2, {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "10.0.0.1"}, "10.0.0.2"),  # chain too short
        (1, {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "not an address"}, "10.0.0.1"),
        (1, {"REMOTE_ADDR": "10.0.0.1"}, "10.0.0.1"),
    ],
)
def test_the_client_address_is_read_only_as_far_as_the_declared_proxies(rf, settings, proxies, meta, expected):
    from riskregistry.client_ip import client_ip

    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(rf.get("/", **meta)) == expected


def test_behind_proxies_a_spoofed_forwarded_header_neither_escapes_nor_causes_a_lockout(client, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    factories.UserFactory(username="bob")
    for n in range(settings.AXES_FAILURE_LIMIT):  # one attacker, a new invented address in front each time
        spoofed = {**BEHIND_TWO_PROXIES, "HTTP_X_FORWARDED_FOR": f"6.6.6.{n}, 203.0.113.7, 10.0.0.1"}
        client.post("/accounts/login/", {"username": f"guess{n}", "password": "wrong"}, **spoofed)
    assert AccessFailureLog.objects.filter(ip_address="203.0.113.7").count() == settings.AXES_FAILURE_LIMIT
    signed_in = client.post("/accounts/login/", {"username": "bob", "password": PASSWORD}, **BEHIND_TWO_PROXIES)
    assert signed_in.status_code == 429  # the attacker's real address is locked out
    elsewhere = {**BEHIND_TWO_PROXIES, "HTTP_X_FORWARDED_FOR": "198.51.100.9, 10.0.0.1"}
    assert client.post("/accounts/login/", {"username": "bob", "password": PASSWORD}, **elsewhere).status_code == 302


def test_an_overlong_user_name_is_refused_by_the_form_not_a_500(client):
    response = client.post("/accounts/login/", {"username": "a" * 25000, "password": "x"}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200 and "at most 150 characters" in response.content.decode()
    assert not AccessAttempt.objects.exists()  # nothing tried, nothing counted
