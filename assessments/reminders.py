"""When a reminder is due, for anything with a deadline (an assessment's due date, an attestation request's
deadline). Pure: the callers stamp what went out and send it.

Reminders go out ``days`` days before the deadline (e.g. 7, 3, 1) and once when it has passed. Each is stamped
(``"7d"``, ``"3d"``, ``"overdue"``) so a rerun of the daily job sends nothing twice; a job that did not run for a
while sends only the closest reminder, not every one it missed.
"""

from __future__ import annotations

from collections.abc import Sequence

OVERDUE = "overdue"


def reminder_stamp(*, days_left: int, days: Sequence[int], sent: Sequence[str]) -> str:
    """The reminder due today (``"<n>d"`` or ``"overdue"``), or ``""`` when none is (too early, already sent, or a
    closer one went out)."""
    if days_left < 0:
        return "" if OVERDUE in sent else OVERDUE
    stamp = next((f"{d}d" for d in sorted(set(days)) if days_left <= d), "")
    if not stamp or stamp in sent:
        return ""
    closer = [s for s in sent if s != OVERDUE and int(s[:-1]) <= int(stamp[:-1])]
    return "" if closer else stamp
