"""``rows_insert`` writes exactly the rows ``bulk_create`` writes (COPY on PostgreSQL), JSON values included, and
``history_record`` the history rows simple-history would."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict

from assessments.models import Exposure, RiskRating
from assessments.services.rows import history_record, rows_insert
from tests import factories

pytestmark = pytest.mark.django_db

#: JSON values a column may hold: a string is not its bare text, nor a number its digits.
JSON_VALUES = [
    [],
    ["a/b", "c/d → e", 'quote " and \\ backslash', "tab\tnew\nline", "日本語"],
    "just a string",
    "",
    {"nested": {"list": [1, 2.5, None, True]}, "é": "ü"},
    42,
]


def _rows_as_stored(model, pks):
    return [
        {k: v for k, v in model_to_dict(row).items() if k not in {"id", "usage"}}
        for row in model.objects.filter(pk__in=pks).order_by("pk")
    ]


@pytest.mark.parametrize("value", JSON_VALUES)
def test_rows_insert_stores_what_bulk_create_stores(value):
    first, second = factories.ModelUsageFactory(), factories.ModelUsageFactory()
    shared = ["x", {"y": value}]  # one object in several rows, as a rating's factors are
    rows = [
        {"usage_id": first.pk, "score": 10, "tier": "low", "factors": value, "policy_version": 1},
        {
            "usage_id": first.pk,
            "score": 20,
            "tier": "moderate",
            "factors": shared,
            "policy_version": 1,
            "is_current": False,
        },
        {
            "usage_id": first.pk,
            "score": 30,
            "tier": "high",
            "factors": shared,
            "policy_version": 2,
            "is_current": False,
        },
    ]
    pks = rows_insert(RiskRating, rows)
    created = RiskRating.objects.bulk_create([RiskRating(**{**row, "usage_id": second.pk}) for row in rows])

    assert len(pks) == 3 and len(set(pks)) == 3
    assert _rows_as_stored(RiskRating, pks) == _rows_as_stored(RiskRating, [row.pk for row in created])
    assert [row.factors for row in RiskRating.objects.filter(pk__in=pks).order_by("pk")] == [value, shared, shared]
    stored = RiskRating.objects.get(pk=pks[0])
    assert stored.is_current is True and stored.created_at is not None  # the defaults and auto_now_add


def test_rows_insert_refuses_an_unknown_column():
    usage = factories.ModelUsageFactory()
    with pytest.raises(ValueError, match="no columns"):
        rows_insert(Exposure, [{"usage_id": usage.pk, "model_id": usage.model_id, "depth": 0, "colour": "red"}])
    assert not Exposure.objects.exists()


def test_history_record_copies_the_rows_as_they_are():
    usage = factories.ModelUsageFactory()
    path = [usage.model.name, 'with "quotes"']
    pks = rows_insert(Exposure, [{"usage_id": usage.pk, "model_id": usage.model_id, "depth": 1, "path": path}])
    history_record(Exposure, pks, history_type="+", reason="Rescoring", date=usage.created_at)
    (recorded,) = Exposure.history.filter(id=pks[0])
    assert (recorded.path, recorded.depth, recorded.history_type, recorded.history_change_reason) == (
        path,
        1,
        "+",
        "Rescoring",
    )
