"""``field__any_of``: the same rows as ``__in``; on PostgreSQL one array parameter instead of a placeholder per
id, for integer columns only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from vendors.models import AIModel, ModelUsage

pytestmark = pytest.mark.django_db


def _models(count: int) -> list[AIModel]:
    return [factories.AIModelFactory(name=f"lab/m{i}") for i in range(count)]


@pytest.mark.parametrize(
    "ids",
    [
        lambda pks: pks,
        lambda pks: pks[:1],
        lambda pks: [*pks[:2], pks[0], 10**12],  # repeated and unknown ids
        lambda pks: set(pks[1:]),
        lambda pks: [],
    ],
)
def test_any_of_finds_what_in_finds(ids):
    wanted = ids([m.pk for m in _models(4)])
    assert set(AIModel.objects.filter(pk__any_of=wanted)) == set(AIModel.objects.filter(pk__in=wanted))


def test_any_of_on_a_foreign_key_and_its_attribute():
    usages = [factories.ModelUsageFactory() for _ in range(3)]
    model_ids = [u.model_id for u in usages[:2]]
    expected = {u.pk for u in usages[:2]}
    assert set(ModelUsage.objects.filter(model_id__any_of=model_ids).values_list("pk", flat=True)) == expected
    assert set(ModelUsage.objects.filter(model__any_of=model_ids).values_list("pk", flat=True)) == expected


def test_any_of_with_values_that_are_not_integers_is_in():
    models = _models(3)
    names = [models[0].name, models[2].name]
    assert set(AIModel.objects.filter(name__any_of=names)) == {models[0], models[2]}
    with CaptureQueriesContext(connection) as queries:
        assert list(AIModel.objects.filter(name__any_of=[models[1].name])) == [models[1]]
    assert " IN (" in queries[0]["sql"]
    factories.AIModelFactory(name="12")
    assert [m.name for m in AIModel.objects.filter(name__any_of=[12])] == ["12"]  # prepared as text, as IN does


def test_any_of_prepares_the_values_as_in_does():
    models = _models(2)
    assert set(AIModel.objects.filter(pk__any_of=[str(models[0].pk), models[1].pk])) == set(models)
    with pytest.raises(ValueError):
        list(AIModel.objects.filter(pk__any_of=["not a number"]))


def test_on_postgresql_the_ids_are_one_array_parameter(postgres):
    models = _models(5)
    with CaptureQueriesContext(connection) as queries:
        found = list(AIModel.objects.filter(pk__any_of=[m.pk for m in models]))
    assert set(found) == set(models)
    sql = queries[0]["sql"]
    assert "= ANY(" in sql and "::bigint[]" in sql and " IN (" not in sql
