"""Read the demo portfolio TOML and check its own shape.

``manage.py load_demo`` turns the file into rows. This module only reads it and checks its own shape: known keys,
required fields, enumeration codes, duplicates, routed shares and references between entries. Whether a hub id,
a host, a region or a closed model exists is the loader's question, answered against the database.

Pure: the standard library and django-countries' country table; no Django models or settings.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A plain dict of ISO 3166-1 alpha-2 codes; importing it needs no Django settings.
from django_countries.data import COUNTRIES

from vendors.demo.specs import (
    DATA_CATEGORIES,
    DECLARED_MODEL_SOURCES,
    PRODUCT_CRITICALITIES,
    PRODUCT_STATUSES,
    USAGE_DECLARED_BY,
    USAGE_ROLES,
    VENDOR_STATUSES,
    VENDOR_TIERS,
    ContactSpec,
    DeclaredModelSpec,
    ModelRef,
    Portfolio,
    ProductSpec,
    UsageSpec,
    VendorSpec,
)

#: The shipped demo portfolio, next to this module.
DEFAULT_PATH = Path(__file__).resolve().parent / "portfolio.toml"

# Each table's keys: (required, optional).
_TABLE_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "portfolio": ((), ("vendor", "declared_model")),
    "vendor": (("name", "country", "tier", "status"), ("website", "description", "hub_orgs", "contact", "product")),
    "contact": (("name", "email"), ("role",)),
    "product": (("name", "criticality", "status"), ("description", "business_owner", "data_categories", "usage")),
    "usage": (("model", "role", "declared_by"), ("host", "region", "share", "notes")),
    "declared_model": (("name", "source"), ("publisher_hint", "parents", "notes")),
}

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL_RE = re.compile(r"^https?://[^\s/]+(/\S*)?$")
_HUB_ORG_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?")

# Stands in for a reference that could not be read (already reported), so checks that follow can skip it.
_BAD_REF = ModelRef("declared", "")


# --- Errors -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    where: str  # 'vendor #2 "Helio Health, Inc." > product #1 "Ambient Scribe" > usage #3'
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class PortfolioError(ValueError):
    """The portfolio file is wrong; ``problems`` lists every problem found, not just the first."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s) in the portfolio\n{lines}")


# --- Loading ------------------------------------------------------------------------------------------------------


