"""manage.py quarterly_report [--quarter 2026Q4] [--out FILE]: the quarterly portfolio report as a PDF."""

from django.core.management.base import BaseCommand, CommandError

from reports.management.commands._common import generate_and_write
from reports.models import Report
from reports.periods import Quarter


class Command(BaseCommand):
    help = (
        "Generate the quarterly AI risk report (PDF) for a quarter, with the figures as they stood at its end; the "
        "current quarter by default, reported to date. The report is kept; its file path (or --out) is printed last."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quarter", metavar="YYYYQN", help="e.g. 2026Q4 (default: the current quarter, to date)")
        parser.add_argument("--out", metavar="FILE", help="Also write the PDF here.")

    def handle(self, *args, quarter: str | None, out: str | None, **options):
        try:
            period = Quarter.parse(quarter) if quarter else None
        except ValueError as error:
            raise CommandError(str(error)) from None
        generate_and_write(self, out=out, kind=Report.Kind.QUARTERLY, quarter=period)
