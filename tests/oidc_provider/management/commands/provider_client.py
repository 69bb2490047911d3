from django.core.management.base import BaseCommand
from oauth2_provider.models import get_application_model


class Command(BaseCommand):
    help = "Register a confidential client of the authorization-code flow with RS256 ID tokens."

    def add_arguments(self, parser):
        parser.add_argument("--client-id", required=True)
        parser.add_argument("--secret", required=True)
        parser.add_argument("--redirect-uri", required=True)

    def handle(self, *args, **options):
        application = get_application_model()
        application.objects.filter(client_id=options["client_id"]).delete()
        application.objects.create(
            name=options["client_id"],
            client_id=options["client_id"],
            client_secret=options["secret"],
            redirect_uris=options["redirect_uri"],
            client_type=application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=application.GRANT_AUTHORIZATION_CODE,
            algorithm=application.RS256_ALGORITHM,
            skip_authorization=True,
        )
