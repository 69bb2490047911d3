"""Project-wide pages: the dashboard and the health check."""

import hashlib
import json
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_countries import countries

from assessments import charts
from assessments import selectors as assessment_selectors
from assessments.selectors import trends
from riskregistry import services
from riskregistry.celery import app as celery_app
from vendors import selectors


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    dashboard = assessment_selectors.dashboard()
    drawn = dashboard_charts(dashboard)
    drawn["trend"] = tier_trend_chart()
    return render(
        request,
        "home.html",
        {"summary": selectors.portfolio_summary(), "dashboard": dashboard, "charts": drawn},
    )


def tier_trend_chart() -> str:
    """The portfolio's tiers over the last year as a chart. Rebuilding a dozen past moments reads the history
    tables a dozen times, so the drawing is cached until a rating, a product or a usage changes (or the day does).
    """
    key = "chart:tier-trend:" + hashlib.sha256(repr(trends.trend_stamp()).encode()).hexdigest()
    svg = cache.get(key)
    if svg is None:
        trend = trends.portfolio_tier_trend()
        moments = [moment for moment, _ in trend]
        svg = charts.tier_trend_chart(
            [(trends.moment_label(moment, moments), counts) for moment, counts in trend],
            title="Active products by their riskiest model usage, over time",
        )
        cache.set(key, svg, 24 * 3600)
    return svg


def dashboard_charts(dashboard: assessment_selectors.Dashboard) -> dict[str, str]:
    """The dashboard's three charts as inline SVG, each bar linking to its blast radius. Drawing takes tens of
    milliseconds, so each chart is cached under a hash of its data: a new figure only when the data moves."""
    exposure = reverse("assessments:exposure")
    specs = {
        "tiers": (
            "tier_chart",
            {
                "counts": {tier: dashboard.products_by_tier.get(tier, 0) for tier in charts.TIER_COLORS},
                "title": "Active products by their riskiest model usage",
                "hrefs": {tier: f"{exposure}?{urlencode({'tier': tier})}" for tier in charts.TIER_COLORS},
            },
        ),
        "countries": (
            "bar_chart",
            {
                "bars": [
                    charts.Bar(
                        f"{countries.name(code) or code} ({code})", n, f"{exposure}?{urlencode({'country': code})}"
                    )
                    for code, n in dashboard.by_country
                ],
                "title": "Products by origin country of their models",
                "value_label": "products",
            },
        ),
        "roots": (
            "bar_chart",
            {
                "bars": [
                    charts.Bar(model.name, n, f"{exposure}?{urlencode({'root': model.name})}")
                    for model, n in dashboard.by_root
                ],
                "title": "Products by root model",
                "value_label": "products",
            },
        ),
    }
    drawn = {}
    for name, (kind, arguments) in specs.items():
        key = "chart:" + hashlib.sha256(json.dumps([kind, arguments], default=repr).encode()).hexdigest()
        svg = cache.get(key)
        if svg is None:
            svg = getattr(charts, kind)(**arguments)
            cache.set(key, svg, 24 * 3600)
        drawn[name] = svg
    return drawn


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and compose health checks: the process answers and the database is reachable."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    workers = services.workers_alive()
    return JsonResponse(
        {
            "status": "ok",
            "task_mode": "in-process" if celery_app.conf.task_always_eager else "celery",
            "workers": [{"hostname": w.hostname, "seen_at": w.seen_at.isoformat()} for w in workers],
        }
    )
