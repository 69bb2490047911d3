"""The server is no SSRF relay: webhook targets are checked when an endpoint is saved and again when a message
is delivered (the connection goes only to an address that passed), in every spelling of an internal address,
unless an administrator allows private targets."""

import pytest
from django.core.exceptions import ValidationError

from tests.webhook_receiver import WebhookReceiver
from webhooks import services
from webhooks.models import WebhookEndpoint
from webhooks.payloads import Event
from webhooks.targets import TargetRefused, system_resolve, target_check

#: What names resolve to in these tests (no DNS needed); anything else resolves through the system.
NAMES = {
    "hooks.example.com": ["93.184.215.14"],
    "dual.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
    "rebind.example.com": ["93.184.215.14", "10.0.0.5"],
    "internal.example.com": ["192.168.1.10"],
    "metadata.example.com": ["169.254.169.254"],
    "v6-loopback.example.com": ["::1"],
    "mapped.example.com": ["::ffff:127.0.0.1"],
}


def _resolve(host, port):
    return NAMES[host] if host in NAMES else system_resolve(host, port)


HOSTILE = [
    ("file:///etc/passwd", "http or https"),
    ("gopher://127.0.0.1:6379/_INFO", "http or https"),
    ("ftp://hooks.example.com/x", "http or https"),
    ("javascript:alert(1)", "http or https"),
    ("//hooks.example.com/x", "http or https"),
    ("https://user:pass@hooks.example.com/x", "credentials"),
    ("https://hooks.example.com@127.0.0.1/x", "credentials"),
    ("https://token@hooks.example.com/x", "credentials"),
    ("http://127.0.0.1/", "loopback"),
    ("http://127.1/", "loopback"),
    ("http://2130706433/", "loopback"),
    ("http://0x7f000001/", "loopback"),
    ("http://017700000001/", "loopback"),
    ("http://localhost:6379/", "loopback"),
    ("http://[::1]/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://[::ffff:7f00:1]/", "loopback"),
    ("http://0.0.0.0:8000/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("http://10.1.2.3/", "private"),
    ("http://172.16.0.1/", "private"),
    ("http://192.168.0.1/", "private"),
    ("http://[fd00::1]/", "private"),
    ("http://100.64.0.1/", "not a public address"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://224.0.0.1/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://240.0.0.1/", "private"),
    ("http://255.255.255.255/", "private"),
    ("http://192.0.2.1/", "private"),  # documentation range
    ("http://[64:ff9b::a00:1]/", "embeds 10.0.0.1"),  # NAT64 of a private address
    ("http://[2002:7f00:1::]/", "embeds 127.0.0.1"),  # 6to4 of loopback
    ("http://internal.example.com/", "resolves to 192.168.1.10"),
    ("http://metadata.example.com/computeMetadata/v1/", "resolves to 169.254.169.254"),
    ("http://rebind.example.com/", "resolves to 10.0.0.5"),
    ("http://v6-loopback.example.com/", "resolves to ::1"),
    ("http://mapped.example.com/", "resolves to ::ffff:127.0.0.1"),
    ("http://does-not-exist.invalid/", "could not be resolved"),
    ("https://hooks.example.com/x#frag", "fragment"),
    ("https://hooks.example.com:99999/", "not valid"),
    ("https://hooks.example.com/a b", "spaces"),
    ("https://hooks.example.com/\r\nX-Injected: 1", "spaces"),
    ("", "at most"),
    ("https://hooks.example.com/" + "a" * 2000, "at most"),
]


@pytest.mark.parametrize(("url", "reason"), HOSTILE)
def test_hostile_targets_are_refused_with_the_reason(url, reason):
    with pytest.raises(TargetRefused, match=reason):
        target_check(url, allow_private=False, resolve=_resolve)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/riskregistry",
        "http://hooks.example.com:8080/x?token=abc",
        "https://dual.example.com/",
        "https://93.184.215.14/x",
        "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/x",
    ],
)
def test_public_targets_are_accepted(url):
    target = target_check(url, allow_private=False, resolve=_resolve)
    assert target.scheme in ("http", "https") and target.addresses


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://10.1.2.3/", "http://internal.example.com/"])
def test_allowing_private_targets_lifts_the_address_checks_only(url):
    assert target_check(url, allow_private=True, resolve=_resolve).addresses
    with pytest.raises(TargetRefused, match="credentials"):
        target_check("http://a:b@127.0.0.1/", allow_private=True, resolve=_resolve)
    with pytest.raises(TargetRefused, match="http or https"):
        target_check("file:///etc/passwd", allow_private=True, resolve=_resolve)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["http://127.0.0.1:9/", "http://[::1]/", "http://169.254.169.254/", "file:///x"])
def test_saving_an_endpoint_refuses_internal_targets_and_saves_nothing(settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(ValidationError) as error:
        services.endpoint_create(url=url, event_types=["rating.changed"])
    assert "url" in error.value.message_dict
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.django_db
def test_a_target_that_became_internal_is_refused_at_delivery_and_nothing_is_sent(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    with WebhookReceiver() as receiver:
        endpoint, _ = services.endpoint_create(url=receiver.url, event_types=["rating.changed"])
        (message,) = services.events_publish(events=[Event("rating.changed", endpoint.created_at, {})])
        settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False  # as if its name now resolved to 127.0.0.1
        attempt = services.message_deliver(message_id=message.pk)
        assert receiver.received == []
    assert not attempt.succeeded and attempt.response_status is None
    assert attempt.error.startswith("Refused target: 127.0.0.1 resolves to 127.0.0.1")
