"""Signing in the vendor portal: the analyst sends the link (emailed to the chosen contacts, only a hash stored),
the vendor enters with it (swapped for a session on a clean URL), confirms or corrects each claim and signs;
errors keep what was typed; the signed page and PDF; a reissue makes the old link answer 410; a link opens one
request only; revocation."""

import datetime as dt
import hashlib

import pytest
from django.core import mail
from django.utils import timezone

from assessments import services
from assessments.attestation import claim_list, snapshot_from_json
from assessments.models import Attestation, AttestationLink, Finding
from assessments.services import attestation_links
from tests import factories
from tests.test_attestations import attestation_files, portfolio  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def sent(portfolio, analyst):  # noqa: F811
    request = services.attestation_request_create(
        product=portfolio["qwen"].product, deadline=timezone.now().date() + dt.timedelta(days=20), by=analyst
    )
    contact = factories.ContactFactory(vendor=request.vendor, name="Cora Compliance", email="cora@vendor.example")
    factories.ContactFactory(vendor=request.vendor, name="Other", email="other@vendor.example")
    _link, url = attestation_links.attestation_link_send(request=request, contacts=[contact], by=analyst)
    return request, url


def _form(request, *, correct: dict | None = None, **extra) -> dict:
    data = {"name": "Cora Compliance", "title": "Head of Compliance", "authorised": "on", **extra}
    for claim in claim_list(snapshot_from_json(request.claims)):
        data[f"c:{claim.id}"] = "confirm"
    for claim_id, fields in (correct or {}).items():
        data[f"c:{claim_id}"] = "correct"
        data.update({f"{key}:{claim_id}": value for key, value in fields.items()})
    return data


def test_the_link_goes_to_the_chosen_contact_and_only_its_hash_is_stored(sent, django_capture_on_commit_callbacks):
    request, url = sent
    token = url.rstrip("/").rsplit("/", 1)[1]

    assert len(token) == 43 and "/portal/t/" in url
    link = AttestationLink.objects.get(request=request)
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest() and link.expires_at.date() > request.deadline
    # Sent after the commit (the fixture's transaction is the test's): capture a second send to read the mail.
    with django_capture_on_commit_callbacks(execute=True):
        _link, new_url = attestation_links.attestation_link_send(
            request=request, contacts=list(request.vendor.contacts.filter(email="cora@vendor.example"))
        )
    assert [m.to for m in mail.outbox] == [["cora@vendor.example"]]
    assert new_url in mail.outbox[0].body and request.reference in mail.outbox[0].subject


