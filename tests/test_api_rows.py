"""FastRows writes exactly what DRF's own ``to_representation`` writes, for every list serializer that uses it, on
rows read through the lists' selectors (the narrow ones included) and through the detail selectors."""

import pytest
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from assessments import selectors as rated
from assessments.api import serializers as a
from assessments.models import RiskRating
from riskregistry import versions
from riskregistry.api_rows import FastRows
from tests.api import build_world
from vendors import selectors
from vendors.api import serializers as v

pytestmark = pytest.mark.django_db

CASES = [
    (v.ProductSerializer, lambda: versions.version_annotate(rated.product_rated_queryset())),
    (v.VendorSerializer, lambda: versions.version_annotate(rated.vendor_rated_queryset())),
    (v.ModelUsageSerializer, lambda: versions.version_annotate(rated.model_usage_rated_list_queryset())),
    (v.ModelUsageSerializer, lambda: versions.version_annotate(rated.model_usage_rated_queryset())),
    (v.ChangeEventSerializer, selectors.change_event_list_queryset),
    (v.AIModelSerializer, selectors.ai_model_queryset),
    (v.HostSerializer, selectors.host_queryset),
    (v.PublisherSerializer, selectors.publisher_queryset),
    (v.LineageEdgeSerializer, selectors.lineage_edge_queryset),
    (v.ContactSerializer, lambda: versions.version_annotate(selectors.contact_queryset())),
    (a.FindingSerializer, lambda: versions.version_annotate(rated.finding_list_queryset())),
    (a.RiskRatingSerializer, lambda: RiskRating.objects.all()),
]


def _rendered(serializer_class, rows) -> bytes:
    return JSONRenderer().render(serializer_class(rows, many=True).data)


@pytest.mark.parametrize(("serializer_class", "selector"), CASES)
def test_fast_rows_write_what_drf_writes(serializer_class, selector, monkeypatch):
    build_world(" one")
    build_world(" two")
    rows = list(selector())
    assert rows, "the world has rows of every list"
    fast = _rendered(serializer_class, rows)
    monkeypatch.setattr(FastRows, "to_representation", serializers.Serializer.to_representation)
    assert fast == _rendered(serializer_class, rows)
