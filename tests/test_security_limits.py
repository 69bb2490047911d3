"""Limits and headers: the security headers on every response, request bodies refused before they are parsed,
bounded text fields and filter parameters (a clear error, never a 500), styled error pages, one log line per 403."""

import datetime as dt
import logging

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string

from riskregistry.filters import FILTER_TEXT_MAX_LENGTH
from tests import factories
from vendors import services
from vendors.models.base import TEXT_MAX_LENGTH

pytestmark = pytest.mark.django_db


def test_every_response_carries_the_content_security_and_permissions_policies(client):
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"


def test_no_page_template_has_inline_script_or_style():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    for template in root.rglob("*.html"):
        if "pdf" in template.parts:  # PDFs are not served as pages and may carry their own <style>
            continue
        text = template.read_text()
        assert "style=" not in text and "<style" not in text, template
        for tag in text.split("<script")[1:]:
            assert "src=" in tag.split(">")[0], f"inline <script> in {template}"


class _UnreadableBody:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_an_anonymous_300_mb_upload_is_refused_before_it_is_read(client):
    response = client.generic(
        "POST",
        "/accounts/login/",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(300 * 1024 * 1024),
        **{"wsgi.input": _UnreadableBody()},
    )
    assert response.status_code == 413
    assert "Too large" in response.content.decode()


def test_a_body_over_the_limit_is_refused_whatever_its_type(client, settings):
    settings.REQUEST_MAX_BYTES = 1000
    response = client.post("/accounts/login/", data=b"{}" * 600, content_type="application/json")
    assert response.status_code == 413


def test_a_huge_description_is_refused_with_a_clear_error_and_nothing_is_saved(analyst_client):
    vendor = factories.VendorFactory(description="short")
    data = {"name": vendor.name, "country": "US", "tier": "low", "status": "active"}
    response = analyst_client.post(f"/vendors/{vendor.pk}/edit/", {**data, "description": "x" * 4_500_000})
    assert response.status_code == 200
    assert f"at most {TEXT_MAX_LENGTH} characters" in response.content.decode()
    vendor.refresh_from_db()
    assert vendor.description == "short"


def test_services_refuse_oversized_text_whatever_door_calls_them():
    product = factories.ProductFactory()
    with pytest.raises(ValidationError):
        services.product_update(product=product, description="x" * (TEXT_MAX_LENGTH + 1))
    with pytest.raises(ValidationError):
        services.vendor_create(name="Big", country="US", description="x" * (TEXT_MAX_LENGTH + 1))


@pytest.mark.parametrize(
    "url",
    [
        "/vendors/?q={s}", "/products/?q={s}", "/models/?q={s}&publisher={s}", "/findings/?q={s}",
        "/exposure/?model={s}&root={s}&license={s}", "/exposure/?model={s}&format=csv",
    ],
)  # fmt: skip
def test_a_50000_character_filter_is_a_form_error_not_a_500(analyst_client, url):
    factories.ModelUsageFactory()
    response = analyst_client.get(url.format(s="a" * 50_000))
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 200 and "csv" not in url:
        assert f"at most {FILTER_TEXT_MAX_LENGTH} characters" in response.content.decode()


def test_403_is_a_styled_page_with_navigation_and_one_log_line(client, viewer, caplog):
    client.force_login(viewer)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/vendors/new/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "You may not do this" in page and 'aria-label="Main"' in page and "Dashboard" in page
    forbidden = [r for r in caplog.records if r.name == "django.request" and r.status_code == 403]
    assert len(forbidden) == 1 and forbidden[0].exc_info is None
    assert "Traceback" not in caplog.text


def test_404_and_500_pages_are_styled(analyst_client):
    response = analyst_client.get("/vendors/987654/")
    assert response.status_code == 404 and "Not found" in response.content.decode()
    assert 'aria-label="Main"' in response.content.decode()
    page = render_to_string("500.html")  # Django renders it with no context at all
    assert "Something went wrong" in page and "Go to the dashboard" in page


@pytest.mark.parametrize("contact_id", ["9" * 5000, str(2**70)])
def test_an_oversized_contact_id_on_the_link_form_is_refused_not_a_500(analyst_client, contact_id):
    from assessments.models import AttestationLink
    from assessments.services import attestation_request_create

    product = factories.ModelUsageFactory().product
    request = attestation_request_create(product=product, deadline=dt.date.today() + dt.timedelta(days=30))

    response = analyst_client.post(f"/attestations/{request.pk}/link/", {"contacts": [contact_id]}, follow=True)

    assert response.status_code == 200
    assert "That is not a contact id" in response.content.decode()
    assert not AttestationLink.objects.filter(request=request).exists()


@pytest.mark.parametrize("category_id", ["9" * 5000, str(2**70)])
def test_an_oversized_data_category_id_on_the_product_form_is_refused_not_a_500(analyst_client, category_id):
    from vendors.models import Product

    vendor = factories.VendorFactory()

    response = analyst_client.post(
        f"/vendors/{vendor.pk}/products/new/",
        {"name": "Copilot", "criticality": "high", "status": "active", "data_categories": [category_id]},
    )

    assert response.status_code == 200
    assert "is not a valid value" in response.content.decode()
    assert not Product.objects.filter(vendor=vendor).exists()


@pytest.mark.parametrize("contact_id", ["9" * 5000, str(2**70)])
def test_an_oversized_contact_id_on_the_send_form_is_refused_not_a_500(analyst_client, contact_id):
    from assessments.models import Assessment

    product = factories.ModelUsageFactory().product

    response = analyst_client.post(
        "/assessments/send/",
        {"questionnaire": "ai-intake", "product": product.pk, "contacts": [contact_id], "due_date": "2027-01-31"},
    )

    assert response.status_code == 200
    assert "is not a valid value" in response.content.decode()
    assert not Assessment.objects.exists()
