"""The forms of the webhook pages."""

from django import forms

from riskregistry.forms import StyledFormMixin
from webhooks.models import EventType, WebhookEndpoint


class EndpointForm(StyledFormMixin, forms.Form):
    url = forms.CharField(
        label="Target URL",
        max_length=WebhookEndpoint._meta.get_field("url").max_length,
        widget=forms.URLInput(attrs={"placeholder": "https://grc.example.com/hooks/riskregistry"}),
        help_text="http(s), no credentials; a public address unless private targets are allowed.",
    )
    description = forms.CharField(max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        choices=EventType.choices, widget=forms.CheckboxSelectMultiple, label="Events"
    )


class RotateForm(StyledFormMixin, forms.Form):
    grace_hours = forms.IntegerField(
        min_value=0,
        max_value=24 * 30,
        label="Keep the old secret signing for (hours)",
        help_text="Messages carry both signatures meanwhile; 0 retires the old secret at once.",
    )
