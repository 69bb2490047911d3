"""A private model's config files through the REST API: a multipart upload for a declared model answers with what
the inference concluded (the same service and checks as the model's page), each refusal is a 400 in the API's
error shape that says what is wrong and stores nothing, viewers and read keys are refused, and a model's uploads
are listed newest first, superseded ones kept."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests import factories
from tests.api import key_client
from tests.fakehub.records import load_records
from vendors.models import AIModel, ChangeEvent, InferredEdge, LineageEdge, ModelFilesUpload

pytestmark = pytest.mark.django_db

URL = "/api/v1/model-file-uploads/"
RECORDS = {r["id"]: r for r in load_records()}
QWEN_INSTRUCT = RECORDS["Qwen/Qwen2.5-7B-Instruct"]["files"]
LLAMA = RECORDS["meta-llama/Llama-3.1-8B-Instruct"]["files"]


def _file(document, name: str = "config.json") -> SimpleUploadedFile:
    data = document if isinstance(document, bytes) else json.dumps(document, indent=2).encode()
    return SimpleUploadedFile(name, data, content_type="application/json")


def _post(client, **fields):
    return client.post(URL, fields, format="multipart")


def _nothing_stored():
    return (
        not ModelFilesUpload.objects.exists()
        and not InferredEdge.history.exists()
        and not ChangeEvent.objects.filter(kind=ChangeEvent.Kind.FILES_UPLOADED).exists()
    )


def test_an_analysts_key_uploads_a_qwen_config_and_gets_the_inference_back(analyst, private_model, qwen_references):
    client = key_client(analyst)
    tokenizer = _file(QWEN_INSTRUCT["tokenizer_config.json"], "tokenizer_config.json")
    response = _post(client, model=private_model.pk, config=_file(QWEN_INSTRUCT["config.json"]), tokenizer=tokenizer)

    assert response.status_code == 201, response.content
    body = response.json()
    upload = ModelFilesUpload.objects.get()
    assert body["id"] == upload.pk and body["model"] == {"id": private_model.pk, "kind": "declared",
                                                         "name": "Acme Contract LLM v3"}  # fmt: skip
    assert body["channel"] == "api" and body["uploaded_by"] == analyst.username and body["current"] is True
    assert body["uploaded_via"].startswith("REST API, key ")
    assert body["config_name"] == "config.json" and body["config_sha256"] == upload.config_sha256
    assert body["tokenizer_name"] == "tokenizer_config.json" and body["tokenizer_size"] == upload.tokenizer_size
    best = body["candidates"][0]
    assert best["parent"] == "Qwen/Qwen2.5-7B-Instruct" and best["family"] == "Qwen/Qwen2.5-7B"
    assert best["source"] == "inferred:upload-config" and best["stored"] is True and best["confidence"] >= 0.85
    assert "hidden_size" in " ".join(best["matched"])
    [parent] = body["inferred_parents"]
    assert (parent["parent"], parent["source"]) == ("Qwen/Qwen2.5-7B-Instruct", "inferred:upload-config")
    assert InferredEdge.objects.get(child=private_model).upload == upload
    # Audited as the page's uploads are: the record (who, how) and a change event naming the user.
    event = ChangeEvent.objects.get(kind=ChangeEvent.Kind.FILES_UPLOADED)
    assert event.details["user"] == analyst.pk and event.details["channel"] == "api"
    assert event.details["inferred_parents"] == ["Qwen/Qwen2.5-7B-Instruct"]

    listed = client.get(URL, {"model": private_model.pk}).json()
    assert listed["count"] == 1 and listed["results"][0] == body
    assert client.get(f"{URL}{upload.pk}/").json() == body


def test_a_newer_upload_supersedes_the_old_one_which_stays_listed(analyst, private_model, qwen_references):
    client = key_client(analyst)
    first = _post(client, model=private_model.pk, config=_file(QWEN_INSTRUCT["config.json"])).json()
    second = _post(client, model=private_model.pk, config=_file(LLAMA["config.json"])).json()
    assert second["current"] is True and second["inferred_parents"] == []
    assert "No known model matches" in second["edges_note"]

    listed = client.get(URL, {"model": private_model.pk}).json()["results"]
    assert [row["id"] for row in listed] == [second["id"], first["id"]]  # newest first, the old one kept
    old = listed[1]
    assert old["current"] is False and old["superseded_by"] == second["id"] and old["superseded_at"]
    assert old["candidates"] == first["candidates"] and old["inferred_parents"] == []  # what it said then, kept
    # Never changed or deleted: the route has no such method, whoever asks (and no one holds the permission).
    assert client.delete(f"{URL}{first['id']}/").status_code == 405
    assert key_client(factories.UserFactory(role="admin")).delete(f"{URL}{first['id']}/").status_code == 405
    assert client.patch(f"{URL}{first['id']}/", {}, format="json").status_code == 405
    assert ModelFilesUpload.objects.count() == 2


REFUSED = [
    ("too large", {"config": _file(b'{"model_type": "qwen2", "x": "' + b"a" * 2048 + b'"}')},
     "config", "config.json is larger than 1 KiB"),
    ("not JSON", {"config": _file(b'{"model_type": "qwen2",')}, "config", "config.json is not valid JSON"),
    ("not an object", {"config": _file(b'["qwen2"]')}, "config", "must be a JSON object ({...}) at the top"),
    ("a wrong type", {"config": _file(b'{"model_type": "qwen2", "num_hidden_layers": "28"}')},
     "config", "num_hidden_layers must be a whole number, not text"),
    ("out of range", {"config": _file(b'{"model_type": "qwen2", "hidden_size": -3584}')},
     "config", "hidden_size is -3584, outside what a real model has"),
    ("a tokenizer config that is not one", {"tokenizer": _file(b'{"foo": 1}', "tokenizer_config.json")},
     "tokenizer", "it is not a tokenizer_config.json"),
    ("no file", {}, "config", "Choose config.json, tokenizer_config.json or both."),
    ("text instead of a file", {"config": "{}"}, "config", "not a file"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "files", "field", "message"), REFUSED, ids=[case[0] for case in REFUSED])
def test_each_bad_upload_is_refused_in_the_error_shape_and_nothing_is_stored(
    analyst, private_model, settings, case, files, field, message
):
    settings.MODEL_CONFIG_MAX_BYTES = 1024
    response = _post(key_client(analyst), model=private_model.pk, **files)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] and body["detail"]
    assert message in " ".join(body["fields"][field]), body
    assert _nothing_stored()


def test_an_unknown_model_and_a_model_with_a_public_record_are_refused(analyst, db):
    client = key_client(analyst)
    config = json.dumps(QWEN_INSTRUCT["config.json"]).encode()
    response = _post(client, model=999_999, config=_file(config))
    assert response.status_code == 400 and response.json()["fields"]["model"] == ["No model has the id 999999."]
    response = _post(client, config=_file(config))
    assert response.status_code == 400 and "model" in response.json()["fields"]

    hub = factories.AIModelFactory(kind="hub", name="Qwen/Qwen2.5-7B-Instruct")
    response = _post(client, model=hub.pk, config=_file(config))
    assert response.status_code == 400
    [message] = response.json()["fields"]["non_field_errors"]
    assert message.startswith("Qwen/Qwen2.5-7B-Instruct is a model hub repository") and "no public record" in message
    assert _nothing_stored()


def test_the_same_files_again_are_refused_and_leave_the_record_as_it_was(analyst, private_model, qwen_references):
    client = key_client(analyst)
    assert _post(client, model=private_model.pk, config=_file(QWEN_INSTRUCT["config.json"])).status_code == 201
    before = list(ModelFilesUpload.objects.values()), list(InferredEdge.history.values())
    again = _post(client, model=private_model.pk, config=_file(QWEN_INSTRUCT["config.json"]))
    assert again.status_code == 400 and "nothing changed" in again.json()["fields"]["non_field_errors"][0]
    assert (list(ModelFilesUpload.objects.values()), list(InferredEdge.history.values())) == before
    assert ChangeEvent.objects.filter(kind=ChangeEvent.Kind.FILES_UPLOADED).count() == 1


def test_viewers_and_read_keys_cannot_upload_but_read_the_uploads(analyst, viewer, private_model):
    config = _file(QWEN_INSTRUCT["config.json"])
    assert _post(key_client(viewer), model=private_model.pk, config=config).status_code == 403
    assert _post(key_client(analyst, scope="read"), model=private_model.pk, config=config).status_code == 403
    assert _post(APIClient(), model=private_model.pk, config=config).status_code == 401
    assert _nothing_stored()
    created = _post(key_client(analyst), model=private_model.pk, config=_file(QWEN_INSTRUCT["config.json"]))
    assert created.status_code == 201
    assert key_client(viewer).get(URL).json()["count"] == 1


def test_a_declared_parent_means_the_upload_names_no_standing_inferred_parent(analyst, private_model, qwen_references):
    LineageEdge.objects.create(
        child=private_model, parent=AIModel.objects.get(name="Qwen/Qwen2.5-7B"), relation="finetune",
        source="vendor", observed_at="2026-01-01T00:00:00Z",
    )  # fmt: skip
    body = _post(key_client(analyst), model=private_model.pk, config=_file(QWEN_INSTRUCT["config.json"])).json()
    assert body["candidates"][0]["stored"] is False and body["inferred_parents"] == []
    assert "A parent is declared for this model" in body["edges_note"]
