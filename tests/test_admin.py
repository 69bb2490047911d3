"""Every admin page opens for an admin, with history where the model keeps it."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(factories.UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_every_registered_model_has_working_changelist_and_add_pages(superuser_client):
    region = factories.HostRegionFactory()
    factories.ModelUsageFactory(host=region.host, region=region)
    for model in admin.site._registry:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert superuser_client.get(reverse(f"{name}_changelist")).status_code == 200, name
        assert superuser_client.get(reverse(f"{name}_add")).status_code in (200, 403), name


def test_publisher_history_is_kept_for_knowledge_base_edits(superuser_client):
    publisher = factories.PublisherFactory(country="CN")
    response = superuser_client.get(reverse("admin:vendors_publisher_history", args=[publisher.pk]))
    assert response.status_code == 200


def test_models_and_their_lineage_are_read_only_in_the_admin_with_a_link_to_the_app(superuser_client):
    from vendors.models import AIModel, LineageEdge

    child, parent = factories.AIModelFactory(), factories.AIModelFactory()
    edge = LineageEdge.objects.create(
        child=child, parent=parent, relation="finetune", source="card", observed_at=timezone.now()
    )
    for model, obj in ((AIModel, child), (LineageEdge, edge)):
        name = f"admin:vendors_{model._meta.model_name}"
        page = superuser_client.get(reverse(f"{name}_change", args=[obj.pk])).content.decode()
        assert 'name="_save"' not in page and f"/models/{child.pk}/" in page, name
        assert superuser_client.post(reverse(f"{name}_change", args=[obj.pk]), {"name": "x"}).status_code == 403
        assert superuser_client.get(reverse(f"{name}_add")).status_code == 403
        assert superuser_client.post(reverse(f"{name}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
    assert LineageEdge.objects.filter(pk=edge.pk).exists() and AIModel.objects.get(pk=child.pk).name == child.name


def test_portfolio_records_are_read_only_in_the_admin(superuser_client):
    from vendors.models import ModelUsage, Product, Vendor

    usage = factories.ModelUsageFactory()
    vendor = usage.product.vendor
    for model, obj in ((Vendor, vendor), (Product, usage.product), (ModelUsage, usage)):
        name = f"admin:vendors_{model._meta.model_name}"
        page = superuser_client.get(reverse(f"{name}_change", args=[obj.pk]))
        assert page.status_code == 200 and b'name="_save"' not in page.content, name
        assert superuser_client.post(reverse(f"{name}_change", args=[obj.pk]), {"name": "Changed"}).status_code == 403
        assert superuser_client.get(reverse(f"{name}_add")).status_code == 403
    vendor.refresh_from_db()
    assert vendor.name != "Changed" and vendor.history.count() == 1
