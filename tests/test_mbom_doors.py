"""Where people get MBOMs: the product and vendor pages, the API (documents and versions) and export_mbom; and
the product page's comparison of two versions."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command

from tests import factories
from tests.api import key_client
from tests.mbom_schemas import cyclonedx_validator, errors, spdx_validator
from vendors import services
from vendors.services.lineage import lineage_parent_declare

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(django_capture_on_commit_callbacks):
    product = factories.ProductFactory(name="Contract <Copilot>", vendor__name="Acme AI")
    with django_capture_on_commit_callbacks(execute=True):
        usage = services.model_usage_register(product=product, model_kind="declared", model_name="acme-router")
    with django_capture_on_commit_callbacks(execute=True):
        lineage_parent_declare(
            child=usage.model, parent_kind="declared", parent_name="<b>base</b>", relation="finetune", source="vendor"
        )
    return product


def test_api_serves_cyclonedx_by_default_and_spdx_on_request(viewer, product):
    client = key_client(viewer, scope="read")
    url = f"/api/v1/products/{product.pk}/mbom/"
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.cyclonedx+json")
    document = json.loads(response.content)
    assert document["specVersion"] == "1.6" and document["version"] == 2
    assert errors(cyclonedx_validator("1.6"), document) == []
    response = client.get(url, {"format": "cyclonedx", "spec": "1.7", "rating": "true"})
    assert json.loads(response.content)["specVersion"] == "1.7"
    response = client.get(url, {"format": "spdx"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/spdx+json")
    assert errors(spdx_validator(), json.loads(response.content)) == []
    # A client that accepts only JSON still gets the document.
    assert client.get(url, HTTP_ACCEPT="application/json").status_code == 200
    bad = client.get(url, {"spec": "2.0"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"


def test_api_lists_the_versions_newest_first(viewer, product):
    response = key_client(viewer, scope="read").get(f"/api/v1/products/{product.pk}/mbom-versions/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["number"] for r in rows] == [2, 1]
    assert rows[0]["edges"] == [["declared:acme-router", "declared:<b>base</b>", "finetune", "vendor"]]
    assert rows[1]["models"] == ["declared:acme-router"] and len(rows[0]["digest"]) == 64


def test_api_needs_a_key(client, product):
    assert client.get(f"/api/v1/products/{product.pk}/mbom/").status_code in (401, 403)


def test_product_page_offers_downloads_and_compares_versions(client, viewer, product):
    client.force_login(viewer)
    page = client.get(f"/products/{product.pk}/").content.decode()
    assert f"/products/{product.pk}/mbom/?format=spdx" in page
    assert "From version 1 to version 2" in page
    assert '+ model <span class="mono">declared:&lt;b&gt;base&lt;/b&gt;</span>' in page  # escaped
    assert "<b>base</b>" not in page
    page = client.get(f"/products/{product.pk}/", {"bom_from": 2, "bom_to": 1}).content.decode()
    assert "\u2212 model" in page and "From version 2 to version 1" in page
    page = client.get(f"/products/{product.pk}/", {"bom_from": 9, "bom_to": 1}).content.decode()
    assert "Version 9 of this BOM does not exist." in page
    download = client.get(f"/products/{product.pk}/mbom/", {"format": "cyclonedx", "spec": "1.7"})
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="mbom-{product.pk}-v2.cdx.json"'
    assert json.loads(download.content)["metadata"]["component"]["name"] == "Contract <Copilot>"
    assert client.get(f"/products/{product.pk}/mbom/", {"format": "xml"}).status_code == 404


def test_vendor_page_downloads_a_zip_of_one_bom_per_product(
    client, viewer, product, django_capture_on_commit_callbacks
):
    other = factories.ProductFactory(vendor=product.vendor, name="Second")
    with django_capture_on_commit_callbacks(execute=True):
        services.model_usage_register(product=other, model_kind="declared", model_name="acme-embed", role="embedding")
    client.force_login(viewer)
    assert (
        f"/vendors/{product.vendor.pk}/mbom/?format=spdx"
        in client.get(f"/vendors/{product.vendor.pk}/").content.decode()
    )
    response = client.get(f"/vendors/{product.vendor.pk}/mbom/", {"format": "spdx"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = sorted(archive.namelist())
        assert names == sorted([f"mbom-{product.pk}-v2.spdx.json", f"mbom-{other.pk}-v1.spdx.json"])
        for name in names:
            assert errors(spdx_validator(), json.loads(archive.read(name))) == []


def test_anonymous_downloads_are_sent_to_sign_in(client, product):
    response = client.get(f"/products/{product.pk}/mbom/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_export_mbom_prints_or_writes_the_document(product, tmp_path, capsys):
    call_command("export_mbom", "--product", str(product.pk), "--format", "cyclonedx", "--spec", "1.7")
    printed = json.loads(capsys.readouterr().out)
    assert printed["specVersion"] == "1.7" and errors(cyclonedx_validator("1.7"), printed) == []
    out = tmp_path / "mbom.spdx.json"
    call_command("export_mbom", "--product", str(product.pk), "--format", "spdx", "--out", str(out))
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(out)
    assert errors(spdx_validator(), json.loads(out.read_text())) == []
    with pytest.raises(CommandError, match="no product with id 999999"):
        call_command("export_mbom", "--product", "999999", "--format", "spdx")
