"""manage.py webhook_retries: hand the webhook messages whose next attempt is due to the workers."""

from django.core.management.base import BaseCommand

from webhooks import services


class Command(BaseCommand):
    help = (
        "Send the webhook messages whose next attempt is due (Celery beat does this every few seconds; without "
        "Redis, run it from cron, where it delivers in this process). Prints how many were due, last."
    )

    def handle(self, *args, **options):
        self.stdout.write(str(services.messages_due_enqueue()))
