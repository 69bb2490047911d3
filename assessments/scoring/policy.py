"""The scoring policy: which countries concern us, where serving is approved, how much each factor weighs, where
the tiers start, how old facts and attestations may be, and the licence and evaluation data the rules consult.

A policy is a frozen value with a ``version``; every rating records the version it was computed under, so a
changed policy is a new version, never an edit in place. ``Policy.default()`` is built from the data files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from assessments.scoring import data
from vendors.knowledge.region_groups import expand as expand_region_groups
from vendors.knowledge.region_groups import region_groups

#: Every factor code the rules can emit, and so every key ``weights`` must have.
FACTOR_CODES = (
    "origin.country_of_concern",
    "origin.inferred_country_of_concern",
    "origin.sanctioned_publisher",
    "hosting.outside_approved",
    "hosting.country_of_concern",
    "evaluation.published_findings",
    "license.non_commercial",
    "license.territory_exclusion",
    "license.unknown",
    "license.drift",
    "opacity.incomplete",
    "opacity.declared_only",
    "opacity.unknown_publisher",
    "opacity.gated_ancestor",
    "discrepancy.answer_contradicts_lineage",
    "questionnaire.answer_points",
    "attestation.missing",
    "attestation.expired",
    "facts.stale",
    "changes.unacknowledged",
)

TIERS = ("low", "moderate", "high", "critical")

#: Points per factor. For ``origin.country_of_concern`` this is an intermediate ancestor; a root gets it times
#: ``root_multiplier``. For ``changes.unacknowledged`` it is per change, up to ``changes_cap``. Why these numbers:
#: a root from a country of concern (40) alone is "moderate"; with published findings (DeepSeek R1: 40 + 15) or
#: a sanctioned publisher (50) it is "high"; a contradicted answer on top (30) makes it "critical". Licence terms
#: that forbid our use (non-commercial, territory) weigh like an intermediate of concern; gaps in knowledge
#: (opacity, stale facts, missing attestation) weigh little each but add up.
DEFAULT_WEIGHTS: Mapping[str, int] = MappingProxyType(
    {
        "origin.country_of_concern": 25,
        # Points at full confidence; an inferred parent weighs this times its confidence, never more than a
        # declared intermediate (validated).
        "origin.inferred_country_of_concern": 15,
        "origin.sanctioned_publisher": 50,
        "hosting.outside_approved": 20,
        "hosting.country_of_concern": 30,
        "evaluation.published_findings": 15,
        "license.non_commercial": 25,
        "license.territory_exclusion": 25,
        "license.unknown": 10,
        "license.drift": 5,
        "opacity.incomplete": 15,
        "opacity.declared_only": 10,
        "opacity.unknown_publisher": 10,
        "opacity.gated_ancestor": 5,
        "discrepancy.answer_contradicts_lineage": 30,
        "questionnaire.answer_points": 20,
        "attestation.missing": 5,
        "attestation.expired": 10,
        "facts.stale": 10,
        "changes.unacknowledged": 5,
    }
)

#: Knowledge-base publisher flags meaning "on a sanctions or export-control list".
DEFAULT_SANCTION_FLAGS = frozenset({"bis_entity_list", "ofac_sdn", "ofac_ns_cmic", "dod_1260h"})

#: Factors that open a finding for someone to remediate or accept (a discrepancy always does, whatever this says;
#: so does the largest factor of a rating in the critical tier). Origin and sanctions are what procurement must
#: decide on; hosting in a country of concern is a contract question.
DEFAULT_CRITICAL_FACTORS = frozenset(
    {
        "origin.country_of_concern",
        "origin.sanctioned_publisher",
        "hosting.country_of_concern",
        "discrepancy.answer_contradicts_lineage",
    }
)
DISCREPANCY = "discrepancy.answer_contradicts_lineage"
ORIGIN = "origin.country_of_concern"
#: The confidence from which an inferred parent can contradict what a vendor says (a discrepancy).
INFERRED_DISCREPANCY_CONFIDENCE = 0.8

#: The fields an administrator edits (the rest is curated data with sources, shipped with the code). The order is
#: the order of the stored document and of the edit form.
EDITABLE_FIELDS = (
    "countries_of_concern",
    "approved_regions",
    "thresholds",
    "weights",
    "root_multiplier",
    "changes_cap",
    "max_fact_age_days",
    "attestation_max_age_days",
    "sanction_flags",
    "critical_factors",
    "finding_due_days",
    "max_acceptance_days",
    "min_justification_chars",
    "second_approver",
    "approver_roles",
)

#: The roles whose members may be a risk acceptance's second approver (the role names of riskregistry.roles).
APPROVER_ROLES = ("analyst", "admin")


class PolicyError(ValueError):
    """The policy is inconsistent; the message says what to fix."""


@dataclass(frozen=True)
class Policy:
    """See the module docstring. ``approved_regions`` is a set of ISO country codes and region group codes (EU,
    EEA: ``vendors/knowledge/region_groups.toml``) where a model may be served (host operator and serving
    region); empty means no restriction. ``thresholds`` are the lowest scores of
    moderate, high and critical."""

    version: int
    countries_of_concern: frozenset[str]
    approved_regions: frozenset[str] = frozenset()
    weights: Mapping[str, int] = field(default_factory=lambda: DEFAULT_WEIGHTS)
    root_multiplier: float = 1.6
    changes_cap: int = 20
    thresholds: tuple[int, int, int] = (25, 50, 75)
    max_fact_age_days: int = 30
    attestation_max_age_days: int = 365
    sanction_flags: frozenset[str] = DEFAULT_SANCTION_FLAGS
    critical_factors: frozenset[str] = DEFAULT_CRITICAL_FACTORS
    finding_due_days: int = 30
    max_acceptance_days: int = 365
    #: The shortest justification a risk acceptance takes, in characters (after trimming).
    min_justification_chars: int = 20
    #: Accepting the risk of a factor the policy marks critical (one that opens a finding) waits for a second
    #: approver: someone other than who asked, whose role is in ``approver_roles``.
    second_approver: bool = True
    approver_roles: frozenset[str] = frozenset({"admin"})
    non_commercial_licenses: frozenset[str] = frozenset()
    territory_exclusions: tuple[data.TerritoryExclusion, ...] = ()
    evaluations: tuple[data.Evaluation, ...] = ()
    sources: tuple[data.Source, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", MappingProxyType(dict(self.weights)))
        problems = []
        if self.version < 1:
            problems.append("version must be >= 1")
        missing, unknown = set(FACTOR_CODES) - set(self.weights), set(self.weights) - set(FACTOR_CODES)
        if missing:
            problems.append(f"weights missing for {sorted(missing)}")
        if unknown:
            problems.append(f"unknown factor codes {sorted(unknown)}")
        if any(not isinstance(w, int) or isinstance(w, bool) or w < 0 for w in self.weights.values()):
            problems.append("weights must be non-negative integers")
        if all(isinstance(self.weights.get(c), int) for c in ("origin.inferred_country_of_concern", ORIGIN)) and (
            self.weights["origin.inferred_country_of_concern"] > self.weights[ORIGIN]
        ):
            problems.append("an inferred origin must not weigh more than a declared one (origin.country_of_concern)")
        if self.root_multiplier < 1:
            problems.append("root_multiplier must be >= 1 (a root never weighs less than an intermediate)")
        if self.changes_cap < 0:
            problems.append("changes_cap must be >= 0")
        moderate, high, critical = self.thresholds
        if not 0 < moderate < high < critical <= 100:
            problems.append("thresholds must satisfy 0 < moderate < high < critical <= 100")
        if self.max_fact_age_days < 1 or self.attestation_max_age_days < 1:
            problems.append("maximum ages must be at least one day")
        if self.finding_due_days < 1 or self.max_acceptance_days < 1:
            problems.append("finding due days and the longest risk acceptance must be at least one day")
        if not 1 <= self.min_justification_chars <= 2000:
            problems.append("the shortest justification must be between 1 and 2000 characters")
        if set(self.approver_roles) - set(APPROVER_ROLES):
            problems.append(f"approver roles must be among {list(APPROVER_ROLES)}")
        if self.second_approver and not self.approver_roles:
            problems.append("a second approver needs at least one role that may approve")
        if set(self.critical_factors) - set(FACTOR_CODES):
            problems.append(f"unknown critical factors {sorted(set(self.critical_factors) - set(FACTOR_CODES))}")
        for name in ("countries_of_concern", "approved_regions"):
            groups = region_groups() if name == "approved_regions" else {}
            bad = sorted(
                c for c in getattr(self, name) if not (len(c) == 2 and c.isalpha() and c.isupper()) and c not in groups
            )
            if bad:
                also = " or region groups" if groups else ""
                problems.append(f"{name} must be ISO 3166-1 alpha-2 codes{also}, not {bad}")
        if problems:
            raise PolicyError("; ".join(problems))

    @property
    def approved_countries(self) -> frozenset[str]:
        """The approved regions as countries: every region group replaced by its members."""
        return expand_region_groups(self.approved_regions)

    def approves_place(self, country: str, group: str = "") -> bool:
        """Serving in ``country``, or somewhere in region ``group`` when no single country is known, is approved:
        the country is, or every country of the group is. Unknown or global serving never is."""
        approved = self.approved_countries
        if country:
            return country in approved
        members = region_groups().get(group)
        return bool(members) and members.countries <= approved

    def points(self, code: str) -> int:
        return self.weights[code]

    def tier(self, score: int) -> str:
        """The tier of a score: the highest whose threshold the score reaches."""
        reached = sum(score >= threshold for threshold in self.thresholds)
        return TIERS[reached]

    def opens_finding(self, code: str) -> bool:
        return code == DISCREPANCY or code in self.critical_factors

    def needs_second_approver(self, code: str) -> bool:
        """Whether accepting this factor's risk waits for a second approver."""
        return self.second_approver and self.opens_finding(code)

    def to_document(self) -> dict:
        """The editable fields as JSON-ready values (sets sorted), for storing a version."""
        document = {}
        for name in EDITABLE_FIELDS:
            value = getattr(self, name)
            if isinstance(value, frozenset):
                value = sorted(value)
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Mapping):
                value = dict(sorted(value.items()))
            document[name] = value
        return document

    @classmethod
    def from_document(cls, version: int, document: Mapping) -> Policy:
        """A stored version: its editable fields over the shipped data (licences, evaluations). Fields a document
        lacks (added to the policy after it was stored) keep their defaults; unknown keys are refused."""
        unknown = set(document) - set(EDITABLE_FIELDS)
        if unknown:
            raise PolicyError(f"unknown policy fields {sorted(unknown)}")
        values = {}
        for name, value in document.items():
            if name in (
                "countries_of_concern",
                "approved_regions",
                "sanction_flags",
                "critical_factors",
                "approver_roles",
            ):
                value = frozenset(str(item) for item in value)
            elif name == "weights":
                # A factor added to the rules after the document was stored weighs its default.
                value = {**DEFAULT_WEIGHTS, **value} if isinstance(value, Mapping) else value
            elif name == "thresholds":
                value = tuple(value)
                if len(value) != 3:
                    raise PolicyError("thresholds must be three numbers: moderate, high, critical")
            values[name] = value
        try:
            return replace(cls.default(), version=version, **values)
        except TypeError as error:  # a wrongly typed value that validation could not even compare
            raise PolicyError(str(error)) from error

    def with_changes(self, **changes) -> Policy:
        """A copy with some fields changed (and validated again); bump ``version`` when it is stored."""
        return replace(self, **changes)

    @classmethod
    def default(cls) -> Policy:
        """Version 1: the 15 CFR 791.4 foreign adversaries, no serving restriction, the curated data files."""
        default_list = next(lst for lst in data.regulation() if lst.default)
        non_commercial, territory = data.licenses()
        evaluations = data.evaluations()
        return cls(
            version=1,
            countries_of_concern=default_list.countries,
            non_commercial_licenses=frozenset(row.license for row in non_commercial),
            territory_exclusions=territory,
            evaluations=evaluations,
            sources=(
                *default_list.sources,
                *(source for row in non_commercial for source in row.sources),
                *(source for row in territory for source in row.sources),
                *(source for row in evaluations for source in row.sources),
            ),
        )


