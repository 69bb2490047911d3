"""The portfolio as of a past moment: rebuilt from rating snapshots and history, it agrees with the dashboard for
"now" and does not move when the data changes afterwards."""

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments import selectors, services
from assessments.models import Exposure, Finding, RiskRating
from tests import factories
from vendors.models import LineageRefresh, Product

pytestmark = pytest.mark.django_db

QWEN_GGUF = "northwind-ai/contract-copilot-7b-GGUF"  # → a fine-tune → Qwen/Qwen2.5-7B (CN)
GPT_OSS = "openai/gpt-oss-20b"


@pytest.fixture
def portfolio(fake_hub, knowledge):
    from vendors.services import lineage

    on_qwen = factories.ModelUsageFactory(model__name=QWEN_GGUF, product__name="Contract copilot")
    on_openai = factories.ModelUsageFactory(model__name=GPT_OSS, product__name="Helpdesk bot")
    refresh = LineageRefresh.objects.create(scope="models", model_names=[QWEN_GGUF, GPT_OSS])
    lineage.lineage_refresh_run(refresh_id=refresh.pk)
    services.ratings_refresh()
    return {"qwen": on_qwen, "openai": on_openai}


def _figures(dashboard) -> tuple:
    return (
        dict(dashboard.products_by_tier),
        list(dashboard.by_country),
        [(model.name, n) for model, n in dashboard.by_root],
        [(p.name, p.worst_tier, p.worst_score) for p in dashboard.riskiest],
        (dashboard.findings_open, dashboard.findings_overdue, dashboard.findings_accepted),
        dashboard.policy_version,
    )


def test_as_of_now_gives_the_dashboards_figures(portfolio):
    assert Finding.objects.exists() and Exposure.history.exists()
    assert _figures(selectors.dashboard(as_of=timezone.now())) == _figures(selectors.dashboard())


def test_figures_as_of_a_past_moment_do_not_move_when_the_data_changes_later(portfolio, analyst):
    then = timezone.now()
    before = _figures(selectors.dashboard(as_of=then))
    assert before[0]["critical"] + before[0]["high"] >= 1 and ("CN", 1) in before[1]

    # Afterwards: the Qwen product retires, its rating moves, a finding is accepted, a new product arrives.
    finding = Finding.objects.filter(status=Finding.Status.OPEN).first()
    factories.finding_accept_approved(
        finding=finding,
        by=analyst,
        justification="Contract clause 12: on-premises only",
        accepted_until=timezone.now().date() + timedelta(5),
    )
    RiskRating.objects.filter(usage=portfolio["openai"], is_current=True).update(is_current=False)
    RiskRating.objects.create(usage=portfolio["openai"], score=99, tier="critical", policy_version=1)
    product = portfolio["qwen"].product
    product.status = Product.Status.RETIRED
    product.save()
    services.ratings_refresh()
    factories.ModelUsageFactory(model__name="openai/gpt-oss-120b", product__name="Later bot")

    assert _figures(selectors.dashboard()) != before
    assert _figures(selectors.dashboard(as_of=then)) == before


def test_a_retired_usage_leaves_the_roll_up_now_and_stays_counted_before(portfolio, analyst):
    from vendors.services import model_usage_retire

    before_retiring = timezone.now()
    before = _figures(selectors.dashboard(as_of=before_retiring))
    assert before[0]["critical"] + before[0]["high"] >= 1
    model_usage_retire(usage=portfolio["qwen"], reason="Replaced by the in-house model", user=analyst)

    now = _figures(selectors.dashboard(as_of=timezone.now()))
    assert now == _figures(selectors.dashboard())
    assert now[0][""] == before[0][""] + 1  # the Qwen product has nothing in use any more
    assert _figures(selectors.dashboard(as_of=before_retiring)) == before


def test_nothing_existed_before_the_portfolio(portfolio):
    state = selectors.portfolio_as_of(timezone.now() - timedelta(days=1))
    assert state.products_by_tier() == {"": 0, "low": 0, "moderate": 0, "high": 0, "critical": 0}
    assert state.exposure_by_country() == [] and state.finding_counts() == {"open": 0, "overdue": 0, "accepted": 0}
