"""What every FilterSet shares: bounded text parameters, and times a database can compare."""

from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

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
    """A FilterSet whose text filters refuse values longer than ``FILTER_TEXT_MAX_LENGTH`` and whose date-time
    filters compare in UTC."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for filter_ in self.filters.values():  # each instance has its own copies
            if isinstance(filter_, django_filters.CharFilter):
                filter_.extra.setdefault("max_length", FILTER_TEXT_MAX_LENGTH)
            elif isinstance(filter_, django_filters.IsoDateTimeFilter):
                filter_.field_class = UtcIsoDateTimeField
            elif isinstance(filter_, django_filters.DateTimeFilter):
                filter_.field_class = UtcDateTimeField
