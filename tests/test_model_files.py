"""A private model's config files uploaded on its page: each bad file refused with a clear reason and nothing
saved; the real recorded config of a Qwen2.5 model uploaded for a private model giving the Qwen2.5 family as an
inferred parent (source ``inferred:upload-config``) that the page, ``lineage --json`` and the rating read like a
hub-derived one; uploads superseded, never erased; viewers refused; hostile strings escaped."""

from __future__ import annotations

import copy
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments.models import RiskRating
from assessments.services.rescoring import ratings_refresh
from tests import factories
from tests.api import key_client
from tests.fakehub.records import load_records
from vendors import selectors
from vendors.model_files import CONFIG, TOKENIZER, ModelFileRefused, check_file
from vendors.models import AIModel, ChangeEvent, InferredEdge, LineageEdge, LineageRefresh, ModelFilesUpload
from vendors.services import lineage
from vendors.services.model_files import model_files_upload

pytestmark = pytest.mark.django_db

RECORDS = {r["id"]: r for r in load_records()}
QWEN_INSTRUCT = RECORDS["Qwen/Qwen2.5-7B-Instruct"]["files"]
LLAMA = RECORDS["meta-llama/Llama-3.1-8B-Instruct"]["files"]


def _json(document) -> bytes:
    return json.dumps(document, indent=2).encode()


def _file(data: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/json")


def _upload(client, model, **files):
    return client.post(reverse("vendors:model_files_upload", args=[model.pk]), files)


# -- the checks, one bad input at a time -------------------------------------------------------------------------
BAD_CONFIGS = [
    (b"", "config.json is empty"),
    (b"\xff\xfe{}", "config.json is not UTF-8 text"),
    (b'{"model_type": "qwen2",', "config.json is not valid JSON: Expecting property name enclosed in double quotes"),
    (b'["qwen2"]', "must be a JSON object ({...}) at the top, not an array"),
    (b'"qwen2"', "must be a JSON object ({...}) at the top, not a string"),
    (b'{"model_type": "qwen2", "hidden_size": NaN}', "contains NaN, which is not a number JSON allows"),
    (b'{"model_type": "qwen2", "rope_theta": 1e999}', "too large to be a real value"),
    (b'{"model_type": "qwen2", "hidden_size": -3584}', "hidden_size is -3584, outside what a real model has"),
    (b'{"model_type": "qwen2", "vocab_size": 1' + b"0" * 40 + b"}", "vocab_size is 1" + "0" * 40),
    (b'{"model_type": "qwen2", "vocab_size": 1' + b"0" * 5000 + b"}", "a number too long to be a real value"),
    (b'{"model_type": "qwen2", "num_hidden_layers": "28"}', "num_hidden_layers must be a whole number, not text"),
    (b'{"model_type": "qwen2", "num_hidden_layers": 28.5}', "num_hidden_layers must be a whole number"),
    (b'{"model_type": ["qwen2"]}', "model_type must be text, not an array"),
    (b'{"architectures": "Qwen2ForCausalLM"}', "architectures must be a list of class names"),
    (b'{"model_type": "qwen2", "eos_token_id": -5}', "eos_token_id must be a token id"),
    (b'{"model_type": "qwen2", "tie_word_embeddings": "no"}', "tie_word_embeddings must be true or false"),
    (b'{"model_type": "qwen2", "model_type": "llama"}', 'gives the key "model_type" twice'),
    (b'{"torch_dtype": "bfloat16"}', "names no architecture (model_type, architectures) and no hidden size"),
    (b'{"model_type": "qwen2", "x": ' + b"[" * 30 + b"]" * 30 + b"}", "more than 20 levels deep"),
    (b'{"model_type": "qwen2", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "levels deep"),
    (b'{"model_type": "qwen2", "text_config": {"hidden_size": 0}}', "(text_config): hidden_size is 0"),
]


@pytest.mark.parametrize(("data", "message"), BAD_CONFIGS, ids=[m[:40] for _, m in BAD_CONFIGS])
def test_a_bad_config_is_refused_with_the_reason(data, message):
    with pytest.raises(ModelFileRefused) as refused:
        check_file(data, CONFIG, limit=1024 * 1024)
    assert message in str(refused.value)


BAD_TOKENIZERS = [
    (b"{}", "names no special token, added token, chat template or tokenizer class"),
    (b'{"eos_token": 42}', "eos_token must be text, not the number 42"),
    (b'{"eos_token": {"content": null}}', "eos_token.content must be text, not null"),
    (b'{"added_tokens_decoder": {"x": "<|a|>"}}', "added_tokens_decoder keys must be token ids"),
    (b'{"added_tokens_decoder": {"5": 7}}', "added_tokens_decoder[5] must be an object with content"),
    (b'{"chat_template": 12}', "chat_template must be text or a list of named templates"),
]


@pytest.mark.parametrize(("data", "message"), BAD_TOKENIZERS, ids=[m[:40] for _, m in BAD_TOKENIZERS])
def test_a_bad_tokenizer_config_is_refused_with_the_reason(data, message):
    with pytest.raises(ModelFileRefused) as refused:
        check_file(data, TOKENIZER, limit=1024 * 1024)
    assert message in str(refused.value)


def test_every_recorded_config_and_tokenizer_config_passes_the_checks():
    checked = 0
    for record in RECORDS.values():
        for name, kind in (("config.json", CONFIG), ("tokenizer_config.json", TOKENIZER)):
            if isinstance((record.get("files") or {}).get(name), dict):
                check_file(_json(record["files"][name]), kind, limit=4 * 1024 * 1024)
                checked += 1
    assert checked > 100


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "Choose config.json, tokenizer_config.json or both."),
        ({"config": b'{"model_type": "qwen2",'}, "config.json is not valid JSON"),
        ({"config": b"[1, 2]"}, "must be a JSON object ({...}) at the top, not an array"),
        ({"config": b'{"model_type": "qwen2", "hidden_size": -1}'}, "hidden_size is -1"),
        ({"config": b""}, "The submitted file is empty."),
        ({"config": b"{}" + b" " * (1024 * 1024)}, "config.json is larger than 1 MiB"),
        # a good config with a bad tokenizer config: nothing of either is kept
        ({"config": _json(QWEN_INSTRUCT["config.json"]), "tokenizer": b'{"eos_token": 1}'}, "eos_token must be text"),
    ],
    ids=["none", "syntax", "array", "negative", "empty", "too-large", "half-good"],
)
def test_the_page_refuses_bad_files_and_saves_nothing(analyst_client, private_model, files, message):
    names = {"config": "config.json", "tokenizer": "tokenizer_config.json"}
    response = _upload(analyst_client, private_model, **{k: _file(v, names[k]) for k, v in files.items()})
    assert response.status_code == 400
    body = response.content.decode()
    assert message.replace('"', "&quot;") in body or message in body
    assert not ModelFilesUpload.objects.exists()
    assert not InferredEdge.objects.exists() and not ChangeEvent.objects.exists()


