"""Single sign-on with OpenID Connect against a real provider (django-oauth-toolkit with RS256 ID tokens, in its
own process): the whole authorization-code flow with state, nonce and PKCE, the groups claim mapped to the roles at
every sign-in, and ID tokens that are not for us refused."""

import socket
import time

import jwt
import pytest
import requests
from axes.models import AccessFailureLog, AccessLog
from django.contrib.auth.models import User
from django.test import Client

from riskregistry.models import OidcIdentity, SecurityEvent
from riskregistry.signin import oidc_config
from tests import factories
from tests.oidc import CLIENT_ID, provider_sign_in, sso_sign_in

pytestmark = pytest.mark.django_db

PASSWORD = "provider password 1"


@pytest.fixture
def provider(oidc_provider):
    return oidc_provider


@pytest.fixture
def sso(settings, provider):
    provider.rp_settings(settings)
    return provider


def _roles(username: str) -> list[str]:
    return sorted(User.objects.get(username=username).groups.values_list("name", flat=True))


def test_the_sign_in_page_offers_the_provider_only_when_configured(client, settings, provider):
    assert "Sign in with" not in client.get("/accounts/login/").content.decode()
    assert client.get("/accounts/sso/start/").status_code == 404

    provider.rp_settings(settings)
    page = client.get("/accounts/login/?next=/vendors/").content.decode()
    assert "Sign in with Example IdP" in page and 'href="/accounts/sso/start/?next=/vendors/"' in page


def test_a_first_sign_in_creates_the_user_with_the_role_of_their_groups(client, sso):
    sso.user("grace", password=PASSWORD, groups=["risk-analysts", "staff-all"])

    response = sso_sign_in(client, "grace", PASSWORD, next_url="/vendors/")

    assert response.status_code == 302 and response["Location"] == "/vendors/"
    user = User.objects.get(username="grace")
    assert _roles("grace") == ["analyst"] and not user.is_staff and not user.is_superuser
    assert user.email == "grace@idp.example" and not user.has_usable_password()
    identity = OidcIdentity.objects.get(user=user)
    assert identity.issuer == sso.issuer and identity.groups == ["risk-analysts", "staff-all"]
    assert client.get("/vendors/").status_code == 200
    assert client.get("/vendors/new/").status_code == 200  # an analyst's page
    # In the audit trail, as a password sign-in is (django-axes), and with the role it came with.
    assert AccessLog.objects.filter(username="grace").count() == 1
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SSO_SIGN_IN, user=user)
    assert "role analyst" in event.detail and event.ip_address == "127.0.0.1"


def test_roles_follow_the_groups_at_every_sign_in(client, sso):
    sso.user("hopper", password=PASSWORD, groups=["risk-admins"])
    sso_sign_in(client, "hopper", PASSWORD)
    assert _roles("hopper") == ["admin"] and User.objects.get(username="hopper").is_staff
    client.logout()

    sso.user("hopper", password=PASSWORD, groups=["risk-readers"])  # removed from the admins at the provider
    sso_sign_in(client, "hopper", PASSWORD)

    user = User.objects.get(username="hopper")
    assert _roles("hopper") == ["viewer"] and not user.is_staff
    assert User.objects.filter(username__startswith="hopper").count() == 1  # the same account, found by subject
    assert client.get("/vendors/new/").status_code == 403


def test_deactivating_the_account_ends_its_sessions_and_refuses_the_next_sign_in(client, sso):
    sso.user("ivy", password=PASSWORD, groups=["risk-readers"])
    sso_sign_in(client, "ivy", PASSWORD)
    assert client.get("/vendors/").status_code == 200
    User.objects.filter(username="ivy").update(is_active=False)

    assert client.get("/vendors/")["Location"].startswith("/accounts/login/")
    assert sso_sign_in(client, "ivy", PASSWORD)["Location"] == "/accounts/login/"
    assert client.get("/vendors/")["Location"].startswith("/accounts/login/")
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SSO_SIGN_IN_FAILED, username="ivy").exists()


def test_a_user_in_no_mapped_group_gets_no_role_and_a_clear_message(client, sso):
    sso.user("lin", password=PASSWORD, groups=["risk-analysts"])
    sso_sign_in(client, "lin", PASSWORD)
    client.logout()
    sso.user("lin", password=PASSWORD, groups=["marketing"])

    response = sso_sign_in(client, "lin", PASSWORD)

    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    page = client.get("/accounts/login/").content.decode()
    assert "none of your groups there (marketing) gives a role in riskregistry" in page
    assert "_auth_user_id" not in client.session
    assert _roles("lin") == []  # the analyst role went with the group
    refused = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SSO_SIGN_IN_FAILED, username="lin")
    assert "none of your groups" in refused.detail
    assert AccessFailureLog.objects.count() == 1  # and django-axes counts it against the address


def test_a_local_account_of_the_same_name_is_not_taken_over(client, sso):
    local = factories.UserFactory(username="root", email="root@idp.example", role="admin", is_superuser=True)
    sso.user("root", password=PASSWORD, groups=["risk-readers"])

    sso_sign_in(client, "root", PASSWORD)

    created = OidcIdentity.objects.get().user
    assert created != local and created.username == "root-2" and _roles("root-2") == ["viewer"]
    local.refresh_from_db()
    assert local.is_superuser and _roles("root") == ["admin"]


