"""manage.py vendor_report --vendor ID --out FILE: one vendor's AI risk report as a PDF."""

from django.core.management.base import BaseCommand, CommandError

from reports.management.commands._common import generate_and_write
from reports.models import Report
from vendors.models import Vendor


class Command(BaseCommand):
    help = (
        "Generate a vendor's AI risk report (PDF): its products, the models behind them, their lineage, ratings, "
        "findings and changes, as they stand now. The report is kept; the file written is printed last."
    )

    def add_arguments(self, parser):
        parser.add_argument("--vendor", type=int, required=True, metavar="ID")
        parser.add_argument("--out", required=True, metavar="FILE")

    def handle(self, *args, vendor: int, out: str, **options):
        found = Vendor.objects.filter(pk=vendor).first()
        if found is None:
            raise CommandError(f"There is no vendor with id {vendor}.")
        generate_and_write(self, out=out, kind=Report.Kind.VENDOR, vendor=found)
