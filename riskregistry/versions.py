"""Versions of edited records, so that a save based on an out-of-date copy is refused instead of silently undoing
someone else's change (a "lost update").

The version of a record is the id of its newest history row (django-simple-history): every save through the
services, the admin, the CSV import or a worker writes one, so the id moves on every change, needs no column of its
own, and the rows between two versions say who changed what and when. A record that has no history row yet (one
created before history was kept, or by a bulk write without it) is at version "0"; its first save gives it one.
Versions are opaque strings to the doors: the UI carries one in a hidden ``based_on`` field, the API as the
``ETag``/``If-Match`` pair and a read-only ``version`` field.

A service that edits a record takes ``based_on`` (optional there: imports and workers that carry no version keep
working; the doors require it) and calls ``version_check`` first, inside its transaction: the record's row is
locked with ``SELECT ... FOR UPDATE``, so two saves based on the same version are serialized and the second is
refused with what the first changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import OuterRef, Subquery
from simple_history.models import HistoricalRecords

#: The annotation that ``version_annotate`` adds (read by ``version_of`` before it queries).
ANNOTATION = "row_version"
#: A long value (a description) is shown cut to this many characters in the explanation.
SHOWN_CHARS = 160


@dataclass(frozen=True)
class FieldChange:
    """One field changed since the version an editor started from: its value then and now, and the last save that
    touched it."""

    field: str
    label: str
    then: str
    now: str
    by: str
    at: datetime
    #: The stored values (ids for related records), for a form to tell which fields its user left alone.
    old: object = None
    new: object = None

    def as_json(self) -> dict:
        return {
            "field": self.field,
            "label": self.label,
            "then": self.then,
            "now": self.now,
            "by": self.by,
            "at": self.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        }


@dataclass(frozen=True)
class Save:
    """One save made since that version: who, when, and why if it was recorded."""

    by: str
    at: datetime
    reason: str


class StaleVersion(ValidationError):
    """A save based on a version that is no longer the record's current one. A ValidationError (code "stale"), so
    every door that shows a service's errors shows this one; the API answers it with 409 and the changes."""

    def __init__(self, *, instance: models.Model, based_on: str, current: str, changes: list, saves: list):
        self.instance, self.based_on, self.current = instance, based_on, current
        self.changes: list[FieldChange] = changes
        self.saves: list[Save] = saves
        self.summary = _summary(instance, saves)
        super().__init__(_explain(instance, changes, saves), code="stale")

    @property
    def label(self) -> str:
        """What the record is, for a sentence ("vendor", "model usage")."""
        return str(self.instance._meta.verbose_name)


class VersionedHistory(HistoricalRecords):
    """``HistoricalRecords`` whose table has an index on (record id, history id), so a record's version (its newest
    history row) is one index probe, for one record or for every row of a list (``version_annotate``). Without it,
    PostgreSQL may answer ``WHERE id = ... ORDER BY history_id DESC LIMIT 1`` by walking the history table's
    primary key backwards until it meets the record: the whole table for a record with no history row (one
    bulk-loaded or created before history was kept). That index serves every lookup by record id, so the record
    id has no index of its own (one index less to write with every history row)."""

    def copy_fields(self, model):
        fields = super().copy_fields(model)
        if issubclass(model, self.cls):  # not a many-to-many's table, which gets no such index
            fields[model._meta.pk.name].db_index = False
        return fields

    def get_meta_options(self, model):
        options = super().get_meta_options(model)
        name = f"{model._meta.app_label[:5]}_{model._meta.model_name[:16]}_hver"  # at most 30 characters
        index = models.Index(fields=(model._meta.pk.attname, "history_id"), name=name)
        options["indexes"] = (*options.get("indexes", ()), index)
        return options


def _history(model: type[models.Model]):
    history = getattr(model, "history", None)
    if history is None:
        raise TypeError(f"{model.__name__} keeps no history, so it has no versions")
    return history


def _rows(instance: models.Model):
    return _history(type(instance)).filter(**{instance._meta.pk.attname: instance.pk})


def version_annotate(queryset: models.QuerySet) -> models.QuerySet:
    """``queryset`` with each row's version (one subquery in the same SQL statement: no query per row)."""
    model = queryset.model
    newest = (
        _history(model)
        .filter(**{model._meta.pk.attname: OuterRef("pk")})
        .order_by("-history_id")
        .values("history_id")[:1]
    )
    return queryset.annotate(**{ANNOTATION: Subquery(newest)})


def version_of(instance: models.Model) -> str:
    """The record's current version (its newest history row's id; "0" without one)."""
    if hasattr(instance, ANNOTATION):
        return str(getattr(instance, ANNOTATION) or 0)
    return str(_rows(instance).order_by("-history_id").values_list("history_id", flat=True).first() or 0)


