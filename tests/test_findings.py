"""Findings: opened by rescoring for discrepancies, critical factors and critical ratings; remediated when the
factor leaves the rating; risk acceptance with a justification and an expiry that lowers the rating only while
valid; resolution refused while the risk is still there."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments import selectors, services
from assessments.models import Exposure, Finding, RiskRating
from tests import factories
from vendors.models import LineageRefresh
from vendors.services import lineage, model_usage_update

pytestmark = pytest.mark.django_db

QWEN_GGUF = "northwind-ai/contract-copilot-7b-GGUF"  # → a fine-tune → Qwen/Qwen2.5-7B (CN)


def _resolve(*names):
    refresh = LineageRefresh.objects.create(scope="models", model_names=list(names))
    lineage.lineage_refresh_run(refresh_id=refresh.pk)


@pytest.fixture
def qwen_usage(fake_hub, knowledge):
    usage = factories.ModelUsageFactory(model__name=QWEN_GGUF)
    _resolve(QWEN_GGUF)
    services.ratings_refresh()
    return usage


def _swap_to_gpt_oss(usage, capture):
    """The vendor moves the usage to a US model (resolved first); rescoring runs after the commit."""
    _resolve("openai/gpt-oss-20b")
    with capture(execute=True):
        model_usage_update(
            usage=usage, model_kind="hub", model_name="openai/gpt-oss-20b", role="primary", host=None, region=None,
            share=None,
        )  # fmt: skip


def _today():
    return timezone.now().astimezone(dt.UTC).date()


def test_a_country_of_concern_root_opens_one_finding_with_a_due_date(qwen_usage):
    finding = Finding.objects.get(usage=qwen_usage, code="origin.country_of_concern")

    assert finding.status == Finding.Status.OPEN and finding.trigger == Finding.Trigger.CRITICAL_FACTOR
    assert "Qwen/Qwen2.5-7B" in finding.title and finding.points > 0
    assert any("→ Qwen/Qwen2.5-7B" in line for line in finding.evidence)
    assert finding.due_date == _today() + dt.timedelta(days=30)
    assert finding.history.get().history_change_reason == "Opened by rescoring"

    services.ratings_refresh()
    assert Finding.objects.filter(usage=qwen_usage).count() == 1  # one live finding per factor, not per run


def test_a_usage_without_critical_factors_opens_none(fake_hub, knowledge):
    usage = factories.ModelUsageFactory(model__name="openai/gpt-oss-20b")
    _resolve(usage.model.name)
    services.ratings_refresh()
    assert RiskRating.objects.get(usage=usage).tier != "critical"
    assert not Finding.objects.filter(usage=usage).exists()


def test_accepting_the_risk_lowers_the_rating_only_while_valid(qwen_usage, analyst, django_capture_on_commit_callbacks):
    before = RiskRating.objects.get(usage=qwen_usage, is_current=True)
    finding = Finding.objects.get(usage=qwen_usage, code="origin.country_of_concern")
    until = _today() + dt.timedelta(days=90)

    with django_capture_on_commit_callbacks(execute=True):
        factories.finding_accept_approved(
            finding=finding, justification="Runs on-premises, no data leaves.", accepted_until=until, by=analyst
        )

    accepted = RiskRating.objects.get(usage=qwen_usage, is_current=True)
    assert accepted.score == before.score - finding.points
    row = next(f for f in accepted.factors if f["code"] == "origin.country_of_concern")
    assert row["accepted"] == {
        "until": until.isoformat(),
        "by": analyst.username,
        "justification": "Runs on-premises, no data leaves.",
    }
    assert RiskRating.objects.filter(usage=qwen_usage).count() == 2  # history kept

    # The acceptance runs out: the nightly job rescores, the factor counts again and the finding reopens.
    Finding.objects.filter(pk=finding.pk).update(accepted_until=_today() - dt.timedelta(days=1))
    assert services.findings_expire() == 1
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN
    assert finding.history.first().history_change_reason.startswith("Risk acceptance expired")
    current = RiskRating.objects.get(usage=qwen_usage, is_current=True)
    assert current.score == before.score and not current.accepted_factors


@pytest.mark.parametrize(
    ("justification", "days", "field"),
    [
        ("", 30, "justification"),
        ("   ", 30, "justification"),
        ("Because.", -1, "accepted_until"),
        ("Because.", 366, "accepted_until"),  # the default policy allows a year at most
    ],
)
def test_an_acceptance_needs_a_justification_and_a_bounded_expiry(qwen_usage, analyst, justification, days, field):
    finding = Finding.objects.get(usage=qwen_usage, code="origin.country_of_concern")
    with pytest.raises(ValidationError) as raised:
        services.finding_accept(
            finding=finding,
            justification=justification,
            accepted_until=_today() + dt.timedelta(days=days),
            by=analyst,
        )
    assert field in raised.value.message_dict
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN and finding.justification == ""


def test_revoking_an_acceptance_counts_the_factor_again(qwen_usage, analyst, django_capture_on_commit_callbacks):
    finding = Finding.objects.get(usage=qwen_usage, code="origin.country_of_concern")
    full = RiskRating.objects.get(usage=qwen_usage, is_current=True).score
    with django_capture_on_commit_callbacks(execute=True):
        factories.finding_accept_approved(
            finding=finding,
            justification="Pilot only, no personal data.",
            accepted_until=_today() + dt.timedelta(days=7),
            by=analyst,
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.finding_acceptance_revoke(finding=finding, by=analyst)
    assert RiskRating.objects.get(usage=qwen_usage, is_current=True).score == full
    with pytest.raises(ValidationError):
        services.finding_acceptance_revoke(finding=finding, by=analyst)


def test_a_risk_still_in_the_rating_cannot_be_closed_or_remediated_by_hand(qwen_usage, analyst):
    finding = Finding.objects.get(usage=qwen_usage, code="origin.country_of_concern")
    for status in (Finding.Status.REMEDIATED, Finding.Status.CLOSED):
        with pytest.raises(ValidationError, match="still in the usage's current rating"):
            services.finding_resolve(finding=finding, status=status, resolution="Done.", by=analyst)
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN


def test_swapping_the_model_remediates_the_finding_then_it_can_be_closed(
    qwen_usage, analyst, django_capture_on_commit_callbacks
):
    finding = Finding.objects.get(usage=qwen_usage, code="origin.country_of_concern")
    _swap_to_gpt_oss(qwen_usage, django_capture_on_commit_callbacks)

    finding.refresh_from_db()
    assert finding.status == Finding.Status.REMEDIATED and finding.resolved_at is not None
    assert "left the usage's rating" in finding.resolution
    with pytest.raises(ValidationError) as raised:
        services.finding_resolve(finding=finding, status=Finding.Status.CLOSED, resolution=" ", by=analyst)
    assert "resolution" in raised.value.message_dict
    services.finding_resolve(finding=finding, status=Finding.Status.CLOSED, resolution="Vendor moved off Qwen.")
    finding.refresh_from_db()
    assert finding.status == Finding.Status.CLOSED


def test_a_factor_coming_back_opens_a_new_finding(qwen_usage, django_capture_on_commit_callbacks):
    Finding.objects.filter(usage=qwen_usage).update(status=Finding.Status.CLOSED, resolution="Reviewed.")
    services.ratings_refresh()
    assert Finding.objects.filter(usage=qwen_usage, status=Finding.Status.OPEN).count() == 1
    assert Finding.objects.filter(usage=qwen_usage).count() == 2


def test_owner_and_due_date_are_recorded_with_history(qwen_usage, analyst):
    finding = Finding.objects.get(usage=qwen_usage, code="origin.country_of_concern")
    services.finding_update(finding=finding, owner=analyst, due_date=dt.date(2027, 1, 15))
    finding.refresh_from_db()
    assert (finding.owner, finding.due_date) == (analyst, dt.date(2027, 1, 15))
    assert finding.history.count() == 2


def test_exposure_rows_follow_the_lineage_with_paths_and_roots(qwen_usage, django_capture_on_commit_callbacks):
    rows = {e.model.name: e for e in Exposure.objects.filter(usage=qwen_usage).select_related("model")}

    assert rows[QWEN_GGUF].depth == 0 and rows[QWEN_GGUF].path == [QWEN_GGUF]
    root = rows["Qwen/Qwen2.5-7B"]
    assert root.is_root and root.path[0] == QWEN_GGUF and root.path[-1] == "Qwen/Qwen2.5-7B"
    assert root.depth == len(root.path) - 1 >= 2

    _swap_to_gpt_oss(qwen_usage, django_capture_on_commit_callbacks)
    assert set(Exposure.objects.filter(usage=qwen_usage).values_list("model__name", flat=True)) == {
        "openai/gpt-oss-20b"
    }


def test_rescoring_with_findings_and_exposure_keeps_a_fixed_number_of_queries(
    fake_hub, knowledge, django_assert_max_num_queries
):
    first = factories.ModelUsageFactory(model__name=QWEN_GGUF)
    _resolve(QWEN_GGUF)
    for _ in range(59):
        factories.ModelUsageFactory(model=first.model)
    # A constant, below the 60 usages: one statement per usage would exceed it. The announcements of the new
    # ratings and findings run in the transaction, each under a savepoint, and count here too.
    with django_assert_max_num_queries(48):
        services.ratings_refresh()
    assert Finding.objects.filter(code="origin.country_of_concern").count() == 60
    assert Exposure.objects.count() == 60 * Exposure.objects.filter(usage=first).count()


def test_a_critical_rating_opens_a_finding_for_its_largest_factor(fake_hub, knowledge):
    usage = factories.ModelUsageFactory(model__name=QWEN_GGUF)
    _resolve(QWEN_GGUF)
    # No factor is critical by itself under this policy, but the rating reaches the (low) critical threshold.
    policy = selectors.policy_current().with_changes(critical_factors=frozenset(), thresholds=(5, 10, 20))

    services.ratings_refresh(policy=policy)

    rating = RiskRating.objects.get(usage=usage, is_current=True)
    assert rating.tier == "critical"
    finding = Finding.objects.get(usage=usage)
    assert finding.trigger == Finding.Trigger.CRITICAL_TIER
    assert finding.code == rating.counted_factors[0]["code"]


DISCREPANCY, ORIGIN = "discrepancy.answer_contradicts_lineage", "origin.country_of_concern"


@pytest.mark.parametrize(
    ("codes", "tier", "critical_factors", "expected"),
    [
        ([DISCREPANCY], "high", frozenset(), {DISCREPANCY: "discrepancy"}),  # always, whatever the policy says
        (["license.unknown", ORIGIN], "moderate", None, {ORIGIN: "critical_factor"}),
        (["license.unknown"], "moderate", None, {}),
        (["license.unknown", "facts.stale"], "critical", None, {"license.unknown": "critical_tier"}),
        ([ORIGIN, "license.unknown"], "critical", None, {ORIGIN: "critical_factor"}),  # one finding per factor
    ],
)  # fmt: skip
def test_which_factors_open_findings(codes, tier, critical_factors, expected):
    from assessments.scoring import Factor, Rating
    from assessments.services.rescoring import _wanted_findings

    policy = selectors.policy_current()
    if critical_factors is not None:
        policy = policy.with_changes(critical_factors=critical_factors)
    factors = tuple(Factor(code, 10, f"{code} fired", ()) for code in codes)
    rating = Rating(score=50, tier=tier, factors=factors, policy_version=1, inputs_as_of=None)
    assert _wanted_findings(rating, policy) == expected


def test_retiring_the_product_closes_its_findings_and_reactivating_it_opens_them_again(
    qwen_usage, django_capture_on_commit_callbacks
):
    from vendors.services import product_update

    product = qwen_usage.product
    with django_capture_on_commit_callbacks(execute=True):
        product_update(product=product, status="retired")
    finding = Finding.objects.get(usage=qwen_usage, code="origin.country_of_concern")
    assert finding.status == Finding.Status.CLOSED and "retired" in finding.resolution

    services.ratings_refresh()
    assert not Finding.objects.filter(usage=qwen_usage, status__in=["open", "accepted"]).exists()

    with django_capture_on_commit_callbacks(execute=True):
        product_update(product=product, status="active")
    assert Finding.objects.filter(usage=qwen_usage, status="open", code="origin.country_of_concern").count() == 1
