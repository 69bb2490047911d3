"""`manage.py backup DIR`: the database and the media files, consistent, into a new directory."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from riskregistry.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database (pg_dump, or SQLite's online backup) and MEDIA_ROOT into a new directory."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="where to write the backup (created; must be empty)")

    def handle(self, *args, directory: Path, **options):
        try:
            backup = backup_create(directory=directory)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(backup.tables.values())
        self.stdout.write(f"Backed up {backup.engine}: {len(backup.tables)} tables, {rows} rows, and the media files")
        self.stdout.write(str(backup.directory))
