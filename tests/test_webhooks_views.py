"""The webhook pages and API: admins only (viewers and analysts get 403, anonymous visitors the sign-in page);
an admin creates an endpoint and sees its secret once, sends a test event and reads it in the delivery log,
rotates the secret, disables, enables and deletes; an endpoint disabled after failures says so."""

import pytest
from django.utils import timezone

from tests import factories
from tests.api import key_client
from tests.webhook_receiver import Answer, WebhookReceiver
from webhooks import services
from webhooks.models import WebhookEndpoint, WebhookMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def endpoint(receiver):
    endpoint, secret = services.endpoint_create(url=receiver.url, event_types=["rating.changed"], description="GRC")
    receiver.secrets.append(secret)
    return endpoint


def _pages(pk, message_pk):
    return [
        ("get", "/webhooks/"),
        ("get", "/webhooks/new/"),
        ("post", "/webhooks/new/"),
        ("get", f"/webhooks/{pk}/"),
        ("get", f"/webhooks/{pk}/edit/"),
        ("post", f"/webhooks/{pk}/edit/"),
        ("post", f"/webhooks/{pk}/rotate/"),
        ("post", f"/webhooks/{pk}/test/"),
        ("post", f"/webhooks/{pk}/enable/"),
        ("post", f"/webhooks/{pk}/disable/"),
        ("get", f"/webhooks/{pk}/delete/"),
        ("post", f"/webhooks/{pk}/delete/"),
        ("post", f"/webhooks/messages/{message_pk}/resend/"),
    ]


def _message(endpoint):
    from webhooks.payloads import Event

    (message,) = services.events_publish(events=[Event("rating.changed", timezone.now(), {})])
    return message


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_only_admins_reach_the_webhook_pages(client, endpoint, role):
    message = _message(endpoint)
    client.force_login(factories.UserFactory(username=f"u-{role}", role=role))
    for method, url in _pages(endpoint.pk, message.pk):
        assert getattr(client, method)(url).status_code == 403, (role, method, url)
    assert WebhookEndpoint.objects.get().secret == endpoint.secret  # nothing rotated, nothing deleted
    assert b"/webhooks/" not in client.get("/").content  # and the menu does not offer them


def test_anonymous_visitors_are_sent_to_sign_in(client, endpoint):
    for method, url in _pages(endpoint.pk, _message(endpoint).pk):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], (method, url)


