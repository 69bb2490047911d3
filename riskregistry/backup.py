"""Backup and restore of the whole service: the database (PostgreSQL with pg_dump/pg_restore, the embedded SQLite
file with SQLite's online backup) and the files under MEDIA_ROOT (uploads, generated PDFs).

A backup is a directory: ``database.dump`` (PostgreSQL, pg_dump's custom format) or ``database.sqlite3``,
``media.tar.gz``, and ``manifest.json`` (when, which engine, how many rows per table, to check a restore by).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

DUMP = "database.dump"


class BackupError(RuntimeError):
    """A backup or restore could not be made; nothing was changed."""


@dataclass(frozen=True)
class Backup:
    directory: Path
    engine: str
    tables: dict[str, int]


def _database() -> dict:
    return settings.DATABASES["default"]


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _pg_env(database: dict) -> dict[str, str]:
    env = {**os.environ}
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if database.get(key):
            env[variable] = str(database[key])
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    # The PostgreSQL client tools with arguments from settings, never from a request.
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip() or result.stdout.strip()}")


def table_counts() -> dict[str, int]:
    """Rows per table of the database in use (the manifest's check)."""
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (introspected)
            counts[table] = cursor.fetchone()[0]
    return counts


def backup_create(*, directory: Path) -> Backup:
    """Write a consistent copy of the database and the media files into ``directory`` (created; must be empty)."""
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty: a backup goes into a directory of its own.")
    database = _database()
    if _is_postgres():
        engine = "postgresql"
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--file", str(directory / DUMP), database["NAME"]],
            _pg_env(database),
        )
    else:
        engine = "sqlite"
        connection.ensure_connection()
        target = sqlite3.connect(directory / "database.sqlite3")
        try:
            connection.connection.backup(target)  # SQLite's online backup: consistent while the app writes
        finally:
            target.close()
    media = Path(settings.MEDIA_ROOT)
    with tarfile.open(directory / "media.tar.gz", "w:gz") as archive:
        if media.exists():
            archive.add(media, arcname="media")
    tables = table_counts()
    manifest = {"created_at": timezone.now().isoformat(), "engine": engine, "tables": tables}
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return Backup(directory, engine, tables)


def _media_restore(archive_path: Path, media: Path) -> None:
    with tarfile.open(archive_path, "r:gz") as archive, tempfile.TemporaryDirectory() as unpacked:
        for member in archive.getmembers():
            if member.name != "media" and not member.name.startswith("media/"):
                raise BackupError(f"unexpected entry {member.name!r} in {archive_path.name}")
        archive.extractall(unpacked, filter="data")  # refuses links out, absolute paths, devices
        if (Path(unpacked) / "media").exists():
            shutil.copytree(Path(unpacked) / "media", media, dirs_exist_ok=True)


def backup_restore(*, directory: Path) -> Backup:
    """Restore a backup into the configured database, which must be empty (a new database, or a SQLite file that
    does not exist yet), and its media files into MEDIA_ROOT. Stop the web server and workers first."""
    manifest = json.loads((directory / "manifest.json").read_text())
    database = _database()
    if manifest["engine"] == "postgresql":
        if not _is_postgres():
            raise BackupError("This backup is of PostgreSQL: set DATABASE_URL to an empty PostgreSQL database.")
        with connection.cursor() as cursor:
            if connection.introspection.table_names(cursor):
                raise BackupError(f"Database {database['NAME']} is not empty: restore into a new database.")
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                "--dbname",
                database["NAME"],
                str(directory / "database.dump"),
            ],
            _pg_env(database),
        )
    else:
        target = Path(database["NAME"])
        if _is_postgres():
            raise BackupError("This backup is of the embedded SQLite database: unset DATABASE_URL to restore it.")
        if target.exists() and target.stat().st_size:
            raise BackupError(f"{target} exists: move it away first, a restore never overwrites a database.")
        connection.close()
        shutil.copyfile(directory / "database.sqlite3", target)
    _media_restore(directory / "media.tar.gz", Path(settings.MEDIA_ROOT))
    restored = table_counts()
    if restored != manifest["tables"]:
        differ = sorted(
            t for t in set(restored) | set(manifest["tables"]) if restored.get(t) != manifest["tables"].get(t)
        )
        raise BackupError(f"The restored database differs from the backup in: {', '.join(differ)}")
    return Backup(directory, manifest["engine"], restored)
