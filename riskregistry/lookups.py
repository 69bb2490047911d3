"""``field__any_of=ids``: ``field IN (...)`` for the long lists of ids that batch work filters by.

On PostgreSQL, ``IN`` with 2,000 ids costs 2,000 placeholders: Django prepares each value, psycopg splits a
statement text too long for its query cache and sends 2,000 parameters, PostgreSQL parses them. ``any_of`` sends
the same filter as ``field = ANY(%s::bigint[])`` with the ids as one array parameter, written as text. Where the
values are not all integers, and on other databases, it is ``IN`` exactly.
"""

from __future__ import annotations

from django.db.models import Field, ForeignObject
from django.db.models.lookups import In

#: Column types whose values can go in one integer array.
_INTEGER_CASTS = frozenset({"integer", "bigint", "smallint"})


def _integer_column(field) -> bool:
    """Whether the field's column holds integers (a relation's: its target's)."""
    while getattr(field, "target_field", None) is not None and field.is_relation:
        field = field.target_field
    return field.get_internal_type() in _INTEGER_FIELDS


#: Django's integer field types.
_INTEGER_FIELDS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
    }
)


class AnyOf(In):
    lookup_name = "any_of"

    def get_prep_lookup(self):
        # Integers need no preparing for an integer column, and Django's preparation of 2,000 of them, one by
        # one, costs more than the query: taken as they are, as their array will be.
        if (
            _integer_column(self.lhs.output_field)
            and isinstance(self.rhs, list | tuple | set | frozenset)
            and all(type(value) is int for value in self.rhs)
        ):
            return list(self.rhs)
        return super().get_prep_lookup()

    def as_postgresql(self, compiler, connection):
        cast = self.lhs.output_field.cast_db_type(connection)
        values = self.rhs
        if (
            cast not in _INTEGER_CASTS
            or not self.rhs_is_direct_value()
            or not isinstance(values, list | tuple | set | frozenset)
            or not all(type(value) is int for value in values)
        ):
            return super().as_sql(compiler, connection)
        if not values:
            return super().as_sql(compiler, connection)  # IN refuses an empty list the way the ORM expects
        lhs, lhs_params = self.process_lhs(compiler, connection)
        array = "{" + ",".join(map(str, set(values))) + "}"
        return f"{lhs} = ANY(%s::{cast}[])", (*lhs_params, array)


# Relations keep lookups of their own (``ForeignObject.get_class_lookups`` stops at it), so both are told.
Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)