def test_the_vendor_confirms_corrects_and_signs_in_the_portal(
    client,
    sent,
    portfolio,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    request, url = sent
    entered = client.get(_path(url))
    assert entered.status_code == 302 and entered["Location"] == f"/portal/attestations/{request.pk}/"
    page = client.get(entered["Location"])
    assert page["Cache-Control"] == "no-store" and page["Referrer-Policy"] == "same-origin"
    assert "Qwen/Qwen2.5-7B" in page.content.decode() and "Sign the attestation" in page.content.decode()

    lineage = f"u{portfolio['qwen'].pk}.lineage"
    incomplete = _form(request, correct={lineage: {"t": "", "b": "meta-llama/Llama-3.1-8B"}})
    del incomplete["authorised"]
    refused = client.post(entered["Location"], incomplete)
    assert refused.status_code == 400 and not Attestation.objects.exists()
    body = refused.content.decode()
    assert "Say what is wrong or missing in this claim." in body and "meta-llama/Llama-3.1-8B" in body  # kept

    with django_capture_on_commit_callbacks(execute=True):
        signed = client.post(
            entered["Location"],
            _form(request, correct={lineage: {"t": "Fine-tuned from Llama 3.1 8B", "b": "meta-llama/Llama-3.1-8B"}}),
        )

    assert signed.status_code == 302
    attestation = Attestation.objects.get(request=request)
    assert (attestation.signer_name, attestation.signer_title, attestation.corrected_count) == (
        "Cora Compliance", "Head of Compliance", 1,
    )  # fmt: skip
    assert attestation.signed_from == "127.0.0.1"
    done = client.get(entered["Location"]).content.decode()
    assert attestation.statement_sha256 in done and "Sign the attestation" not in done
    pdf = client.get(f"/portal/attestations/{request.pk}/signed.pdf")
    assert hashlib.sha256(pdf.content).hexdigest() == attestation.pdf_sha256
    assert Finding.objects.filter(usage=portfolio["qwen"], code="discrepancy.answer_contradicts_lineage").exists()
    assert any("signed by" in m.subject for m in mail.outbox)  # the analyst hears about it
    assert client.post(entered["Location"], _form(request)).status_code == 409  # signed once, for good


def test_a_reissue_makes_the_old_link_answer_410_and_a_link_opens_one_request(client, sent, portfolio, analyst):  # noqa: F811
    request, old_url = sent
    _link, new_url = attestation_links.attestation_link_send(
        request=request, contacts=list(request.vendor.contacts.all()[:1]), by=analyst, reason="reissue"
    )

    assert client.get(_path(old_url)).status_code == 410
    assert client.get(_path(new_url)).status_code == 302
    other = services.attestation_request_create(
        vendor=portfolio["vendor"], deadline=timezone.now().date() + dt.timedelta(days=5)
    )
    assert client.get(f"/portal/attestations/{other.pk}/").status_code == 403  # this session holds another grant
    assert client.get("/portal/t/not-a-token/").status_code == 404

    assert attestation_links.attestation_link_revoke(request=request, by=analyst) == 1
    assert client.get(f"/portal/attestations/{request.pk}/").status_code == 410


def test_the_analyst_sends_and_revokes_from_the_request_page(analyst_client, portfolio, viewer, client):  # noqa: F811
    request = services.attestation_request_create(
        product=portfolio["qwen"].product, deadline=timezone.now().date() + dt.timedelta(days=20)
    )
    contact = factories.ContactFactory(vendor=request.vendor, name="Cora", email="cora@vendor.example")
    page = analyst_client.get(request.get_absolute_url()).content.decode()
    assert "Send the link" in page and "cora@vendor.example" in page

    response = analyst_client.post(f"/attestations/{request.pk}/link/", {"contacts": [contact.pk]}, follow=True)
    assert "It is shown here once: http" in response.content.decode()
    assert "Reissue the link" in response.content.decode()
    analyst_client.post(f"/attestations/{request.pk}/link/revoke/")
    assert AttestationLink.objects.get(request=request).revoked_at is not None

    client.force_login(viewer)
    assert client.post(f"/attestations/{request.pk}/link/", {"contacts": [contact.pk]}).status_code == 403
    assert "Send the link" not in client.get(request.get_absolute_url()).content.decode()


def test_the_link_goes_only_to_the_vendors_own_contacts(analyst_client, portfolio):  # noqa: F811
    request = services.attestation_request_create(
        product=portfolio["qwen"].product, deadline=timezone.now().date() + dt.timedelta(days=20)
    )
    stranger = factories.ContactFactory(email="someone@other-vendor.example")  # another vendor's contact
    own = factories.ContactFactory(vendor=request.vendor, email="cora@vendor.example")

    refused = analyst_client.post(f"/attestations/{request.pk}/link/", {"contacts": [own.pk, stranger.pk]}, follow=True)
    assert "not one of this vendor" in refused.content.decode()
    empty = analyst_client.post(f"/attestations/{request.pk}/link/", {}, follow=True)
    assert "Choose at least one of the vendor" in empty.content.decode()
    assert not AttestationLink.objects.filter(request=request).exists()  # neither sent anything

    analyst_client.post(f"/attestations/{request.pk}/link/", {"contacts": [own.pk]})
    assert list(AttestationLink.objects.get(request=request).request.contacts.all()) == [own]
