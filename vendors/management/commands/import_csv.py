"""``manage.py import_csv FILE [--dry-run]``: import vendors, products and model usages from a spreadsheet in
the documented column set, all rows or none; prints each row's outcome, then the result on the last line."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from vendors import services


class Command(BaseCommand):
    help = "Import vendors, products and model usages from a CSV file (all rows or none); --dry-run previews."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="A UTF-8 CSV file in the documented column set.")
        parser.add_argument("--dry-run", action="store_true", help="Show what each row would do; change nothing.")

    def handle(self, *args, file: Path, dry_run: bool, **options):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}.") from None
        try:
            csv_import = services.csv_import_stage(data=data, filename=file.name)
            plan = services.csv_import_preview(csv_import=csv_import)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        for row_plan in plan.rows:
            self.stdout.write(f"line {row_plan.row.line}: {row_plan.outcome}: {' '.join(row_plan.notes)}")
        if plan.refused:
            self.stdout.write(f"nothing imported: {plan.summary(done=False)}")
            raise CommandError(f"{len(plan.refused)} row(s) refused; correct the file and run it again.")
        if dry_run:
            self.stdout.write(f"dry run, nothing imported: {plan.summary(done=False)}")
            return
        try:
            plan = services.csv_import_apply(csv_import=csv_import, plan_digest=plan.digest)
        except ValidationError as error:
            self.stdout.write("nothing imported")
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"imported (import {csv_import.pk}): {plan.summary(done=True)}")
