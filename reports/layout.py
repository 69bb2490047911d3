"""What a report says in words, decided from its figures: pure (plain values in, sentences out), so the rules a
board member reads are tested table-driven."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Action:
    """One thing to act on: what, and why it comes first."""

    title: str
    detail: str


@dataclass(frozen=True)
class Signals:
    """The figures the actions are chosen from."""

    critical: Sequence[str]  # names of products rated critical
    high: int
    high_previous: int
    critical_previous: int
    overdue: int
    open: int
    concern_products: Sequence[str]  # products with an origin or host in a country of concern
    unacknowledged_changes: int
    unrated: int


def _names(names: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def actions(signals: Signals, *, limit: int = 3) -> list[Action]:
    """The three things to act on, most urgent first: critical products, overdue findings, dependence on
    countries of concern, a rise in high-risk products, changes nobody reviewed, products not rated yet."""
    found: list[Action] = []
    if signals.critical:
        found.append(
            Action(
                f"Decide on {_plural(len(signals.critical), 'critical product')}",
                f"{_names(list(signals.critical))}: remediate with the vendor, replace the model, or accept the risk "
                "with a justification and an expiry.",
            )
        )
    if signals.overdue:
        found.append(
            Action(
                f"Clear {_plural(signals.overdue, 'overdue finding')}",
                f"{_plural(signals.overdue, 'finding is', 'findings are')} past their due date "
                f"({signals.open} open in all): assign an owner and a date, or accept the risk.",
            )
        )
    if signals.concern_products:
        found.append(
            Action(
                "Reduce dependence on countries of concern",
                f"{_plural(len(signals.concern_products), 'product')} ({_names(list(signals.concern_products))}) "
                "descend from or run on models tied to a country of concern: ask the vendors for alternatives.",
            )
        )
    if signals.high > signals.high_previous:
        found.append(
            Action(
                "Review the rise in high-risk products",
                f"{_plural(signals.high, 'product')} rated high, up from {signals.high_previous} last quarter.",
            )
        )
    if signals.unacknowledged_changes:
        found.append(
            Action(
                f"Review {_plural(signals.unacknowledged_changes, 'supply-chain change')}",
                "Models changed under products without a procurement event and nobody has acknowledged them yet.",
            )
        )
    if signals.unrated:
        found.append(
            Action(
                f"Rate {_plural(signals.unrated, 'product')} not rated yet",
                "Their models' lineage is not resolved: register the models or ask the vendors to declare them.",
            )
        )
    if not found:
        found.append(Action("Keep the cadence", "No product is rated critical and no finding is overdue."))
    return found[:limit]


def signed(n: int) -> str:
    """A change as the tables print it: +2, 0, and a true minus sign for a fall."""
    return f"+{n}" if n > 0 else (f"\u2212{-n}" if n < 0 else "0")
