"""Forms for the assessments pages: they validate input; assessments.services does the writes."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from assessments.models import Answer, Assessment
from assessments.selectors import questionnaire_versions_live
from riskregistry.forms import RowsChoiceField, StyledFormMixin
from vendors.models import Contact, Product, Vendor


class AssessmentSendForm(StyledFormMixin, forms.Form):
    questionnaire = forms.ChoiceField(help_text="The newest version is sent; the assessment keeps it.")
    product = forms.ModelChoiceField(
        queryset=Product.objects.none(), required=False, help_text="One product, or leave empty and pick a vendor."
    )
    vendor = forms.ModelChoiceField(
        queryset=Vendor.objects.none(), required=False, help_text="Every active product of this vendor."
    )
    contacts = RowsChoiceField(
        queryset=Contact.objects.none(), required=False, help_text="Who receives the link (the vendor's contacts)."
    )
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    recurrence = forms.ChoiceField(choices=Assessment.Recurrence.choices, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        keys = questionnaire_versions_live()
        titles = {}
        for version in keys:
            titles.setdefault(version.key, f"{version.title} ({version.key} v{version.version})")
        self.fields["questionnaire"].choices = sorted(titles.items())
        self.fields["product"].queryset = Product.objects.filter(status=Product.Status.ACTIVE).select_related("vendor")
        self.fields["vendor"].queryset = Vendor.objects.order_by("name")
        self.fields["contacts"].queryset = Contact.objects.select_related("vendor").order_by("vendor__name", "name")
        self.initial.setdefault("due_date", (timezone.now() + timedelta(days=30)).date())

    def clean(self):
        data = super().clean()
        if bool(data.get("product")) == bool(data.get("vendor")):
            raise forms.ValidationError("Choose a product, or a vendor (for all its products), not both.")
        return data


class ReviewForm(StyledFormMixin, forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, required=False)


class QuestionReviewForm(StyledFormMixin, forms.Form):
    """One answer's review: accepted, or needing changes with a note the vendor reads."""

    question_id = forms.CharField(max_length=100)
    status = forms.ChoiceField(
        choices=[(Answer.Review.ACCEPTED, "Accept"), (Answer.Review.CHANGES_REQUESTED, "Needs changes")]
    )
    note = forms.CharField(max_length=4000, required=False)


class CommentForm(StyledFormMixin, forms.Form):
    question_id = forms.CharField(max_length=100)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)
    internal = forms.BooleanField(required=False, help_text="Only analysts see it.")


class ConfirmWithReasonForm(StyledFormMixin, forms.Form):
    """Confirm an action that ends something (cancel an assessment, remove a file): why, kept in the trail."""

    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the assessment's trail, with who and when.",
    )
