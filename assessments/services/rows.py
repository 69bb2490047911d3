"""Bulk row writes for rescoring, which writes a rating, exposure rows and findings for each of hundreds of
thousands of usages: new rows streamed with ``COPY`` on PostgreSQL, and their history copied in SQL from the rows
themselves.

Both write exactly the rows (and history rows) ``bulk_create`` and simple-history would, minus the Python work:
at 100,000 usages, building each ``INSERT`` (Django preparing every value, psycopg quoting it into the statement
text) and PostgreSQL parsing it cost more than the rescoring's scoring.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.db.models import JSONField, Model
from django.utils import timezone

from assessments.models import LIVE_STATUSES, Exposure, Finding

#: Python types psycopg writes as the database column expects without the field preparing them first.
_PLAIN = frozenset({int, str, bool, float, type(None), datetime, date})


def rows_insert(model: type[Model], rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Insert ``rows`` (each a mapping of field attribute names to values; the fields left out take their
    default, ``auto_now`` and ``auto_now_add`` ones the time of the insert) into ``model``'s table as
    ``model.objects.bulk_create`` would insert ``model(**row)`` for each, without building the instances, and
    return their primary keys in order.

    On PostgreSQL: one statement reserves the ids from the table's identity sequence, one ``COPY`` streams the
    rows. The ``COPY`` goes through the connection's execute wrappers and its debug log like any statement, so it
    is counted where statements are. Elsewhere, ``bulk_create``."""
    if not rows:
        return []
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key and not field.generated]
    given = set().union(*(row.keys() for row in rows))
    if unknown := given - {field.attname for field in fields}:
        raise ValueError(f"{meta.label} has no columns {sorted(unknown)}")
    db = connections[connection.alias]  # the wrapper itself: the proxy costs a lookup per attribute
    if db.vendor != "postgresql":
        created = model.objects.bulk_create([model(**row) for row in rows])
        return saved_pks(created, model)
    # Each field's value: the time of the insert for ``auto_now`` ones, else the row's or the default. A JSON value
    # the field would only wrap for psycopg (no encoder of its own) is written here as its JSON text, once per
    # value: Django's preparation of it costs more than the COPY of the row.
    plan = [
        (
            field,
            getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False),
            field.get_default(),
            isinstance(field, JSONField) and field.encoder is None,
        )
        for field in fields
    ]
    quote = db.ops.quote_name
    now = timezone.now()  # one statement: one time for every row's auto_now fields
    dumped: dict[int, str] = {}  # id of a JSON value -> its text: rows often share one (a rating's factors)
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        pks = [pk for (pk,) in cursor.fetchall()]
        values = []
        for pk, row in zip(pks, rows, strict=True):
            line = [pk]
            for field, auto, default, as_json in plan:
                value = now if auto else row.get(field.attname, default)
                if as_json and value is not None:  # a JSON string too: "x" is not the text x
                    text = dumped.get(id(value))
                    if text is None:
                        text = dumped[id(value)] = json.dumps(value)  # as psycopg's Jsonb writes it
                    line.append(text)  # COPY's text format: PostgreSQL parses it as the column's jsonb
                elif type(value) in _PLAIN:
                    line.append(value)
                else:
                    line.append(field.get_db_prep_save(value, db))
            values.append(line)
        columns = ", ".join(quote(field.column) for field in (meta.pk, *fields))
        statement = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"

        def copy(sql, params, many, context):
            with db.wrap_database_errors, cursor.cursor.copy(sql) as stream:
                for line in values:
                    stream.write_row(line)

        # Counted like execute(): by the execute wrappers, and in the debug log where queries are logged.
        debug = getattr(cursor, "debug_sql", None)
        with debug(statement) if debug is not None else nullcontext():
            cursor._execute_with_wrappers(statement, None, False, executor=copy)
    return pks


def saved_pks(rows: Sequence, model) -> list[int]:
    """The primary keys of rows just written by ``bulk_create``: as it set them (PostgreSQL, SQLite 3.35+), or
    read back by their unique fields where the database returns none."""
    if all(row.pk is not None for row in rows):
        return [row.pk for row in rows]
    keys = {"usage_id", "model_id"} if model is Exposure else {"usage_id", "code"}
    wanted = {tuple(getattr(row, key) for key in sorted(keys)) for row in rows}
    found = model.objects.filter(usage_id__in={row.usage_id for row in rows}).values_list("pk", *sorted(keys))
    pks = [pk for pk, *key in found if tuple(key) in wanted]
    if model is Finding:  # one live finding per usage and code; older closed ones share the key
        live = set(model.objects.filter(pk__in=pks, status__in=LIVE_STATUSES).values_list("pk", flat=True))
        pks = [pk for pk in pks if pk in live]
    return pks


def history_record(model, pks: Sequence[int], *, history_type: str, reason: str, date: datetime) -> None:
    """Record the rows ``pks`` of ``model`` in its simple-history table as they now are in the database, with one
    ``INSERT ... SELECT`` (more where the database limits a statement's parameters, as SQLite does): the historical
    rows ``bulk_create_with_history`` (``+``), ``bulk_update_with_history`` (``~``) or a deletion (``-``, before
    it) would write, with the same date, reason and user, without building each one in Python (at 100,000 usages
    there are hundreds of thousands)."""
    if not pks or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    historical = model.history.model
    user = historical.get_default_history_user(model())  # the request's user, or None (a worker)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in historical.tracked_fields)
    extra = ", ".join(
        quote(name) for name in ("history_date", "history_change_reason", "history_type", "history_user_id")
    )
    fixed = [connection.ops.adapt_datetimefield_value(date), reason, history_type, getattr(user, "pk", None)]
    insert = (
        f"INSERT INTO {quote(historical._meta.db_table)} ({columns}, {extra}) "  # noqa: S608
        f"SELECT {columns}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} "
    )  # names from the models' metadata, quoted; every value a parameter
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one array parameter, written as text: no placeholder per row
            cursor.execute(insert + "= ANY(%s::bigint[])", [*fixed, "{" + ",".join(str(int(pk)) for pk in pks) + "}"])
            return
        size = connection.features.max_query_params or len(pks)
        size = max(1, min(len(pks), size - len(fixed)))
        for start in range(0, len(pks), size):
            part = list(pks[start : start + size])
            cursor.execute(insert + f"IN ({', '.join(['%s'] * len(part))})", [*fixed, *part])
