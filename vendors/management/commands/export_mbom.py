"""manage.py export_mbom --product ID --format cyclonedx|spdx [--spec 1.6|1.7] [--out FILE]: a product's Model
Bill of Materials, printed or written to a file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.selectors import mbom_risk
from vendors import bom, selectors
from vendors.models import Product


class Command(BaseCommand):
    help = (
        "Export a product's Model Bill of Materials: CycloneDX ML-BOM JSON (1.6 by default, 1.7 with --spec) or "
        "SPDX 3.0.1 JSON-LD. Printed, or written to --out (the file written is then printed last)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--product", type=int, required=True, metavar="ID")
        parser.add_argument("--format", dest="fmt", choices=bom.FORMATS, required=True)
        parser.add_argument("--spec", choices=bom.SPECS, default="1.6", help="CycloneDX spec version.")
        parser.add_argument("--with-rating", action="store_true", help="Add the current ratings and their factors.")
        parser.add_argument("--out", metavar="FILE")

    def handle(self, *args, product: int, fmt: str, spec: str, with_rating: bool, out: str | None, **options):
        found = Product.objects.select_related("vendor").filter(pk=product).first()
        if found is None:
            raise CommandError(f"There is no product with id {product}.")
        if fmt == "spdx" and spec != "1.6":
            raise CommandError("--spec chooses the CycloneDX version; SPDX exports are 3.0.1.")
        document = selectors.product_mbom(found, fmt=fmt, spec=spec, risk=mbom_risk, include_rating=with_rating)
        if out is None:
            self.stdout.write(document.content.decode(), ending="")
            return
        try:
            Path(out).write_bytes(document.content)
        except OSError as error:
            raise CommandError(f"Cannot write {out}: {error.strerror}.") from None
        self.stdout.write(out)
