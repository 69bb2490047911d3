"""The curated data behind the default policy (``assessments/data/*.toml``), parsed into frozen rows.

Every row must carry its sources (title, URL, issuer, primary or secondary; see
:mod:`vendors.knowledge.provenance`): a score that cites "NIST found..." has to be able to show where, and whether
NIST itself was read. Loading fails loudly (``DataError``) on a row without one, on a source on a non-primary domain
not marked secondary, or on a secondary one that does not name its primary, so a bad edit breaks the tests, not a
rating.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from vendors.knowledge.provenance import Source, parse_sources

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

#: The 27 EU member states, what "EU" means in a territory list.
EU_MEMBER_STATES = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    }
)
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


class DataError(ValueError):
    """A data file is malformed or a row lacks its source."""


@dataclass(frozen=True)
class CountryList:
    key: str
    title: str
    countries: frozenset[str]
    date: str
    sources: tuple[Source, ...]
    default: bool


@dataclass(frozen=True)
class Evaluation:
    key: str
    family: str
    evaluator: str
    models: tuple[str, ...]  # case-insensitive shell patterns on node ids
    date: str
    summary: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class NonCommercialLicense:
    license: str
    note: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class TerritoryExclusion:
    key: str
    licenses: tuple[str, ...]
    models: tuple[str, ...]
    territories: frozenset[str]  # ISO codes, "EU" already expanded
    note: str
    sources: tuple[Source, ...]


def _text(row: dict[str, Any], name: str, where: str, *, required: bool = True) -> str:
    value = row.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise DataError(f"{where}: '{name}' must be a non-empty string")
    return value.strip()


def _strings(row: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = row.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise DataError(f"{where}: '{name}' must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _countries(values: tuple[str, ...], where: str) -> frozenset[str]:
    codes: set[str] = set()
    for value in values:
        if value.upper() == "EU":
            codes |= EU_MEMBER_STATES
        elif _COUNTRY.match(value):
            codes.add(value)
        else:
            raise DataError(f"{where}: {value!r} is not an ISO 3166-1 alpha-2 code")
    return frozenset(codes)


def _sources(row: dict[str, Any], fact_type: str, where: str) -> tuple[Source, ...]:
    sources, problems = parse_sources(row.get("sources"), fact_type, where)
    if problems:
        raise DataError("; ".join(problems))
    return sources


def _date(row: dict[str, Any], where: str) -> str:
    value = _text(row, "date", where)
    if not _DATE.match(value):
        raise DataError(f"{where}: date must be YYYY-MM-DD or YYYY-MM")
    return value


def _rows(document: dict[str, Any], table: str) -> list[tuple[str, dict[str, Any]]]:
    rows = document.get(table, [])
    if not isinstance(rows, list) or not rows:
        raise DataError(f"'{table}' must be a non-empty array of tables")
    return [(f"{table}[{i}]", row) for i, row in enumerate(rows)]


def parse_regulation(text: str) -> tuple[CountryList, ...]:
    lists = tuple(
        CountryList(
            key=_text(row, "key", where),
            title=_text(row, "title", where),
            countries=_countries(_strings(row, "countries", where), where),
            date=_date(row, where),
            sources=_sources(row, "country_list", where),
            default=row.get("default") is True,
        )
        for where, row in _rows(tomllib.loads(text), "country_list")
    )
    if sum(lst.default for lst in lists) != 1:
        raise DataError("exactly one country_list must have default = true")
    return lists


def parse_evaluations(text: str) -> tuple[Evaluation, ...]:
    return tuple(
        Evaluation(
            key=_text(row, "key", where),
            family=_text(row, "family", where),
            evaluator=_text(row, "evaluator", where),
            models=_strings(row, "models", where) or _missing(where, "models"),
            date=_date(row, where),
            summary=_text(row, "summary", where),
            sources=_sources(row, "evaluation", where),
        )
        for where, row in _rows(tomllib.loads(text), "evaluation")
    )


def parse_licenses(text: str) -> tuple[tuple[NonCommercialLicense, ...], tuple[TerritoryExclusion, ...]]:
    document = tomllib.loads(text)
    non_commercial = tuple(
        NonCommercialLicense(
            _text(row, "license", where).lower(), _text(row, "note", where), _sources(row, "licence", where)
        )
        for where, row in _rows(document, "non_commercial")
    )
    territory = []
    for where, row in _rows(document, "territory_exclusion"):
        licenses = tuple(lic.lower() for lic in _strings(row, "licenses", where))
        models = _strings(row, "models", where)
        if not licenses and not models:
            raise DataError(f"{where}: give 'licenses' or 'models'")
        territory.append(
            TerritoryExclusion(
                key=_text(row, "key", where),
                licenses=licenses,
                models=models,
                territories=_countries(_strings(row, "territories", where), where) or _missing(where, "territories"),
                note=_text(row, "note", where),
                sources=_sources(row, "licence", where),
            )
        )
    return non_commercial, tuple(territory)


def _missing(where: str, name: str):
    raise DataError(f"{where}: '{name}' must not be empty")


@cache
def regulation() -> tuple[CountryList, ...]:
    return parse_regulation((DATA_DIR / "regulation.toml").read_text(encoding="utf-8"))


@cache
def evaluations() -> tuple[Evaluation, ...]:
    return parse_evaluations((DATA_DIR / "evaluations.toml").read_text(encoding="utf-8"))


@cache
def licenses() -> tuple[tuple[NonCommercialLicense, ...], tuple[TerritoryExclusion, ...]]:
    return parse_licenses((DATA_DIR / "licenses.toml").read_text(encoding="utf-8"))
