"""What every view module of vendors/ shares: permission handling, list size, service errors on forms."""

import copy

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest

from riskregistry import spreadsheets

PAGE_SIZE = 25


def form_errors_from(form, error: ValidationError, field_map: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on the form: field errors on their fields, the rest on the form."""
    field_map = field_map or {}
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field_map.get(field, field)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, error)


def detached(instance):
    """A copy for a ModelForm to validate against: ModelForm writes cleaned values onto its instance, and the
    service must see the row as it was to know what changed."""
    return copy.copy(instance) if instance is not None else None


class Guarded(PermissionRequiredMixin):
    raise_exception = True  # a signed-in user without the permission gets 403, not a login loop


class FilteredListMixin:
    """For a FilterView: ``filters_given`` says whether the request asked for any filter (a page number or an
    ordering alone is not one), so an empty list can say "nothing matches" rather than "nothing yet"."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        names = set(self.filterset_class.base_filters) - {"ordering"}
        context["filters_given"] = any(
            value.strip() for name in names & set(self.request.GET) for value in self.request.GET.getlist(name)
        )
        return context


class CsvExportMixin:
    """``?format=csv`` on a list page: every row its filters select (not one page), streamed in chunks read
    through the page's selector, with the columns of the API's serializer for the same list (``csv_serializer``),
    so a spreadsheet made from the page and one made from the API agree. The page offers the link as
    ``csv_url`` (the current filters and ordering, without the page number)."""

    csv_serializer = None
    csv_filename = "export.csv"

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":
            return self.csv_response()
        return super().get(request, *args, **kwargs)

    def csv_context(self, chunk: list) -> dict:
        return {"request": self.request}

    def csv_response(self):
        filterset = self.get_filterset(self.get_filterset_class())
        if not filterset.is_valid():
            errors = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in filterset.errors.items())
            return HttpResponseBadRequest(f"Invalid filters: {errors}", content_type="text/plain; charset=utf-8")
        columns = spreadsheets.serializer_columns(self.csv_serializer(context=self.csv_context([])))
        rows = spreadsheets.serialized_rows(
            filterset.qs, lambda chunk: self.csv_serializer(chunk, many=True, context=self.csv_context(chunk)), columns
        )
        return spreadsheets.csv_response(columns, rows, self.csv_filename)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        query["format"] = "csv"
        context["csv_url"] = f"?{query.urlencode()}"
        return context