def test_an_admin_creates_an_endpoint_sees_the_secret_once_and_tests_it(
    client, admin_user, receiver, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    assert b"Webhooks" in client.get("/").content
    response = client.post(
        "/webhooks/new/", {"url": receiver.url, "description": "ServiceNow", "event_types": ["rating.changed"]}
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.encode() in response.content and b"shown only this once" in response.content
    receiver.secrets.append(endpoint.secret)
    detail = client.get(f"/webhooks/{endpoint.pk}/")
    assert endpoint.secret.encode() not in detail.content and b"Send a test event" in detail.content

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/webhooks/{endpoint.pk}/test/")
    assert response.status_code == 302
    (received,) = receiver.received
    assert received.verified_with == [endpoint.secret] and received.payload["type"] == "webhook.test"
    log = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    message = WebhookMessage.objects.get()
    assert message.message_id in log and "Delivered" in log and "webhook.test" in log and " ms" in log


def test_a_hostile_url_is_refused_on_the_form(client, admin_user, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    client.force_login(admin_user)
    response = client.post("/webhooks/new/", {"url": "http://169.254.169.254/latest/", "event_types": ["report.ready"]})
    assert response.status_code == 400 and b"link-local" in response.content
    assert WebhookEndpoint.objects.count() == 0


def test_an_admin_rotates_disables_enables_and_deletes(client, admin_user, endpoint):
    client.force_login(admin_user)
    old = endpoint.secret
    response = client.post(f"/webhooks/{endpoint.pk}/rotate/", {"grace_hours": "2"})
    endpoint.refresh_from_db()
    assert response.status_code == 200 and endpoint.secret != old and endpoint.secret.encode() in response.content
    assert endpoint.previous_secret == old and b"both the old and the new secret" in response.content

    client.post(f"/webhooks/{endpoint.pk}/disable/")
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_reason == "admin"
    client.post(f"/webhooks/{endpoint.pk}/enable/")
    endpoint.refresh_from_db()
    assert endpoint.enabled
    client.post(f"/webhooks/{endpoint.pk}/edit/", {"url": endpoint.url, "event_types": ["report.ready"]})
    endpoint.refresh_from_db()
    assert endpoint.event_types == ["report.ready"]
    assert client.post(f"/webhooks/{endpoint.pk}/delete/").status_code == 302
    assert WebhookEndpoint.objects.count() == 0


def test_an_endpoint_disabled_after_failures_shows_it(client, admin_user, endpoint, receiver, settings):
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 1
    settings.WEBHOOKS_DISABLE_AFTER_HOURS = 0
    receiver.answer(Answer(500, "nope"))
    services.message_deliver(message_id=_message(endpoint).pk)
    client.force_login(admin_user)
    listing = client.get("/webhooks/").content.decode()
    assert "Disabled after failures" in listing
    detail = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert "after 1 failed attempts in a row" in detail and "Enable" in detail and "nope" in detail


def test_the_api_shows_the_secret_once_and_serves_the_log(admin_user, receiver, django_capture_on_commit_callbacks):
    client = key_client(admin_user)
    created = client.post(
        "/api/v1/webhooks/", {"url": receiver.url, "event_types": ["rating.changed", "report.ready"]}, format="json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    secret = body["secret"]
    receiver.secrets.append(secret)
    assert secret.startswith("whsec_") and body["event_types"] == ["rating.changed", "report.ready"]
    detail = client.get(f"/api/v1/webhooks/{body['id']}/").json()
    assert "secret" not in detail and detail["secret_prefix"] == secret[:10]

    with django_capture_on_commit_callbacks(execute=True):
        tested = client.post(f"/api/v1/webhooks/{body['id']}/test/", format="json")
    assert tested.status_code == 201 and tested.json()["event_type"] == "webhook.test"
    log = client.get("/api/v1/webhook-messages/", {"endpoint": body["id"]}).json()
    (message,) = log["results"]
    assert message["status"] == "delivered" and message["attempt_log"][0]["response_status"] == 200
    assert message["payload"]["type"] == "webhook.test" and receiver.received[0].verified_with == [secret]

    rotated = client.post(f"/api/v1/webhooks/{body['id']}/rotate-secret/", {"grace_hours": 0}, format="json").json()
    assert rotated["secret"] != secret and rotated["previous_secret_expires_at"] is None
    assert (
        client.patch(f"/api/v1/webhooks/{body['id']}/", {"description": "OneTrust"}, format="json").json()[
            "description"
        ]
        == "OneTrust"
    )


def test_the_api_refuses_a_hostile_url_with_a_field_error(admin_user, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    response = key_client(admin_user).post(
        "/api/v1/webhooks/", {"url": "http://[::1]:6379/", "event_types": ["rating.changed"]}, format="json"
    )
    assert response.status_code == 400 and "loopback" in response.json()["fields"]["url"][0]


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_the_api_is_for_admins_only(endpoint, role):
    client = key_client(factories.UserFactory(username=f"k-{role}", role=role))
    assert client.get("/api/v1/webhooks/").status_code == 403
    assert client.post(f"/api/v1/webhooks/{endpoint.pk}/rotate-secret/", {}, format="json").status_code == 403
    assert client.post(f"/api/v1/webhooks/{endpoint.pk}/test/").status_code == 403


def test_only_the_admin_role_holds_webhook_permissions():
    from django.contrib.auth.models import Group

    for role, expected in (("viewer", set()), ("analyst", set())):
        held = set(Group.objects.get(name=role).permissions.filter(content_type__app_label="webhooks"))
        assert held == expected, role
    admin = set(
        Group.objects.get(name="admin")
        .permissions.filter(content_type__app_label="webhooks")
        .values_list("codename", flat=True)
    )
    assert {"view_webhookendpoint", "add_webhookendpoint", "change_webhookendpoint"} <= admin
