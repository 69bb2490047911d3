from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

from riskregistry.forms import StyledFormMixin


class SignInForm(AuthenticationForm):
    """Django's sign-in form, refusing a user name longer than any account can have before it is tried: the form
    only sets the input's maxlength, and an overlong name would otherwise reach the sign-in throttle's record."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))
        # The password is hashed to be compared: refuse a megabyte before it costs a hash.
        self.fields["password"].validators.append(MaxLengthValidator(4096))


class CodeForm(StyledFormMixin, forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
        help_text="The 6 digits your authenticator app shows, or one of your backup codes.",
    )


class EnrolCodeForm(StyledFormMixin, forms.Form):
    token = forms.CharField(
        label="Code from the app",
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class RemoveDevicesForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the audit trail, with who and when.",
    )
