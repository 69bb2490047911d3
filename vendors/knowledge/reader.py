"""Typed, forgiving reads from one row of a knowledge base file; used by :mod:`vendors.knowledge.parse`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

# A plain dict of ISO 3166-1 alpha-2 codes; importing it needs no Django settings.
from django_countries.data import COUNTRIES

from vendors.knowledge.provenance import Source, as_date, parse_sources


class TableReader:
    """Typed reads from one TOML table; problems are recorded, never raised.

    Each accessor returns a usable default when the value is missing or wrong, so validation
    carries on and reports everything in one pass.
    """

    def __init__(
        self,
        data: Mapping[str, Any],
        where: str,
        problems: list[str],
        *,
        required: frozenset[str],
        optional: frozenset[str],
    ) -> None:
        self.data = data
        self.where = where
        self.problems = problems
        for name in sorted(required - data.keys()):
            self.problem(f"missing required field {name!r}")
        for name in sorted(data.keys() - required - optional):
            self.problem(f"unknown key {name!r}")

    def problem(self, message: str) -> None:
        self.problems.append(f"{self.where}: {message}")

    def text(self, name: str, *, allow_empty: bool = False) -> str:
        value = self.data.get(name, "")
        if not isinstance(value, str):
            self.problem(f"{name!r} must be a string")
            return ""
        if name in self.data and not allow_empty and not value.strip():
            self.problem(f"{name!r} must not be empty")
        return value.strip()

    def texts(self, name: str, *, allow_empty: bool = True) -> tuple[str, ...]:
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(f"{name!r} must be a list of strings")
            return ()
        if name in self.data and not allow_empty and not value:
            self.problem(f"{name!r} must not be an empty list")
        return tuple(v.strip() for v in value)

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            self.problem(f"{name!r} must be true or false")
            return default
        return value

    def tables(self, name: str) -> list[Mapping[str, Any]]:
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(f"{name!r} must be a list of tables")
            return []
        return value

    def country(self, name: str = "country") -> str:
        code = self.text(name, allow_empty=True)
        if code and code not in COUNTRIES:
            hint = " (use uppercase)" if code.upper() in COUNTRIES else ""
            self.problem(f"{name!r} {code!r} is not an ISO 3166-1 alpha-2 code{hint}")
        return code

    def sources(self, fact_type: str) -> tuple[Source, ...]:
        """The row's ``sources``, each classified primary or secondary by :mod:`vendors.knowledge.provenance`."""
        if "sources" not in self.data:
            return ()  # reported as a missing required field
        sources, problems = parse_sources(self.data["sources"], fact_type, self.where)
        self.problems.extend(problems)
        return sources

    def date(self, name: str) -> dt.date | None:
        try:
            return as_date(self.data.get(name))
        except ValueError:
            self.problem(f"{name!r} must be a date such as 2026-05-01")
            return None

    def notes_if_unverified(self, verified: bool, notes: str) -> None:
        if not verified and not notes:
            self.problem("an unverified row needs notes saying what is unconfirmed")
