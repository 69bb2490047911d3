"""Forms of the attestation pages: the analyst's request (deadline, note), its list filter, and the vendor's
signature in the portal. They validate input; assessments.services does the writes."""

from datetime import timedelta

from django import forms
from django.conf import settings

from assessments.forms import _date_input
from riskregistry.forms import RowsChoiceField, StyledFormMixin


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


class AttestationLinkSendForm(forms.Form):
    """Which of the vendor's contacts get the portal link. Only the vendor's own contacts can be chosen; an id
    that is not one of them (another vendor's, retired, or no row's at all) is refused by name."""

    contacts = RowsChoiceField(
        queryset=None,
        error_messages={
            "required": "Choose at least one of the vendor's contacts.",
            "invalid_choice": "That contact is not one of this vendor's: reload the page and choose again.",
            "invalid_pk_value": "That is not a contact id: reload the page and choose again.",
        },
    )

    def __init__(self, *args, vendor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contacts"].queryset = vendor.contacts.all()

    def clean_contacts(self) -> list:
        return list(self.cleaned_data["contacts"])
