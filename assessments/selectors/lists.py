"""The portfolio's lists with their ratings, as the pages and the REST API read them: vendors and products with
the riskiest current rating below them, model usages with their current rating, findings soonest due first.
The ``*_list_queryset`` forms load only the columns a list shows (its rows in brief), so a page of them costs
one narrow query and no query per row."""

from __future__ import annotations

from django.db.models import F, Prefetch, QuerySet

from assessments.models import Finding, RiskRating
from assessments.selectors.exposure import with_worst_rating
from vendors.models import ModelUsage, Product, Vendor
from vendors.selectors import (
    MODEL_BRIEF,
    PRODUCT_BRIEF,
    brief_of,
    model_usage_list_queryset,
    model_usage_queryset,
    own_columns,
    product_queryset,
    vendor_queryset,
    with_usernames,
)

#: Findings soonest due first (undated last), then oldest first.
FINDING_ORDER = (F("due_date").asc(nulls_last=True), "opened_at", "id")
#: What a usage's current rating shows (``rating`` of a usage: score, tier, policy version, when).
_CURRENT_RATING = ("usage", "score", "tier", "policy_version", "created_at")


def risk_rating_queryset() -> QuerySet[RiskRating]:
    return RiskRating.objects.all()


def vendor_rated_queryset() -> QuerySet[Vendor]:
    """Vendors with their roll-ups and the worst current rating of their active products' usages."""
    return with_worst_rating(vendor_queryset(), "products__model_usages", active_only="products__status")


def product_rated_queryset() -> QuerySet[Product]:
    """Products with their roll-ups and the worst current rating of their usages."""
    return with_worst_rating(product_queryset(), "model_usages")


def _with_current_rating(usages: QuerySet[ModelUsage], ratings: QuerySet[RiskRating]) -> QuerySet[ModelUsage]:
    return usages.prefetch_related(
        Prefetch("ratings", queryset=ratings.filter(is_current=True), to_attr="current_ratings")
    )


def model_usage_rated_queryset() -> QuerySet[ModelUsage]:
    """Model usages with their current rating (``current_ratings``: a list of none or one; one query a page)."""
    return _with_current_rating(model_usage_queryset(), RiskRating.objects.all())


def model_usage_rated_list_queryset() -> QuerySet[ModelUsage]:
    """Model usages as lists show them, with what their current rating shows (not its factors)."""
    return _with_current_rating(model_usage_list_queryset(), RiskRating.objects.only(*_CURRENT_RATING))


def exposure_usage_queryset() -> QuerySet[ModelUsage]:
    """Model usages with their current rating, by vendor, product and model: the blast radius's order."""
    return model_usage_rated_queryset().order_by("product__vendor__name", "product__name", "model__name", "pk")


def finding_list_queryset() -> QuerySet[Finding]:
    """Findings as lists show them, soonest due first: the usage in brief (its product and model in brief), the
    people by name; not the notices sent."""
    findings = Finding.objects.select_related("usage__product__vendor", "usage__model").only(
        *own_columns(Finding, leave_out=("notices_sent",)),
        "usage__id",
        "usage__role",
        *brief_of("usage__product", PRODUCT_BRIEF),
        *brief_of("usage__model", MODEL_BRIEF),
    )
    people = ("owner", "accepted_by", "acceptance_requested_by", "approved_by")
    return with_usernames(findings, *people).order_by(*FINDING_ORDER)
