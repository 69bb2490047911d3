"""The form that asks for a report."""

from django import forms
from django.utils import timezone

from reports.models import Report
from reports.periods import Quarter
from vendors.models import Vendor

#: How many past quarters the form offers.
QUARTERS_OFFERED = 8


def quarter_choices(now=None) -> list[tuple[str, str]]:
    quarter = Quarter.containing(now or timezone.now())
    choices = [(quarter.code, f"{quarter.label} (to date)")]
    for _ in range(QUARTERS_OFFERED):
        quarter = quarter.previous
        choices.append((quarter.code, quarter.label))
    return choices


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(choices=Report.Kind.choices, initial=Report.Kind.QUARTERLY)
    quarter = forms.ChoiceField(help_text="A finished quarter is reported as it stood at its end.")
    vendor = forms.ModelChoiceField(
        queryset=Vendor.objects.order_by("name"), required=False, help_text="For a vendor report."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quarter"].choices = quarter_choices()
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select"

    def clean(self):
        data = super().clean()
        if data.get("kind") == Report.Kind.VENDOR and not data.get("vendor"):
            self.add_error("vendor", "Choose the vendor the report is about.")
        if data.get("quarter"):
            data["quarter"] = Quarter.parse(data["quarter"])
        return data
