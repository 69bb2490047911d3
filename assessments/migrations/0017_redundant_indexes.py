# Written by hand: Django's AlterField to db_index=False drops and re-adds each foreign key constraint, and on
# riskrating.usage it also drops the partial unique index "riskrating_one_current_per_usage" (it takes it for the
# column's own index). Here the database loses only the redundant indexes; the state gets the fields as declared.
# Rescoring writes a rating, exposure rows and their history for every usage, and each index is written with them.

import django.db.models.deletion
from django.db import migrations, models

#: (table, index name, column): indexes that another index or unique constraint leading with the column covers.
REDUNDANT = [
    ("assessments_exposure", "assessments_exposure_model_id_0fa40076", "model_id"),
    ("assessments_exposure", "assessments_exposure_usage_id_701eb38e", "usage_id"),
    ("assessments_riskrating", "assessments_riskrating_usage_id_9b99b55c", "usage_id"),
    ("assessments_finding", "assessments_finding_usage_id_2a552235", "usage_id"),
    ("assessments_historicalanswer", "assessments_historicalanswer_id_d81f5d7e", "id"),
    ("assessments_historicalattestationdraft", "assessments_historicalattestationdraft_id_091939b5", "id"),
    ("assessments_historicalattestationrequest", "assessments_historicalattestationrequest_id_65060b08", "id"),
    ("assessments_historicalexposure", "assessments_historicalexposure_id_8decb37e", "id"),
    ("assessments_historicalfinding", "assessments_historicalfinding_id_c2f3d8d8", "id"),
    # Read whole, as of a date (the reports), never by usage or model.
    ("assessments_historicalexposure", "assessments_historicalexposure_model_id_81f51548", "model_id"),
    ("assessments_historicalexposure", "assessments_historicalexposure_usage_id_9162752d", "usage_id"),
]

HISTORY_ID = models.BigIntegerField(auto_created=True, blank=True, verbose_name="ID")


def _history_fk(to):
    return models.ForeignKey(
        blank=True,
        db_constraint=False,
        db_index=False,
        null=True,
        on_delete=django.db.models.deletion.DO_NOTHING,
        related_name="+",
        to=to,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0016_history_version_index"),
        ("vendors", "0024_redundant_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"', reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("{column}")'
                )
                for table, name, column in REDUNDANT
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="exposure",
                    name="model",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="exposures",
                        to="vendors.aimodel",
                    ),
                ),
                migrations.AlterField(
                    model_name="exposure",
                    name="usage",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="exposures",
                        to="vendors.modelusage",
                    ),
                ),
                migrations.AlterField(
                    model_name="riskrating",
                    name="usage",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="ratings",
                        to="vendors.modelusage",
                    ),
                ),
                migrations.AlterField(
                    model_name="finding",
                    name="usage",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="findings",
                        to="vendors.modelusage",
                    ),
                ),
                *(
                    migrations.AlterField(model_name=name, name="id", field=HISTORY_ID)
                    for name in (
                        "historicalanswer",
                        "historicalattestationdraft",
                        "historicalattestationrequest",
                        "historicalexposure",
                        "historicalfinding",
                    )
                ),
                migrations.AlterField(
                    model_name="historicalexposure", name="model", field=_history_fk("vendors.aimodel")
                ),
                migrations.AlterField(
                    model_name="historicalexposure", name="usage", field=_history_fk("vendors.modelusage")
                ),
            ],
        ),
    ]
