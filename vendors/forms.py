"""Forms for the web UI; they validate input, the services do the writes."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from riskregistry.forms import RowsChoiceField, StyledFormMixin
from vendors import model_files
from vendors.models import (
    AIModel,
    Contact,
    DataCategory,
    Host,
    HostRegion,
    LineageEdge,
    ModelUsage,
    Product,
    Vendor,
)
from vendors.validators import validate_hub_repo_id


class VendorForm(StyledFormMixin, forms.ModelForm):
    website = forms.URLField(required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = Vendor
        fields = ["name", "country", "website", "tier", "status", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class ContactForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "email", "role", "phone", "is_primary"]


class ProductForm(StyledFormMixin, forms.ModelForm):
    data_categories = RowsChoiceField(
        queryset=DataCategory.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Product
        fields = ["name", "description", "criticality", "status", "business_owner", "data_categories"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, vendor: Vendor, **kwargs):
        super().__init__(*args, **kwargs)
        # The unique (vendor, name) constraint is checked by full_clean only when the vendor is known.
        self.instance.vendor = vendor


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, region: HostRegion) -> str:
        where = region.country.name if region.country else "no fixed country"
        return f"{region.host.name} · {region.code} ({where})"


class ModelUsageForm(StyledFormMixin, forms.Form):
    """A model usage names its model by kind and name: a hub repo id, a closed API model, or a declared name."""

    model_kind = forms.ChoiceField(label="Model kind", choices=AIModel.Kind.choices, initial=AIModel.Kind.HUB)
    model_name = forms.CharField(
        label="Model",
        max_length=200,
        help_text="Hub repo id (e.g. Qwen/Qwen2.5-7B-Instruct), closed API model (e.g. gpt-4o), or declared name.",
        widget=forms.TextInput(attrs={"list": "closed-models", "autocomplete": "off", "spellcheck": "false"}),
    )
    role = forms.ChoiceField(choices=ModelUsage.Role.choices, initial=ModelUsage.Role.PRIMARY)
    share = forms.IntegerField(
        label="Traffic share (%)", min_value=1, max_value=100, required=False, help_text="Only for the routed role."
    )
    host = forms.ModelChoiceField(queryset=Host.objects.all(), required=False, help_text="Who serves the model.")
    region = RegionChoiceField(queryset=HostRegion.objects.select_related("host"), required=False)
    declared_by = forms.ChoiceField(choices=ModelUsage.DeclaredBy.choices, initial=ModelUsage.DeclaredBy.ANALYST)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    confirm_missing = forms.BooleanField(
        label="Register it anyway: the id is right (a private repo, or one not published yet)",
        required=False,
        widget=forms.HiddenInput,
    )

    def ask_to_confirm_missing(self, repo_id: str) -> None:
        """The hub has no such repo: say so on the model field and offer the confirmation box."""
        self.add_error(
            "model_name",
            f"The hub has no repository {repo_id} (or it is private). Check the spelling, or tick the box below to "
            "register it anyway.",
        )
        self.fields["confirm_missing"].widget = forms.CheckboxInput(attrs={"class": "form-check-input"})

    def clean(self):
        data = super().clean()
        kind, name = data.get("model_kind"), (data.get("model_name") or "").strip()
        if kind == AIModel.Kind.HUB and name:
            try:
                validate_hub_repo_id(name)
            except ValidationError as error:
                self.add_error("model_name", error)
        data["model_name"] = name
        host, region = data.get("host"), data.get("region")
        if host and region and region.host_id != host.pk:
            self.add_error("region", f"{region.code} is not a region of {host.name}.")
        if data.get("share") is not None and data.get("role") != ModelUsage.Role.ROUTED:
            self.add_error("share", "A traffic share applies only to the routed role.")
        return data

    @classmethod
    def initial_for(cls, usage: ModelUsage) -> dict:
        return {
            "model_kind": usage.model.kind,
            "model_name": usage.model.name,
            "role": usage.role,
            "share": usage.share,
            "host": usage.host,
            "region": usage.region,
            "declared_by": usage.declared_by,
            "notes": usage.notes,
        }


class DeclaredParentForm(StyledFormMixin, forms.Form):
    """A parent stated by the vendor or an analyst, for lineage the hub does not show."""

    parent_kind = forms.ChoiceField(label="Parent kind", choices=AIModel.Kind.choices, initial=AIModel.Kind.HUB)
    parent_name = forms.CharField(
        label="Parent model",
        max_length=200,
        help_text="Hub repo id, closed API model, or the name of a model with no public record.",
    )
    relation = forms.ChoiceField(choices=LineageEdge.Relation.choices, initial=LineageEdge.Relation.FINETUNE)
    source = forms.ChoiceField(
        label="Declared by",
        choices=[(LineageEdge.Source.VENDOR, "The vendor"), (LineageEdge.Source.ANALYST, "An analyst")],
    )

    def clean(self):
        data = super().clean()
        name = (data.get("parent_name") or "").strip()
        if data.get("parent_kind") == AIModel.Kind.HUB and name:
            try:
                validate_hub_repo_id(name)
            except ValidationError as error:
                self.add_error("parent_name", error)
        data["parent_name"] = name
        return data


class RemovalForm(StyledFormMixin, forms.Form):
    """Why a vendor, product or model usage ends (kept in the audit trail whether it is retired or deleted)."""

    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the audit trail, with who and when.",
    )


class ReinstateForm(StyledFormMixin, forms.Form):
    """Why a retired model usage is back in use (kept in the audit trail)."""

    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the audit trail, with who and when.",
    )


class CsvImportForm(forms.Form):
    """A spreadsheet of vendors, products and model usages to preview."""

    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 CSV in the documented column set; download the template to start.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class ModelFilesForm(StyledFormMixin, forms.Form):
    """A private model's ``config.json`` and ``tokenizer_config.json``: each optional, at least one; each read as
    JSON data within its size limit and checked against what the inference reads (``vendors.model_files``).
    ``cleaned_data`` holds ``CheckedFile``s (or None)."""

    config = forms.FileField(
        required=False, label="config.json", help_text="The model's config.json (architecture, sizes, token ids)."
    )
    tokenizer = forms.FileField(
        required=False,
        label="tokenizer_config.json",
        help_text="The model's tokenizer_config.json (special tokens, added tokens, chat template).",
    )

    def _checked(self, field: str, kind: str, limit: int):
        try:
            return model_files.check_upload(self.cleaned_data.get(field), kind, limit=limit)
        except model_files.ModelFileRefused as error:
            raise ValidationError(str(error), code="refused") from None

    def clean_config(self):
        return self._checked("config", model_files.CONFIG, settings.MODEL_CONFIG_MAX_BYTES)

    def clean_tokenizer(self):
        return self._checked("tokenizer", model_files.TOKENIZER, settings.MODEL_TOKENIZER_CONFIG_MAX_BYTES)

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("config") and not cleaned.get("tokenizer"):
            raise ValidationError("Choose config.json, tokenizer_config.json or both.", code="empty")
        return cleaned