def test_a_size_limit_from_the_settings_is_enforced(analyst_client, private_model, settings):
    settings.MODEL_TOKENIZER_CONFIG_MAX_BYTES = 1024
    big = copy.deepcopy(QWEN_INSTRUCT["tokenizer_config.json"])
    big["chat_template"] = "x" * 2000
    response = _upload(analyst_client, private_model, tokenizer=_file(_json(big), "tokenizer_config.json"))
    assert response.status_code == 400
    assert "tokenizer_config.json is larger than 1 KiB" in response.content.decode()
    assert not ModelFilesUpload.objects.exists()


# -- permissions ---------------------------------------------------------------------------------------------------
def test_a_viewer_cannot_upload_and_does_not_see_the_form(client, viewer, private_model):
    client.force_login(viewer)
    config = _file(_json(QWEN_INSTRUCT["config.json"]), "config.json")
    assert _upload(client, private_model, config=config).status_code == 403
    assert client.get(reverse("vendors:model_files_upload", args=[private_model.pk])).status_code == 403
    page = client.get(reverse("vendors:model_detail", args=[private_model.pk])).content.decode()
    assert "Config files (a private model)" in page and "Upload and infer" not in page
    assert not ModelFilesUpload.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, private_model):
    response = _upload(client, private_model, config=_file(_json(QWEN_INSTRUCT["config.json"]), "config.json"))
    assert response.status_code == 302 and "/login" in response["Location"]
    assert not ModelFilesUpload.objects.exists()


def test_files_are_uploaded_only_for_a_model_with_no_public_record(analyst_client):
    hub = AIModel.objects.create(kind=AIModel.Kind.HUB, name="acme/public-7b")
    response = _upload(analyst_client, hub, config=_file(_json(QWEN_INSTRUCT["config.json"]), "config.json"))
    assert response.status_code == 302
    assert not ModelFilesUpload.objects.exists()
    page = analyst_client.get(response["Location"]).content.decode()
    assert "files are uploaded only for a model with no public record" in page


