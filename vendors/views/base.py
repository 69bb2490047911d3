"""What every view module of vendors/ shares: permission handling, list size, service errors on forms."""

import copy

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError

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
