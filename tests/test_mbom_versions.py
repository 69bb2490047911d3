"""Every change of a product's supply chain records the next version of its MBOM; nothing else does."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from tests import factories
from vendors import bom, services
from vendors.models import BomVersion
from vendors.selectors.bom import product_bom_input
from vendors.selectors.bom_versions import bom_version_diff
from vendors.services.bom_versions import bom_versions_record
from vendors.services.lineage import lineage_parent_declare, lineage_parent_remove

pytestmark = pytest.mark.django_db


def _versions(product) -> list[int]:
    return list(BomVersion.objects.filter(product=product).order_by("number").values_list("number", flat=True))


def test_changes_to_the_chain_bump_the_version_and_the_export_carries_it(django_capture_on_commit_callbacks):
    product = factories.ProductFactory()
    with django_capture_on_commit_callbacks(execute=True):
        usage = services.model_usage_register(product=product, model_kind="declared", model_name="acme-router")
    assert _versions(product) == [1]
    with django_capture_on_commit_callbacks(execute=True):
        edge = lineage_parent_declare(
            child=usage.model, parent_kind="declared", parent_name="acme-base", relation="finetune", source="vendor"
        )
    assert _versions(product) == [1, 2]
    latest = BomVersion.objects.get(product=product, number=2)
    assert any("acme-base" in summary for summary in latest.changes)
    change = bom_version_diff(product, 1, 2)
    assert change.models_added == ("declared:acme-base",)
    assert change.edges_added == (("declared:acme-router", "declared:acme-base", "finetune"),)

    # Nothing changed: recording again adds no version; the export says version 2.
    assert bom_versions_record(product_ids=[product.pk]) == []
    text = bom.render(
        product_bom_input(product), fmt="cyclonedx", serial=str(uuid.uuid4()), timestamp=dt.datetime.now(dt.UTC)
    )
    assert json.loads(text)["version"] == 2

    with django_capture_on_commit_callbacks(execute=True):
        lineage_parent_remove(edge=edge)
    assert _versions(product) == [1, 2, 3]
    change = bom_version_diff(product, 2, 3)
    assert change.models_removed == ("declared:acme-base",) and change.edges_removed


def test_a_host_change_and_a_retired_usage_are_new_versions(django_capture_on_commit_callbacks):
    product = factories.ProductFactory()
    region = factories.HostRegionFactory()
    with django_capture_on_commit_callbacks(execute=True):
        usage = services.model_usage_register(product=product, model_kind="declared", model_name="acme-router")
        other = services.model_usage_register(
            product=product, model_kind="declared", model_name="acme-embed", role="embedding"
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.model_usage_update(
            usage=usage,
            model_kind="declared",
            model_name="acme-router",
            role="primary",
            host=None,
            region=region,
            share=None,
        )
    assert _versions(product)[-1] == 2
    with django_capture_on_commit_callbacks(execute=True):
        services.model_usage_retire(usage=other, reason="Dropped by the vendor")
    assert _versions(product)[-1] == 3
    assert bom_version_diff(product, 2, 3).models_removed == ("declared:acme-embed",)


def test_a_missing_version_is_refused():
    product = factories.ProductFactory()
    with pytest.raises(BomVersion.DoesNotExist):
        bom_version_diff(product, 1, 2)
