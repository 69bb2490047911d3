"""Project-wide pages: the dashboard and the health check."""

import hashlib
import json
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_countries import countries

from assessments import charts
from assessments import selectors as assessment_selectors
from assessments.selectors import trends
from assessments.selectors.search import finding_search
from riskregistry import services
from riskregistry.celery import app as celery_app
from riskregistry.filters import FILTER_TEXT_MAX_LENGTH
from riskregistry.search import search_words
from vendors import selectors
from vendors.selectors import search as vendor_search


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    dashboard = assessment_selectors.dashboard()
    drawn = dashboard_charts(dashboard)
    drawn["trend"] = tier_trend_chart()
    return render(
        request,
        "home.html",
        {
            "summary": selectors.portfolio_summary(),
            "dashboard": dashboard,
            "charts": drawn,
            "inferred_origins": assessment_selectors.inferred_exposure_by_country(),
        },
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


class SearchForm(forms.Form):
    q = forms.CharField(label="Search", max_length=FILTER_TEXT_MAX_LENGTH, strip=True)


# Each kind the box searches, with the permission that lets a user see it and the selector that finds it.
_SEARCHES = (
    ("vendors.view_vendor", vendor_search.vendor_search),
    ("vendors.view_product", vendor_search.product_search),
    ("vendors.view_aimodel", vendor_search.model_search),
    ("vendors.view_publisher", vendor_search.publisher_search),
    ("assessments.view_finding", finding_search),
)


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """The navigation's search box: vendors, products, models, publishers and findings, grouped by kind, each kind
    only for those allowed to see it."""
    allowed = [find for permission, find in _SEARCHES if request.user.has_perm(permission)]
    if not allowed:
        raise PermissionDenied
    form = SearchForm(request.GET or None)
    groups = []
    if form.is_valid():
        groups = [find(form.cleaned_data["q"]) for find in allowed]
    return render(
        request,
        "search.html",
        {
            "form": form,
            "query": form.cleaned_data.get("q", "") if form.is_bound and form.is_valid() else "",
            "groups": groups,
            "found": sum(len(group.hits) for group in groups),
            "searchable": search_words(form.cleaned_data["q"]) if form.is_valid() else [],
        },
    )


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
