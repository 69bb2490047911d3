# Indexes another index or unique constraint leading with the same column already covers: a history table's record
# id (its (id, history_id) index serves every lookup by id), a lineage edge's child (unique (child, parent)) and a
# refresh claim's refresh (unique (refresh, name)). The lineage refresh writes edges and claims for every node.

import django.db.models.deletion
from django.db import migrations, models

from riskregistry.migration_ops import index_only_changes

HISTORICAL = [
    "historicalcontact",
    "historicalhost",
    "historicalmodelusage",
    "historicalproduct",
    "historicalpublisher",
    "historicalpublisherorg",
    "historicalvendor",
]


def _key(to: str, related_name: str) -> models.ForeignKey:
    on_delete = django.db.models.deletion.CASCADE
    return models.ForeignKey(db_index=False, on_delete=on_delete, related_name=related_name, to=to)


class Migration(migrations.Migration):
    dependencies = [
        ("vendors", "0023_aimodel_publisher_index_once"),
    ]

    operations = [
        index_only_changes(
            [
                ("vendors_lineageedge", "vendors_lineageedge_child_id_a3f3e53c", "child_id"),
                ("vendors_lineagerefreshclaim", "vendors_lineagerefreshclaim_refresh_id_11964235", "refresh_id"),
            ],
            [
                ("lineageedge", "child", _key("vendors.aimodel", "parent_edges")),
                ("lineagerefreshclaim", "refresh", _key("vendors.lineagerefresh", "claims")),
            ],
        ),
        # The history tables' ids: Django's AlterField drops just that index.
        *(
            migrations.AlterField(
                model_name=name,
                name="id",
                field=models.BigIntegerField(auto_created=True, blank=True, verbose_name="ID"),
            )
            for name in HISTORICAL
        ),
    ]
