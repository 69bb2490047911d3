"""Portal links: a 256-bit token stored only as its SHA-256, one assessment per link, expiry, supersession by a
reminder or reissue (410), revocation, the swap to a portal session on a clean URL, and throttling."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from assessments import services
from assessments.models import AssessmentLink
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(analyst):
    product = factories.ProductFactory()
    contact = factories.ContactFactory(vendor=product.vendor)
    assessment, url = services.assessment_send(
        product=product,
        questionnaire="ai-mbom",
        due_date=timezone.now().date() + timedelta(days=30),
        contacts=[contact],
        by=analyst,
    )
    return assessment, url


def _path(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_the_link_holds_256_random_bits_and_only_its_hash_is_stored(sent):
    assessment, url = sent
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert len(token) == 43  # 32 bytes, URL-safe base64
    link = AssessmentLink.objects.get(assessment=assessment)
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(v) for v in AssessmentLink.objects.values_list(*[f.attname for f in AssessmentLink._meta.fields])]
    assert not any(token in value for value in stored)


def test_entering_swaps_the_token_for_a_session_on_a_clean_url(client, sent):
    assessment, url = sent
    token = url.rstrip("/").rsplit("/", 1)[1]
    response = client.get(_path(url))
    assert response.status_code == 302
    assert response["Location"] == f"/portal/assessments/{assessment.pk}/"
    assert token not in response["Location"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    assert page["Referrer-Policy"] == "same-origin"  # no token in this URL; a form's POST keeps its Origin
    assert assessment.product.name in page.content.decode()


def test_a_link_opens_only_its_own_assessment(client, sent, analyst):
    assessment, url = sent
    other, _other_url = services.assessment_send(
        product=factories.ProductFactory(), questionnaire="ai-intake", due_date=assessment.due_date, by=analyst
    )
    client.get(_path(url))
    assert client.get(f"/portal/assessments/{other.pk}/").status_code == 403


def test_unknown_and_malformed_tokens_are_404(client, sent):
    assert client.get("/portal/a/" + "A" * 43 + "/").status_code == 404
    assert client.get("/portal/a/not-a-token/").status_code == 404
    assert client.get("/portal/a/%3Cscript%3E/").status_code == 404


def test_a_reissue_makes_the_old_link_and_its_session_410(client, sent, analyst):
    assessment, url = sent
    client.get(_path(url))
    new_url = services.assessment_link_reissue(assessment=assessment, by=analyst)
    assert client.get(_path(url)).status_code == 410
    assert client.get(f"/portal/assessments/{assessment.pk}/").status_code == 410
    assert client.get(_path(new_url)).status_code == 302
    assert AssessmentLink.objects.filter(assessment=assessment, superseded_at__isnull=True).count() == 1


def test_revoked_and_expired_links_are_410(client, sent, analyst):
    assessment, url = sent
    services.assessment_link_revoke(assessment=assessment, by=analyst)
    assert client.get(_path(url)).status_code == 410
    new_url = services.assessment_link_reissue(assessment=assessment, by=analyst)
    AssessmentLink.objects.filter(revoked_at__isnull=True, superseded_at__isnull=True).update(
        issued_at=timezone.now() - timedelta(days=60), expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert client.get(_path(new_url)).status_code == 410


def test_the_portal_is_throttled_per_link(client, sent, settings):
    settings.PORTAL_RATE_PER_LINK = "3/m"
    _assessment, url = sent
    statuses = [client.get(_path(url)).status_code for _ in range(5)]
    assert statuses[:3] == [302, 302, 302]
    assert statuses[-1] == 429


def test_the_portal_is_throttled_per_address(client, sent, settings):
    settings.PORTAL_RATE_PER_ADDRESS = "3/m"
    statuses = [client.get("/portal/a/" + f"{n:043d}" + "/").status_code for n in range(5)]
    assert statuses[-1] == 429


def test_behind_a_proxy_the_portal_throttles_each_client_not_the_proxy(client, sent, settings):
    settings.PORTAL_RATE_PER_ADDRESS = "3/m"
    settings.TRUSTED_PROXY_COUNT = 1

    def get(n, address):
        path = "/portal/a/" + f"{n:043d}" + "/"
        return client.get(path, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=address).status_code

    assert [get(n, "203.0.113.7") for n in range(4)][-1] == 429
    assert get(9, "198.51.100.9") == 404  # another client behind the same proxy is not throttled
