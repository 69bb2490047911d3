"""manage.py rescore [--usage ID ...] [--enqueue]: rate model usages again under the policy in force."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from assessments import services
from vendors.models import ModelUsage


class Command(BaseCommand):
    help = (
        "Rate every model usage (or the given ones) again from the stored lineage and the policy in force; a new "
        "snapshot is stored only where a rating changed. Findings and exposure follow."
    )

    def add_arguments(self, parser):
        parser.add_argument("--usage", type=int, action="append", metavar="ID", help="A usage id (repeatable).")
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Hand the rescoring to the Celery workers instead of running it here.",
        )

    def handle(self, *args, usage: list[int] | None, enqueue: bool, **options):
        if usage:
            missing = sorted(set(usage) - set(ModelUsage.objects.filter(pk__in=usage).values_list("pk", flat=True)))
            if missing:
                raise CommandError(f"There is no model usage with id {', '.join(map(str, missing))}.")
        if enqueue:
            with transaction.atomic():
                services.ratings_refresh_request(usage_ids=usage)
            self.stdout.write("Rescoring queued for the workers.")
            return
        stored = services.ratings_refresh(usage_ids=usage)
        count = len(set(usage)) if usage else ModelUsage.objects.count()
        self.stdout.write(f"{count} model usage(s) rescored, {stored} rating(s) changed.")
