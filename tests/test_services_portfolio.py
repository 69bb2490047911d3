"""The portfolio services: what they write, what they refuse, and that a refusal saves nothing."""

import pytest
from django.core.exceptions import ValidationError

from tests import factories
from tests.services import tasks_enqueued
from vendors import services
from vendors.models import AIModel, AIModelAlias, ChangeEvent, LineageRefresh, ModelUsage

pytestmark = pytest.mark.django_db


def test_vendor_update_saves_only_what_changed():
    vendor = factories.VendorFactory(tier="low")
    services.vendor_update(vendor=vendor, tier="high", name=vendor.name)
    vendor.refresh_from_db()
    assert vendor.tier == "high"
    assert vendor.history.count() == 2  # created, then one change


def test_registering_a_usage_creates_the_model_node_and_records_the_change():
    product = factories.ProductFactory()
    region = factories.HostRegionFactory()

    usage = services.model_usage_register(
        product=product, model_kind="hub", model_name="Qwen/Qwen2.5-7B-Instruct", role="primary", region=region
    )

    assert usage.model.kind == AIModel.Kind.HUB and usage.model.status == AIModel.Status.PENDING
    assert usage.host == region.host  # a region names its host
    event = ChangeEvent.objects.get()
    assert event.kind == ChangeEvent.Kind.USAGE_ADDED and event.product == product


def test_a_bad_repo_id_saves_nothing():
    product = factories.ProductFactory()
    with pytest.raises(ValidationError) as raised:
        services.model_usage_register(product=product, model_kind="hub", model_name="not//valid")
    assert "ORG/NAME" in str(raised.value)
    assert not AIModel.objects.filter(kind="hub").exists()
    assert not ModelUsage.objects.exists()
    assert not ChangeEvent.objects.exists()


def test_a_refused_usage_leaves_no_orphan_model_node():
    usage = factories.ModelUsageFactory(model__name="Qwen/Qwen2.5-7B", role="primary")
    with pytest.raises(ValidationError):
        services.model_usage_register(
            product=usage.product, model_kind="hub", model_name="deepseek-ai/DeepSeek-R1", role="routed", share=150
        )
    assert not AIModel.objects.filter(name="deepseek-ai/DeepSeek-R1").exists()


def test_closed_models_must_be_in_the_catalogue():
    product = factories.ProductFactory()
    with pytest.raises(ValidationError, match="catalogue"):
        services.model_usage_register(product=product, model_kind="closed", model_name="gpt-99")


def test_renamed_repo_ids_and_case_lead_to_the_same_node():
    model = factories.AIModelFactory(name="zai-org/glm-4-9b-chat")
    AIModelAlias.objects.create(name="THUDM/glm-4-9b-chat", model=model)

    assert services.ai_model_get_or_create(kind="hub", name="thudm/GLM-4-9b-chat") == model
    assert services.ai_model_get_or_create(kind="hub", name="ZAI-ORG/glm-4-9b-chat") == model
    assert AIModel.objects.filter(kind="hub").count() == 1


def test_new_hub_models_are_linked_to_the_publisher_of_their_org():
    org = factories.PublisherOrgFactory(org_id="acme-open-models", publisher__country="CN")
    model = services.ai_model_get_or_create(kind="hub", name="ACME-open-models/acme-7b")
    assert model.publisher == org.publisher
    qwen = services.ai_model_get_or_create(kind="hub", name="qwen/Qwen2.5-7B")  # the shipped knowledge base's
    assert qwen.publisher.key == "alibaba-qwen"


def test_swapping_a_usage_model_records_the_swap():
    usage = factories.ModelUsageFactory(model__name="Qwen/Qwen2.5-7B")
    services.model_usage_update(
        usage=usage, model_kind="hub", model_name="deepseek-ai/DeepSeek-R1", role="primary", host=None, region=None,
        share=None,
    )  # fmt: skip
    event = ChangeEvent.objects.get(kind=ChangeEvent.Kind.MODEL_SWAPPED)
    assert event.details == {"usage": usage.pk, "from": "Qwen/Qwen2.5-7B", "to": "deepseek-ai/DeepSeek-R1"}


def test_registering_a_new_hub_model_enqueues_its_resolution_after_commit(django_capture_on_commit_callbacks):
    product = factories.ProductFactory()
    factories.AIModelFactory(name="Qwen/Qwen2.5-7B", fetched_at="2026-01-01T00:00:00Z", status="resolved")
    assert AIModel.objects.filter(kind="closed", name="gpt-4o").exists()  # from the shipped knowledge base

    with django_capture_on_commit_callbacks() as callbacks:
        services.model_usage_register(product=product, model_kind="hub", model_name="deepseek-ai/DeepSeek-R1")
    assert tasks_enqueued(callbacks) == [
        "vendors.tasks.lineage_refresh",
        "assessments.tasks.ratings_refresh",
        "vendors.tasks.bom_versions_refresh",  # the product's MBOM gets its next version
    ]
    assert LineageRefresh.objects.get().model_names == ["deepseek-ai/DeepSeek-R1"]

    with django_capture_on_commit_callbacks() as callbacks:
        services.model_usage_register(product=product, model_kind="hub", model_name="Qwen/Qwen2.5-7B")
        services.model_usage_register(product=product, model_kind="closed", model_name="gpt-4o")
    # already resolved, or not on the hub: no lineage refresh, but the new usages are rated at once
    assert tasks_enqueued(callbacks) == ["assessments.tasks.ratings_refresh", "vendors.tasks.bom_versions_refresh"] * 2
