"""The knowledge base is on every database: ``migrate`` loads the shipped files, a newer shipped version updates
rows an admin has not edited and names the ones it left alone, and an empty knowledge base is said loudly.

The first test is the user's path on a fresh machine: a new SQLite database, ``migrate``, then ``lineage … --json``
in a separate process against the fake hub, nothing else.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.fakehub import FakeHub
from tests.services import ROOT
from vendors.knowledge import DEFAULT_DIR, Source, load_knowledge_base
from vendors.models import AIModel, Host, Publisher
from vendors.services.knowledge import knowledge_base_load


def test_migrate_on_a_fresh_database_is_enough_for_the_right_countries(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "DATABASE_URL", "HF_ENDPOINT", "HF_TOKEN")
    }
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        "RISKREGISTRY_VAR_DIR": str(tmp_path),
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )

    migrated = manage("migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    assert re.search(r"Knowledge base: .*publishers: [1-9][0-9]* created", migrated.stdout)  # says what it did

    with FakeHub() as hub:
        env["HF_ENDPOINT"] = hub.url
        result = manage("lineage", "Qwen/Qwen2.5-7B-Instruct", "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "--json")
    assert result.returncode == 0, result.stderr
    assert "knowledge base is empty" not in result.stderr
    qwen, deepseek = json.loads(result.stdout)
    assert qwen["countries"] == ["CN"] and qwen["status"] == "complete"
    assert {node["id"]: node["country"] for node in qwen["nodes"]}["Qwen/Qwen2.5-7B"] == "CN"
    assert deepseek["countries"] == ["CN"]
    assert {node["publisher"] for node in deepseek["nodes"]} >= {"DeepSeek", "Qwen (Alibaba Cloud)"}

    again = manage("migrate", "--noinput")  # idempotent: nothing to say the second time
    assert again.returncode == 0 and "Knowledge base:" not in again.stdout


@pytest.mark.django_db
def test_the_test_database_was_migrated_with_the_knowledge_base() -> None:
    assert Publisher.objects.filter(key="alibaba-qwen", country="CN").exists()
    assert Host.objects.exists() and AIModel.objects.filter(kind="closed", name="gpt-4o").exists()
    assert all(p.shipped_fingerprint for p in Publisher.objects.all())


def _newer_version(tmp_path: Path) -> Path:
    """The shipped files with two publishers changed, as a later release would ship them."""
    folder = tmp_path / "kb"
    shutil.copytree(DEFAULT_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__", "*.md"))
    text = (folder / "publishers.toml").read_text()
    text = text.replace('name = "Qwen (Alibaba Cloud)"', 'name = "Qwen Team (Alibaba Cloud)"', 1)
    text = text.replace('name = "DeepSeek"', 'name = "DeepSeek AI"', 1)
    (folder / "publishers.toml").write_text(text)
    return folder


@pytest.mark.django_db
def test_a_newer_version_updates_what_admins_left_alone_and_names_what_they_edited(tmp_path: Path) -> None:
    qwen = Publisher.objects.get(key="alibaba-qwen")
    qwen.notes = "Checked by our legal team on 2026-11-02."  # an admin's edit
    qwen.save()

    newer = load_knowledge_base(_newer_version(tmp_path))
    report = knowledge_base_load(knowledge_base=newer)

    qwen.refresh_from_db()
    assert qwen.name == "Qwen (Alibaba Cloud)" and qwen.notes.startswith("Checked by our legal team")
    assert Publisher.objects.get(key="deepseek").name == "DeepSeek AI"
    assert report.counts[("publishers", "updated")] == 1 and report.counts[("publishers", "kept")] == 1
    assert report.kept == ["publisher Qwen (Alibaba Cloud)"]
    assert any("edited by an admin and left alone" in line for line in report.lines())

    restored = knowledge_base_load(knowledge_base=newer, replace_edits=True)
    qwen.refresh_from_db()
    assert qwen.name == "Qwen Team (Alibaba Cloud)" and not qwen.notes.startswith("Checked")
    assert restored.kept == []


@pytest.mark.django_db
def test_reloading_the_same_version_changes_nothing() -> None:
    history = Publisher.history.count()
    report = knowledge_base_load(knowledge_base=load_knowledge_base())
    assert not report.changed and report.kept == []
    assert Publisher.history.count() == history


@pytest.mark.django_db
def test_an_empty_knowledge_base_is_said_loudly(fake_hub, analyst_client) -> None:
    Publisher.objects.all().delete()
    err = StringIO()
    call_command("lineage", "Qwen/Qwen2.5-7B", "--json", stdout=StringIO(), stderr=err)
    assert "WARNING: The knowledge base is empty" in err.getvalue()
    err = StringIO()
    call_command("refresh_lineage", "--all", stdout=StringIO(), stderr=err, verbosity=0)
    assert "WARNING: The knowledge base is empty" in err.getvalue()

    model = AIModel.objects.get(name="Qwen/Qwen2.5-7B")
    for url in (f"/models/{model.pk}/", "/models/"):
        page = analyst_client.get(url).content.decode()
        assert "The knowledge base is empty" in page, url


@pytest.mark.django_db
def test_a_release_that_reclassifies_sources_updates_the_rows_admins_left_alone() -> None:
    """A database loaded from a release whose sources carried no kind or issuer takes the new ones on the next
    load (the digest of the shipped values changed), except on a row an admin edited since."""
    shipped = load_knowledge_base()

    def unclassified(record):
        return replace(record, sources=tuple(Source(s.title, s.url) for s in record.sources))

    older = replace(
        shipped,
        publishers=tuple(map(unclassified, shipped.publishers)),
        hosts=tuple(map(unclassified, shipped.hosts)),
    )
    knowledge_base_load(knowledge_base=older, replace_edits=True)
    assert {s["issuer"] for s in Publisher.objects.get(key="deepseek").sources} == {""}
    baai = Publisher.objects.get(key="baai")
    baai.notes = "Entity List entry checked by our export-control counsel."  # an admin's edit
    baai.save()

    report = knowledge_base_load(knowledge_base=shipped)

    deepseek = Publisher.objects.get(key="deepseek")
    assert {(s["issuer"], s["kind"]) for s in deepseek.sources} >= {("Congress.gov (Library of Congress)", "primary")}
    groq = Host.objects.get(key="groq")
    assert any(s["kind"] == "secondary" and s["reports_on"] for s in groq.sources)
    assert "publisher BAAI (Beijing Academy of Artificial Intelligence)" in report.kept
    assert all("issuer" in s and not s["issuer"] for s in Publisher.objects.get(key="baai").sources)
    assert report.counts[("publishers", "updated")] == len(shipped.publishers) - 1
