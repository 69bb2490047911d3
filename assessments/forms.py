"""Forms for the findings pages; they validate input, assessments.services does the writes."""

from datetime import date, timedelta

from django import forms
from django.contrib.auth import get_user_model

from assessments import selectors
from assessments.models import Finding
from riskregistry.forms import StyledFormMixin

_DATE = {"type": "date"}


def _date_input(**attrs) -> forms.DateInput:
    return forms.DateInput(attrs={**_DATE, **attrs}, format="%Y-%m-%d")


#: The longest justification or resolution taken: a few paragraphs, never a pasted document.
TEXT_LIMIT = 4000


class _ActionForm(StyledFormMixin, forms.Form):
    """The findings' action forms: styled, with a service's errors marked on their fields like the form's own."""


class FindingUpdateForm(_ActionForm):
    owner = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, empty_label="Nobody", help_text="Who works it."
    )
    due_date = forms.DateField(required=False, widget=_date_input())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Evaluated per form, so a user given the role since start-up is offered; only people who can work it.
        self.fields["owner"].queryset = selectors.finding_workers()

    @classmethod
    def initial_for(cls, finding: Finding) -> dict:
        return {"owner": finding.owner_id, "due_date": finding.due_date}


class FindingAcceptForm(_ActionForm):
    justification = forms.CharField(
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the risk is acceptable: auditors read this.",
    )
    accepted_until = forms.DateField(label="Accepted until", widget=_date_input())

    def __init__(self, *args, max_days: int, today: date, min_chars: int = 1, second_approver: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        justification = self.fields["justification"]
        justification.help_text = f"Why the risk is acceptable, in at least {min_chars} characters: auditors read this."
        if second_approver:
            justification.help_text += " Under the policy this factor's acceptance waits for a second approver."
        latest = today + timedelta(days=max_days)
        field = self.fields["accepted_until"]
        field.help_text = (
            f"The last day the acceptance is valid: today at the earliest, at most {max_days} days away under the "
            f"policy in force (until {latest:%Y-%m-%d}). The factor counts again after it."
        )
        field.widget.attrs.update(min=f"{today:%Y-%m-%d}", max=f"{latest:%Y-%m-%d}")


class FindingResolveForm(_ActionForm):
    status = forms.ChoiceField(
        label="Resolve as",
        choices=[(s.value, s.label) for s in (Finding.Status.REMEDIATED, Finding.Status.CLOSED)],
        help_text="Only once the factor has left the usage's current rating.",
    )
    resolution = forms.CharField(
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="How it was remediated, or why it is closed (required to close).",
    )


class FindingCommentForm(_ActionForm):
    body = forms.CharField(
        label="Comment",
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the finding's history for good: comments are never edited nor deleted.",
    )
