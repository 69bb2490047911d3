"""One FilterSet per list, shared by the web UI and the REST API."""

import django_filters
from django.db.models import Q
from django_countries import countries

from assessments.models import RiskRating
from assessments.selectors import with_worst_rating
from riskregistry.filters import BoundedFilterSet, any_of, changed_since_filter, yes_no
from vendors.models import (
    AIModel,
    ChangeEvent,
    Contact,
    DataCategory,
    Host,
    LineageEdge,
    ModelUsage,
    Product,
    Publisher,
    Vendor,
)
from vendors.models.portfolio import Criticality


class VendorFilterSet(BoundedFilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    country = django_filters.ChoiceFilter(choices=countries)
    tier = django_filters.ChoiceFilter(choices=Criticality.choices, label="Criticality")
    status = django_filters.ChoiceFilter(choices=Vendor.Status.choices, empty_label="Current (not archived)")
    changed_since = changed_since_filter(
        "its own fields, a contact, or one of its products or model usages added, changed or removed, or a new "
        "rating of one of its usages (what its roll-ups are made of)."
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("name", "name"), ("country", "country"), ("tier", "tier"), ("updated_at", "updated"),
            ("risk_order", "risk"),
        ),
    )  # fmt: skip

    class Meta:
        model = Vendor
        fields = ["q", "country", "tier", "status", "changed_since"]

    def filter_changed_since(self, queryset, name, value):
        return queryset.filter(
            Q(updated_at__gte=value)
            | any_of(
                Contact.history.filter(history_date__gte=value).values("vendor_id"),
                Product.history.filter(history_date__gte=value).values("vendor_id"),
                ModelUsage.history.filter(history_date__gte=value).values("product__vendor_id"),
                RiskRating.objects.filter(created_at__gte=value).values("usage__product__vendor_id"),
            )
        )

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


