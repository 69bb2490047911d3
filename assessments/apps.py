from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        post_migrate.connect(_policy_default_ensure, sender=self, dispatch_uid="assessments.policy_default_ensure")
        post_migrate.connect(_questionnaires_load, sender=self, dispatch_uid="assessments.questionnaires_load")


def _policy_default_ensure(sender, using="default", **kwargs) -> None:
    """Version 1 of the scoring policy exists after every migrate (and every test-database flush)."""
    from assessments.services import policy_default_ensure

    policy_default_ensure(using=using)


def _questionnaires_load(sender, using="default", **kwargs) -> None:
    """The shipped questionnaires are stored after every migrate, so they can be sent on a fresh database."""
    from assessments.services import questionnaire_versions_load

    if using == "default":
        questionnaire_versions_load()
