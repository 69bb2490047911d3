"""CSV downloads of every list: the pages (``?format=csv``, the page's filters) and the API (``?format=csv`` or
``Accept: text/csv``): every row the filters select, UTF-8 with a BOM, cells a spreadsheet will not run as
formulas, and a number of queries that does not grow with the rows."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.schemas.generators import EndpointEnumerator

from riskregistry.spreadsheets import BOM, safe_cell
from tests import factories
from tests.api import build_world, key_client

pytestmark = pytest.mark.django_db


def _rows(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith(BOM)
    return list(csv.DictReader(io.StringIO(body[len(BOM) :])))


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Acme = good", "Acme = good"),
        ("", ""),
        (None, ""),
        (42, "42"),
        (-5, "'-5"),
        (True, "true"),
        ("Zürich AG", "Zürich AG"),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_shown_instead(value, cell):
    assert safe_cell(value) == cell


PAGES = [
    ("vendors:vendor_list", "name"),
    ("vendors:product_list", "name"),
    ("vendors:model_list", "name"),
    ("assessments:finding_list", "title"),
    ("assessments:assessment_list", "status"),
    ("assessments:attestation_request_list", "status"),
    ("reports:report_list", "kind"),
]


@pytest.mark.parametrize(("url_name", "column"), PAGES)
def test_every_list_page_downloads_what_its_filters_select(client, viewer, url_name, column):
    build_world()
    client.force_login(viewer)
    response = client.get(reverse(url_name), {"format": "csv", "page": "7"})
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    rows = _rows(response)
    assert url_name == "assessments:assessment_list" or rows, url_name
    assert all(column in row for row in rows)
    page = client.get(reverse(url_name))
    assert "format=csv" in page.content.decode()


def test_the_vendor_download_keeps_the_filters_and_neutralises_formulas(client, viewer):
    factories.VendorFactory(name="=cmd|'/C calc'!A0", country="US")
    factories.VendorFactory(name="Mistral AI", country="FR")
    factories.VendorFactory(name="Archived Ltd", country="FR", status="archived")
    client.force_login(viewer)
    rows = _rows(client.get(reverse("vendors:vendor_list"), {"format": "csv", "country": "FR"}))
    assert [r["name"] for r in rows] == ["Mistral AI"]
    assert {"id", "name", "country", "tier", "risk_tier", "risk_score"} <= set(rows[0])
    rows = _rows(client.get(reverse("vendors:vendor_list"), {"format": "csv", "ordering": "-name"}))
    assert [r["name"] for r in rows] == ["Mistral AI", "'=cmd|'/C calc'!A0"]


def test_the_page_offers_the_download_with_its_current_filters(client, viewer):
    factories.VendorFactory(name="Mistral AI", country="FR")
    client.force_login(viewer)
    html = client.get(reverse("vendors:vendor_list"), {"country": "FR", "page": "1"}).content.decode()
    assert 'href="?country=FR&amp;format=csv"' in html


def test_an_invalid_filter_is_a_400_not_a_broken_file(client, viewer):
    client.force_login(viewer)
    response = client.get(reverse("vendors:vendor_list"), {"format": "csv", "country": "XX"})
    assert response.status_code == 400
    assert b"country" in response.content


def test_a_download_needs_a_sign_in_and_the_permission_to_read(client, db):
    response = client.get(reverse("vendors:vendor_list"), {"format": "csv"})
    assert response.status_code == 302
    client.force_login(factories.UserFactory(username="nobody"))
    assert client.get(reverse("vendors:vendor_list"), {"format": "csv"}).status_code == 403


def test_the_publishers_to_identify_download_lists_the_queue(client, viewer):
    factories.ModelUsageFactory(model__name="@unknown-org/model-7b")
    client.force_login(viewer)
    rows = _rows(client.get(reverse("vendors:unknown_publishers"), {"format": "csv"}))
    assert [(r["org"], r["used_directly"], r["examples"]) for r in rows] == [
        ("'@unknown-org", "1", "'@unknown-org/model-7b")
    ]
    assert "format=csv" in client.get(reverse("vendors:unknown_publishers")).content.decode()


def test_the_exposure_download_has_a_bom_and_safe_cells(client, viewer):
    factories.ModelUsageFactory(product__vendor__name="@Evil Corp", product__name="Copilot")
    client.force_login(viewer)
    rows = _rows(client.get(reverse("assessments:exposure"), {"format": "csv"}))
    assert rows[0]["vendor"] == "'@Evil Corp"


@pytest.mark.parametrize("url_name", [name for name, _ in PAGES])
def test_page_downloads_read_in_a_fixed_number_of_queries(client, viewer, url_name):
    client.force_login(viewer)
    build_world(" 0")
    with CaptureQueriesContext(connection) as few:
        b"".join(client.get(reverse(url_name), {"format": "csv"}).streaming_content)
    for i in range(1, 4):
        build_world(f" {i}")
    with CaptureQueriesContext(connection) as many:
        b"".join(client.get(reverse(url_name), {"format": "csv"}).streaming_content)
    assert len(few) == len(many), url_name


# ---------------------------------------------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------------------------------------------
def _list_urls() -> list[str]:
    return sorted(
        path
        for path, method, _ in EndpointEnumerator().get_api_endpoints()
        if path.startswith("/api/v1/") and method == "GET" and "{" not in path and path != "/api/v1/"
    )


def test_every_api_list_is_a_csv_download_in_a_fixed_number_of_queries(admin_user):
    build_world(" 0")
    client = key_client(admin_user, scope="read")  # an admin reads every list, the webhooks' too
    urls = _list_urls()
    assert len(urls) >= 13
    few = {}
    for url in urls:
        client.get(url, {"format": "csv"})  # warm
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"format": "csv", "include_retired": "true"})
            body = b"".join(response.streaming_content).decode("utf-8")
        assert response.status_code == 200, (url, body[:300])
        assert response["Content-Type"] == "text/csv; charset=utf-8", url
        assert body.startswith(BOM), url
        few[url] = (len(queries), body.count("\n"))
    for i in range(1, 4):
        build_world(f" {i}")
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"format": "csv", "include_retired": "true"})
            body = b"".join(response.streaming_content).decode("utf-8")
        assert len(queries) == few[url][0], (url, few[url], len(queries))
        assert body.count("\n") > few[url][1] or url.endswith(("/policy-versions/", "/questionnaires/")), url


def test_the_api_download_spreads_nested_objects_into_columns(viewer):
    world = build_world()
    client = key_client(viewer, scope="read")
    response = client.get("/api/v1/exposure/", HTTP_ACCEPT="text/csv")
    (row,) = [r for r in _rows(response) if r["id"] == str(world.usage.pk)]
    assert row["product.vendor.name"] == world.vendor.name
    assert row["model.name"] == world.model.name
    assert row["rating.tier"] == "high"
    assert row["region.code"] == world.usage.region.code


def test_the_model_usage_download_is_in_the_import_column_set(viewer):
    world = build_world()
    response = key_client(viewer, scope="read").get("/api/v1/model-usages/", {"format": "csv"})
    (row,) = [r for r in _rows(response) if r["usage_id"] == str(world.usage.pk)]
    assert (row["vendor"], row["product"], row["model"]) == (world.vendor.name, world.product.name, world.model.name)
    assert (row["host"], row["region"], row["rating_tier"]) == (world.host.key, world.usage.region.code, "high")


def test_an_api_csv_error_is_json(viewer):
    client = key_client(viewer, scope="read")
    response = client.get("/api/v1/vendors/", {"format": "csv", "country": "XX"})
    assert response.status_code == 400
    assert response.json()["fields"]["country"]


def test_the_api_csv_needs_a_key(db):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/vendors/", {"format": "csv"}).status_code == 401
