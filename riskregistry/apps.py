from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RiskRegistryConfig(AppConfig):
    name = "riskregistry"
    verbose_name = "riskregistry"

    def ready(self) -> None:
        from riskregistry import lookups  # noqa: F401 (registers field__any_of)
        from riskregistry.roles import roles_sync
        from riskregistry.signin import checks, handlers  # noqa: F401 (registers the checks and receivers)

        # Runs after the last app's migrations so every permission exists.
        post_migrate.connect(roles_sync, dispatch_uid="riskregistry.roles_sync")
