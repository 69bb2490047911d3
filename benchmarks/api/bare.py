"""Bare Django views returning the same rows as the API's lists, with the same fields, as JSON: the list
selectors' queries (the same joins and subqueries, so the same SQL work) read with ``values()``, each row written
as a dict by hand and sent with ``JsonResponse``; no sign-in or key (``login_not_required``), permission check,
serializer, FilterSet or count. What the API costs beyond its data is the difference. The benchmark checks that
both doors answer the same JSON rows (``load.py``)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse

from assessments.models import RiskRating
from assessments.selectors import finding_list_queryset, product_rated_queryset
from riskregistry import versions
from vendors.models import DataCategory, Product
from vendors.selectors import (
    change_event_list_queryset,
    changes_after,
    model_usage_list_queryset,
    settled_changes,
)


def _answer(results: list[dict]) -> JsonResponse:
    return JsonResponse({"results": results}, json_dumps_params={"separators": (",", ":")})  # compact, as DRF


def _size(request) -> int:
    return max(1, int(request.GET.get("page_size", "50")))


def _page(request) -> slice:
    page, size = max(1, int(request.GET.get("page", "1"))), _size(request)
    return slice((page - 1) * size, page * size)


def _moment(value: dt.datetime | None) -> str | None:
    """As DRF writes a datetime (ISO 8601, UTC as ``Z``; the project's time zone is UTC)."""
    if value is None:
        return None
    text = value.astimezone(dt.UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _day(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _version(row: dict) -> str:
    return str(row[versions.ANNOTATION] or 0)


def _product_brief(row: dict, prefix: str) -> dict | None:
    if row[f"{prefix}id"] is None:
        return None
    vendor = {"id": row[f"{prefix}vendor__id"], "name": row[f"{prefix}vendor__name"]}
    return {"id": row[f"{prefix}id"], "name": row[f"{prefix}name"], "vendor": vendor}


def _model_brief(row: dict, prefix: str) -> dict | None:
    if row[f"{prefix}id"] is None:
        return None
    return {"id": row[f"{prefix}id"], "kind": row[f"{prefix}kind"], "name": row[f"{prefix}name"]}


_PRODUCT = ("id", "name", "vendor__id", "vendor__name")
_MODEL = ("id", "kind", "name")


def _columns(prefix: str, names: tuple[str, ...]) -> list[str]:
    return [f"{prefix}{name}" for name in names]


_RETIREMENT = ("retired_at", "retired_by_username", "retirement_reason")


def _retirement(row: dict, by: str = "retired_by_username") -> dict:
    return {
        "retired_at": _moment(row["retired_at"]),
        "retired_by": row[by],
        "retirement_reason": row["retirement_reason"],
    }


@login_not_required
def products(request):
    """Products by their worst current rating, riskiest first (the API's ``?ordering=-risk``)."""
    queryset = versions.version_annotate(product_rated_queryset())  # its retired_by joined, as the API's
    rows = list(
        queryset.order_by("-risk_order", "pk").values(
            "id", *_columns("vendor__", ("id", "name")), "name", "description", "criticality", "status",
            "business_owner", "usage_count", "worst_tier", "worst_score", "retired_at", "retired_by__username",
            "retirement_reason", "created_at", "updated_at", versions.ANNOTATION,
        )[_page(request)]
    )  # fmt: skip
    categories: dict[int, list[str]] = {}
    links = Product.data_categories.through.objects.filter(product_id__in=[row["id"] for row in rows])
    ordering = [f"{'-' if o.startswith('-') else ''}datacategory__{o.lstrip('-')}" for o in DataCategory._meta.ordering]
    for product_id, code in links.order_by(*ordering).values_list("product_id", "datacategory__code"):
        categories.setdefault(product_id, []).append(code)
    results = [
        {
            "id": row["id"],
            "vendor": {"id": row["vendor__id"], "name": row["vendor__name"]},
            "name": row["name"],
            "description": row["description"],
            "criticality": row["criticality"],
            "status": row["status"],
            "business_owner": row["business_owner"],
            "data_categories": categories.get(row["id"], []),
            "usage_count": row["usage_count"],
            "risk_tier": row["worst_tier"] or None,
            "risk_score": row["worst_score"],
            **_retirement(row, by="retired_by__username"),
            "created_at": _moment(row["created_at"]),
            "updated_at": _moment(row["updated_at"]),
            "version": _version(row),
        }
        for row in rows
    ]
    return _answer(results)


@login_not_required
def model_usages(request):
    """Model usages in the list's order with their current rating."""
    queryset = versions.version_annotate(model_usage_list_queryset())
    rows = list(
        queryset.order_by("product_id", "role", "id").values(
            "id", *_columns("product__", _PRODUCT), *_columns("model__", _MODEL), "role", "share",
            *_columns("host__", ("id", "key", "name", "country")),
            *_columns("region__", ("id", "code", "name", "country", "group")),
            "declared_by", "declared_by_user_username", "declared_at", "notes", *_RETIREMENT, "created_at",
            "updated_at", versions.ANNOTATION,
        )[_page(request)]
    )  # fmt: skip
    current = RiskRating.objects.filter(usage_id__in=[row["id"] for row in rows], is_current=True)
    ratings = {
        rating["usage_id"]: {
            "score": rating["score"],
            "tier": rating["tier"],
            "policy_version": rating["policy_version"],
            "created_at": _moment(rating["created_at"]),
        }
        for rating in current.order_by("pk").values("usage_id", "score", "tier", "policy_version", "created_at")
    }
    results = [
        {
            "id": row["id"],
            "product": _product_brief(row, "product__"),
            "model": _model_brief(row, "model__"),
            "role": row["role"],
            "share": row["share"],
            "host": None
            if row["host__id"] is None
            else {
                "id": row["host__id"],
                "key": row["host__key"],
                "name": row["host__name"],
                "country": row["host__country"] or None,
            },
            "region": None
            if row["region__id"] is None
            else {
                "id": row["region__id"],
                "code": row["region__code"],
                "name": row["region__name"],
                "country": row["region__country"] or None,
                "group": row["region__group"],
            },
            "declared_by": row["declared_by"],
            "declared_by_user": row["declared_by_user_username"],
            "declared_at": _moment(row["declared_at"]),
            "notes": row["notes"],
            "rating": ratings.get(row["id"]),
            **_retirement(row),
            "created_at": _moment(row["created_at"]),
            "updated_at": _moment(row["updated_at"]),
            "version": _version(row),
        }
        for row in rows
    ]
    return _answer(results)


_PEOPLE = ("owner", "accepted_by", "acceptance_requested_by", "approved_by")


@login_not_required
def findings(request):
    """Findings, soonest due first (the API's order)."""
    queryset = versions.version_annotate(finding_list_queryset())
    rows = queryset.values(
        "id", "usage__id", *_columns("usage__product__", _PRODUCT), *_columns("usage__model__", _MODEL),
        "usage__role", "code", "trigger", "title", "evidence", "points", "status", "due_date", "justification",
        "accepted_until", "accepted_at", "acceptance_requested_at", "approved_at", "resolution", "opened_at",
        "resolved_at", "updated_at", *(f"{person}_username" for person in _PEOPLE), versions.ANNOTATION,
    )[_page(request)]  # fmt: skip
    results = [
        {
            "id": row["id"],
            "usage": {
                "id": row["usage__id"],
                "product": _product_brief(row, "usage__product__"),
                "model": _model_brief(row, "usage__model__"),
                "role": row["usage__role"],
            },
            "code": row["code"],
            "trigger": row["trigger"],
            "title": row["title"],
            "evidence": row["evidence"],
            "points": row["points"],
            "status": row["status"],
            "owner": row["owner_username"],
            "due_date": _day(row["due_date"]),
            "justification": row["justification"],
            "accepted_until": _day(row["accepted_until"]),
            "accepted_by": row["accepted_by_username"],
            "accepted_at": _moment(row["accepted_at"]),
            "acceptance_pending": row["status"] == "open" and row["acceptance_requested_at"] is not None,
            "acceptance_requested_by": row["acceptance_requested_by_username"],
            "acceptance_requested_at": _moment(row["acceptance_requested_at"]),
            "approved_by": row["approved_by_username"],
            "approved_at": _moment(row["approved_at"]),
            "resolution": row["resolution"],
            "opened_at": _moment(row["opened_at"]),
            "resolved_at": _moment(row["resolved_at"]),
            "updated_at": _moment(row["updated_at"]),
            "version": _version(row),
        }
        for row in rows
    ]
    return _answer(results)


@login_not_required
def changes(request):
    """The change feed after a position (``?p=xact.id``), in feed order: settled events only, as the API's (an event
    whose transaction, or an older one anywhere in the cluster, is still open waits)."""
    position = [int(part) for part in request.GET["p"].split(".")] if request.GET.get("p") else None
    rows = changes_after(settled_changes(change_event_list_queryset()), position).values(
        "id", "kind", *_columns("model__", _MODEL), *_columns("product__", _PRODUCT), "summary", "details",
        "occurred_at", "acknowledged_at", "acknowledged_by_username",
    )[: _size(request)]  # fmt: skip
    results = [
        {
            "id": row["id"],
            "kind": row["kind"],
            "model": _model_brief(row, "model__"),
            "product": _product_brief(row, "product__"),
            "summary": row["summary"],
            "details": row["details"],
            "occurred_at": _moment(row["occurred_at"]),
            "acknowledged_at": _moment(row["acknowledged_at"]),
            "acknowledged_by": row["acknowledged_by_username"],
        }
        for row in rows
    ]
    return _answer(results)
