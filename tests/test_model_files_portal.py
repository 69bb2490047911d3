"""A private model's config files uploaded in the questionnaire's model table: by the vendor in the portal (its
link's session only, while the questionnaire is open) and by an analyst on the vendor's behalf; the row's model
becomes a declared model, the same inference runs, the assessment's trail records it, and the portal shows the
receipt but never the inference."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assessments import services
from assessments.models import Assessment, AssessmentEvent, Finding, RiskRating
from tests import factories
from tests.fakehub.records import load_records
from tests.services import portal_enter
from vendors.models import AIModel, ChangeEvent, InferredEdge, ModelFilesUpload

pytestmark = pytest.mark.django_db

QWEN_INSTRUCT = next(r for r in load_records() if r["id"] == "Qwen/Qwen2.5-7B-Instruct")["files"]
TABLE = "models.inventory"


@pytest.fixture
def product(db):
    product = factories.ProductFactory(name="Contract Copilot")
    factories.ContactFactory(vendor=product.vendor, email="compliance@vendor.example")
    return product


def _send(product, analyst):
    return services.assessment_send(
        product=product,
        questionnaire="ai-mbom",
        due_date=timezone.now().date() + timedelta(days=20),
        contacts=list(product.vendor.contacts.all()),
        by=analyst,
    )


def _files(config=None, tokenizer=None) -> dict:
    found = {}
    if config is not None:
        found[f"mf:{TABLE}:config"] = SimpleUploadedFile("config.json", config, "application/json")
    if tokenizer is not None:
        found[f"mf:{TABLE}:tokenizer"] = SimpleUploadedFile("tokenizer_config.json", tokenizer, "application/json")
    return found


def _post(model_name: str, row: int = 0, **files) -> dict:
    return {
        "shown": [TABLE],
        f"t:{TABLE}:{row}:model": model_name,
        f"t:{TABLE}:{row}:role": "primary",
        f"mfrow:{TABLE}": str(row),
        "action": "save",
        **_files(**files),
    }


QWEN_CONFIG = json.dumps(QWEN_INSTRUCT["config.json"]).encode()
QWEN_TOKENIZER = json.dumps(QWEN_INSTRUCT["tokenizer_config.json"]).encode()


def test_the_vendor_uploads_for_the_model_it_declares_and_the_inference_runs(client, product, analyst, qwen_references):
    assessment, url = _send(product, analyst)
    page = portal_enter(client, url)
    form = client.get(page).content.decode()
    assert f'name="mf:{TABLE}:config"' in form and f'name="mfrow:{TABLE}"' in form

    response = client.post(page, _post("Acme Contract LLM v3", config=QWEN_CONFIG, tokenizer=QWEN_TOKENIZER))
    assert response.status_code == 302, response.content.decode()[:3000]

    model = AIModel.objects.get(name="Acme Contract LLM v3")
    assert model.kind == AIModel.Kind.DECLARED and model.declared_source == "vendor"
    upload = ModelFilesUpload.objects.get(model=model)
    assert upload.channel == "portal" and upload.uploaded_by is None
    assert upload.uploaded_via == f"assessment #{assessment.pk} (ai-mbom), {TABLE} row 1"
    edge = InferredEdge.objects.get(child=model)
    assert edge.parent.name == "Qwen/Qwen2.5-7B-Instruct" and edge.source == "inferred:upload-config"
    assert edge.family == "Qwen/Qwen2.5-7B" and edge.upload == upload
    event = AssessmentEvent.objects.get(assessment=assessment, action="model_files")
    assert event.actor is None and upload.config_sha256 in event.note
    assert ChangeEvent.objects.filter(kind="files_uploaded", model=model).count() == 1

    # The portal shows the receipt, never what was inferred.
    body = client.get(page).content.decode()
    assert "config.json and tokenizer_config.json received" in body and upload.config_sha256[:12] in body
    assert "Qwen" not in body and "inferred" not in body.lower() and "confidence" not in body.lower()
    # The answer typed in the same post is saved as well.
    assessment.refresh_from_db()
    assert assessment.answers.get(question_id=TABLE).value[0]["model"] == "Acme Contract LLM v3"


@pytest.mark.parametrize(
    ("post", "message"),
    [
        (_post("", config=QWEN_CONFIG), "Row 1 names no model"),
        (_post("Qwen/Qwen2.5-7B-Instruct", config=QWEN_CONFIG), "is a public hub repository or a closed API model"),
        (_post("Acme LLM", config=b"{not json"), "config.json is not valid JSON"),
        (_post("Acme LLM", config=b'{"model_type": "qwen2", "hidden_size": 1e400}'), "too large to be a real value"),
        (_post("Acme LLM", tokenizer=b"[]"), "must be a JSON object ({...}) at the top, not an array"),
        ({**_post("Acme LLM", config=QWEN_CONFIG), f"mfrow:{TABLE}": "x"}, "Choose the row of the model"),
    ],
    ids=["no-model", "hub-model", "syntax", "huge", "array", "bad-row"],
)
def test_a_refused_upload_in_the_portal_keeps_nothing_of_it_and_says_why(client, product, analyst, post, message):
    assessment, url = _send(product, analyst)
    page = portal_enter(client, url)
    response = client.post(page, post)
    assert response.status_code == 400
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert not ModelFilesUpload.objects.exists() and not InferredEdge.objects.exists()
    assert not AIModel.objects.filter(kind=AIModel.Kind.DECLARED).exists()
    assert not AssessmentEvent.objects.filter(assessment=assessment, action="model_files").exists()


def test_the_portal_session_reaches_only_its_own_assessment_and_only_while_open(client, product, analyst):
    mine, my_url = _send(product, analyst)
    theirs, _their_url = _send(factories.ProductFactory(), analyst)
    portal_enter(client, my_url)
    response = client.post(f"/portal/assessments/{theirs.pk}/", _post("Acme LLM", config=QWEN_CONFIG))
    assert response.status_code == 403
    assert not ModelFilesUpload.objects.exists()

    Assessment.objects.filter(pk=mine.pk).update(status=Assessment.Status.SUBMITTED)
    response = client.post(f"/portal/assessments/{mine.pk}/", _post("Acme LLM", config=QWEN_CONFIG))
    assert response.status_code == 409
    assert not ModelFilesUpload.objects.exists()
    with pytest.raises(services.AssessmentLocked):
        services.questionnaire_model_files_upload(
            assessment=mine, question_id=TABLE, row=0, model_name="Acme LLM", config=None, tokenizer=None
        )


def test_an_analyst_uploads_on_the_vendors_behalf_and_a_viewer_cannot(
    client, product, analyst, viewer, qwen_references
):
    assessment, _url = _send(product, analyst)
    path = f"/assessments/{assessment.pk}/answer/"
    client.force_login(viewer)
    assert client.post(path, _post("Acme LLM", config=QWEN_CONFIG)).status_code == 403
    assert not ModelFilesUpload.objects.exists()

    client.force_login(analyst)
    response = client.post(path, _post("Acme LLM", config=QWEN_CONFIG))
    assert response.status_code == 302, response.content.decode()[:3000]
    upload = ModelFilesUpload.objects.get()
    assert upload.channel == "analyst_on_behalf" and upload.uploaded_by == analyst
    assert AssessmentEvent.objects.get(assessment=assessment, action="model_files").actor == analyst
    assert InferredEdge.objects.get(child=upload.model).source == "inferred:upload-config"
    page = client.get(path).content.decode()
    assert f'href="/models/{upload.model_id}/#model-files"' in page


def test_accepting_the_answers_puts_the_uploaded_model_in_the_registry_with_its_inferred_origin(
    client, product, analyst, qwen_references, knowledge, django_capture_on_commit_callbacks
):
    from tests.test_assessments_flow import _complete_mbom

    assessment, url = _send(product, analyst)
    page = portal_enter(client, url)
    data = {
        **_complete_mbom([{"model": "Acme Contract LLM v3", "relation": "none", "role": "primary"}]),
        f"mfrow:{TABLE}": "0",
        **_files(config=QWEN_CONFIG, tokenizer=QWEN_TOKENIZER),
        "action": "submit",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(page, data).status_code == 302
    client.force_login(analyst)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/assessments/{assessment.pk}/accept/").status_code == 302

    usage = product.model_usages.select_related("model").get()
    assert usage.model.name == "Acme Contract LLM v3" and usage.model.kind == AIModel.Kind.DECLARED
    assert usage.model.file_uploads.get().channel == "portal"
    rating = RiskRating.objects.get(usage=usage, is_current=True)
    factors = {f["code"]: f for f in rating.factors}
    assert "probably Qwen/Qwen2.5-7B-Instruct" in factors["origin.inferred_country_of_concern"]["reason"]
    # The vendor said no model comes from a country of concern; its own files say otherwise.
    finding = Finding.objects.get(usage=usage, code="discrepancy.answer_contradicts_lineage")
    assert "says no models from countries of concern" in finding.title and "CN" in finding.title
    assert "inferred:upload-config" in " ".join([finding.title, *finding.evidence])
