"""Bare Django views returning the same rows as the API's lists, as JSON: the same query's order and page, read
with ``values()`` and written with ``JsonResponse``; no sign-in or key (``login_not_required``), serializers,
FilterSets or count. What the API costs beyond its data is the difference."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db.models import F, OuterRef, Subquery
from django.http import JsonResponse

from assessments.models import Finding, RiskRating
from assessments.selectors import with_worst_rating
from vendors.models import ChangeEvent, ModelUsage, Product
from vendors.selectors import changes_after, settled_changes


def _size(request) -> int:
    return max(1, int(request.GET.get("page_size", "50")))


def _page(request) -> slice:
    page, size = max(1, int(request.GET.get("page", "1"))), _size(request)
    return slice((page - 1) * size, page * size)


@login_not_required
def products(request):
    """Products by their worst current rating, riskiest first (the API's ``?ordering=-risk``)."""
    rows = (
        with_worst_rating(Product.objects.all(), "model_usages")
        .order_by("-risk_order", "pk")
        .values("id", "name", "vendor_id", "vendor__name", "criticality", "status", "worst_tier", "worst_score")
    )
    return JsonResponse({"results": list(rows[_page(request)])})


@login_not_required
def model_usages(request):
    """Model usages in the list's order with their current rating."""
    current = RiskRating.objects.filter(usage=OuterRef("pk"), is_current=True)
    rows = (
        ModelUsage.objects.annotate(
            score=Subquery(current.values("score")[:1]), tier=Subquery(current.values("tier")[:1])
        )
        .order_by("product_id", "role", "id")
        .values("id", "product_id", "product__name", "product__vendor__name", "model__name", "role", "score", "tier")
    )
    return JsonResponse({"results": list(rows[_page(request)])})


@login_not_required
def findings(request):
    """Findings, soonest due first (the API's order)."""
    rows = Finding.objects.order_by(F("due_date").asc(nulls_last=True), "opened_at", "id").values(
        "id", "usage_id", "code", "title", "points", "status", "due_date", "opened_at"
    )
    return JsonResponse({"results": list(rows[_page(request)])})


@login_not_required
def changes(request):
    """The change feed after a position (``?p=xact.id``), in feed order: settled events only, as the API's (an event
    whose transaction, or an older one anywhere in the cluster, is still open waits)."""
    position = [int(part) for part in request.GET["p"].split(".")] if request.GET.get("p") else None
    rows = changes_after(settled_changes(ChangeEvent.objects.all()), position).values(
        "id", "kind", "model_id", "product_id", "summary", "occurred_at"
    )
    return JsonResponse({"results": list(rows[: _size(request)])})
