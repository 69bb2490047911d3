"""Database constraints hold whatever code writes the rows."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from tests import factories
from vendors.models import AIModel, LineageEdge, ModelUsage, Vendor

pytestmark = pytest.mark.django_db


def _violates(create) -> bool:
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


def test_vendor_names_are_unique_ignoring_case():
    factories.VendorFactory(name="Northwind Legal AI, Inc.")
    assert _violates(lambda: Vendor.objects.create(name="NORTHWIND LEGAL AI, INC.", country="US"))


def test_product_names_are_unique_per_vendor_only():
    product = factories.ProductFactory(name="Copilot")
    assert _violates(lambda: factories.ProductFactory(vendor=product.vendor, name="copilot"))
    factories.ProductFactory(name="Copilot")  # another vendor may reuse the name


def test_choices_are_enforced_by_the_database():
    assert _violates(lambda: Vendor.objects.create(name="X", country="US", tier="extreme"))
    assert _violates(lambda: AIModel.objects.create(kind="hub", name="a/b", status="bogus"))


def test_model_usage_is_unique_per_product_model_role_and_host_even_without_a_host():
    usage = factories.ModelUsageFactory(host=None)
    assert _violates(lambda: ModelUsage.objects.create(product=usage.product, model=usage.model, role=usage.role))
    region = factories.HostRegionFactory()
    ModelUsage.objects.create(
        product=usage.product, model=usage.model, role=usage.role, host=region.host, region=region
    )  # the same model on a named host is another usage


def test_share_is_a_percentage():
    usage = factories.ModelUsageFactory.build(role=ModelUsage.Role.ROUTED, share=0)
    usage.product.vendor.save()
    usage.product.save()
    usage.model.save()
    assert _violates(
        lambda: ModelUsage.objects.create(product=usage.product, model=usage.model, role="routed", share=101)
    )


def test_region_must_belong_to_the_usage_host():
    region = factories.HostRegionFactory()
    usage = factories.ModelUsageFactory.build(host=factories.HostFactory(), region=region)
    usage.product = factories.ProductFactory()
    usage.model = factories.AIModelFactory()
    with pytest.raises(ValidationError) as raised:
        usage.full_clean()
    assert "region" in raised.value.message_dict


def test_a_region_without_a_host_is_refused_by_the_database():
    usage = factories.ModelUsageFactory()
    region = factories.HostRegionFactory()
    assert _violates(lambda: ModelUsage.objects.filter(pk=usage.pk).update(region=region))


def test_lineage_edges_are_unique_and_never_self_loops():
    child, parent = factories.AIModelFactory(), factories.AIModelFactory()
    now = timezone.now()
    LineageEdge.objects.create(child=child, parent=parent, relation="finetune", source="card", observed_at=now)
    assert _violates(
        lambda: LineageEdge.objects.create(child=child, parent=parent, relation="merge", source="tags", observed_at=now)
    )
    assert _violates(
        lambda: LineageEdge.objects.create(
            child=child, parent=child, relation="finetune", source="card", observed_at=now
        )
    )


def test_hub_model_names_are_validated_and_unique_ignoring_case():
    with pytest.raises(ValidationError) as raised:
        AIModel(kind=AIModel.Kind.HUB, name="not a repo id").full_clean()
    assert "ORG/NAME" in " ".join(raised.value.message_dict["name"])
    AIModel.objects.create(kind="hub", name="Qwen/Qwen2.5-7B")
    assert _violates(lambda: AIModel.objects.create(kind="hub", name="qwen/qwen2.5-7b"))
    AIModel.objects.create(kind="declared", name="Qwen/Qwen2.5-7B")  # another kind may share a name


def test_products_protect_their_vendor_and_usages_protect_their_product_and_model():
    usage = factories.ModelUsageFactory()
    with pytest.raises(ProtectedError):
        usage.product.vendor.delete()
    with pytest.raises(ProtectedError):
        usage.product.delete()
    with pytest.raises(ProtectedError):
        usage.model.delete()
