"""The tables rescoring and a lineage refresh write in bulk carry no index another one already covers, and keep
every constraint: each index is written with every row."""

import pytest
from django.db import connection

from assessments.models import Exposure, Finding, RiskRating
from vendors.models import LineageEdge, LineageRefreshClaim

BULK_WRITTEN = [Exposure, Exposure.history.model, RiskRating, Finding, Finding.history.model, LineageEdge]
BULK_WRITTEN += [LineageRefreshClaim]


def _constraints(model) -> dict[str, dict]:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, model._meta.db_table)


#: Pairs (index, index covering it) on a table: a plain index (not unique, not partial, on columns) whose columns
#: lead another index that is not partial, either longer or unique.
COVERED = """
    SELECT a.indexrelid::regclass::text, b.indexrelid::regclass::text
    FROM pg_index a JOIN pg_index b ON a.indrelid = b.indrelid AND a.indexrelid <> b.indexrelid
    WHERE a.indrelid = %s::regclass AND NOT a.indisunique AND NOT a.indisprimary
      AND a.indpred IS NULL AND b.indpred IS NULL AND a.indexprs IS NULL AND b.indexprs IS NULL
      AND (b.indkey::int2[])[0:a.indnkeyatts - 1] = (a.indkey::int2[])[0:a.indnkeyatts - 1]
      AND (b.indclass::oid[])[0:a.indnkeyatts - 1] = (a.indclass::oid[])[0:a.indnkeyatts - 1]
      AND (b.indnkeyatts > a.indnkeyatts OR b.indisunique)
"""  # indkey and indclass count from 0; a slice of either counts from 1


@pytest.mark.parametrize("model", BULK_WRITTEN, ids=lambda model: model._meta.db_table)
def test_no_plain_index_is_covered_by_another(postgres, model):
    with connection.cursor() as cursor:
        cursor.execute(COVERED, [model._meta.db_table])
        assert cursor.fetchall() == []


def test_the_check_finds_a_covered_index(postgres):
    with connection.cursor() as cursor:
        cursor.execute('CREATE INDEX "extra_child" ON "vendors_lineageedge" ("child_id")')
        cursor.execute(COVERED, [LineageEdge._meta.db_table])
        assert cursor.fetchall() == [("extra_child", "lineageedge_child_parent_unique")]


@pytest.mark.django_db
def test_the_constraints_and_lookups_the_indexes_served_are_still_there():
    ratings, findings = _constraints(RiskRating), _constraints(Finding)
    assert ratings["riskrating_one_current_per_usage"]["unique"]
    assert findings["finding_one_live_per_factor"]["unique"]
    assert _constraints(Exposure)["exposure_unique_usage_model"]["columns"] == ["usage_id", "model_id"]
    assert _constraints(LineageEdge)["lineageedge_child_parent_unique"]["columns"] == ["child_id", "parent_id"]
    assert _constraints(LineageRefreshClaim)["lineagerefreshclaim_unique"]["columns"] == ["refresh_id", "name"]
    for model, column in [(Exposure, "usage_id"), (Exposure, "model_id"), (RiskRating, "usage_id")]:
        keys = [c for c in _constraints(model).values() if c["foreign_key"] and c["columns"] == [column]]
        assert keys, f"{model._meta.db_table}.{column} lost its foreign key"
    history = _constraints(Exposure.history.model)
    assert any(c["columns"] == ["id", "history_id"] for c in history.values())
