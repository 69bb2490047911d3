"""manage.py webhooks_reseal: seal every stored webhook secret again under the newest sealing key."""

from django.core.management.base import BaseCommand

from webhooks import services


class Command(BaseCommand):
    help = (
        "After changing SECRET_KEY (the old one kept in SECRET_KEY_FALLBACKS) or adding a new first key to "
        "WEBHOOKS_SEALING_KEYS: seal every stored webhook secret under the new key, so the old one can be dropped. "
        "Prints how many endpoints were resealed, last."
    )

    def handle(self, *args, **options):
        self.stdout.write(str(services.endpoint_secrets_reseal()))
