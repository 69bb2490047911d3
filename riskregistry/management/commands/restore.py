"""`manage.py restore DIR`: a backup into an empty database and MEDIA_ROOT, checked against its manifest."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from riskregistry.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into an empty database (stop the web server and workers)."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="a directory written by `manage.py backup`")

    def handle(self, *args, directory: Path, **options):
        try:
            backup = backup_restore(directory=directory)
        except (BackupError, FileNotFoundError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {backup.engine}: {len(backup.tables)} tables, {sum(backup.tables.values())} rows")
