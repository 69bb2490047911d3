from django.apps import AppConfig
from django.db.models.signals import post_migrate


class VendorsConfig(AppConfig):
    name = "vendors"
    verbose_name = "Vendors and models"

    def ready(self) -> None:
        post_migrate.connect(_data_categories_sync, sender=self, dispatch_uid="vendors.data_categories_sync")
        post_migrate.connect(_knowledge_base_sync, sender=self, dispatch_uid="vendors.knowledge_base_sync")


def _data_categories_sync(sender, using="default", **kwargs) -> None:
    """The fixed list of data categories exists after every migrate (and every test-database flush)."""
    from vendors.models import DataCategory
    from vendors.models.portfolio import DATA_CATEGORIES

    for code, name, description, sensitivity in DATA_CATEGORIES:
        DataCategory.objects.using(using).update_or_create(
            code=code, defaults={"name": name, "description": description, "sensitivity": sensitivity}
        )


def _knowledge_base_sync(sender, using="default", verbosity=1, stdout=None, **kwargs) -> None:
    """The shipped knowledge base is loaded by every ``migrate`` (and after every test-database flush), so no
    database answers lineage questions with unknown countries because a step was skipped. Idempotent; rows an
    admin edited are left alone and named. Skipped while the schema is not at its latest state (a migration
    back), since the loader writes today's columns."""
    from django.db import connections
    from django.db.migrations.loader import MigrationLoader

    connection = connections[using]
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    if any(node not in loader.applied_migrations for node in loader.graph.leaf_nodes(sender.label)):
        return
    from vendors.services.knowledge import knowledge_base_load_shipped

    report = knowledge_base_load_shipped()
    if stdout is not None and verbosity > 0 and (report.changed or report.kept):
        stdout.write("Knowledge base: " + "; ".join(report.lines()) + "\n")