# -- the inference, and where it shows -----------------------------------------------------------------------------
def test_a_real_qwen_config_uploaded_for_a_private_model_gives_the_qwen_family(
    analyst_client, analyst, private_model, qwen_references, knowledge, django_capture_on_commit_callbacks
):
    usage = factories.ModelUsageFactory(model=private_model)
    config = _file(_json(QWEN_INSTRUCT["config.json"]), "my-config.json")
    tokenizer = _file(_json(QWEN_INSTRUCT["tokenizer_config.json"]), "tokenizer_config.json")
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(analyst_client, private_model, config=config, tokenizer=tokenizer)
    assert response.status_code == 302, response.content.decode()[:3000]

    upload = ModelFilesUpload.objects.get()
    assert upload.uploaded_by == analyst and upload.channel == "analyst" and upload.superseded_at is None
    assert upload.config_name == "my-config.json" and len(upload.config_sha256) == 64
    assert bytes(upload.config_raw) == _json(QWEN_INSTRUCT["config.json"])
    assert upload.fingerprint["shapes"]["hidden_size"] == 3584 and upload.references >= 2

    edge = InferredEdge.objects.get(child=private_model)
    assert edge.parent.name == "Qwen/Qwen2.5-7B-Instruct" and edge.family == "Qwen/Qwen2.5-7B"
    assert edge.source == "inferred:upload-config" and edge.upload == upload
    assert edge.confidence >= 0.85 and "hidden_size 3584" in " ".join(edge.evidence["matched"])

    event = ChangeEvent.objects.get(kind=ChangeEvent.Kind.FILES_UPLOADED)
    assert event.model == private_model and event.details["upload"] == upload.pk
    assert event.details["inferred_parents"] == ["Qwen/Qwen2.5-7B-Instruct"]
    assert "ana-analyst" in event.summary and "probably" in event.summary

    # The page shows it with its confidence and evidence, as an inferred parent (not declared).
    page = analyst_client.get(response["Location"]).content.decode()
    assert "Inferred parents" in page and "inferred:upload-config" in page
    assert "Qwen/Qwen2.5-7B-Instruct" in page and f"confidence {edge.confidence:.2f}" in page
    assert "Matched:" in page and "Current" in page and upload.config_sha256[:12] in page

    # The lineage report (what lineage --json and the API print) has it as an inferred edge, the declared keys
    # unchanged (the command itself takes hub ids only).
    report = selectors.lineage_reports([private_model])[0].as_json()
    assert report["edges"] == [] and report["status"] == "incomplete"
    assert [(e["parent"], e["source"]) for e in report["inferred_edges"]] == [
        ("Qwen/Qwen2.5-7B-Instruct", "inferred:upload-config")
    ]
    assert report["inferred_countries"] == ["CN"]
    body = key_client(analyst, scope="read").get(f"/api/v1/models/{private_model.pk}/lineage/").json()
    assert body["inferred_edges"] == report["inferred_edges"] and body["edges"] == []

    # The rating reads it like a hub-derived inferred parent.
    ratings_refresh(usage_ids=[usage.pk])
    rating = RiskRating.objects.filter(usage=usage).latest("id")
    codes = [factor["code"] for factor in rating.factors]
    assert "origin.inferred_country_of_concern" in codes


def test_a_new_upload_supersedes_the_old_which_is_kept_with_its_inference(
    analyst_client, private_model, qwen_references
):
    qwen = _file(_json(QWEN_INSTRUCT["config.json"]), "config.json")
    assert _upload(analyst_client, private_model, config=qwen).status_code == 302
    first = ModelFilesUpload.objects.get()
    again = _upload(analyst_client, private_model, config=_file(_json(QWEN_INSTRUCT["config.json"]), "config.json"))
    assert again.status_code == 400 and "nothing changed" in again.content.decode()

    llama = _file(_json(LLAMA["config.json"]), "config.json")
    assert _upload(analyst_client, private_model, config=llama).status_code == 302
    first.refresh_from_db()
    second = ModelFilesUpload.objects.exclude(pk=first.pk).get()
    assert first.superseded_at is not None and first.superseded_by == second and second.superseded_at is None
    assert first.candidates[0]["parent"] == "Qwen/Qwen2.5-7B-Instruct"  # what it said then is kept
    # No Llama reference is fingerprinted: the Qwen edge from the old upload is gone, none replaces it.
    assert not InferredEdge.objects.filter(child=private_model).exists()
    [retired] = InferredEdge.history.filter(child=private_model)  # retired, not erased
    assert (retired.upload, retired.retired_reason) == (first, "upload_superseded") and retired.retired_at
    assert "No known model matches" in second.edges_note
    page = analyst_client.get(reverse("vendors:model_detail", args=[private_model.pk])).content.decode()
    assert "Superseded" in page and "Current" in page
    download = analyst_client.get(reverse("vendors:model_files_download", args=[private_model.pk, first.pk, "config"]))
    assert download["Content-Disposition"].startswith("attachment") and download.content == _json(
        QWEN_INSTRUCT["config.json"]
    )


