"""Form plumbing shared by every app: Bootstrap classes and accessible error wiring on every widget."""

from django import forms

from riskregistry.versions import StaleVersion, version_check, version_of


class StyledFormMixin:
    """Give widgets Bootstrap's classes, and mark invalid fields for assistive technology."""

    def add_error(self, field, error):
        # Every error passes through here, the form's own while cleaning and a service's added afterwards.
        super().add_error(field, error)
        for name in self._errors:
            if name not in self.fields:
                continue
            widget_id = f"id_{self.add_prefix(name)}"
            attrs = self.fields[name].widget.attrs
            if "is-invalid" not in attrs.get("class", "").split():
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
            attrs["aria-invalid"] = "true"
            described = [f"{widget_id}-errors"] + ([f"{widget_id}_helptext"] if self.fields[name].help_text else [])
            attrs["aria-describedby"] = " ".join(described)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect)):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class VersionedAdminForm(forms.ModelForm):
    """An admin change form that says which version of the record it was opened on (riskregistry.versions): a save
    based on an older one is refused with what changed meanwhile, the input kept and the form re-based on the
    current version, so saving it again goes through. The admin validates inside its transaction, so the check
    locks the row until the save."""

    based_on = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["based_on"].initial = version_of(self.instance)
            self.fields["based_on"].required = True
            self.fields["based_on"].error_messages["required"] = (
                "This form did not say which version of the record it was opened on: open it again."
            )

    def clean(self):
        data = super().clean()
        if self.instance.pk is not None and data.get("based_on"):
            try:
                version_check(instance=self.instance, based_on=data["based_on"])
            except StaleVersion as error:
                self.data = self.data.copy()
                self.data[self.add_prefix("based_on")] = error.current
                raise forms.ValidationError(error.message, code="stale") from None
        return data


class RowsChoiceField(forms.ModelMultipleChoiceField):
    """A ``ModelMultipleChoiceField`` of rows with integer ids that refuses an id outside the database's 64-bit
    integers as an invalid id before querying: Django lets such a value through to an ``__in`` lookup, which
    SQLite answers with an ``OverflowError`` (a 500) rather than no row."""

    def _check_values(self, value):
        for pk in value:
            text = str(pk).strip()
            if len(text) > 20 or not text.lstrip("-").isdigit() or not -(2**63) <= int(text) < 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": text[:40]}
                )
        return super()._check_values(value)
