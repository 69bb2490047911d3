"""The reports FilterSet, shared by the reports page and the REST API."""

import django_filters

from reports.models import Report
from riskregistry.filters import BoundedFilterSet, yes_no
from vendors.models import Vendor


class ReportFilterSet(BoundedFilterSet):
    """Every filter is optional and they combine."""

    kind = django_filters.ChoiceFilter(choices=Report.Kind.choices, empty_label="Any")
    period = django_filters.CharFilter(lookup_expr="iexact", label="Quarter", help_text="e.g. 2026Q4")
    vendor = django_filters.ModelChoiceFilter(queryset=Vendor.objects.order_by("name"), empty_label="Any")
    status = django_filters.ChoiceFilter(choices=Report.Status.choices, empty_label="Any")
    to_date = django_filters.BooleanFilter(
        label="Period",
        widget=yes_no("Quarter to date", "Whole quarter"),
    )

    class Meta:
        model = Report
        fields = ["kind", "period", "vendor", "status", "to_date"]
