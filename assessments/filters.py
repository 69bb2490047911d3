"""Assessments' FilterSets, each shared by its page and the REST API: findings, assessments, and exposure (the
blast radius: which model usages, so products and vendors, depend on a publisher, a model, a root, an origin country
or a licence anywhere in their lineage)."""

from datetime import UTC

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django_countries import countries

from assessments.models import LIVE_STATUSES, Assessment, AttestationRequest, Exposure, Finding, RiskRating, Tier
from assessments.models.assessments import OPEN_STATUSES
from assessments.scoring.labels import FACTOR_CHOICES
from assessments.selectors import repackager_publisher_ids
from riskregistry.filters import BoundedFilterSet, changed_since_filter, yes_no
from vendors.models import ModelUsage, Product, Publisher, Vendor


def _overdue() -> Q:
    today = timezone.now().astimezone(UTC).date()
    return Q(status=Finding.Status.OPEN, due_date__lt=today)


class FindingFilterSet(BoundedFilterSet):
    """Every filter is optional and they combine. ``live`` is a shorthand for status open or accepted: the page
    shows those when no filter is given (as ticked status boxes); the API applies no default."""

    q = django_filters.CharFilter(method="filter_q", label="Search")
    status = django_filters.MultipleChoiceFilter(
        choices=Finding.Status.choices, widget=forms.CheckboxSelectMultiple, distinct=False
    )
    live = django_filters.BooleanFilter(
        method="filter_live", label="Live", widget=yes_no("Open or accepted", "Remediated or closed")
    )
    code = django_filters.ChoiceFilter(choices=FACTOR_CHOICES, label="Factor", empty_label="Any")
    trigger = django_filters.ChoiceFilter(choices=Finding.Trigger.choices, empty_label="Any")
    owner = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.order_by("username"), empty_label="Anyone"
    )
    vendor = django_filters.ModelChoiceFilter(
        field_name="usage__product__vendor", label="Vendor", queryset=Vendor.objects.order_by("name"), empty_label="Any"
    )
    product = django_filters.ModelChoiceFilter(
        field_name="usage__product",
        label="Product",
        queryset=Product.objects.select_related("vendor").order_by("vendor__name", "name"),
        empty_label="Any",
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label="Overdue", widget=yes_no("Overdue", "Not overdue")
    )
    changed_since = changed_since_filter(
        "opened, or a step of its workflow (owner, due date, acceptance, its revocation or expiry, resolution)."
    )

    class Meta:
        model = Finding
        fields = ["q", "status", "live", "code", "trigger", "owner", "vendor", "product", "overdue", "changed_since"]

    def filter_changed_since(self, queryset, name, value):
        return queryset.filter(updated_at__gte=value)

    def filter_q(self, queryset, name, value):
        return queryset.filter(
            Q(title__icontains=value)
            | Q(usage__product__name__icontains=value)
            | Q(usage__product__vendor__name__icontains=value)
        )

    def filter_live(self, queryset, name, value):
        live = Q(status__in=LIVE_STATUSES)
        return queryset.filter(live if value else ~live)

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(_overdue()) if value else queryset.exclude(_overdue())


