"""An analyst imports a vendor's BOM on the product page, compares the two versions it made and downloads the
product's MBOM, in a real browser (Debian's Chromium driven by Playwright)."""

import json

import pytest

from riskregistry.roles import ANALYST
from tests import factories
from tests.test_browser import _sign_in, browser, page  # noqa: F401 (fixtures)
from vendors import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_analyst_imports_a_bom_compares_versions_and_downloads_the_mbom(page, tmp_path):  # noqa: F811
    product = factories.ProductFactory(name="Contract Copilot", vendor__name="Northwind Legal AI, Inc.")
    services.model_usage_register(product=product, model_kind="declared", model_name="northwind-router")
    factories.UserFactory(username="ana", role=ANALYST)
    bom = tmp_path / "northwind.cdx.json"
    bom.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "components": [
                    {
                        "type": "machine-learning-model",
                        "name": "northwind-summariser",
                        "pedigree": {"ancestors": [{"type": "machine-learning-model", "name": "northwind-base"}]},
                    }
                ],
            }
        )
    )

    _sign_in(page, "ana")
    page.goto(f"/products/{product.pk}/")
    page.get_by_label("Import the vendor's CycloneDX BOM").set_input_files(bom)
    page.get_by_role("button", name="Import BOM").click()
    page.get_by_text("Imported northwind.cdx.json: 1 model usage(s) added, 1 parent(s) declared.").wait_for()
    page.get_by_role("button", name="Compare").click()
    diff = page.locator(".mbom-diff")
    assert "+ model declared:northwind-summariser" in diff.inner_text()
    assert "+ edge declared:northwind-summariser → declared:northwind-base (unknown)" in diff.inner_text()
    page.screenshot(path=tmp_path / "mbom.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="CycloneDX 1.7").click()
    document = json.loads(download.value.path().read_text())
    assert document["specVersion"] == "1.7" and document["version"] == 2
    assert {c["name"] for c in document["components"]} == {"northwind-router", "northwind-summariser", "northwind-base"}
