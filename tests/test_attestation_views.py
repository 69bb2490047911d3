"""The analysts' attestation pages: permissions for every page, asking from a vendor's or a product's page,
the list with its filters, the detail with responses once signed, the PDF downloads (the signed one checked
against its checksum), cancelling."""

import datetime as dt

import pytest
from django.utils import timezone

from assessments import services
from assessments.attestation import Response, claim_list, snapshot_from_json
from assessments.models import AttestationRequest
from tests import factories
from tests.test_attestations import attestation_files, portfolio  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def _due(days=30):
    return timezone.now().date() + dt.timedelta(days=days)


@pytest.fixture
def signed(portfolio):  # noqa: F811
    request = services.attestation_request_create(product=portfolio["qwen"].product, deadline=_due())
    claims = claim_list(snapshot_from_json(request.claims))
    responses = {c.id: Response(c.id, True) for c in claims}
    responses[claims[0].id] = Response(claims[0].id, False, "It is our fallback, not our primary model.")
    services.attestation_sign(request=request, responses=responses, name="Nora Vance", title="CISO")
    return request


def _pages(portfolio, request):  # noqa: F811
    return {
        "list": "/attestations/",
        "detail": f"/attestations/{request.pk}/",
        "request_pdf": f"/attestations/{request.pk}/request.pdf",
        "signed_pdf": f"/attestations/{request.pk}/signed.pdf",
        "create_vendor": f"/vendors/{portfolio['vendor'].pk}/attestations/new/",
        "create_product": f"/products/{portfolio['qwen'].product_id}/attestations/new/",
    }


@pytest.mark.parametrize(("role", "can_ask"), [("viewer", False), ("analyst", True), ("admin", True)])
def test_every_role_reads_and_only_analysts_and_admins_ask(client, portfolio, signed, role, can_ask):  # noqa: F811
    client.force_login(factories.UserFactory(role=role))
    for name, url in _pages(portfolio, signed).items():
        expected = 403 if name.startswith("create") and not can_ask else 200
        assert client.get(url).status_code == expected, name
    cancel = client.post(f"/attestations/{signed.pk}/cancel/")
    assert cancel.status_code == (302 if can_ask else 403)
    vendor_page = client.get(f"/vendors/{portfolio['vendor'].pk}/").content.decode()
    assert ("Request attestation" in vendor_page) == can_ask


def test_anonymous_visitors_are_sent_to_sign_in(client, portfolio, signed):  # noqa: F811
    for name, url in _pages(portfolio, signed).items():
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), name


def test_unknown_ids_answer_404(analyst_client):
    for url in ("/attestations/999999/", "/attestations/999999/request.pdf", "/vendors/999999/attestations/new/"):
        assert analyst_client.get(url).status_code == 404, url


def test_an_analyst_asks_from_the_product_page_and_downloads_the_pdf(analyst_client, analyst, portfolio):  # noqa: F811
    product = portfolio["qwen"].product
    form = analyst_client.get(f"/products/{product.pk}/attestations/new/").content.decode()
    assert "The claims as they stand now" in form and "Qwen/Qwen2.5-7B" in form

    too_late = analyst_client.post(f"/products/{product.pk}/attestations/new/", {"deadline": "2020-01-01"})
    assert "The deadline must be after today." in too_late.content.decode()
    response = analyst_client.post(
        f"/products/{product.pk}/attestations/new/", {"deadline": _due(14).isoformat(), "message": "Thanks!"}
    )

    request = AttestationRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == request.get_absolute_url()
    assert request.created_by == analyst and request.product == product and request.message == "Thanks!"
    pdf = analyst_client.get(f"/attestations/{request.pk}/request.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert f'filename="{request.reference}-request.pdf"' in pdf["Content-Disposition"]
    assert analyst_client.get(f"/attestations/{request.pk}/signed.pdf").status_code == 404  # not signed yet


def test_the_detail_shows_the_signature_and_every_response(analyst_client, signed):
    page = analyst_client.get(signed.get_absolute_url()).content.decode()

    attestation = signed.attestation
    assert "Nora Vance, CISO" in page and attestation.statement_sha256 in page and attestation.pdf_sha256 in page
    assert "It is our fallback, not our primary model." in page and "Corrected" in page
    assert "Cancel the request" not in page  # signed: nothing to cancel


def test_a_signed_pdf_that_no_longer_matches_its_checksum_is_not_served(analyst_client, signed):
    url = f"/attestations/{signed.pk}/signed.pdf"
    assert analyst_client.get(url).content.startswith(b"%PDF-")
    path = signed.attestation.pdf.path
    with open(path, "ab") as file:
        file.write(b"tampered")

    response = analyst_client.get(url)

    assert response.status_code == 500 and b"does not match the checksum" in response.content


def test_the_list_filters_by_status_and_overdue(analyst_client, portfolio, signed):  # noqa: F811
    late = services.attestation_request_create(vendor=portfolio["vendor"], deadline=_due(1))
    AttestationRequest.objects.filter(pk=late.pk).update(deadline=_due(-1))

    def listed(query):
        page = analyst_client.get(f"/attestations/?{query}").content.decode()
        return {r.reference for r in AttestationRequest.objects.all() if f">{r.reference}<" in page}

    assert listed("") == {signed.reference, late.reference}
    assert listed("status=signed") == {signed.reference}
    assert listed("overdue=true") == {late.reference}
    assert "Overdue" in analyst_client.get("/attestations/").content.decode()


def test_an_analyst_cancels_an_open_request(analyst_client, portfolio):  # noqa: F811
    request = services.attestation_request_create(vendor=portfolio["vendor"], deadline=_due())

    analyst_client.post(f"/attestations/{request.pk}/cancel/")

    request.refresh_from_db()
    assert request.status == "cancelled"
    assert "Cancelled" in analyst_client.get(request.get_absolute_url()).content.decode()


def test_the_api_lists_requests_with_their_claims_and_signature(portfolio, signed, analyst):  # noqa: F811
    from tests.api import key_client

    client = key_client(analyst, scope="read")
    listed = client.get("/api/v1/attestation-requests/?status=signed").json()

    assert [row["reference"] for row in listed["results"]] == [signed.reference]
    detail = client.get(f"/api/v1/attestation-requests/{signed.pk}/").json()
    assert detail["attestation"]["statement_sha256"] == signed.attestation.statement_sha256
    assert detail["claims"]["products"][0]["name"] == "Contract Copilot"
    assert client.post("/api/v1/attestation-requests/", {}, format="json").status_code == 405
