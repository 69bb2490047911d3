"""The change feed's reads: which events are settled, the order a poller pages in, and where a cursor stands.

Ids are taken when an event is inserted and transactions commit later, in any order: a poller that read up to id
120 may later see id 118 commit. On PostgreSQL each event keeps the id of the transaction that wrote it (``xact``)
and the feed serves only events whose transaction id is below the reading snapshot's ``xmin`` (the oldest
transaction still running): every transaction below it has ended, and every transaction that starts later gets a
higher id, so no event can ever appear below that frontier. Paging in (``xact``, ``id``) order, a cursor that has
passed an event has passed everything that will ever sort before it: nothing is missed, nothing repeated. An event
that the reading transaction wrote itself is visible to it and served too (a script or test writing then reading).
SQLite lets one writer at a time, so there events commit in id order and the feed pages by id alone.
"""

from __future__ import annotations

from django.db import connection, models
from django.db.models import Q, QuerySet

from vendors.models import ChangeEvent


class _SnapshotXmin(models.Func):
    """The oldest transaction still running when the statement's snapshot was taken (PostgreSQL)."""

    template = "(pg_snapshot_xmin(pg_current_snapshot())::text::bigint)"
    output_field = models.BigIntegerField()


class _OwnTransactionId(models.Func):
    """The reading transaction's own id, if it has written anything (PostgreSQL)."""

    template = "(pg_current_xact_id_if_assigned()::text::bigint)"
    output_field = models.BigIntegerField()


def _by_transaction() -> bool:
    return connection.vendor == "postgresql"


def settled_changes(queryset: QuerySet[ChangeEvent]) -> QuerySet[ChangeEvent]:
    """Only events no later event can sort before (see the module's docstring). One snapshot decides both what is
    visible and the frontier, since both are evaluated in the same statement."""
    if not _by_transaction():
        return queryset
    return queryset.filter(Q(xact__lt=_SnapshotXmin()) | Q(xact=_OwnTransactionId()))


def feed_ordering() -> tuple[str, ...]:
    return ("xact", "id") if _by_transaction() else ("id",)


def feed_position(event: ChangeEvent) -> list[int]:
    """Where a cursor stands after ``event``."""
    return [event.xact, event.pk] if _by_transaction() else [event.pk]


def changes_after(queryset: QuerySet[ChangeEvent], position: list[int] | None) -> QuerySet[ChangeEvent]:
    """Events after a cursor's position, in feed order. A one-number position is an id (cursors given before
    events kept their transaction: every event recorded since sorts after them)."""
    if position and len(position) == 2 and _by_transaction():
        xact, pk = position
        queryset = queryset.filter(Q(xact__gt=xact) | Q(xact=xact, pk__gt=pk))
    elif position:
        queryset = queryset.filter(pk__gt=position[-1])
    return queryset.order_by(*feed_ordering())
