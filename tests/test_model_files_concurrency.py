"""Uploads for one private model take turns (a PostgreSQL row lock on the model): two at once both land, one
superseding the other, with exactly one current upload and the inferred parents of that one."""

import json
import threading

import pytest
from django.db import connection

from tests.fakehub.records import load_records
from vendors.model_files import CONFIG, check_file
from vendors.models import AIModel, InferredEdge, LineageRefresh, ModelFilesUpload
from vendors.services import lineage
from vendors.services.model_files import model_files_upload

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RECORDS = {r["id"]: r for r in load_records()}


def test_two_uploads_at_once_leave_one_current_upload_and_its_edges(postgres, fake_hub):
    refresh = LineageRefresh.objects.create(scope="models", model_names=["Qwen/Qwen2.5-7B-Instruct"])
    lineage.lineage_refresh_run(refresh_id=refresh.pk)
    model = AIModel.objects.create(kind=AIModel.Kind.DECLARED, name="Acme Private LLM", status="resolved")
    configs = {
        name: check_file(json.dumps(RECORDS[name]["files"]["config.json"]).encode(), CONFIG, limit=1 << 20)
        for name in ("Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B")
    }
    start = threading.Barrier(2)
    errors: list = []

    def upload(config):
        try:
            start.wait(10)
            model_files_upload(model=model, config=config, tokenizer=None, channel="analyst")
        except Exception as error:  # reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(config,)) for config in configs.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not errors, errors
    uploads = list(ModelFilesUpload.objects.order_by("uploaded_at", "id"))
    assert len(uploads) == 2
    current = [u for u in uploads if u.superseded_at is None]
    assert len(current) == 1
    older = next(u for u in uploads if u.superseded_at is not None)
    assert older.superseded_by == current[0] and older.uploaded_at <= current[0].uploaded_at
    assert {e.upload_id for e in InferredEdge.objects.filter(child=model)} == {current[0].pk}
