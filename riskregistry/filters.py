"""What every FilterSet shares: bounded text parameters, times a database can compare, and a form styled like
every other form of the app."""

from datetime import UTC

import django_filters
from django import forms
from django.db.models import Q
from django_filters.fields import IsoDateTimeField

from riskregistry.forms import StyledFormMixin

#: Longest text a list filter accepts (a search string, a model or licence name): longer is a clear form error
#: on the page and a 400 in the API, never a query the database chokes on.
FILTER_TEXT_MAX_LENGTH = 200


class _InUtc:
    """A date-time field whose value is handed on in UTC. Python accepts offsets up to ±23:59 and PostgreSQL only up
    to ±15:59, so ``2026-01-01T00:00+20:31`` would reach the database as it was typed and fail there (a 500); in
    UTC it is an ordinary time, and one that falls outside the years 1 to 9999 is a clear error instead."""

    def clean(self, value):
        value = super().clean(value)
        if value is None or value.tzinfo is None:
            return value
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError(
                "Enter a date and time between the years 1 and 9999 (in UTC).", code="invalid"
            ) from None


class UtcIsoDateTimeField(_InUtc, IsoDateTimeField):
    pass


class UtcDateTimeField(_InUtc, forms.DateTimeField):
    pass


class BoundedFilterSet(django_filters.FilterSet):
    """A FilterSet whose text filters refuse values longer than ``FILTER_TEXT_MAX_LENGTH``, whose date-time
    filters compare in UTC, and whose form has Bootstrap's classes and the accessible error wiring of
    ``StyledFormMixin`` (unless its ``Meta.form`` already has them)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for filter_ in self.filters.values():  # each instance has its own copies
            if isinstance(filter_, django_filters.CharFilter):
                filter_.extra.setdefault("max_length", FILTER_TEXT_MAX_LENGTH)
            elif isinstance(filter_, django_filters.IsoDateTimeFilter):
                filter_.field_class = UtcIsoDateTimeField
            elif isinstance(filter_, django_filters.DateTimeFilter):
                filter_.field_class = UtcDateTimeField

    def get_form_class(self):
        form_class = super().get_form_class()
        if issubclass(form_class, StyledFormMixin):
            return form_class
        return type(form_class.__name__, (StyledFormMixin, form_class), {})


def yes_no(yes: str, no: str) -> forms.Select:
    """A boolean filter's widget saying what each answer means, with "Any" for no filter."""
    return forms.Select(choices=[("", "Any"), ("true", yes), ("false", no)])


def changed_since_filter(meaning: str) -> django_filters.IsoDateTimeFilter:
    """``?changed_since=ISO-8601``: rows whose representation may have changed at or after that moment (at or
    after: a poller that asks again from its last time may see a row twice, never miss one). ``meaning`` says what
    counts as a change for this list; the FilterSet's ``filter_changed_since`` implements it."""
    return django_filters.IsoDateTimeFilter(  # BoundedFilterSet reads it in UTC
        method="filter_changed_since",
        label="Changed since",
        help_text=f"ISO 8601 date-time (2026-12-01T00:00:00Z); rows changed at or after it: {meaning}",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


def any_of(*subqueries) -> Q:
    """``pk`` in any of the given value querysets, as semi-joins (no duplicate rows, no cross product of joins)."""
    condition = Q()
    for subquery in subqueries:
        condition |= Q(pk__in=subquery)
    return condition
