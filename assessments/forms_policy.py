"""The scoring policy edit form: every editable field of ``assessments.scoring.Policy``, prefilled from the policy
in force. The form checks the shape of the input; ``Policy`` itself checks consistency (``PolicyError``) and the
service checks the rest (stale version, empty note, nothing changed)."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django_countries import countries

from assessments.scoring import FACTOR_CODES, Policy
from assessments.scoring.labels import FACTOR_CHOICES, FACTOR_DESCRIPTIONS, factor_label
from assessments.scoring.policy import APPROVER_ROLES
from riskregistry.forms import StyledFormMixin
from vendors.knowledge.records import FLAGS
from vendors.knowledge.region_groups import region_groups

#: The order the form asks for the thresholds, and the tier each one starts.
THRESHOLD_FIELDS = ("threshold_moderate", "threshold_high", "threshold_critical")

_CODE_SEPARATORS = re.compile(r"[\s,;]+")


def weight_field_name(code: str) -> str:
    """``origin.country_of_concern`` → ``weight_origin__country_of_concern`` (dots make poor HTML ids)."""
    return "weight_" + code.replace(".", "__")


def country_label(code: str) -> str:
    group = region_groups().get(code)
    if group:
        return f"{group.name} ({code})"
    name = countries.name(code)
    return f"{name} ({code})" if name else code


class CountryCodesField(forms.CharField):
    """ISO 3166-1 alpha-2 codes separated by commas or spaces, checked against django_countries; a frozenset."""

    def __init__(self, *, groups: bool = False, **kwargs):
        self.groups = groups  # region group codes (EU, EEA) accepted too
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "mono"})
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, (set, frozenset, list, tuple)):
            return ", ".join(sorted(value))
        return value

    def to_python(self, value) -> frozenset[str]:
        text = super().to_python(value) or ""
        codes = [part.upper() for part in _CODE_SEPARATORS.split(text) if part]
        known_groups = region_groups() if self.groups else {}
        unknown = [
            code
            for code in codes
            if code not in known_groups and (not countries.alpha2(code) or countries.alpha2(code) != code)
        ]
        if unknown:
            also = f" or region groups ({', '.join(known_groups)})" if known_groups else ""
            raise ValidationError(
                f"Unknown country code(s): %(codes)s. Use ISO 3166-1 alpha-2 codes such as CN, RU{also}.",
                code="unknown_country",
                params={"codes": ", ".join(dict.fromkeys(unknown))},
            )
        return frozenset(codes)


def _days(label: str, help_text: str) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=1, max_value=3650, help_text=help_text)


class PolicyForm(StyledFormMixin, forms.Form):
    """One field per editable policy field; ``weight_*`` fields are added per factor code in ``__init__``."""

    based_on = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    countries_of_concern = CountryCodesField(
        label="Countries of concern",
        help_text="ISO 3166-1 alpha-2 codes separated by commas. Origins and hosting there score.",
    )
    approved_regions = CountryCodesField(
        groups=True,
        label="Approved regions",
        help_text="Where a model may be served (host operator and serving region): country codes and region groups "
        "such as EU or EEA, which also approve a provider region serving somewhere in that group. Empty means no "
        "restriction.",
    )
    threshold_moderate = forms.IntegerField(label="Moderate from", min_value=1, max_value=100)
    threshold_high = forms.IntegerField(label="High from", min_value=1, max_value=100)
    threshold_critical = forms.IntegerField(label="Critical from", min_value=1, max_value=100)
    root_multiplier = forms.DecimalField(
        label="Root multiplier",
        min_value=Decimal("1.0"),
        max_value=Decimal("5.0"),
        max_digits=3,
        decimal_places=2,
        help_text="A root model from a country of concern weighs this many times an intermediate (1.0\u20135.0).",
    )
    changes_cap = forms.IntegerField(
        label="Changes cap",
        min_value=0,
        max_value=100,
        help_text="The most points unacknowledged supply-chain changes add together.",
    )
    max_fact_age_days = _days("Maximum age of lineage facts (days)", "Older facts score as stale.")
    attestation_max_age_days = _days("Maximum age of an attestation (days)", "An older attestation counts as expired.")
    sanction_flags = forms.MultipleChoiceField(
        label="Publisher flags that mean \u201csanctioned\u201d",
        choices=[(key, f"{key}: {text}") for key, text in FLAGS.items()],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    critical_factors = forms.MultipleChoiceField(
        label="Factors that open a finding",
        choices=FACTOR_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="A discrepancy always opens one, and so does the largest factor of a critical rating.",
    )
    finding_due_days = _days("Finding due in (days)", "A new finding's due date, counted from when it opens.")
    max_acceptance_days = _days("Longest risk acceptance (days)", "How long a risk may be accepted at most.")
    min_justification_chars = forms.IntegerField(
        label="Shortest justification (characters)",
        min_value=1,
        max_value=2000,
        help_text="A risk acceptance's justification must be at least this long.",
    )
    second_approver = forms.BooleanField(
        label="Accepting a factor that opens a finding needs a second approver",
        required=False,
        help_text="The acceptance is pending, and the factor counts, until someone else approves it.",
    )
    approver_roles = forms.MultipleChoiceField(
        label="Roles that may approve",
        choices=[(role, role.capitalize()) for role in APPROVER_ROLES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label="Why does the policy change?",
        required=False,
        max_length=4000,  # required to save, not to preview: checked in clean() for the save action
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown with every rating under the new version.",
    )

    def __init__(self, *args, action: str = "preview", **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        for code in FACTOR_CODES:
            field = forms.IntegerField(
                label=factor_label(code),
                min_value=0,
                max_value=100,
                help_text=FACTOR_DESCRIPTIONS[code],
                widget=forms.NumberInput,
            )
            field.widget.attrs.update({"class": "form-control form-control-sm input-points"})
            self.fields[weight_field_name(code)] = field

    @classmethod
    def initial_from(cls, policy: Policy) -> dict:
        """The form's initial values: the policy as it is."""
        moderate, high, critical = policy.thresholds
        initial = {
            "based_on": policy.version,
            "countries_of_concern": policy.countries_of_concern,
            "approved_regions": policy.approved_regions,
            "threshold_moderate": moderate,
            "threshold_high": high,
            "threshold_critical": critical,
            "root_multiplier": Decimal(str(policy.root_multiplier)),
            "changes_cap": policy.changes_cap,
            "max_fact_age_days": policy.max_fact_age_days,
            "attestation_max_age_days": policy.attestation_max_age_days,
            "sanction_flags": sorted(policy.sanction_flags),
            "critical_factors": sorted(policy.critical_factors),
            "finding_due_days": policy.finding_due_days,
            "max_acceptance_days": policy.max_acceptance_days,
            "min_justification_chars": policy.min_justification_chars,
            "second_approver": policy.second_approver,
            "approver_roles": sorted(policy.approver_roles),
        }
        initial.update({weight_field_name(code): policy.weights[code] for code in FACTOR_CODES})
        return initial

    def factor_rows(self):
        """(code, label, description, weight field, "opens a finding" checkbox) per factor, for the weights table."""
        opens = {option.data["value"]: option for option in self["critical_factors"]}
        return [
            (code, factor_label(code), FACTOR_DESCRIPTIONS[code], self[weight_field_name(code)], opens[code])
            for code in FACTOR_CODES
        ]

    def threshold_fields(self):
        return [self[name] for name in THRESHOLD_FIELDS]

    def clean(self):
        data = super().clean()
        values = [data.get(name) for name in THRESHOLD_FIELDS]
        if None not in values:
            moderate, high, critical = values
            if moderate >= high:
                self.add_error("threshold_high", "The thresholds must rise: moderate < high < critical.")
            if high >= critical:
                self.add_error("threshold_critical", "The thresholds must rise: moderate < high < critical.")
        if data.get("second_approver") and not data.get("approver_roles"):
            self.add_error("approver_roles", "Tick at least one role that may approve, or need no second approver.")
        if self.action == "save" and not (data.get("note") or "").strip():
            self.add_error("note", "Say why the policy changes: it is shown with every rating under it.")
        return data

    def policy_changes(self) -> dict:
        """The cleaned values as ``Policy.with_changes`` keyword arguments."""
        data = self.cleaned_data
        return {
            "countries_of_concern": data["countries_of_concern"],
            "approved_regions": data["approved_regions"],
            "thresholds": tuple(data[name] for name in THRESHOLD_FIELDS),
            "weights": {code: data[weight_field_name(code)] for code in FACTOR_CODES},
            "root_multiplier": float(data["root_multiplier"]),
            "changes_cap": data["changes_cap"],
            "max_fact_age_days": data["max_fact_age_days"],
            "attestation_max_age_days": data["attestation_max_age_days"],
            "sanction_flags": frozenset(data["sanction_flags"]),
            "critical_factors": frozenset(data["critical_factors"]),
            "finding_due_days": data["finding_due_days"],
            "max_acceptance_days": data["max_acceptance_days"],
            "min_justification_chars": data["min_justification_chars"],
            "second_approver": data["second_approver"],
            "approver_roles": frozenset(data["approver_roles"]),
        }