#: Document fields that are sets (stored as sorted lists): their diff says what was added and removed.
_SET_FIELDS = frozenset(
    {"countries_of_concern", "approved_regions", "sanction_flags", "critical_factors", "approver_roles"}
)
_MISSING = object()
_MINUS = "\N{MINUS SIGN}"


def _shown(value) -> str:
    if value is _MISSING:
        return "(not set)"
    if isinstance(value, (list, tuple)):
        return "/".join(str(item) for item in value) if value else "(none)"
    return str(value)


def policy_diff(old: Mapping, new: Mapping) -> list[str]:
    """What differs between two policy documents, one line per change, in the order of the edit form:
    ``thresholds: 25/50/75 → 30/55/80``, ``weights.origin.country_of_concern: 25 → 30``,
    ``countries_of_concern: + SY, \N{MINUS SIGN} VE``."""
    names = [*EDITABLE_FIELDS, *sorted((set(old) | set(new)) - set(EDITABLE_FIELDS))]
    lines = []
    for name in names:
        before, after = old.get(name, _MISSING), new.get(name, _MISSING)
        if before == after:
            continue
        if name in _SET_FIELDS and isinstance(before, list) and isinstance(after, list):
            added, removed = sorted(set(after) - set(before)), sorted(set(before) - set(after))
            parts = [f"+ {item}" for item in added] + [f"{_MINUS} {item}" for item in removed]
            if parts:  # the same members in another order is no change
                lines.append(f"{name}: {', '.join(parts)}")
        elif name == "weights" and isinstance(before, Mapping) and isinstance(after, Mapping):
            codes = [*(c for c in FACTOR_CODES if c in before or c in after), *sorted(set(before) | set(after))]
            for code in dict.fromkeys(codes):
                old_weight, new_weight = before.get(code, _MISSING), after.get(code, _MISSING)
                if old_weight != new_weight:
                    lines.append(f"weights.{code}: {_shown(old_weight)} → {_shown(new_weight)}")
        else:
            lines.append(f"{name}: {_shown(before)} → {_shown(after)}")
    return lines
