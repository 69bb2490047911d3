"""The webhooks FilterSets, shared by the pages and the REST API."""

import django_filters
from django import forms
from django.db.models import Q

from riskregistry.filters import BoundedFilterSet
from webhooks.models import MESSAGE_TYPES, WebhookEndpoint, WebhookMessage


class WebhookEndpointFilterSet(BoundedFilterSet):
    enabled = django_filters.BooleanFilter(
        label="State", widget=forms.Select(choices=[("", "Any"), ("true", "Enabled"), ("false", "Disabled")])
    )
    disabled_reason = django_filters.ChoiceFilter(
        choices=[c for c in WebhookEndpoint.DisabledReason.choices if c[0]], empty_label="Any"
    )
    search = django_filters.CharFilter(method="filter_search", label="URL or description")

    class Meta:
        model = WebhookEndpoint
        fields = ["enabled", "disabled_reason", "search"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(url__icontains=value) | Q(description__icontains=value)) if value else queryset


class WebhookMessageFilterSet(BoundedFilterSet):
    """The delivery log of one endpoint (or all of them)."""

    endpoint = django_filters.ModelChoiceFilter(queryset=WebhookEndpoint.objects.all(), empty_label="Any")
    status = django_filters.ChoiceFilter(choices=WebhookMessage.Status.choices, empty_label="Any")
    event_type = django_filters.ChoiceFilter(choices=[(t, t) for t in MESSAGE_TYPES], empty_label="Any")

    class Meta:
        model = WebhookMessage
        fields = ["endpoint", "status", "event_type"]
