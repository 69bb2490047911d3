"""Forms of the attestation pages: the analyst's request (deadline, note), its list filter, and the vendor's
signature in the portal. They validate input; assessments.services does the writes."""

from datetime import timedelta

from django import forms
from django.conf import settings

from assessments.forms import _date_input
from riskregistry.forms import StyledFormMixin


class AttestationRequestForm(StyledFormMixin, forms.Form):
    deadline = forms.DateField(
        widget=_date_input(), help_text="The vendor confirms or corrects every claim and signs by this day."
    )
    message = forms.CharField(
        label="Note to the vendor",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional; printed in the cover letter.",
    )

    @staticmethod
    def initial_for(today) -> dict:
        return {"deadline": today + timedelta(days=settings.ATTESTATION_DEADLINE_DAYS)}


class AttestationRequestFilterForm(StyledFormMixin, forms.Form):
    """The attestation requests filter's form (AttestationRequestFilterSet.Meta.form)."""