def test_hostile_strings_in_the_files_are_data_and_are_escaped(analyst_client, private_model, qwen_references):
    config = copy.deepcopy(QWEN_INSTRUCT["config.json"])
    tokenizer = copy.deepcopy(QWEN_INSTRUCT["tokenizer_config.json"])
    config["model_type"] = "<script>alert('config')</script>"
    tokenizer["eos_token"] = '<img src=x onerror="alert(1)">'
    response = _upload(
        analyst_client,
        private_model,
        config=_file(_json(config), '"><svg onload=alert(2)>.json'),
        tokenizer=_file(_json(tokenizer), "tokenizer_config.json"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    upload = ModelFilesUpload.objects.get()
    assert upload.fingerprint["model_type"] == "<script>alert('config')</script>"
    page = analyst_client.get(reverse("vendors:model_detail", args=[private_model.pk])).content.decode()
    assert "<script>alert(" not in page and "<img src=x" not in page and "<svg onload" not in page
    assert "&lt;svg onload=alert(2)&gt;.json" in page
    assert "model_type &lt;script&gt;alert(&#x27;config&#x27;)&lt;/script&gt;" in page
    assert "eos_token &lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def test_the_same_files_again_are_a_new_upload_once_the_inference_says_more(analyst_client, private_model, fake_hub):
    config = _json(QWEN_INSTRUCT["config.json"])
    assert _upload(analyst_client, private_model, config=_file(config, "config.json")).status_code == 302
    first = ModelFilesUpload.objects.get()
    assert first.candidates == [] and "No fingerprint of a known model is stored yet" in first.edges_note
    assert not InferredEdge.objects.exists()

    refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.MODELS, model_names=["Qwen/Qwen2.5-7B-Instruct"])
    lineage.lineage_refresh_run(refresh_id=refresh.pk)
    assert _upload(analyst_client, private_model, config=_file(config, "config.json")).status_code == 302
    second = ModelFilesUpload.objects.get(superseded_at__isnull=True)
    assert second.config_sha256 == first.config_sha256 and second.pk != first.pk
    assert InferredEdge.objects.get(child=private_model).upload == second


def test_a_declared_parent_replaces_the_uploaded_inference_and_its_removal_brings_it_back(
    analyst, private_model, qwen_references
):
    config = check_file(_json(QWEN_INSTRUCT["config.json"]), CONFIG, limit=1024 * 1024)
    upload = model_files_upload(model=private_model, config=config, tokenizer=None, channel="analyst", user=analyst)
    assert InferredEdge.objects.get(child=private_model).upload == upload

    edge = lineage.lineage_parent_declare(
        child=private_model, parent_kind="hub", parent_name="meta-llama/Llama-3.1-8B", relation="finetune",
        source=LineageEdge.Source.VENDOR, user=analyst,
    )  # fmt: skip
    assert not InferredEdge.objects.filter(child=private_model).exists()
    assert ModelFilesUpload.objects.get() == upload  # the upload and what it said stay on record
    assert list(InferredEdge.history.filter(child=private_model).values_list("upload", "retired_reason")) == [
        (upload.pk, "parent_declared")
    ]

    lineage.lineage_parent_remove(edge=edge, user=analyst)
    restored = InferredEdge.objects.get(child=private_model)
    assert restored.parent.name == "Qwen/Qwen2.5-7B-Instruct" and restored.source == "inferred:upload-config"

    # Uploading while a parent is declared keeps the inference with the upload only.
    lineage.lineage_parent_declare(
        child=private_model, parent_kind="hub", parent_name="meta-llama/Llama-3.1-8B", relation="finetune",
        source=LineageEdge.Source.ANALYST, user=analyst,
    )  # fmt: skip
    tokenizer = check_file(_json(QWEN_INSTRUCT["tokenizer_config.json"]), TOKENIZER, limit=1024 * 1024)
    newer = model_files_upload(model=private_model, config=config, tokenizer=tokenizer, channel="analyst", user=analyst)
    assert not InferredEdge.objects.filter(child=private_model).exists()
    assert newer.candidates[0]["parent"] == "Qwen/Qwen2.5-7B-Instruct" and not newer.candidates[0]["stored"]
    assert "A parent is declared for this model" in newer.edges_note


def test_a_tokenizer_config_alone_gives_a_family_level_guess_from_the_tokenizer(
    analyst, private_model, qwen_references
):
    tokenizer = check_file(_json(QWEN_INSTRUCT["tokenizer_config.json"]), TOKENIZER, limit=1024 * 1024)
    upload = model_files_upload(model=private_model, config=None, tokenizer=tokenizer, channel="analyst", user=analyst)
    assert upload.config_sha256 == "" and upload.config_raw is None and upload.file_names == ["tokenizer_config.json"]
    edges = list(InferredEdge.objects.filter(child=private_model))
    assert edges and all(e.source == "inferred:upload-tokenizer" and e.confidence <= 0.55 for e in edges)
    assert {e.family for e in edges} == {"Qwen/Qwen2.5-7B"}
    assert "tokenizer only: no config to compare" in edges[0].evidence["notes"]