class ProductFilterSet(BoundedFilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    vendor = django_filters.ModelChoiceFilter(queryset=Vendor.objects.all())
    criticality = django_filters.ChoiceFilter(choices=Criticality.choices)
    status = django_filters.ChoiceFilter(choices=Product.Status.choices)
    data_category = django_filters.ModelChoiceFilter(
        field_name="data_categories", queryset=DataCategory.objects.all(), to_field_name="code", label="Data category"
    )
    changed_since = changed_since_filter(
        "its own fields, its vendor's, one of its model usages added, changed or removed, a new rating of one of "
        "its usages, or a supply-chain change event about it."
    )
    ordering = django_filters.OrderingFilter(
        fields=(("name", "name"), ("vendor__name", "vendor"), ("criticality", "criticality"), ("risk_order", "risk")),
    )

    class Meta:
        model = Product
        fields = ["q", "vendor", "criticality", "status", "data_category", "changed_since"]

    def filter_changed_since(self, queryset, name, value):
        return queryset.filter(
            Q(updated_at__gte=value)
            | Q(vendor__updated_at__gte=value)
            | any_of(
                ModelUsage.history.filter(history_date__gte=value).values("product_id"),
                RiskRating.objects.filter(created_at__gte=value).values("usage__product_id"),
                ChangeEvent.objects.filter(occurred_at__gte=value, product__isnull=False).values("product_id"),
            )
        )

    def filter_q(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(description__icontains=value) | Q(vendor__name__icontains=value)
        )

    def filter_queryset(self, queryset):
        # The "risk" ordering, wherever the FilterSet is used (only then: it joins every usage and rating).
        ordering = self.form.cleaned_data.get("ordering") or ()
        if any(o.lstrip("-") == "risk" for o in ordering) and "risk_order" not in queryset.query.annotations:
            queryset = with_worst_rating(queryset, "model_usages")
        return super().filter_queryset(queryset)


class ModelUsageFilterSet(BoundedFilterSet):
    model = django_filters.CharFilter(field_name="model__name", lookup_expr="icontains", label="Model")
    model_kind = django_filters.ChoiceFilter(field_name="model__kind", choices=AIModel.Kind.choices)
    vendor = django_filters.ModelChoiceFilter(field_name="product__vendor", queryset=Vendor.objects.all())
    product = django_filters.ModelChoiceFilter(queryset=Product.objects.select_related("vendor"))
    role = django_filters.ChoiceFilter(choices=ModelUsage.Role.choices)
    host = django_filters.ModelChoiceFilter(queryset=Host.objects.all(), to_field_name="key")
    declared_by = django_filters.ChoiceFilter(choices=ModelUsage.DeclaredBy.choices)
    changed_since = changed_since_filter(
        "its own fields, its model's (lineage status, revision, publisher), its product's or vendor's, a new "
        "rating, or a supply-chain change event about its model."
    )

    class Meta:
        model = ModelUsage
        fields = ["model", "model_kind", "vendor", "product", "role", "host", "declared_by", "changed_since"]

    def filter_changed_since(self, queryset, name, value):
        return queryset.filter(
            Q(updated_at__gte=value)
            | Q(model__updated_at__gte=value)
            | Q(product__updated_at__gte=value)
            | Q(product__vendor__updated_at__gte=value)
            | any_of(RiskRating.objects.filter(created_at__gte=value).values("usage_id"))
            | Q(model_id__in=ChangeEvent.objects.filter(occurred_at__gte=value, model__isnull=False).values("model_id"))
        )


class AIModelFilterSet(BoundedFilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Search")
    kind = django_filters.ChoiceFilter(choices=AIModel.Kind.choices)
    status = django_filters.ChoiceFilter(choices=AIModel.Status.choices)
    publisher = django_filters.CharFilter(field_name="publisher__name", lookup_expr="icontains")
    in_use = django_filters.BooleanFilter(
        method="filter_in_use", label="Used by a product", widget=yes_no("In use", "Not in use")
    )

    class Meta:
        model = AIModel
        fields = ["q", "kind", "status", "publisher", "in_use"]

    def filter_in_use(self, queryset, name, value):
        return queryset.filter(usages__isnull=not value).distinct()


class PublisherFilterSet(BoundedFilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    country = django_filters.ChoiceFilter(choices=countries)
    flag = django_filters.CharFilter(method="filter_flag", label="Flag (repackager, entity_list, ...)")

    class Meta:
        model = Publisher
        fields = ["q", "country", "flag"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value) | Q(key__icontains=value) | Q(legal_entity__icontains=value)
        ).distinct()

    def filter_flag(self, queryset, name, value):
        # In Python: JSON containment is not portable across databases, and the knowledge base is small.
        ids = [pk for pk, flags in Publisher.objects.values_list("pk", "flags") if value in (flags or [])]
        return queryset.filter(pk__in=ids)


class HostFilterSet(BoundedFilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Search")
    country = django_filters.ChoiceFilter(choices=countries)
    kind = django_filters.ChoiceFilter(choices=Host.Kind.choices)

    class Meta:
        model = Host
        fields = ["q", "country", "kind"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(key__icontains=value) | Q(operator__icontains=value))


class ChangeEventFilterSet(BoundedFilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=ChangeEvent.Kind.choices)
    model = django_filters.ModelChoiceFilter(queryset=AIModel.objects.all())
    product = django_filters.ModelChoiceFilter(queryset=Product.objects.all())
    vendor = django_filters.ModelChoiceFilter(field_name="product__vendor", queryset=Vendor.objects.all())
    since = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte", label="Occurred at or after")
    acknowledged = django_filters.BooleanFilter(field_name="acknowledged_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = ChangeEvent
        fields = ["kind", "model", "product", "vendor", "since", "acknowledged"]


class LineageEdgeFilterSet(BoundedFilterSet):
    child = django_filters.ModelChoiceFilter(queryset=AIModel.objects.all())
    parent = django_filters.ModelChoiceFilter(queryset=AIModel.objects.all())
    source = django_filters.MultipleChoiceFilter(choices=LineageEdge.Source.choices)
    relation = django_filters.ChoiceFilter(choices=LineageEdge.Relation.choices)

    class Meta:
        model = LineageEdge
        fields = ["child", "parent", "source", "relation"]