def test_a_callback_this_browser_did_not_start_is_refused(client, sso):
    sso.user("mallory", password=PASSWORD, groups=["risk-admins"])
    other = Client()  # the attacker's browser starts a sign-in and stops at the callback
    callback = provider_sign_in(requests.Session(), other.get("/accounts/sso/start/")["Location"], "mallory", PASSWORD)

    response = client.get(callback.removeprefix("http://testserver"))  # a victim's browser, fed the attacker's code

    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SSO_SIGN_IN_FAILED).exists()
    # The state was used up by nobody: replaying it in the browser that started it works once, then never again.
    assert other.get(callback.removeprefix("http://testserver")).status_code == 302
    assert other.session.get("_auth_user_id")
    other.logout()
    assert "_auth_user_id" not in other.session
    assert other.get(callback.removeprefix("http://testserver"))["Location"] == "/accounts/login/"


def test_a_provider_that_is_not_the_configured_issuer_is_refused(client, settings, sso):
    sso.user("eve", password=PASSWORD, groups=["risk-admins"])
    settings.OIDC_ISSUER = f"{sso.base_url}/other-issuer"
    settings.OIDC_DISCOVERY_URL = f"{sso.issuer}/.well-known/openid-configuration"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{sso.issuer}/authorize/"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{sso.issuer}/token/"
    settings.OIDC_OP_USER_ENDPOINT = f"{sso.issuer}/userinfo/"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{sso.issuer}/.well-known/jwks.json"

    response = sso_sign_in(client, "eve", PASSWORD)

    assert response["Location"] == "/accounts/login/" and "_auth_user_id" not in client.session
    refused = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SSO_SIGN_IN_FAILED)
    assert "another issuer" in refused.detail
    assert not User.objects.filter(username="eve").exists()


def _id_token_for(provider, client_id: str, secret: str, username: str) -> str:
    """An ID token the provider really issues to ``client_id`` (its own authorization-code flow with PKCE)."""
    import base64
    import hashlib
    import secrets
    from urllib.parse import parse_qs, urlencode, urlparse

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": "http://testserver/accounts/sso/callback/",
            "scope": "openid profile",
            "state": "s",
            "nonce": "n-123",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    callback = provider_sign_in(requests.Session(), f"{provider.issuer}/authorize/?{query}", username, PASSWORD)
    code = parse_qs(urlparse(callback).query)["code"][0]
    tokens = requests.post(
        f"{provider.issuer}/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://testserver/accounts/sso/callback/",
            "client_id": client_id,
            "client_secret": secret,
            "code_verifier": verifier,
        },
        timeout=10,
    ).json()
    return tokens["id_token"]


def _provider_key(provider, token):
    jwks = requests.get(f"{provider.issuer}/.well-known/jwks.json", timeout=10).json()
    kid = jwt.get_unverified_header(token)["kid"]
    return jwt.PyJWK(next(key for key in jwks["keys"] if key["kid"] == kid))


def test_an_id_token_issued_to_another_client_is_refused(sso):
    sso.client("another-app", "another-secret")
    sso.user("trent", password=PASSWORD, groups=["risk-admins"])
    token = _id_token_for(sso, "another-app", "another-secret", "trent")
    key = _provider_key(sso, token)

    with pytest.raises(oidc_config.TokenRefused, match="issued to another client"):
        oidc_config.id_token_claims(token, key, nonce="n-123")
    assert jwt.decode(token, key, algorithms=["RS256"], audience="another-app")["sub"]  # a genuine token


def test_an_expired_or_replayed_id_token_is_refused(sso):
    sso.user("walter", password=PASSWORD, groups=["risk-readers"])
    token = _id_token_for(sso, CLIENT_ID, "riskregistry-client-secret", "walter")
    key = _provider_key(sso, token)
    claims = oidc_config.id_token_claims(token, key, nonce="n-123")  # valid now, for this client and nonce
    assert claims["iss"] == sso.issuer and claims["aud"] == CLIENT_ID

    with pytest.raises(oidc_config.TokenRefused, match="expired"):
        oidc_config.id_token_claims(token, key, nonce="n-123", now=claims["exp"] + 61)
    with pytest.raises(oidc_config.TokenRefused, match="nonce"):
        oidc_config.id_token_claims(token, key, nonce="another sign-in")
    assert time.time() < claims["exp"]


def test_a_provider_that_is_down_holds_up_neither_password_sign_in_nor_the_pages(client, settings, sso):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.OIDC_ISSUER = f"http://127.0.0.1:{port}/o"  # nothing listens there
    factories.UserFactory(username="local", role="analyst")

    signed_in = client.post("/accounts/login/", {"username": "local", "password": "correct horse battery staple"})
    assert signed_in.status_code == 302 and client.get("/vendors/").status_code == 200
    client.logout()

    start = client.get("/accounts/sso/start/")
    assert start["Location"] == "/accounts/login/"
    assert "Example IdP cannot be reached just now" in client.get("/accounts/login/").content.decode()
