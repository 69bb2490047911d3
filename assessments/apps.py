from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        post_migrate.connect(_policy_default_ensure, sender=self, dispatch_uid="assessments.policy_default_ensure")


def _policy_default_ensure(sender, using="default", **kwargs) -> None:
    """Version 1 of the scoring policy exists after every migrate (and every test-database flush)."""
    from assessments.services import policy_default_ensure

    policy_default_ensure(using=using)
