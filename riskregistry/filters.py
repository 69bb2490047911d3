"""What every FilterSet shares: bounded text parameters."""

import django_filters

#: Longest text a list filter accepts (a search string, a model or licence name): longer is a clear form error
#: on the page and a 400 in the API, never a query the database chokes on.
FILTER_TEXT_MAX_LENGTH = 200


class BoundedFilterSet(django_filters.FilterSet):
    """A FilterSet whose text filters refuse values longer than ``FILTER_TEXT_MAX_LENGTH``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for filter_ in self.filters.values():  # each instance has its own copies
            if isinstance(filter_, django_filters.CharFilter):
                filter_.extra.setdefault("max_length", FILTER_TEXT_MAX_LENGTH)
