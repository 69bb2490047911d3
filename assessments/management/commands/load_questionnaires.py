"""manage.py load_questionnaires: store the shipped questionnaire files' versions (refusing a changed one)."""

from django.core.management.base import BaseCommand, CommandError

from assessments import services
from assessments.questionnaires import QuestionnaireError


class Command(BaseCommand):
    help = (
        "Validate every questionnaire file (assessments/questionnaires/<key>/v<N>.yaml) and store the versions not "
        "stored yet. A stored version whose file changed is refused: ship the change as the next version."
    )

    def handle(self, *args, **options):
        try:
            report = services.questionnaire_versions_load()
        except QuestionnaireError as error:
            raise CommandError(str(error)) from error
        for label in report.created:
            self.stdout.write(f"loaded {label}")
        self.stdout.write(report.summary())