def load_portfolio(path: Path = DEFAULT_PATH) -> Portfolio:
    """Read and check a portfolio file; raises PortfolioError listing every problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PortfolioError(str(path), [Problem("", f"not valid TOML: {exc}")]) from exc
    return parse_portfolio(data, source=str(path))


def parse_portfolio(data: Mapping[str, Any], *, source: str = "<portfolio>") -> Portfolio:
    """Check already-decoded TOML data and build the Portfolio; raises PortfolioError."""
    return _Parser().parse(data, source)


class _Parser:
    """Walks the decoded TOML once, collecting problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    # Entry point ----------------------------------------------------------------------------------------------------

    def parse(self, data: Mapping[str, Any], source: str) -> Portfolio:
        self.keys(data, "top level", "portfolio")
        vendors = tuple(self.vendor(raw, index) for index, raw in self.array(data, "vendor", "top level", "vendor"))
        declared = tuple(
            self.declared_model(raw, index)
            for index, raw in self.array(data, "declared_model", "top level", "declared_model")
        )
        self.duplicates([(v.name, _label("vendor", i, v.name)) for i, v in enumerate(vendors, 1)], "vendor name")
        self.duplicates(
            [(d.name, _label("declared_model", i, d.name)) for i, d in enumerate(declared, 1)], "declared model name"
        )
        self.declared_references(vendors, declared)
        if self.problems:
            raise PortfolioError(source, self.problems)
        return Portfolio(vendors=vendors, declared_models=declared)

    # Tables ---------------------------------------------------------------------------------------------------------

    def vendor(self, raw: Mapping[str, Any], index: int) -> VendorSpec:
        where = _label("vendor", index, raw.get("name"))
        self.keys(raw, where, "vendor")
        name = self.text(raw, "name", where)
        country = self.text(raw, "country", where)
        if country and country not in COUNTRIES:
            hint = " (the United Kingdom is GB)" if country.upper() == "UK" else ""
            self.problem(where, f"country: {country!r} is not an ISO 3166-1 alpha-2 code{hint}")
        tier = self.choice(raw, "tier", where, VENDOR_TIERS)
        status = self.choice(raw, "status", where, VENDOR_STATUSES)
        website = self.text(raw, "website", where, required=False)
        if website and not _URL_RE.match(website):
            self.problem(where, f"website: {website!r} is not an http(s) URL")
        description = self.text(raw, "description", where, required=False)
        hub_orgs = self.texts(raw, "hub_orgs", where)
        for org in hub_orgs:
            if not _HUB_ORG_RE.fullmatch(org):
                self.problem(where, f"hub_orgs: {org!r} is not a hub organisation id")

        contacts = tuple(self.contact(c, where, i) for i, c in self.array(raw, "contact", where, "vendor.contact"))
        self.duplicates([(c.email, f"{where} > contact #{i}") for i, c in enumerate(contacts, 1)], "contact email")
        products = tuple(self.product(p, where, i) for i, p in self.array(raw, "product", where, "vendor.product"))
        self.duplicates(
            [(p.name, _label(f"{where} > product", i, p.name)) for i, p in enumerate(products, 1)], "product name"
        )
        return VendorSpec(
            name=name,
            country=country,
            tier=tier,
            status=status,
            website=website,
            description=description,
            hub_orgs=hub_orgs,
            contacts=contacts,
            products=products,
        )

    def contact(self, raw: Mapping[str, Any], vendor_where: str, index: int) -> ContactSpec:
        where = f"{vendor_where} > contact #{index}"
        self.keys(raw, where, "contact")
        email = self.text(raw, "email", where)
        if email and not _EMAIL_RE.match(email):
            self.problem(where, f"email: {email!r} is not an email address")
        return ContactSpec(
            name=self.text(raw, "name", where), email=email, role=self.text(raw, "role", where, required=False)
        )

    def product(self, raw: Mapping[str, Any], vendor_where: str, index: int) -> ProductSpec:
        where = _label(f"{vendor_where} > product", index, raw.get("name"))
        self.keys(raw, where, "product")
        name = self.text(raw, "name", where)
        criticality = self.choice(raw, "criticality", where, PRODUCT_CRITICALITIES)
        status = self.choice(raw, "status", where, PRODUCT_STATUSES)
        description = self.text(raw, "description", where, required=False)
        business_owner = self.text(raw, "business_owner", where, required=False)
        data_categories = self.choices(raw, "data_categories", where, DATA_CATEGORIES)

        usages = tuple(self.usage(u, where, i) for i, u in self.array(raw, "usage", where, "vendor.product.usage"))
        self.product_usages(usages, where)
        return ProductSpec(
            name=name,
            criticality=criticality,
            status=status,
            description=description,
            business_owner=business_owner,
            data_categories=data_categories,
            usages=usages,
        )

    def usage(self, raw: Mapping[str, Any], product_where: str, index: int) -> UsageSpec:
        where = f"{product_where} > usage #{index}"
        self.keys(raw, where, "usage")
        model = self.model_ref(raw["model"], where, "model") if "model" in raw else _BAD_REF
        role = self.choice(raw, "role", where, USAGE_ROLES)
        host = self.text(raw, "host", where, required=False) or None
        region = self.text(raw, "region", where, required=False) or None
        if region and not host:
            self.problem(where, f"region: {region!r} needs the host that serves it")
        share = self.share(raw, where)
        if share is not None and role and role != "routed":
            self.problem(where, f"share: only a routed usage has a traffic share (role is {role!r})")
        return UsageSpec(
            model=model,
            role=role,
            declared_by=self.choice(raw, "declared_by", where, USAGE_DECLARED_BY),
            host=host,
            region=region,
            share=share,
            notes=self.text(raw, "notes", where, required=False),
        )

    def declared_model(self, raw: Mapping[str, Any], index: int) -> DeclaredModelSpec:
        where = _label("declared_model", index, raw.get("name"))
        self.keys(raw, where, "declared_model")
        name = self.text(raw, "name", where)
        if name and any(ch.isspace() for ch in name):
            self.problem(where, f"name: {name!r} must have no spaces (it is referenced as declared:NAME)")
        parents: list[ModelRef] = []
        for position, text in enumerate(self.texts(raw, "parents", where), 1):
            parents.append(self.model_ref(text, where, f"parents[{position}]"))
        return DeclaredModelSpec(
            name=name,
            source=self.choice(raw, "source", where, DECLARED_MODEL_SOURCES),
            publisher_hint=self.text(raw, "publisher_hint", where, required=False),
            parents=tuple(parents),
            notes=self.text(raw, "notes", where, required=False),
        )

    # Cross-entry rules ----------------------------------------------------------------------------------------------

    def product_usages(self, usages: Sequence[UsageSpec], where: str) -> None:
        total = sum(u.share or 0 for u in usages if u.role == "routed")
        if total > 100:
            self.problem(where, f"routed shares add up to {total}%, more than 100%")
        seen: set[tuple[ModelRef, str, str | None, str | None]] = set()
        for index, usage in enumerate(usages, 1):
            if usage.model == _BAD_REF:
                continue
            key = (usage.model, usage.role, usage.host, usage.region)
            if key in seen:
                self.problem(
                    f"{where} > usage #{index}",
                    f"duplicate usage: {usage.model} as {usage.role} on {usage.host or 'no host'}"
                    f"{' ' + usage.region if usage.region else ''} is already listed",
                )
            seen.add(key)

    def declared_references(self, vendors: Sequence[VendorSpec], declared: Sequence[DeclaredModelSpec]) -> None:
        known = {d.name for d in declared}
        for v_index, vendor in enumerate(vendors, 1):
            for p_index, product in enumerate(vendor.products, 1):
                for u_index, usage in enumerate(product.usages, 1):
                    if usage.model.kind == "declared" and usage.model != _BAD_REF and usage.model.name not in known:
                        where = _label(f"{_label('vendor', v_index, vendor.name)} > product", p_index, product.name)
                        self.problem(
                            f"{where} > usage #{u_index}", f"model: {usage.model} has no [[declared_model]] entry"
                        )
        parents_of: dict[str, list[str]] = {}
        label_of: dict[str, str] = {}
        for index, model in enumerate(declared, 1):
            where = label_of.setdefault(model.name, _label("declared_model", index, model.name))
            for parent in model.parents:
                if parent.kind != "declared" or parent == _BAD_REF:
                    continue
                if parent.name not in known:
                    self.problem(where, f"parents: {parent} has no [[declared_model]] entry")
                parents_of.setdefault(model.name, []).append(parent.name)
        for name in _cycle_members(parents_of):
            self.problem(label_of[name], "parents: a declared model cannot be its own ancestor")

    def duplicates(self, named: Sequence[tuple[str, str]], what: str) -> None:
        """Names compare case-insensitively, as the database's unique constraints do."""
        first: dict[str, str] = {}
        for name, where in named:
            if not name:
                continue
            key = name.casefold()
            if key in first:
                self.problem(where, f"duplicate {what} {name!r} (first at {first[key]})")
            else:
                first[key] = where

    # Field readers: each records a problem and returns a harmless value, so parsing can go on ----------------------

    def keys(self, raw: Mapping[str, Any], where: str, table: str) -> None:
        required, optional = _TABLE_KEYS[table]
        allowed = (*required, *optional)
        for key in raw:
            if key not in allowed:
                self.problem(where, f"unknown key {key!r}; allowed: {', '.join(allowed)}")
        for key in required:
            if key not in raw:
                self.problem(where, f"missing required field {key!r}")

    def array(
        self, raw: Mapping[str, Any], key: str, where: str, table_name: str
    ) -> Iterator[tuple[int, Mapping[str, Any]]]:
        value = raw.get(key, [])
        if not isinstance(value, list):
            self.problem(where, f"{key}: must be an array of tables, written [[{table_name}]]")
            return
        for index, item in enumerate(value, 1):
            if isinstance(item, Mapping):
                yield index, item
            else:
                self.problem(where, f"{key} #{index}: must be a table, written [[{table_name}]]")

    def text(self, raw: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
        if key not in raw:
            return ""  # a missing required key was reported by keys()
        value = raw[key]
        if not isinstance(value, str):
            self.problem(where, f"{key}: must be a string, not {type(value).__name__}")
            return ""
        if required and not value.strip():
            self.problem(where, f"{key}: must not be empty")
        return value.strip()

    def choice(self, raw: Mapping[str, Any], key: str, where: str, allowed: Sequence[str]) -> str:
        value = self.text(raw, key, where)
        if value and value not in allowed:
            self.problem(where, f"{key}: {value!r} is not one of {', '.join(allowed)}")
        return value

    def texts(self, raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.problem(where, f"{key}: must be a list of strings")
            return ()
        return tuple(value)

    def choices(self, raw: Mapping[str, Any], key: str, where: str, allowed: Sequence[str]) -> tuple[str, ...]:
        values = self.texts(raw, key, where)
        for value in values:
            if value not in allowed:
                self.problem(where, f"{key}: {value!r} is not one of {', '.join(allowed)}")
        for value in dict.fromkeys(v for v in values if values.count(v) > 1):
            self.problem(where, f"{key}: {value!r} is listed more than once")
        return values

    def share(self, raw: Mapping[str, Any], where: str) -> int | None:
        if "share" not in raw:
            return None
        value = raw["share"]
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(where, f"share: must be a whole percentage, not {value!r}")
            return None
        if not 1 <= value <= 100:
            self.problem(where, f"share: {value} is not a percentage between 1 and 100")
            return None
        return value

    def model_ref(self, value: object, where: str, key: str) -> ModelRef:
        if not isinstance(value, str):
            self.problem(where, f"{key}: must be a string such as hub:ORG/NAME, not {type(value).__name__}")
            return _BAD_REF
        try:
            return ModelRef.parse(value)
        except ValueError as exc:
            self.problem(where, f"{key}: {exc}")
            return _BAD_REF


def _label(prefix: str, index: int, name: object) -> str:
    """'vendor #3 "Lexify GmbH"': the position always, the name when there is one to show."""
    return f'{prefix} #{index} "{name.strip()}"' if isinstance(name, str) and name.strip() else f"{prefix} #{index}"


def _cycle_members(parents_of: Mapping[str, Sequence[str]]) -> list[str]:
    """Names of declared models that are their own ancestor, in first-seen order."""
    members: list[str] = []
    for start in parents_of:
        stack, seen = list(parents_of[start]), set()
        while stack:
            name = stack.pop()
            if name == start:
                members.append(start)
                break
            if name not in seen:
                seen.add(name)
                stack.extend(parents_of.get(name, ()))
    return members
