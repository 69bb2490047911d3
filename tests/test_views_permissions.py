"""Every page needs a sign-in, and each role sees and does exactly what its permissions allow."""

import pytest

from tests import factories
from vendors import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    usage = factories.ModelUsageFactory(product__vendor__name="Acme AI, Inc.")
    contact = factories.ContactFactory(vendor=usage.product.vendor)
    csv_import = services.csv_import_stage(data=b"vendor,vendor_country\nBeta Ltd,GB\n", filename="beta.csv")
    return {
        "usage": usage,
        "product": usage.product,
        "vendor": usage.product.vendor,
        "contact": contact,
        "csv_import": csv_import,
        "person": factories.UserFactory(username="pat-person"),
    }


def _urls(world):
    v, p, u, c = world["vendor"].pk, world["product"].pk, world["usage"].pk, world["contact"].pk
    return {
        "home": "/",
        "vendor_list": "/vendors/",
        "vendor_detail": f"/vendors/{v}/",
        "vendor_create": "/vendors/new/",
        "vendor_update": f"/vendors/{v}/edit/",
        "contact_create": f"/vendors/{v}/contacts/new/",
        "contact_update": f"/contacts/{c}/edit/",
        "contact_delete": f"/contacts/{c}/delete/",
        "product_list": "/products/",
        "product_detail": f"/products/{p}/",
        "product_create": f"/vendors/{v}/products/new/",
        "product_update": f"/products/{p}/edit/",
        "product_delete": f"/products/{p}/delete/",
        "usage_create": f"/products/{p}/models/new/",
        "usage_update": f"/usages/{u}/edit/",
        "usage_delete": f"/usages/{u}/delete/",
        "usage_reinstate": f"/usages/{u}/reinstate/",
        "model_list": "/models/",
        "model_detail": f"/models/{world['usage'].model.pk}/",
        "csv_import_list": "/imports/",
        "csv_import_detail": f"/imports/{world['csv_import'].pk}/",
        "csv_import_template": "/imports/template.csv",
        "usage_csv": "/usages.csv",
        "product_mbom": f"/products/{p}/mbom/?format=spdx",
        "vendor_mbom": f"/vendors/{v}/mbom/",
        "search": "/search/?q=vendor",
        "two_factor": "/accounts/two-factor/",
        "two_factor_setup": "/accounts/two-factor/setup/",
        "two_factor_users": "/accounts/two-factor/users/",
        "two_factor_remove": f"/accounts/two-factor/users/{world['person'].pk}/remove/",
    }


READ = {
    "home", "vendor_list", "vendor_detail", "product_list", "product_detail", "model_list", "model_detail",
    "csv_import_list", "csv_import_detail", "csv_import_template", "usage_csv",
    "product_mbom", "vendor_mbom", "search", "two_factor", "two_factor_setup",
}  # fmt: skip
WRITE = {
    "vendor_create", "vendor_update", "contact_create", "contact_update", "contact_delete", "product_create",
    "product_update", "product_delete", "usage_create", "usage_update", "usage_delete",
    "usage_reinstate",
}  # fmt: skip
# Others' two-factor devices: the admins' alone.
ADMIN_ONLY = {"two_factor_users", "two_factor_remove"}


def test_anonymous_users_are_sent_to_sign_in_everywhere(client, world):
    for name, url in _urls(world).items():
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith("/accounts/login/?next="), name


def test_the_sign_in_doors_need_no_sign_in(client, settings):
    assert client.get("/accounts/login/").status_code == 200
    # Single sign-on answers 404 while it is not configured (tests/test_signin_sso.py drives it configured).
    assert client.get("/accounts/sso/start/").status_code == 404
    assert client.get("/accounts/sso/callback/?code=x&state=y").status_code == 404


def test_health_check_needs_no_sign_in(client):
    assert client.get("/healthz").json()["status"] == "ok"


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("viewer", READ), ("analyst", READ | WRITE), ("admin_user", READ | WRITE | ADMIN_ONLY)],
)
def test_each_role_gets_exactly_its_pages(request, client, world, role, allowed):
    client.force_login(request.getfixturevalue(role))
    for name, url in _urls(world).items():
        expected = 200 if name in allowed else 403
        assert client.get(url).status_code == expected, f"{role} GET {name}"


def test_viewer_cannot_write_by_posting_directly(client, viewer, world):
    client.force_login(viewer)
    assert (
        client.post("/vendors/new/", {"name": "X", "country": "US", "tier": "low", "status": "active"}).status_code
        == 403
    )
    assert client.post(f"/vendors/{world['vendor'].pk}/archive/").status_code == 403
    assert client.post(f"/vendors/{world['vendor'].pk}/delete/").status_code == 403
    assert client.post(f"/usages/{world['usage'].pk}/delete/").status_code == 403
    csv_import = world["csv_import"]
    digest = services.csv_import_preview(csv_import=csv_import).digest
    assert client.post(f"/imports/{csv_import.pk}/apply/", {"plan": digest}).status_code == 403
    world["vendor"].refresh_from_db()
    assert world["vendor"].status == "active"
    csv_import.refresh_from_db()
    assert csv_import.status == "previewed"


def test_analyst_may_archive_but_not_delete_a_vendor(client, analyst, world):
    client.force_login(analyst)
    vendor = world["vendor"]
    assert client.get(f"/vendors/{vendor.pk}/delete/").status_code == 403
    assert client.post(f"/vendors/{vendor.pk}/delete/", {"reason": "x"}).status_code == 403
    assert client.get(f"/vendors/{vendor.pk}/archive/").status_code == 200
    assert client.post(f"/vendors/{vendor.pk}/archive/", {"reason": "Contract ended"}).status_code == 302
    vendor.refresh_from_db()
    assert vendor.status == "archived" and vendor.retired_by == analyst


def test_viewer_may_not_open_the_delete_or_archive_pages(client, viewer, world):
    client.force_login(viewer)
    for what in ("delete", "archive"):
        assert client.get(f"/vendors/{world['vendor'].pk}/{what}/").status_code == 403, what


def test_admin_deleting_a_vendor_with_products_archives_it_instead(client, admin_user, world):
    client.force_login(admin_user)
    vendor = world["vendor"]

    page = client.get(f"/vendors/{vendor.pk}/delete/").content.decode()
    assert "will be retired, not deleted" in page and "1 products" in page
    response = client.post(f"/vendors/{vendor.pk}/delete/", {"reason": "Acquired by a competitor"}, follow=True)

    assert "retired; its records and history are kept" in response.content.decode()
    vendor.refresh_from_db()
    assert vendor.status == "archived" and vendor.retirement_reason == "Acquired by a competitor"


def test_write_buttons_are_hidden_from_viewers(client, viewer, world):
    client.force_login(viewer)
    page = client.get(f"/vendors/{world['vendor'].pk}/").content.decode()
    assert "Add product" not in page and ">Edit<" not in page and "Archive" not in page


def test_unknown_ids_answer_404(client, analyst):
    client.force_login(analyst)
    for url in ("/vendors/999999/", "/products/999999/", "/models/999999/", "/usages/999999/edit/"):
        assert client.get(url).status_code == 404, url
