"""The portfolio pages: forms, filters, pagination, empty states, history and escaping."""

import re

import pytest

from riskregistry.versions import version_of
from tests import factories
from vendors.models import AIModel, ChangeEvent, DataCategory, ModelUsage, Product, Vendor

pytestmark = pytest.mark.django_db


def test_analyst_adds_a_vendor_and_the_history_shows_who(analyst_client, analyst):
    response = analyst_client.post(
        "/vendors/new/",
        {
            "name": "Quill Analytics GmbH",
            "country": "DE",
            "website": "quill.example",
            "tier": "high",
            "status": "onboarding",
        },
    )
    vendor = Vendor.objects.get(name="Quill Analytics GmbH")
    assert response["Location"] == f"/vendors/{vendor.pk}/"
    assert vendor.website == "https://quill.example"

    analyst_client.post(
        f"/vendors/{vendor.pk}/edit/",
        {
            "name": vendor.name,
            "country": "DE",
            "website": vendor.website,
            "tier": "critical",
            "status": "active",
            "based_on": version_of(vendor),
        },
    )
    vendor.refresh_from_db()
    assert (vendor.tier, vendor.status) == ("critical", "active")
    page = analyst_client.get(f"/vendors/{vendor.pk}/").content.decode()

    history = page[page.index('id="history"') :]
    assert "ana-analyst" in history
    assert "High" in history and "Critical" in history  # tier: High → Critical


def test_duplicate_vendor_name_is_a_form_error_and_nothing_is_saved(analyst_client):
    factories.VendorFactory(name="Acme AI, Inc.")
    response = analyst_client.post(
        "/vendors/new/", {"name": "acme ai, inc.", "country": "US", "tier": "low", "status": "active"}
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Vendor.objects.count() == 1


def test_invalid_repo_id_in_the_usage_form_shows_the_expected_form(analyst_client):
    product = factories.ProductFactory()
    response = analyst_client.post(
        f"/products/{product.pk}/models/new/",
        {"model_kind": "hub", "model_name": "Qwen/../evil", "role": "primary", "declared_by": "analyst"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "ORG/NAME" in body and 'aria-invalid="true"' in body
    assert not AIModel.objects.filter(kind="hub").exists() and not ModelUsage.objects.exists()


def test_usage_form_registers_a_hub_model_with_host_and_region(analyst_client, analyst):
    product = factories.ProductFactory()
    region = factories.HostRegionFactory(code="us-east-1")
    response = analyst_client.post(
        f"/products/{product.pk}/models/new/",
        {
            "model_kind": "hub",
            "model_name": "  deepseek-ai/DeepSeek-R1-Distill-Qwen-7B ",
            "role": "primary",
            "host": region.host.pk,
            "region": region.pk,
            "declared_by": "vendor",
        },
    )
    assert response.status_code == 302
    usage = ModelUsage.objects.get()
    assert usage.model.name == "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"
    assert (usage.host, usage.region, usage.declared_by_user) == (region.host, region, analyst)
    assert "DeepSeek-R1-Distill-Qwen-7B" in analyst_client.get(f"/products/{product.pk}/").content.decode()


def test_usage_form_refuses_a_region_of_another_host(analyst_client):
    product = factories.ProductFactory()
    region = factories.HostRegionFactory()
    other_host = factories.HostFactory()
    response = analyst_client.post(
        f"/products/{product.pk}/models/new/",
        {
            "model_kind": "hub",
            "model_name": "Qwen/Qwen2.5-7B",
            "role": "primary",
            "host": other_host.pk,
            "region": region.pk,
            "declared_by": "analyst",
        },
    )
    assert "is not a region of" in response.content.decode()
    assert not ModelUsage.objects.exists()


def test_editing_a_usage_to_another_model_records_a_swap(analyst_client):
    usage = factories.ModelUsageFactory(model__name="Qwen/Qwen2.5-7B")
    analyst_client.post(
        f"/usages/{usage.pk}/edit/",
        {
            "model_kind": "hub",
            "model_name": "deepseek-ai/DeepSeek-R1",
            "role": "primary",
            "based_on": version_of(usage),
        },
    )
    assert ChangeEvent.objects.filter(kind="model_swapped").exists()


def test_editing_a_product_saves_fields_and_data_categories(analyst_client):
    product = factories.ProductFactory(name="Copilot", criticality="low")
    categories = list(DataCategory.objects.filter(code__in=["personal", "health"]).values_list("pk", flat=True))
    response = analyst_client.post(
        f"/products/{product.pk}/edit/",
        {
            "name": "Copilot",
            "criticality": "critical",
            "status": "retired",
            "data_categories": categories,
            "based_on": version_of(product),
        },
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.criticality, product.status, product.data_categories.count()) == ("critical", "retired", 2)


def test_vendor_history_names_the_data_categories(analyst_client):
    product = factories.ProductFactory(name="Copilot")
    categories = DataCategory.objects.filter(code__in=["personal", "health"])
    analyst_client.post(
        f"/products/{product.pk}/edit/",
        {
            "name": "Copilot",
            "criticality": "medium",
            "status": "active",
            "data_categories": [c.pk for c in categories],
            "based_on": version_of(product),
        },
    )
    page = analyst_client.get(f"/vendors/{product.vendor.pk}/").content.decode()
    history = page[page.index('id="history"') :]
    assert "Health data, Personal data" in history
    assert not re.search(r"→ <ins>[\d, ]+</ins>", history)  # no ids


def test_product_form_checks_the_name_per_vendor(analyst_client):
    product = factories.ProductFactory(name="Copilot")
    response = analyst_client.post(
        f"/vendors/{product.vendor.pk}/products/new/", {"name": "COPILOT", "criticality": "high", "status": "active"}
    )
    assert "already has a product with this name" in response.content.decode()
    assert Product.objects.count() == 1


def test_vendor_list_filters_hide_archived_and_paginate(analyst_client):
    for n in range(30):
        factories.VendorFactory(name=f"Vendor {n:02d}", country="US" if n % 2 else "DE")
    factories.VendorFactory(name="Old Corp", status="archived")

    first = analyst_client.get("/vendors/").content.decode()
    assert "30 vendors" in first, re.findall(r"\d+ vendors?", first)
    assert "Page 1 of 2" in first
    assert "Old Corp" not in first
    assert "Old Corp" in analyst_client.get("/vendors/?status=archived").content.decode()
    germany = analyst_client.get("/vendors/?country=DE").content.decode()
    assert "15 vendors" in germany
    second = analyst_client.get("/vendors/?country=US&page=2").content.decode()
    assert "Page 2 of" not in second or "country=US" in second
    assert "No vendor matches" in analyst_client.get("/vendors/?q=zzz").content.decode()


def test_empty_states_invite_the_first_entry(analyst_client):
    assert "Add the first vendor" in analyst_client.get("/vendors/").content.decode()


def test_vendor_supplied_text_is_escaped(analyst_client):
    vendor = factories.VendorFactory(
        name="<script>alert('x')</script> Corp", description="<img src=x onerror=alert(1)>"
    )
    factories.ProductFactory(vendor=vendor, name="<b>bold</b>")
    for url in (f"/vendors/{vendor.pk}/", "/vendors/", "/products/"):
        body = analyst_client.get(url).content.decode()
        assert "<script>alert" not in body and "<img src=x" not in body and "<b>bold</b>" not in body, url
        assert "&lt;script&gt;" in body or "&lt;b&gt;" in body, url
