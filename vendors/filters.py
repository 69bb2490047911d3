"""One FilterSet per list, shared by the web UI and the REST API."""

import django_filters
from django.db.models import Q
from django_countries import countries

from assessments.selectors import with_worst_rating
from vendors.models import AIModel, DataCategory, Host, ModelUsage, Product, Vendor
from vendors.models.portfolio import Criticality


class VendorFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    country = django_filters.ChoiceFilter(choices=countries)
    tier = django_filters.ChoiceFilter(choices=Criticality.choices)
    status = django_filters.ChoiceFilter(choices=Vendor.Status.choices, empty_label="Current (not archived)")
    ordering = django_filters.OrderingFilter(
        fields=(
            ("name", "name"), ("country", "country"), ("tier", "tier"), ("updated_at", "updated"),
            ("risk_order", "risk"),
        ),
    )  # fmt: skip

    class Meta:
        model = Vendor
        fields = ["q", "country", "tier", "status"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value) | Q(website__icontains=value))

    def __init__(self, data=None, *args, **kwargs):
        # Bind even without parameters, so the default below (hide archived vendors) applies to a bare list.
        super().__init__(data if data is not None else {}, *args, **kwargs)

    def filter_queryset(self, queryset):
        # Archived vendors stay out of the list unless asked for by status.
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.exclude(status=Vendor.Status.ARCHIVED)
        if "risk_order" not in queryset.query.annotations:  # "risk" ordering, wherever the FilterSet is used
            queryset = with_worst_rating(queryset, "products__model_usages", active_only="products__status")
        return super().filter_queryset(queryset)


class ProductFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    vendor = django_filters.ModelChoiceFilter(queryset=Vendor.objects.all())
    criticality = django_filters.ChoiceFilter(choices=Criticality.choices)
    status = django_filters.ChoiceFilter(choices=Product.Status.choices)
    data_category = django_filters.ModelChoiceFilter(
        field_name="data_categories", queryset=DataCategory.objects.all(), to_field_name="code", label="Data category"
    )
    ordering = django_filters.OrderingFilter(
        fields=(("name", "name"), ("vendor__name", "vendor"), ("criticality", "criticality"), ("risk_order", "risk")),
    )

    class Meta:
        model = Product
        fields = ["q", "vendor", "criticality", "status", "data_category"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(description__icontains=value) | Q(vendor__name__icontains=value)
        )

    def filter_queryset(self, queryset):
        if "risk_order" not in queryset.query.annotations:  # "risk" ordering, wherever the FilterSet is used
            queryset = with_worst_rating(queryset, "model_usages")
        return super().filter_queryset(queryset)


class ModelUsageFilterSet(django_filters.FilterSet):
    model = django_filters.CharFilter(field_name="model__name", lookup_expr="icontains", label="Model")
    model_kind = django_filters.ChoiceFilter(field_name="model__kind", choices=AIModel.Kind.choices)
    vendor = django_filters.ModelChoiceFilter(field_name="product__vendor", queryset=Vendor.objects.all())
    product = django_filters.ModelChoiceFilter(queryset=Product.objects.select_related("vendor"))
    role = django_filters.ChoiceFilter(choices=ModelUsage.Role.choices)
    host = django_filters.ModelChoiceFilter(queryset=Host.objects.all(), to_field_name="key")
    declared_by = django_filters.ChoiceFilter(choices=ModelUsage.DeclaredBy.choices)

    class Meta:
        model = ModelUsage
        fields = ["model", "model_kind", "vendor", "product", "role", "host", "declared_by"]


class AIModelFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Search")
    kind = django_filters.ChoiceFilter(choices=AIModel.Kind.choices)
    status = django_filters.ChoiceFilter(choices=AIModel.Status.choices)
    publisher = django_filters.CharFilter(field_name="publisher__name", lookup_expr="icontains")
    in_use = django_filters.BooleanFilter(method="filter_in_use", label="Used by a product")

    class Meta:
        model = AIModel
        fields = ["q", "kind", "status", "publisher", "in_use"]

    def filter_in_use(self, queryset, name, value):
        return queryset.filter(usages__isnull=not value).distinct()