class ExposureFilterSet(BoundedFilterSet):
    publisher = django_filters.ModelChoiceFilter(
        queryset=Publisher.objects.order_by("name"), method="filter_exposure", label="Publisher (any ancestor)"
    )
    model = django_filters.CharFilter(method="filter_exposure", label="Model (itself or any ancestor)")
    root = django_filters.CharFilter(method="filter_exposure", label="Root model")
    country = django_filters.ChoiceFilter(choices=countries, method="filter_exposure", label="Origin country")
    license = django_filters.CharFilter(method="filter_exposure", label="Licence (any ancestor)")
    hosting_country = django_filters.ChoiceFilter(
        choices=countries, method="filter_hosting_country", label="Served from country"
    )
    tier = django_filters.ChoiceFilter(
        choices=Tier.choices, field_name="ratings__tier", method="filter_tier", label="Current tier"
    )
    vendor = django_filters.ModelChoiceFilter(field_name="product__vendor", queryset=Vendor.objects.order_by("name"))
    include_retired = django_filters.BooleanFilter(
        method="filter_noop",
        label="Retired products",
        widget=forms.Select(choices=[("", "Left out"), ("true", "Included")]),
    )

    class Meta:
        model = ModelUsage
        fields = ["publisher", "model", "root", "country", "license", "hosting_country", "tier", "vendor"]

    #: The filters that follow the lineage: their matching exposure rows explain why a usage is listed.
    LINEAGE_FILTERS = ("publisher", "model", "root", "country", "license")

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data if data is not None else {}, *args, **kwargs)

    def exposure_q(self, name: str, value) -> Q:
        """The condition on one exposure row (``Exposure``) for a lineage filter."""
        if name == "publisher":
            return Q(model__publisher=value)
        if name == "model":
            value = value.strip()
            return Q(model__name__iexact=value) | Q(model__aliases__name__iexact=value)
        if name == "root":
            return Q(is_root=True) & (Q(model__name__iexact=value.strip()) | Q(model__aliases__name__iexact=value))
        if name == "country":
            return Q(model__publisher__country=value) & ~Q(model__publisher_id__in=repackager_publisher_ids())
        if name == "license":
            return Q(model__license__iexact=value.strip())
        raise ValueError(name)

    def lineage_criteria(self) -> Q | None:
        """Every lineage filter given, as one condition on exposure rows (for showing the matching paths)."""
        if not self.is_bound or not self.form.is_valid():
            return None
        given = [(name, self.form.cleaned_data.get(name)) for name in self.LINEAGE_FILTERS]
        conditions = [self.exposure_q(name, value) for name, value in given if value not in (None, "")]
        if not conditions:
            return None
        combined = conditions[0]
        for condition in conditions[1:]:
            combined |= condition
        return combined

    def filter_exposure(self, queryset, name, value: str):
        if value in (None, ""):
            return queryset
        # Each lineage filter is its own subquery: "depends on X and on Y" may be through different ancestors.
        matching = Exposure.objects.filter(self.exposure_q(name, value)).values("usage_id")
        return queryset.filter(pk__in=matching)

    def filter_hosting_country(self, queryset, name, value: str):
        return queryset.filter(Q(host__country=value) | Q(region__country=value))

    def filter_tier(self, queryset, name, value):
        return queryset.filter(ratings__is_current=True, ratings__tier=value)

    def filter_noop(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("include_retired"):
            queryset = queryset.filter(product__status=Product.Status.ACTIVE, retired_at__isnull=True)
        return super().filter_queryset(queryset)


class RiskRatingFilterSet(BoundedFilterSet):
    usage = django_filters.ModelChoiceFilter(queryset=ModelUsage.objects.all())
    product = django_filters.ModelChoiceFilter(field_name="usage__product", queryset=Product.objects.all())
    vendor = django_filters.ModelChoiceFilter(field_name="usage__product__vendor", queryset=Vendor.objects.all())
    tier = django_filters.MultipleChoiceFilter(choices=Tier.choices)
    current = django_filters.BooleanFilter(field_name="is_current", label="Current (in force)")
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte", label="Rated at or after")
    changed_since = changed_since_filter(
        "rated then (a snapshot never changes; a new one replaces the current rating, so with current=true these "
        "are the usages whose rating moved)."
    )

    class Meta:
        model = RiskRating
        fields = ["usage", "product", "vendor", "tier", "current", "since", "changed_since"]

    def filter_changed_since(self, queryset, name, value):
        return queryset.filter(created_at__gte=value)


def _attestation_overdue() -> Q:
    today = timezone.now().astimezone(UTC).date()
    return Q(status=AttestationRequest.Status.OPEN, deadline__lt=today)


class AttestationRequestFilterSet(BoundedFilterSet):
    """Attestation requests by status, vendor, product, overdue (open past the deadline) and deadline."""

    status = django_filters.ChoiceFilter(choices=AttestationRequest.Status.choices, empty_label="Any")
    vendor = django_filters.ModelChoiceFilter(queryset=Vendor.objects.order_by("name"), empty_label="Any")
    product = django_filters.ModelChoiceFilter(
        queryset=Product.objects.select_related("vendor").order_by("vendor__name", "name"), empty_label="Any"
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label="Overdue", widget=yes_no("Overdue", "Not overdue")
    )
    deadline_before = django_filters.DateFilter(
        field_name="deadline",
        lookup_expr="lte",
        label="Deadline on or before",
        widget=forms.DateInput({"type": "date"}),
    )

    class Meta:
        model = AttestationRequest
        fields = ["status", "vendor", "product", "overdue", "deadline_before"]

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(_attestation_overdue()) if value else queryset.exclude(_attestation_overdue())


def _assessment_overdue() -> Q:
    today = timezone.now().astimezone(UTC).date()
    return Q(status__in=OPEN_STATUSES, due_date__lt=today)


class AssessmentFilterSet(BoundedFilterSet):
    """Assessments by status, vendor, product, questionnaire, overdue (open past the due date) and due before."""

    status = django_filters.ChoiceFilter(choices=Assessment.Status.choices, empty_label="Any")
    vendor = django_filters.ModelChoiceFilter(
        field_name="product__vendor", label="Vendor", queryset=Vendor.objects.order_by("name"), empty_label="Any"
    )
    product = django_filters.ModelChoiceFilter(
        queryset=Product.objects.select_related("vendor").order_by("vendor__name", "name"), empty_label="Any"
    )
    questionnaire = django_filters.CharFilter(field_name="questionnaire__key", label="Questionnaire key")
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label="Overdue", widget=yes_no("Overdue", "Not overdue")
    )
    due_before = django_filters.DateFilter(
        field_name="due_date", lookup_expr="lt", label="Due before", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = Assessment
        fields = ["status", "vendor", "product", "questionnaire", "overdue", "due_before"]

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(_assessment_overdue()) if value else queryset.exclude(_assessment_overdue())
