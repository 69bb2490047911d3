"""A vendor's own publisher identity: hub organisations marked as the vendor's own make the vendor the publisher of
those models (with its country), in a row of its own, so its fine-tunes are no longer "unknown publisher"."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessments.models import RiskRating
from assessments.services import ratings_refresh
from tests import factories
from vendors.models import AIModel, LineageRefresh, Publisher, PublisherOrg
from vendors.services import lineage, vendor_hub_org_add, vendor_hub_org_remove, vendor_update

pytestmark = pytest.mark.django_db

OWN_GGUF = "northwind-ai/contract-copilot-7b-GGUF"  # → northwind-ai/contract-copilot-7b → DeepSeek distill → Qwen


def _codes(usage) -> list[str]:
    rating = RiskRating.objects.filter(usage=usage).order_by("-pk").first()
    return [factor["code"] for factor in rating.factors]


def _unknown_publisher_reason(usage) -> str:
    rating = RiskRating.objects.filter(usage=usage).order_by("-pk").first()
    return next((f["reason"] for f in rating.factors if f["code"] == "opacity.unknown_publisher"), "")


def test_marking_the_vendors_own_org_removes_the_unknown_publisher_factor(
    fake_hub, knowledge, django_capture_on_commit_callbacks
):
    usage = factories.ModelUsageFactory(
        model__name=OWN_GGUF, product__vendor__name="Northwind AI", product__vendor__country="US"
    )
    vendor = usage.product.vendor
    lineage.lineage_refresh_run(refresh_id=LineageRefresh.objects.create(scope="models", model_names=[OWN_GGUF]).pk)
    ratings_refresh()
    assert "northwind-ai/contract-copilot-7b" in _unknown_publisher_reason(usage)

    with django_capture_on_commit_callbacks(execute=True):
        vendor_hub_org_add(vendor=vendor, org_id="https://huggingface.co/northwind-ai")

    assert "opacity.unknown_publisher" not in _codes(usage)  # rescored after the commit, without asking
    publisher = Publisher.objects.get(vendor=vendor)
    assert (publisher.name, publisher.country.code) == ("Northwind AI", "US")
    for name in (OWN_GGUF, "northwind-ai/contract-copilot-7b"):
        assert AIModel.objects.get(name=name).publisher == publisher
    # the roles stay apart: the vendor row is untouched, the publisher is a row of its own
    vendor.refresh_from_db()
    assert publisher.pk and not hasattr(vendor, "orgs") and vendor.publisher_identity == publisher

    with django_capture_on_commit_callbacks(execute=True):
        vendor_hub_org_remove(vendor=vendor, org_id="northwind-ai")
    assert AIModel.objects.get(name=OWN_GGUF).publisher is None
    assert "opacity.unknown_publisher" in _codes(usage)


def test_the_publisher_follows_the_vendors_country(django_capture_on_commit_callbacks):
    vendor = factories.VendorFactory(country="US")
    model = factories.AIModelFactory(name="acme-own/ft-7b")
    vendor_hub_org_add(vendor=vendor, org_id="acme-own")
    vendor_update(vendor=vendor, country="DE")
    assert Publisher.objects.get(vendor=vendor).country.code == "DE"
    model.refresh_from_db()
    assert model.publisher.country.code == "DE"


@pytest.mark.parametrize(
    ("org_id", "message"),
    [
        ("", "Give a hub organisation"),
        ("<script>", "Give a hub organisation"),
        ("../etc", "Give a hub organisation"),
        ("Qwen", "already belongs to the publisher"),  # the knowledge base's; an admin moves it
        ("acme-own", "already marked as"),
    ],
)
def test_refused_marks_say_why_and_change_nothing(knowledge, org_id, message):
    vendor = factories.VendorFactory()
    vendor_hub_org_add(vendor=vendor, org_id="acme-own")
    before = PublisherOrg.objects.count()
    with pytest.raises(ValidationError, match=message):
        vendor_hub_org_add(vendor=vendor, org_id=org_id)
    assert PublisherOrg.objects.count() == before


def test_marks_and_unmarks_are_in_the_vendor_history(analyst_client, analyst):
    vendor = factories.VendorFactory()
    analyst_client.post(reverse("vendors:vendor_hub_org_add", args=[vendor.pk]), {"org_id": "acme-own"})
    analyst_client.post(reverse("vendors:vendor_hub_org_remove", args=[vendor.pk]), {"org_id": "acme-own"})
    history = list(analyst_client.get(vendor.get_absolute_url()).context["history"])
    own = [
        (e.object_type, e.object_label, e.action, e.user) for e in history if e.object_type == "Own hub organisation"
    ]
    assert len(own) == 2 and all(label == "acme-own" and user == str(analyst) for _, label, _, user in own)


# --- doors and permissions ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "status", "marked"),
    [(None, 302, False), ("viewer", 403, False), ("analyst", 302, True), ("admin", 302, True)],
)
def test_who_may_mark_an_organisation(client, role, status, marked):
    vendor = factories.VendorFactory()
    if role:
        client.force_login(factories.UserFactory(role=role))
    response = client.post(reverse("vendors:vendor_hub_org_add", args=[vendor.pk]), {"org_id": "acme-own"})
    assert response.status_code == status
    assert PublisherOrg.objects.filter(org_id="acme-own").exists() is marked
    if role is None:
        assert "login" in response["Location"]


@pytest.mark.parametrize(
    ("role", "status", "kept"), [(None, 302, True), ("viewer", 403, True), ("analyst", 302, False)]
)
def test_who_may_unmark_an_organisation(client, role, status, kept):
    vendor = factories.VendorFactory()
    vendor_hub_org_add(vendor=vendor, org_id="acme-own")
    if role:
        client.force_login(factories.UserFactory(role=role))
    response = client.post(reverse("vendors:vendor_hub_org_remove", args=[vendor.pk]), {"org_id": "acme-own"})
    assert response.status_code == status
    assert PublisherOrg.objects.filter(org_id="acme-own").exists() is kept


def test_marking_is_post_only(analyst_client):
    vendor = factories.VendorFactory()
    assert analyst_client.get(reverse("vendors:vendor_hub_org_add", args=[vendor.pk])).status_code == 405


def test_the_vendor_page_shows_the_own_orgs_and_the_form_to_analysts_only(client, analyst_client):
    vendor = factories.VendorFactory()
    model = factories.AIModelFactory(name="acme-own/ft-7b")
    vendor_hub_org_add(vendor=vendor, org_id="acme-own")
    model_page = analyst_client.get(f"/models/{model.pk}/").content.decode()
    assert f"{vendor.name}" in model_page and "a vendor publishing its own models" in model_page
    assert f'href="{vendor.get_absolute_url()}"' in model_page
    page = analyst_client.get(vendor.get_absolute_url()).content.decode()
    assert "Own hub organisations" in page and "acme-own" in page and "1 model" in page and "Mark as own" in page
    client.force_login(factories.UserFactory(role="viewer"))
    page = client.get(vendor.get_absolute_url()).content.decode()
    assert "acme-own" in page and "Mark as own" not in page and "Unmark" not in page


def test_a_refused_mark_is_shown_on_the_vendor_page(analyst_client, knowledge):
    vendor = factories.VendorFactory()
    response = analyst_client.post(
        reverse("vendors:vendor_hub_org_add", args=[vendor.pk]), {"org_id": "Qwen"}, follow=True
    )
    assert "already belongs to the publisher" in response.content.decode()
    assert not Publisher.objects.filter(vendor=vendor).exists()


def test_publishers_to_identify_points_analysts_to_the_vendor_page_and_admins_to_a_new_publisher(
    analyst_client, client, admin_user
):
    factories.AIModelFactory(name="mystery-org/model")
    page = analyst_client.get(reverse("vendors:unknown_publishers")).content.decode()
    assert "mystery-org" in page and 'marked on <a href="/vendors/">that vendor\'s page</a>' in page
    assert "/admin/vendors/publisher/add/" not in page  # adding a publisher is an admin's (see test_lineage_views)
    client.force_login(admin_user)
    page = client.get(reverse("vendors:unknown_publishers")).content.decode()
    assert "/admin/vendors/publisher/add/?org=mystery-org" in page and "with its country and a source" in page


def test_reloading_the_shipped_knowledge_base_leaves_a_vendors_own_org_alone(knowledge):
    from vendors.services.knowledge import knowledge_base_load_shipped

    PublisherOrg.objects.filter(org_id__iexact="Qwen").delete()  # say the shipped files gained it after the mark
    vendor = factories.VendorFactory(name="Qwen Resellers Ltd")
    vendor_hub_org_add(vendor=vendor, org_id="Qwen")

    report = knowledge_base_load_shipped()

    assert PublisherOrg.objects.get(org_id__iexact="Qwen").publisher.vendor == vendor
    assert any("Qwen (marked as the vendor Qwen Resellers Ltd's own)" in line for line in report.kept)


def test_a_vendor_that_publishes_its_own_models_is_retired_not_deleted():
    from vendors.services import records_depending_on

    vendor = factories.VendorFactory()
    assert records_depending_on(vendor) == {}
    vendor_hub_org_add(vendor=vendor, org_id="acme-own")
    assert records_depending_on(vendor) == {"publishers": 1}  # the publisher row keeps the models' origin
