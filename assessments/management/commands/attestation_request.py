"""manage.py attestation_request (--vendor ID | --product ID) --out FILE.pdf: ask a vendor to attest, as a PDF."""

import os
import tempfile
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from assessments import services
from assessments.documents import attestation_request_pdf
from vendors.models import Product, Vendor


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--deadline wants a date as YYYY-MM-DD, not {value[:40]!r}.") from None


class Command(BaseCommand):
    help = (
        "Record an attestation request for a vendor's active products (--vendor) or one product (--product), "
        "pre-filled claim by claim with the resolved lineage, and write its PDF to --out."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--vendor", type=int, metavar="ID", help="Every active product of this vendor.")
        which.add_argument("--product", type=int, metavar="ID", help="One product.")
        parser.add_argument("--out", required=True, type=Path, metavar="FILE.pdf", help="Where to write the PDF.")
        parser.add_argument(
            "--deadline",
            metavar="YYYY-MM-DD",
            help=f"Respond by (default: in {settings.ATTESTATION_DEADLINE_DAYS} days).",
        )

    def handle(self, *args, vendor: int | None, product: int | None, out: Path, deadline: str | None, **options):
        target_vendor = target_product = None
        if vendor is not None:
            target_vendor = Vendor.objects.filter(pk=vendor).first()
            if target_vendor is None:
                raise CommandError(f"There is no vendor with id {vendor}.")
        else:
            target_product = Product.objects.select_related("vendor").filter(pk=product).first()
            if target_product is None:
                raise CommandError(f"There is no product with id {product}.")
        due = (
            _date(deadline)
            if deadline
            else services.attestations.today() + timedelta(days=settings.ATTESTATION_DEADLINE_DAYS)
        )
        directory = out.resolve().parent
        if not directory.is_dir():
            raise CommandError(f"The folder {directory} does not exist.")
        try:
            with transaction.atomic():  # no request on record unless its PDF was written
                request = services.attestation_request_create(
                    vendor=target_vendor, product=target_product, deadline=due
                )
                pdf = attestation_request_pdf(request)
                handle, temporary = tempfile.mkstemp(dir=directory, prefix=".attestation-", suffix=".pdf")
                try:
                    with os.fdopen(handle, "wb") as file:
                        file.write(pdf)
                    os.replace(temporary, out)
                except BaseException:
                    Path(temporary).unlink(missing_ok=True)
                    raise
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(
            f"{request.reference}: {request.claim_count} claims, respond by {request.deadline:%Y-%m-%d}; "
            f"wrote {out} ({len(pdf):,} bytes)"
        )
