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


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_fast_rows_write_dates_and_times_as_drf_does_in_the_current_time_zone(zone, monkeypatch):
    from django.utils import timezone

    build_world(" one")
    with timezone.override(zone):
        rows = list(versions.version_annotate(rated.finding_list_queryset()))
        fast = _rendered(a.FindingSerializer, rows)
        monkeypatch.setattr(FastRows, "to_representation", serializers.Serializer.to_representation)
        assert fast == _rendered(a.FindingSerializer, rows)
    assert (b'Z"' in fast) == (zone == "UTC")


def test_a_list_shows_the_people_a_record_shows(admin_user):
    """The lists read usernames with their rows (``with_usernames``) instead of joining the users: the same names
    as the records read with their users joined."""
    from django.utils import timezone

    from assessments.models import Finding
    from vendors.models import ChangeEvent, ModelUsage

    world = build_world(" one")
    now = timezone.now()
    Finding.objects.filter(pk=world.finding.pk).update(
        owner=admin_user, accepted_by=admin_user, acceptance_requested_by=admin_user, approved_by=admin_user
    )
    ModelUsage.objects.filter(pk=world.usage.pk).update(declared_by_user=admin_user, retired_by=admin_user)
    ChangeEvent.objects.filter(pk=world.change.pk).update(acknowledged_by=admin_user, acknowledged_at=now)
    cases = [
        (a.FindingSerializer, rated.finding_list_queryset, rated.finding_queryset, world.finding),
        (v.ModelUsageSerializer, rated.model_usage_rated_list_queryset, rated.model_usage_rated_queryset, world.usage),
        (v.ChangeEventSerializer, selectors.change_event_list_queryset, selectors.change_event_queryset, world.change),
    ]
    for serializer_class, list_selector, detail_selector, record in cases:
        pk = record.pk
        listed = serializer_class(list_selector().get(pk=pk)).data
        shown = serializer_class(detail_selector().get(pk=pk)).data
        assert listed == shown, serializer_class
        people = [name for name, value in listed.items() if value == admin_user.username]
        assert people, serializer_class
