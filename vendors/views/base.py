"""What every view module of vendors/ shares: permission handling, list size, service errors on forms."""

import copy

from django import forms
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest

from riskregistry import spreadsheets
from riskregistry.versions import StaleVersion, version_of

PAGE_SIZE = 25


def form_errors_from(form, error: ValidationError, field_map: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on the form: field errors on their fields, the rest on the form."""
    field_map = field_map or {}
    if isinstance(error, StaleVersion):
        stale_rebase(form, error)
    elif hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field_map.get(field, field)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, error)


#: The hidden field of an edit form that carries the version of the record it was opened on.
BASED_ON = "based_on"


def with_version(form, instance, version: str | None = None):
    """Give an edit form of ``instance`` (None: a creation form, left as it is) the hidden ``based_on`` field with
    the record's version (riskregistry.versions; ``version`` if the caller has it already), which the form's save
    passes to the service."""
    if instance is not None:
        form.fields[BASED_ON] = forms.CharField(
            widget=forms.HiddenInput,
            initial=version if version is not None else version_of(instance),
            max_length=20,
            error_messages={
                "required": "This form did not say which version of the record it was opened on: open it again.",
            },
        )
    return form


def based_on(form) -> str | None:
    """The version an edit form was opened on (None for a creation form)."""
    return form.cleaned_data.get(BASED_ON)


def stale_rebase(form, error: StaleVersion) -> None:
    """A save refused as stale: the form says who changed what and when (``form.stale``, shown by
    includes/stale_changes.html with each field's value then and now) and is re-based on the current version, so
    saving it again goes through. What the user typed is kept; a field someone else changed that the user had left
    as it was takes the current value, so saving again does not undo their change."""
    form.data = form.data.copy()
    form.data[form.add_prefix(BASED_ON)] = error.current
    form.stale = error
    form.stale_taken = [change.label for change in error.changes if _take_current(form, change)]
    form.add_error(None, ValidationError(error.summary, code="stale"))


def _as_data(value) -> list[str]:
    """A stored value as a form posts it (a list of strings; none for empty or false)."""
    if value is None or value is False or value == "":
        return []
    if value is True:
        return ["on"]
    if isinstance(value, (list, tuple)):
        return sorted(str(v) for v in value)
    return [value.isoformat() if hasattr(value, "isoformat") else str(value)]


def _take_current(form, change) -> bool:
    """Put the current value of a field the user did not change into the form's data; say whether it did."""
    if change.field not in form.fields or change.field == BASED_ON:
        return False
    key = form.add_prefix(change.field)
    posted = sorted(v for v in form.data.getlist(key) if v != "")
    if posted != _as_data(change.old):
        return False  # the user changed it too: their input stays, the table shows the current value
    form.data.setlist(key, _as_data(change.new))
    return True


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
