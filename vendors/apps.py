from django.apps import AppConfig
from django.db.models.signals import post_migrate


class VendorsConfig(AppConfig):
    name = "vendors"
    verbose_name = "Vendors and models"

    def ready(self) -> None:
        post_migrate.connect(_data_categories_sync, sender=self, dispatch_uid="vendors.data_categories_sync")


def _data_categories_sync(sender, using="default", **kwargs) -> None:
    """The fixed list of data categories exists after every migrate (and every test-database flush)."""
    from vendors.models import DataCategory
    from vendors.models.portfolio import DATA_CATEGORIES

    for code, name, description, sensitivity in DATA_CATEGORIES:
        DataCategory.objects.using(using).update_or_create(
            code=code, defaults={"name": name, "description": description, "sensitivity": sensitivity}
        )
