# Indexes another index or unique constraint leading with the same column already covers, on the tables rescoring
# writes for every usage (a rating, exposure rows, findings and their history): the exposure's usage and model
# (unique (usage, model), index (model, usage)), the rating's usage ((usage, -created_at)), the finding's usage
# ((usage, status)) and each history table's record id ((id, history_id)); and the exposure history's usage and
# model, which nothing reads by (it is read whole, as of a date).

import django.db.models.deletion
from django.db import migrations, models

from riskregistry.migration_ops import index_only_changes


def _key(to: str, on_delete, related_name: str, **history) -> models.ForeignKey:
    return models.ForeignKey(db_index=False, on_delete=on_delete, related_name=related_name, to=to, **history)


def _history_key(to: str) -> models.ForeignKey:
    nothing = django.db.models.deletion.DO_NOTHING
    return _key(to, nothing, "+", blank=True, db_constraint=False, null=True)


HISTORY_ID = models.BigIntegerField(auto_created=True, blank=True, verbose_name="ID")
CASCADE, PROTECT = django.db.models.deletion.CASCADE, django.db.models.deletion.PROTECT


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0016_history_version_index"),
        ("vendors", "0024_redundant_indexes"),
    ]

    operations = [
        index_only_changes(
            [
                ("assessments_exposure", "assessments_exposure_model_id_0fa40076", "model_id"),
                ("assessments_exposure", "assessments_exposure_usage_id_701eb38e", "usage_id"),
                ("assessments_riskrating", "assessments_riskrating_usage_id_9b99b55c", "usage_id"),
                ("assessments_finding", "assessments_finding_usage_id_2a552235", "usage_id"),
                ("assessments_historicalanswer", "assessments_historicalanswer_id_d81f5d7e", "id"),
                ("assessments_historicalattestationdraft", "assessments_historicalattestationdraft_id_091939b5", "id"),
                (
                    "assessments_historicalattestationrequest",
                    "assessments_historicalattestationrequest_id_65060b08",
                    "id",
                ),
                ("assessments_historicalexposure", "assessments_historicalexposure_id_8decb37e", "id"),
                ("assessments_historicalfinding", "assessments_historicalfinding_id_c2f3d8d8", "id"),
                ("assessments_historicalexposure", "assessments_historicalexposure_model_id_81f51548", "model_id"),
                ("assessments_historicalexposure", "assessments_historicalexposure_usage_id_9162752d", "usage_id"),
            ],
            [
                ("exposure", "model", _key("vendors.aimodel", CASCADE, "exposures")),
                ("exposure", "usage", _key("vendors.modelusage", CASCADE, "exposures")),
                ("riskrating", "usage", _key("vendors.modelusage", PROTECT, "ratings")),
                ("finding", "usage", _key("vendors.modelusage", PROTECT, "findings")),
                *(
                    (name, "id", HISTORY_ID)
                    for name in (
                        "historicalanswer",
                        "historicalattestationdraft",
                        "historicalattestationrequest",
                        "historicalexposure",
                        "historicalfinding",
                    )
                ),
                ("historicalexposure", "model", _history_key("vendors.aimodel")),
                ("historicalexposure", "usage", _history_key("vendors.modelusage")),
            ],
        ),
    ]
