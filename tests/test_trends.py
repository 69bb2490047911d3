"""Risk over time: the portfolio's tiers and a product's score at past moments, read back from the rating
snapshots, and drawn on the dashboard and the product page."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.models import RiskRating
from assessments.selectors import trends
from tests import factories

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _snapshot(usage, *, score, tier, days_ago):
    RiskRating.objects.filter(usage=usage, is_current=True).update(is_current=False)
    rating = RiskRating.objects.create(usage=usage, score=score, tier=tier, policy_version=1)
    RiskRating.objects.filter(pk=rating.pk).update(created_at=NOW - timedelta(days=days_ago))
    return rating


def _backdate(*rows, days_ago):
    for row in rows:
        type(row).objects.filter(pk=row.pk).update(created_at=NOW - timedelta(days=days_ago))
        row.history.update(history_date=NOW - timedelta(days=days_ago))


@pytest.fixture
def product():
    usage = factories.ModelUsageFactory(product__name="Contract copilot")
    other = factories.ModelUsageFactory(product=usage.product, model__name="org/embedder")
    _backdate(usage.product, usage, other, days_ago=100)
    _snapshot(usage, score=20, tier="low", days_ago=90)
    _snapshot(usage, score=70, tier="high", days_ago=30)
    _snapshot(other, score=40, tier="moderate", days_ago=60)
    return usage.product


def test_moments_run_evenly_from_the_first_snapshot_to_now():
    moments = trends.trend_moments(NOW - timedelta(days=11), now=NOW, points=12)
    assert len(moments) == 12 and moments[0] == NOW - timedelta(days=11) and moments[-1] == NOW
    assert {b - a for a, b in itertools.pairwise(moments)} == {timedelta(days=1)}
    assert trends.trend_moments(NOW - timedelta(days=5000), now=NOW)[0] == NOW - trends.SPAN  # a year at most
    assert trends.trend_moments(None, now=NOW) == []


def test_a_products_score_is_its_riskiest_usage_at_each_moment(product):
    trend = dict(trends.product_score_trend(product, now=NOW, points=10))  # every 10 days from 90 days ago
    at = {round((NOW - moment) / timedelta(days=1)): score for moment, score in trend.items()}
    assert at == {90: 20, 80: 20, 70: 20, 60: 40, 50: 40, 40: 40, 30: 70, 20: 70, 10: 70, 0: 70}


def test_a_retired_usage_stops_counting_from_when_it_ended(product):
    usage = RiskRating.objects.get(score=70).usage
    type(usage).objects.filter(pk=usage.pk).update(retired_at=NOW - timedelta(days=15))
    at = {
        round((NOW - moment) / timedelta(days=1)): score
        for moment, score in trends.product_score_trend(product, now=NOW, points=10)
    }
    assert at[20] == 70 and at[10] == 40 and at[0] == 40


def test_the_portfolio_counts_products_by_their_riskiest_tier_then(product):
    later = factories.ModelUsageFactory(product__name="Helpdesk bot")
    _backdate(later.product, later, days_ago=45)
    _snapshot(later, score=95, tier="critical", days_ago=40)
    trend = trends.portfolio_tier_trend(now=NOW, points=10)
    at = {round((NOW - moment) / timedelta(days=1)): counts for moment, counts in trend}
    assert at[90] == {"low": 1, "moderate": 0, "high": 0, "critical": 0}
    assert at[50] == {"low": 0, "moderate": 1, "high": 0, "critical": 0}  # the later product existed, unrated
    assert at[0] == {"low": 0, "moderate": 0, "high": 1, "critical": 1}


def test_the_dashboard_and_the_product_page_draw_the_trends(client, viewer, product):
    client.force_login(viewer)
    dashboard = client.get("/").content.decode()
    assert "Risk over time" in dashboard
    assert 'aria-label="Active products by their riskiest model usage, over time"' in dashboard
    page = client.get(product.get_absolute_url()).content.decode()
    assert 'aria-label="Score over time"' in page
    assert "style=" not in page.split('aria-label="Score over time"')[1].split("</svg>")[0]


def test_a_product_never_rated_has_no_trend(client, viewer):
    product = factories.ProductFactory()
    client.force_login(viewer)
    assert "Score over time" not in client.get(product.get_absolute_url()).content.decode()


def test_anonymous_visitors_see_no_trend(client, product):
    response = client.get(product.get_absolute_url())
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_portfolio_trend_agrees_with_the_portfolio_as_of_each_moment(product):
    from assessments.selectors import portfolio_as_of

    later = factories.ModelUsageFactory(product__name="Helpdesk bot")
    _backdate(later.product, later, days_ago=45)
    _snapshot(later, score=95, tier="critical", days_ago=40)
    retired = factories.ModelUsageFactory(product=later.product, model__name="org/old")
    _backdate(retired, days_ago=80)
    _snapshot(retired, score=99, tier="critical", days_ago=70)
    type(retired).objects.filter(pk=retired.pk).update(retired_at=NOW - timedelta(days=50))
    for moment, counts in trends.portfolio_tier_trend(now=NOW, points=10):
        expected = portfolio_as_of(moment).products_by_tier()
        expected.pop("")
        if moment >= NOW - timedelta(days=50):  # PortfolioAsOf still counts a retired usage; the trend does not
            continue
        assert counts == expected, moment