def version_check(*, instance: models.Model, based_on: str | int | None) -> None:
    """Lock the record's row and refuse (``StaleVersion``) a save based on another version than its current one.
    ``based_on=None``: no check (a write that carries no version, such as an import)."""
    if based_on is None:
        return
    type(instance)._default_manager.select_for_update().filter(pk=instance.pk).values_list("pk").first()
    # Read after the lock: a save that held it has committed its history row by now.
    if hasattr(instance, ANNOTATION):
        delattr(instance, ANNOTATION)
    current = version_of(instance)
    based_on = str(based_on).strip()
    if based_on == current:
        return
    changes, saves = changes_since(instance=instance, based_on=based_on)
    raise StaleVersion(instance=instance, based_on=based_on, current=current, changes=changes, saves=saves)


def changes_since(*, instance: models.Model, based_on: str) -> tuple[list[FieldChange], list[Save]]:
    """What changed since version ``based_on``: each field whose value differs (then, now, the last save that
    touched it) and every save made since. An unknown version (not one of this record's) compares against nothing:
    the saves are listed, the fields are not."""
    rows = list(_rows(instance).select_related("history_user").order_by("history_id"))
    base_id = int(based_on) if based_on.isdigit() else None
    base = next((row for row in rows if row.history_id == base_id), None)
    if base is not None:
        newer = [row for row in rows if row.history_id > base.history_id]
    else:  # "0" (no history then): every save since; an unknown version: the newest save
        newer = rows if base_id == 0 else rows[-1:]
    saves = [Save(by=_who(row), at=row.history_date, reason=row.history_change_reason or "") for row in newer]
    if base is None or not newer:
        return [], saves
    touched: dict[str, object] = {}
    previous = base
    for row in newer:
        for change in row.diff_against(previous).changes:
            touched[change.field] = row
        previous = row
    latest = newer[-1]
    changes = []
    for change in latest.diff_against(base).changes:
        model = type(instance)
        row = touched.get(change.field, latest)
        changes.append(
            FieldChange(
                field=change.field,
                label=_label(model, change.field),
                then=_shown(model, change.field, change.old),
                now=_shown(model, change.field, change.new),
                by=_who(row),
                at=row.history_date,
                old=_raw(model, change.field, change.old),
                new=_raw(model, change.field, change.new),
            )
        )
    return changes, saves


def _raw(model, name: str, value):
    """A stored value as plain data: a many-to-many field's history rows become the sorted ids they point to."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return value
    if field.many_to_many:
        key = field.m2m_reverse_field_name()
        return sorted(row[key] for row in value or [] if isinstance(row, dict) and key in row)
    return value


def _who(row) -> str:
    user = row.history_user
    return str(user) if user is not None else "the system (an import, a worker or a script)"


def _label(model, name: str) -> str:
    try:
        label = str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        label = name.replace("_", " ")
    return label[:1].upper() + label[1:]


def _shown(model, name: str, value) -> str:
    """A stored value as a person reads it: a choice's label, a related record's name, yes/no, a date."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        field = None
    if field is not None and field.many_to_many:
        key = field.m2m_reverse_field_name()
        ids = [row[key] for row in value or [] if isinstance(row, dict) and key in row]
        names = sorted(str(obj) for obj in field.related_model._default_manager.filter(pk__in=ids))
        return ", ".join(names) or "(none)"
    if value is None or value == "":
        return "(empty)"
    if field is not None and field.many_to_one:
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else f"#{value} (no longer exists)"
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    text = str(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


_NOTHING_SAVED = "Nothing of yours was saved: review your change against the current values and save again."


def _summary(instance: models.Model, saves: list[Save]) -> str:
    """Who saved the record since, and when, without the field list (a page shows that as a table)."""
    return f"{_head(instance, saves)} {_NOTHING_SAVED}"


def _explain(instance: models.Model, changes: list[FieldChange], saves: list[Save]) -> str:
    """The whole explanation in one sentence or three: who, when, each field's value then and now."""
    head = _head(instance, saves)
    if changes:
        listed = "; ".join(f"{c.label}: {c.then} → {c.now} ({c.by})" for c in changes)
        head += f" Changed meanwhile: {listed}."
    elif saves:
        head += " None of its fields differs from what you saw (it was saved again)."
    return f"{head} {_NOTHING_SAVED}"


def _head(instance: models.Model, saves: list[Save]) -> str:
    what = instance._meta.verbose_name
    if saves:
        last = saves[-1]
        who = sorted({save.by for save in saves})
        when = f"{last.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        return f"This {what} was changed by {', '.join(who)} (last at {when}) after you opened it."
    return f"This {what} is at another version than the one you started from."
