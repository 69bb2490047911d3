"""manage.py import_mbom --product ID FILE: import a vendor's CycloneDX BOM for a product."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from vendors import services
from vendors.models import Product


class Command(BaseCommand):
    help = (
        "Import a vendor's CycloneDX JSON BOM (1.4 to 1.7) for a product: its machine-learning models become model "
        "usages declared by the imported BOM, their pedigrees declared parents. All or nothing; every problem is "
        "listed. The last line says what was added."
    )

    def add_arguments(self, parser):
        parser.add_argument("--product", type=int, required=True, metavar="ID")
        parser.add_argument("file", metavar="FILE")

    def handle(self, *args, product: int, file: str, **options):
        found = Product.objects.select_related("vendor").filter(pk=product).first()
        if found is None:
            raise CommandError(f"There is no product with id {product}.")
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        try:
            record = services.bom_import(product=found, content=content, file_name=path.name)
        except ValidationError as error:
            lines = "\n".join(f"- {message}" for message in error.messages)
            raise CommandError(f"The BOM was not imported; nothing was saved.\n{lines}") from None
        self.stdout.write(
            f"Imported {path.name} (CycloneDX {record.spec_version}, {record.component_count} components): "
            f"{len(record.usages_added)} model usage(s) added, {len(record.parents_declared)} parent(s) declared."
        )
