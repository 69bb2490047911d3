"""Form plumbing shared by every app: Bootstrap classes and accessible error wiring on every widget."""

from django import forms


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
