from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RiskRegistryConfig(AppConfig):
    name = "riskregistry"
    verbose_name = "riskregistry"

    def ready(self) -> None:
        from riskregistry import checks, lookups  # noqa: F401 (registers the workers' check and field__any_of)
        from riskregistry.roles import roles_sync
        from riskregistry.signin import checks as signin_checks  # noqa: F401 (registers single sign-on's checks)
        from riskregistry.signin import handlers  # noqa: F401 (registers the receivers)

        # Runs after the last app's migrations so every permission exists.
        post_migrate.connect(roles_sync, dispatch_uid="riskregistry.roles_sync")
