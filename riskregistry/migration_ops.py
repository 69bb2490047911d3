"""Operations the project's migrations share. Kept stable: migrations already applied import them."""

from __future__ import annotations

from django.db import migrations, models


def index_only_changes(
    indexes: list[tuple[str, str, str]], fields: list[tuple[str, str, models.Field]]
) -> migrations.SeparateDatabaseAndState:
    """Drop these ``(table, index name, column)`` indexes by name (recreated when the migration is reversed) while
    the migration state takes ``fields`` (``(model name, field name, field)``, the fields as now declared, each
    without its index).

    For a foreign key Django's ``AlterField`` to ``db_index=False`` also drops and re-adds the key's constraint,
    and it takes a partial unique index on the same column for the column's own index and drops it too: only the
    named indexes go here."""
    return migrations.SeparateDatabaseAndState(
        database_operations=[
            migrations.RunSQL(
                f'DROP INDEX IF EXISTS "{name}"', reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("{column}")'
            )
            for table, name, column in indexes
        ],
        state_operations=[
            migrations.AlterField(model_name=model, name=name, field=field) for model, name, field in fields
        ],
    )
