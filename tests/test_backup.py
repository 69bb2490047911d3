"""Backup and restore, as the README documents them: `manage.py backup DIR` of a populated database and its media
files, `manage.py restore DIR` into an empty database, and every vendor, usage, rating snapshot, finding, change
and history row comes back identical, with the files."""

import sqlite3
import subprocess
import sys
import uuid

import pytest
from django.core.management import call_command
from django.db import connection

from tests import factories
from tests.services import ROOT, database_url_for_test_database
from tests.test_retirement import _rated_usage
from vendors import services

pytestmark = pytest.mark.django_db(transaction=True)

TABLES = (
    "vendors_vendor", "vendors_contact", "vendors_product", "vendors_modelusage", "vendors_aimodel",
    "vendors_changeevent", "assessments_riskrating", "assessments_finding", "assessments_scoringpolicy",
    "vendors_historicalvendor", "vendors_historicalproduct", "vendors_historicalmodelusage",
    "assessments_historicalfinding", "auth_user",
)  # fmt: skip


def _populate(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    usage = _rated_usage()
    factories.ContactFactory(vendor=usage.product.vendor, name="Zoë Ünicode")
    analyst = factories.UserFactory(username="ana")
    services.model_usage_retire(usage=_rated_usage(product=usage.product), reason="Ended for the test", user=analyst)
    evidence = tmp_path / "evidence"
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {**settings.STORAGES["evidence"], "OPTIONS": {"location": str(evidence)}},
    }
    (evidence / "7").mkdir(parents=True)
    (evidence / "7" / "soc2.pdf").write_bytes(b"%PDF-1.7 evidence")
    report = settings.MEDIA_ROOT / "reports" / "2026Q4.pdf"
    report.parent.mkdir(parents=True)
    report.write_bytes(b"%PDF-1.7 quarterly report")
    return report


def _rows(cursor, table):
    cursor.execute(f"SELECT * FROM {table} ORDER BY 1")  # noqa: S608 (fixed names)
    return cursor.fetchall()


def _pg_rows(cursor, table):
    """Each row as PostgreSQL itself renders it (JSON, times with zone): the same on both sides of a restore."""
    cursor.execute(f"SELECT to_jsonb(t)::text AS row FROM {table} AS t ORDER BY row")  # noqa: S608 (fixed names)
    return [row[0] for row in cursor.fetchall()]


def _restore(backup, database_url, media):
    env = {
        "PATH": "/usr/bin:/bin", "DATABASE_URL": database_url, "MEDIA_ROOT": str(media), "HOME": str(media.parent),
        "EVIDENCE_ROOT": str(media.parent / "restored-evidence"),
        "ATTESTATION_ROOT": str(media.parent / "restored-attestations"),
    }  # fmt: skip
    result = subprocess.run(
        [sys.executable, "manage.py", "restore", str(backup)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.postgres
def test_postgresql_backup_restores_into_an_empty_database_identically(postgres, settings, tmp_path):
    report = _populate(settings, tmp_path)
    call_command("backup", str(tmp_path / "backup"), verbosity=0)
    assert (tmp_path / "backup" / "database.dump").stat().st_size > 0

    source = connection.settings_dict["NAME"]
    target = f"{source}_restore_{uuid.uuid4().hex[:6]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{target}"')
    try:
        url = database_url_for_test_database().rsplit("/", 1)[0] + f"/{target}"
        assert "Restored postgresql" in _restore(tmp_path / "backup", url, tmp_path / "restored-media")
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://")) as restored, connection.cursor() as live:
            for table in TABLES:
                with restored.cursor() as cursor:
                    assert _pg_rows(cursor, table) == _pg_rows(live, table), table
                    assert _pg_rows(live, table), f"{table} was empty: nothing compared"
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
    restored_report = tmp_path / "restored-media" / "reports" / "2026Q4.pdf"
    assert restored_report.read_bytes() == report.read_bytes()
    assert (tmp_path / "restored-evidence" / "7" / "soc2.pdf").read_bytes() == b"%PDF-1.7 evidence"


def test_sqlite_backup_restores_into_a_new_file_identically(settings, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the embedded SQLite database is backed up in the SQLite pass of `make test`")
    report = _populate(settings, tmp_path)
    call_command("backup", str(tmp_path / "backup"), verbosity=0)

    target = tmp_path / "restored.sqlite3"
    assert "Restored sqlite" in _restore(tmp_path / "backup", f"sqlite:///{target}", tmp_path / "restored-media")
    # Read both with the converters Django's SQLite connection uses, so the same bytes compare equal.
    restored = sqlite3.connect(target, detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES)
    try:
        connection.ensure_connection()
        live = connection.connection.cursor()
        for table in TABLES:
            assert _rows(restored.cursor(), table) == _rows(live, table), table
            assert _rows(live, table), f"{table} was empty: nothing compared"
    finally:
        restored.close()
    assert (tmp_path / "restored-media" / "reports" / "2026Q4.pdf").read_bytes() == report.read_bytes()
    assert (tmp_path / "restored-evidence" / "7" / "soc2.pdf").read_bytes() == b"%PDF-1.7 evidence"


def test_restore_refuses_a_database_that_is_not_empty(settings, tmp_path):
    _populate(settings, tmp_path)
    call_command("backup", str(tmp_path / "backup"), verbosity=0)
    env_url = (
        database_url_for_test_database() if connection.vendor == "postgresql" else f"sqlite:///{tmp_path / 'x.db'}"
    )
    if connection.vendor == "sqlite":
        (tmp_path / "x.db").write_bytes(b"not empty")
    result = subprocess.run(
        [sys.executable, "manage.py", "restore", str(tmp_path / "backup")],
        cwd=ROOT, env={"PATH": "/usr/bin:/bin", "DATABASE_URL": env_url, "HOME": str(tmp_path)},
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0
    assert "not empty" in result.stderr or "exists" in result.stderr
