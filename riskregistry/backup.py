"""Backup and restore of the whole service: the database (PostgreSQL with pg_dump/pg_restore, the embedded SQLite
file with SQLite's online backup) and the files: MEDIA_ROOT (uploads, generated PDFs), vendors' evidence and
signed attestations (their own storages).

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
    """Write a consistent copy of the database and the files (media, evidence, attestations) into ``directory``
    (created; must be empty)."""
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
    with tarfile.open(directory / "media.tar.gz", "w:gz") as archive:
        for name, root in file_roots().items():
            if root.exists():
                archive.add(root, arcname=name)
    tables = table_counts()
    manifest = {"created_at": timezone.now().isoformat(), "engine": engine, "tables": tables}
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return Backup(directory, engine, tables)


def file_roots() -> dict[str, Path]:
    """Every directory of files the service keeps: MEDIA_ROOT and each file storage with a location of its own
    (vendors' evidence, signed attestations), by a name that is its directory in the archive."""
    roots = {"media": Path(settings.MEDIA_ROOT)}
    for name, storage in settings.STORAGES.items():
        location = storage.get("OPTIONS", {}).get("location")
        if storage["BACKEND"].endswith("FileSystemStorage") and location:
            roots[name] = Path(location)
    return roots


def _media_restore(archive_path: Path) -> None:
    roots = file_roots()
    with tarfile.open(archive_path, "r:gz") as archive, tempfile.TemporaryDirectory() as unpacked:
        for member in archive.getmembers():
            if member.name.split("/", 1)[0] not in roots:
                raise BackupError(f"unexpected entry {member.name!r} in {archive_path.name}")
        archive.extractall(unpacked, filter="data")  # refuses links out, absolute paths, devices
        for name, root in roots.items():
            if (Path(unpacked) / name).exists():
                shutil.copytree(Path(unpacked) / name, root, dirs_exist_ok=True)


def backup_restore(*, directory: Path) -> Backup:
    """Restore a backup into the configured database, which must be empty (a new database, or a SQLite file that
    does not exist yet), and its files into MEDIA_ROOT and the other storages. Stop the web server and workers
    first."""
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
    _media_restore(directory / "media.tar.gz")
    restored = table_counts()
    if restored != manifest["tables"]:
        differ = sorted(
            t for t in set(restored) | set(manifest["tables"]) if restored.get(t) != manifest["tables"].get(t)
        )
        raise BackupError(f"The restored database differs from the backup in: {', '.join(differ)}")
    return Backup(directory, manifest["engine"], restored)
