"""The real OpenID Connect provider of the single sign-on tests (tests/oidc_provider: django-oauth-toolkit), run
by gunicorn in its own process, and the authorization-code flow driven as a browser would: riskregistry through
Django's test client, the provider over HTTP, each following the other's redirects."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.services import ROOT, process_group_stop, wait_for

CLIENT_ID = "riskregistry"
CLIENT_SECRET = "riskregistry-client-secret"
CALLBACK = "http://testserver/accounts/sso/callback/"
PROVIDER_SETTINGS = "tests.oidc_provider.settings"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class OidcProvider:
    workdir: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen | None = None
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/o"

    def _env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_URL", "OIDC_"))}
        return {
            **env,
            "DJANGO_SETTINGS_MODULE": PROVIDER_SETTINGS,
            "OIDC_PROVIDER_DB": str(self.workdir / "provider.sqlite3"),
            "OIDC_PROVIDER_KEY": str(self.workdir / "signing-key.pem"),
            "OIDC_PROVIDER_ISSUER": self.issuer,
            "OIDC_PROVIDER_ADMIN_TOKEN": self.admin_token,
            "PYTHONUNBUFFERED": "1",
        }

    def manage(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "django", *args], cwd=ROOT, env=self._env(), check=True, capture_output=True
        )

    def start(self) -> OidcProvider:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (self.workdir / "signing-key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        self.manage("migrate", "--noinput")
        self.client(CLIENT_ID, CLIENT_SECRET)
        log = open(self.workdir / "provider.log", "wb")  # noqa: SIM115 (kept open for the process's life)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "tests.oidc_provider.wsgi:application", "--bind",
             f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "4", "--log-level", "warning"],
            cwd=ROOT, env=self._env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        discovery = f"{self.issuer}/.well-known/openid-configuration"
        if not wait_for(lambda: self._answers(discovery), timeout=60):
            self.stop()
            raise RuntimeError(f"the OIDC provider did not start:\n{self.log()}")
        return self

    def _answers(self, url: str) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"the OIDC provider exited:\n{self.log()}")
        with suppress(requests.RequestException):
            return requests.get(url, timeout=2).status_code == 200
        return False

    def log(self) -> str:
        path = self.workdir / "provider.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        process_group_stop(self.process)

    def client(self, client_id: str, secret: str, redirect_uris: tuple[str, ...] = (CALLBACK,)) -> None:
        """Register (again) a client; its redirect URIs are exactly ``redirect_uris``."""
        uris = " ".join(redirect_uris)
        self.manage("provider_client", "--client-id", client_id, "--secret", secret, "--redirect-uri", uris)

    def user(self, username: str, *, password: str, groups: list[str], email: str = "") -> None:
        """Create or update a user at the provider, with exactly ``groups`` (as its admin console would)."""
        response = requests.post(
            f"{self.base_url}/test-admin/users/{username}/",
            json={"password": password, "email": email or f"{username}@idp.example", "groups": groups},
            headers={"Authorization": f"Bearer {self.admin_token}"},
            timeout=10,
        )
        response.raise_for_status()

    def rp_settings(self, settings, **overrides) -> None:
        """Configure riskregistry (the pytest-django ``settings`` fixture) to sign in with this provider."""
        values = {
            "OIDC_PROVIDER_NAME": "Example IdP",
            "OIDC_ISSUER": self.issuer,
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_RP_SCOPES": "openid email profile groups",
            "OIDC_GROUPS_CLAIM": "groups",
            "OIDC_ROLE_MAP": "risk-admins=admin,risk-analysts=analyst,risk-readers=viewer",
            **overrides,
        }
        for name, value in values.items():
            setattr(settings, name, value)
        settings.AUTHENTICATION_BACKENDS = [
            *[b for b in settings.AUTHENTICATION_BACKENDS if not b.endswith("OidcBackend")],
            "riskregistry.signin.oidc.OidcBackend",
        ]


def provider_sign_in(session: requests.Session, authorize_url: str, username: str, password: str) -> str:
    """Sign in at the provider from its authorization URL, as a person at the browser would; returns where the
    provider sends the browser back (the relying party's callback, with the code and the state)."""
    page = session.get(authorize_url, timeout=10)  # the provider's sign-in page, after its redirect
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        page.url,
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]
    while response.status_code == 302 and not response.headers["Location"].startswith("http://testserver"):
        response = session.get(urljoin(response.url, response.headers["Location"]), allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:500]
    return response.headers["Location"]


def sso_sign_in(client, username: str, password: str, *, next_url: str = "/"):
    """The whole authorization-code flow from riskregistry's sign-in button to the callback's answer."""
    start = client.get(f"/accounts/sso/start/?next={next_url}")
    assert start.status_code == 302, start
    callback = provider_sign_in(requests.Session(), start["Location"], username, password)
    return client.get(callback.removeprefix("http://testserver"))
