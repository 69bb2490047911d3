"""Region groups (EU, EEA, ...): named sets of countries, read once from ``region_groups.toml`` next to this file.

Pure and static: a treaty changes them, not an operator, so they ship as a validated data file and are not
loaded into the database. A host region that serves "somewhere in the EU" names its group (``group = "EU"`` in
``hosts.toml``), and a scoring policy may approve a group by its code.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

from django_countries import countries as iso_countries

from vendors.knowledge.provenance import Source, parse_sources

PATH = Path(__file__).with_name("region_groups.toml")
_GROUP_CODE = re.compile(r"[A-Z][A-Z_]{1,15}")


@dataclass(frozen=True)
class RegionGroup:
    code: str
    name: str
    countries: frozenset[str]
    sources: tuple[Source, ...]


class RegionGroupError(ValueError):
    """region_groups.toml is malformed."""


def parse_region_groups(text: str) -> dict[str, RegionGroup]:
    """The groups of a region_groups.toml text, by code; RegionGroupError naming every problem."""
    problems = []
    groups: dict[str, RegionGroup] = {}
    for index, row in enumerate(tomllib.loads(text).get("group", [])):
        code = str(row.get("code", ""))
        where = f"group {index + 1} ({code or 'no code'})"
        if not _GROUP_CODE.fullmatch(code) or (len(code) == 2 and code != "EU" and iso_countries.alpha2(code)):
            problems.append(f"{where}: code must be uppercase letters and underscores, not a country code")
        if code in groups:
            problems.append(f"{where}: duplicate code")
        members = row.get("countries") or []
        bad = [c for c in members if not (isinstance(c, str) and iso_countries.alpha2(c) == c)]
        if bad or not members:
            problems.append(f"{where}: countries must be ISO 3166-1 alpha-2 codes, at least one (not {bad})")
        sources, source_problems = parse_sources(row.get("sources"), "region_group", where)
        problems += source_problems
        if not row.get("name"):
            problems.append(f"{where}: needs a name")
        groups[code] = RegionGroup(code, str(row.get("name", "")), frozenset(members), sources)
    if problems:
        raise RegionGroupError("; ".join(problems))
    return groups


@cache
def region_groups() -> Mapping[str, RegionGroup]:
    """The shipped groups, by code."""
    return MappingProxyType(parse_region_groups(PATH.read_text(encoding="utf-8")))


def expand(codes: Iterable[str]) -> frozenset[str]:
    """Country codes, with every group code among them replaced by its countries."""
    groups = region_groups()
    found: set[str] = set()
    for code in codes:
        found |= groups[code].countries if code in groups else {code}
    return frozenset(found)
