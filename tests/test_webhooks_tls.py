"""HTTPS targets: the connection goes to the address that passed the SSRF check, yet TLS still verifies the
certificate against the URL's host name (a certificate for another name is refused)."""

import subprocess

import pytest

from tests.webhook_receiver import WebhookReceiver
from webhooks import delivery, signing


@pytest.fixture
def certificate(tmp_path, monkeypatch):
    """A self-signed certificate for the name ``localhost`` only, trusted by the delivery client."""
    import ssl

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    trusted = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr(delivery, "_ssl_context", lambda: trusted)
    return str(cert), str(key)


def _post(url: str, secret: str):
    body = '{"type":"webhook.test","timestamp":"2026-12-05T00:00:00Z","data":{}}'
    from django.utils import timezone

    headers = signing.signed_headers(message_id="msg_tls", body=body, secrets_in_force=[secret], at=timezone.now())
    return delivery.post(url=url, body=body, headers=headers, timeout=5, allow_private=True)


def test_an_https_receiver_gets_the_signed_message(certificate):
    secret = signing.secret_generate()
    with WebhookReceiver(secrets=[secret], tls=certificate, host="localhost") as receiver:
        outcome = _post(receiver.url, secret)
    assert outcome.succeeded, outcome
    assert receiver.received[0].verified_with == [secret]


def test_a_certificate_for_another_name_is_refused(certificate):
    secret = signing.secret_generate()
    with WebhookReceiver(secrets=[secret], tls=certificate, host="127.0.0.1") as receiver:
        outcome = _post(receiver.url, secret)  # the certificate names localhost, not 127.0.0.1
    assert not outcome.succeeded and outcome.status is None
    assert "CERTIFICATE_VERIFY_FAILED" in outcome.error and "127.0.0.1" in outcome.error, outcome.error
    assert receiver.received == []
