"""Webhook secrets are stored sealed: the database never holds one in clear, signing still verifies, a key rotation
keeps them readable while the old key is listed, and `webhooks_reseal` moves them to the new key."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from tests.webhook_receiver import WebhookReceiver
from webhooks import services
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


def _stored(endpoint) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret, previous_secret FROM webhooks_webhookendpoint WHERE id = %s", [endpoint.pk])
        return cursor.fetchone()


@pytest.fixture(autouse=True)
def _local_targets(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True


def _create():
    return services.endpoint_create(url="http://127.0.0.1:9/hook", event_types=["lineage.changed"])


def test_the_database_never_holds_a_secret_in_clear():
    endpoint, secret = _create()
    endpoint, new = services.endpoint_secret_rotate(endpoint=endpoint)
    stored, previous = _stored(endpoint)
    assert secret not in stored + previous and new not in stored + previous
    assert "whsec_" not in stored + previous
    fresh = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert (fresh.secret, fresh.previous_secret) == (new, secret)


def test_signatures_made_with_the_sealed_secret_verify(django_capture_on_commit_callbacks):
    with WebhookReceiver() as receiver:
        endpoint, secret = services.endpoint_create(url=receiver.url, event_types=["lineage.changed"])
        receiver.secrets.append(secret)
        with django_capture_on_commit_callbacks(execute=True):
            services.endpoint_test_send(endpoint=WebhookEndpoint.objects.get(pk=endpoint.pk))
    assert receiver.received[-1].verified_with == [secret]


def test_a_changed_secret_key_reads_through_the_fallback_and_reseal_moves_to_the_new_key(settings):
    endpoint, secret = _create()
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "n" * 60, [old_key]
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == secret  # opened with the fallback

    out = StringIO()
    call_command("webhooks_reseal", stdout=out)
    assert out.getvalue().strip().splitlines()[-1] == "1"
    settings.SECRET_KEY_FALLBACKS = []
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == secret  # sealed under the new key now


def test_without_the_old_key_the_error_says_what_to_do(settings):
    endpoint, _secret = _create()
    settings.WEBHOOKS_SEALING_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY_FALLBACKS"):
        WebhookEndpoint.objects.get(pk=endpoint.pk)
