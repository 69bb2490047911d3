"""Project-wide pages: the dashboard and the health check."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from riskregistry import services
from riskregistry.celery import app as celery_app
from vendors import selectors


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"summary": selectors.portfolio_summary()})


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
