"""Rescoring writes its audit trail in bulk: the exposure rows' and opened findings' history rows are copied from
the rows themselves in SQL, and must say exactly what the per-row history would have said (values, type, date,
reason, user). Usages with equal facts are scored once; their ratings are those of scoring each alone."""

import pytest
from django.test import RequestFactory
from django.utils import timezone
from simple_history.models import HistoricalRecords

from assessments.models import Exposure, Finding, RiskRating
from assessments.scoring import score, score_many
from assessments.selectors import policy_current, usage_facts_for
from assessments.services import ratings_refresh
from tests import factories
from vendors.models import AIModel, LineageEdge
from vendors.selectors import model_usage_queryset

pytestmark = pytest.mark.django_db


def _model(name, publisher=None, **fields):
    return factories.AIModelFactory(
        name=name, status=AIModel.Status.RESOLVED, fetched_at=timezone.now(), publisher=publisher, **fields
    )


def _edge(child, parent):
    return LineageEdge.objects.create(
        child=child, parent=parent, relation="finetune", source="card", observed_at=timezone.now()
    )


def _tracked(row):
    return {field.attname: getattr(row, field.attname) for field in Exposure.history.model.tracked_fields}


def test_exposure_rows_added_changed_and_removed_are_each_recorded_as_they_were():
    base, upstream = _model("lab/base"), _model("lab/upstream")
    tuned = _model("tuner/tuned")
    _edge(tuned, base)
    usage = factories.ModelUsageFactory(model=tuned)

    ratings_refresh()
    rows = {row.model_id: row for row in Exposure.objects.filter(usage=usage)}
    assert set(rows) == {tuned.pk, base.pk} and rows[base.pk].is_root
    added = list(Exposure.history.filter(usage_id=usage.pk))
    assert sorted(h.history_type for h in added) == ["+", "+"]
    assert {h.id: _tracked(h) for h in added} == {row.pk: _tracked(row) for row in rows.values()}
    assert {h.history_change_reason for h in added} == {"Rescoring"} and {h.history_user_id for h in added} == {None}
    assert len({h.history_date for h in added}) == 1

    _edge(base, upstream)  # the base now names a parent: its row changes, the upstream's is added
    ratings_refresh()
    changed = Exposure.history.get(id=rows[base.pk].pk, history_type="~")
    assert not changed.is_root and changed.path == ["tuner/tuned", "lab/base"]
    assert _tracked(changed) == _tracked(Exposure.objects.get(pk=rows[base.pk].pk))
    upstream_row = Exposure.objects.get(usage=usage, model=upstream)
    assert _tracked(Exposure.history.get(id=upstream_row.pk, history_type="+")) == _tracked(upstream_row)

    LineageEdge.objects.filter(child=tuned).delete()  # the parent claim is gone: two rows go, recorded first
    ratings_refresh()
    assert list(Exposure.objects.filter(usage=usage).values_list("model_id", flat=True)) == [tuned.pk]
    removed = {h.id: h for h in Exposure.history.filter(usage_id=usage.pk, history_type="-")}
    assert set(removed) == {rows[base.pk].pk, upstream_row.pk}
    assert Exposure.history.filter(usage_id=usage.pk, history_type="-").count() == 2  # each recorded once
    assert removed[upstream_row.pk].path == ["tuner/tuned", "lab/base", "lab/upstream"]
    assert removed[upstream_row.pk].is_root and removed[upstream_row.pk].history_change_reason == "Rescoring"


def test_opened_findings_are_recorded_with_the_reason_and_the_requesting_user():
    sanctioned = factories.PublisherFactory(country="CN", flags=["bis_entity_list"])
    model = _model("sanctioned-lab/base", publisher=sanctioned)
    usage = factories.ModelUsageFactory(model=model)
    analyst = factories.UserFactory()
    request = RequestFactory().get("/")
    request.user = analyst
    HistoricalRecords.context.request = request  # as the history middleware leaves it during a request
    try:
        ratings_refresh()
    finally:
        del HistoricalRecords.context.request

    findings = list(Finding.objects.filter(usage=usage))
    assert findings, "a sanctioned publisher opens a finding"
    for finding in findings:
        (history,) = finding.history.all()
        assert history.history_type == "+" and history.history_change_reason == "Opened by rescoring"
        assert history.history_user_id == analyst.pk
        assert (history.code, history.status, history.title, history.evidence) == (
            finding.code,
            finding.status,
            finding.title,
            finding.evidence,
        )
    for row in Exposure.history.filter(usage_id=usage.pk):
        assert row.history_user_id == analyst.pk


def test_usages_with_equal_facts_share_a_rating_equal_to_scoring_each_alone():
    chinese = factories.PublisherFactory(country="CN")
    base = _model("cn-lab/base", publisher=chinese, license="cc-by-nc-4.0")
    tuned = _model("tuner/tuned", license="apache-2.0")
    _edge(tuned, base)
    host = factories.HostFactory(country="CN")
    vendor = factories.VendorFactory(country="DE")
    usages = [
        factories.ModelUsageFactory(model=tuned, product__vendor=vendor),
        factories.ModelUsageFactory(model=tuned, product__vendor=vendor),  # the same facts as the first
        factories.ModelUsageFactory(model=tuned, product__vendor=vendor, host=host),
        factories.ModelUsageFactory(model=tuned, role="fallback"),
        factories.ModelUsageFactory(model=base),
    ]
    loaded = list(model_usage_queryset().filter(pk__in=[u.pk for u in usages]).order_by("pk"))
    facts = usage_facts_for(loaded, now=timezone.now())
    policy = policy_current()

    ratings = score_many(facts, policy)

    assert ratings == {u.pk: score(facts[u.pk], policy) for u in loaded}
    assert ratings[loaded[0].pk] is ratings[loaded[1].pk]
    assert ratings[loaded[2].pk] != ratings[loaded[0].pk]  # served from China: another rating
    ratings_refresh()
    stored = {r.usage_id: (r.score, r.factors) for r in RiskRating.objects.all()}
    assert stored[usages[0].pk] == stored[usages[1].pk] and stored[usages[2].pk] != stored[usages[0].pk]


def test_a_rescoring_that_fills_the_tables_keeps_the_planner_statistics_following_them(postgres, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.RATINGS_BATCH_SIZE = 2
    base = _model("lab/base")
    for _ in range(11):  # 6 batches: statistics refreshed after the 1st, 2nd and 4th
        factories.ModelUsageFactory(model=base)
    with connection.cursor() as cursor:  # the planner knows the ratings table empty, as on a fresh database
        cursor.execute("ANALYZE assessments_riskrating")

    with CaptureQueriesContext(connection) as first:
        assert ratings_refresh() == 11
    with CaptureQueriesContext(connection) as second:
        assert ratings_refresh() == 0

    analysed = [q["sql"] for q in first.captured_queries if q["sql"].startswith("ANALYZE")]
    assert len(analysed) == 3 and all('"assessments_riskrating"' in sql for sql in analysed)
    assert not [q for q in second.captured_queries if q["sql"].startswith("ANALYZE")]  # nothing written
    with CaptureQueriesContext(connection) as third:  # the statistics know more rows than a few usages add
        ratings_refresh(usage_ids=[factories.ModelUsageFactory(model=_model("lab/other")).pk])
    assert not [q for q in third.captured_queries if q["sql"].startswith("ANALYZE")]
