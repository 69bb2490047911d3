"""Reporting periods (calendar quarters in UTC): pure, no Django."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")
#: The last instant a quarter's figures include (its end is exclusive).
RESOLUTION = timedelta(microseconds=1)


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter in UTC, written ``2026Q4``."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not (1 <= self.number <= 4) or not (1970 <= self.year <= 9998):
            raise ValueError(f"not a quarter: {self.year}Q{self.number}")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """``2026Q4`` (also ``2026-q4``); ValueError for anything else."""
        match = _QUARTER.match(text or "")
        if not match:
            raise ValueError(f"{text[:40]!r} is not a quarter such as 2026Q4")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, moment: datetime) -> Quarter:
        moment = moment.astimezone(UTC)
        return cls(moment.year, (moment.month - 1) // 3 + 1)

    @property
    def code(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        return f"Q{self.number} {self.year}"

    @property
    def start(self) -> datetime:
        return datetime(self.year, 3 * self.number - 2, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the quarter."""
        return self.next.start

    @property
    def last_instant(self) -> datetime:
        return self.end - RESOLUTION

    @property
    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    @property
    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def __str__(self) -> str:
        return self.code
