"""A private model's config files uploaded in a real browser: an analyst on the model's page (a broken file
refused with its reason, then the real Qwen2.5 files giving the Qwen2.5 family as an inferred parent), and the
vendor in the questionnaire portal's model table."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from assessments import services
from riskregistry.roles import ANALYST
from tests import factories
from tests.fakehub.records import load_records
from tests.test_browser import _sign_in, browser, page  # noqa: F401  (the browser fixtures)
from vendors.models import AIModel, InferredEdge, LineageRefresh, ModelFilesUpload
from vendors.services import lineage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QWEN_INSTRUCT = next(r for r in load_records() if r["id"] == "Qwen/Qwen2.5-7B-Instruct")["files"]


def _references() -> None:
    refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.MODELS, model_names=["Qwen/Qwen2.5-7B-Instruct"])
    lineage.lineage_refresh_run(refresh_id=refresh.pk)


def _write(tmp_path, name: str, document) -> str:
    path = tmp_path / name
    path.write_bytes(document if isinstance(document, bytes) else json.dumps(document, indent=2).encode())
    return str(path)


def test_an_analyst_uploads_a_private_models_config_files_on_its_page(page, tmp_path, fake_hub):  # noqa: F811
    _references()
    factories.UserFactory(username="ana", role=ANALYST)
    model = AIModel.objects.create(kind=AIModel.Kind.DECLARED, name="Acme Contract LLM v3", status="resolved")
    broken = tmp_path / "broken"
    broken.mkdir()

    _sign_in(page, "ana")
    page.goto(f"/models/{model.pk}/")
    files = page.locator("#model-files")
    assert files.get_by_text("No files uploaded yet.").is_visible()
    broken_config = _write(broken, "config.json", b'{"model_type": "qwen2",')
    files.get_by_label("config.json", exact=True).set_input_files(broken_config)
    files.get_by_role("button", name="Upload and infer").click()
    page.get_by_role("heading", name=re.compile("Config files of")).wait_for()
    assert page.get_by_text("config.json is not valid JSON").is_visible()
    assert not ModelFilesUpload.objects.exists()

    page.get_by_label("config.json", exact=True).set_input_files(
        _write(tmp_path, "config.json", QWEN_INSTRUCT["config.json"])
    )
    page.get_by_label("tokenizer_config.json").set_input_files(
        _write(tmp_path, "tokenizer_config.json", QWEN_INSTRUCT["tokenizer_config.json"])
    )
    page.get_by_role("button", name="Upload and infer").click()
    page.get_by_role("heading", name="Acme Contract LLM v3").wait_for()
    assert page.get_by_text(re.compile(r"Uploaded config.json and tokenizer_config.json: probably")).is_visible()
    inferred = page.locator(".inferred-parents")
    assert inferred.get_by_role("link", name="Qwen/Qwen2.5-7B-Instruct").is_visible()
    assert "inferred:upload-config" in inferred.inner_text()
    assert page.locator("figure svg").get_by_text("inferred from uploaded config, not declared").is_visible()
    assert page.locator(".model-file-uploads").get_by_text("Current").is_visible()
    page.screenshot(path=tmp_path / "model-files.png", full_page=True)
    edge = InferredEdge.objects.get(child=model)
    assert edge.source == "inferred:upload-config" and edge.family == "Qwen/Qwen2.5-7B"


def test_the_vendor_uploads_config_files_in_the_portals_model_table(browser, live_server, tmp_path, fake_hub):  # noqa: F811
    _references()
    analyst = factories.UserFactory(username="ana", role=ANALYST)
    product = factories.ProductFactory(name="Contract Copilot")
    contact = factories.ContactFactory(vendor=product.vendor, email="compliance@vendor.example")
    _assessment, url = services.assessment_send(
        product=product,
        questionnaire="ai-mbom",
        due_date=timezone.now().date() + timedelta(days=20),
        contacts=[contact],
        by=analyst,
    )
    context = browser.new_context(base_url=live_server.url)
    portal = context.new_page()
    portal.set_default_timeout(15_000)
    portal.goto("/" + url.split("://", 1)[1].split("/", 1)[1])
    table = portal.locator("#q-models\\.inventory")
    table.get_by_label("Row 1 Model").fill("Acme Contract LLM v3")
    table.get_by_text("Upload the config files of a private model").click()
    table.get_by_label("For the model in").select_option(label="Row 1")
    table.get_by_label("config.json", exact=True).set_input_files(
        _write(tmp_path, "config.json", QWEN_INSTRUCT["config.json"])
    )
    portal.get_by_role("button", name="Save draft").last.click()
    portal.get_by_text("Received config.json for Acme Contract LLM v3.").wait_for()
    assert portal.locator(".model-files-received").get_by_text(re.compile("config.json received")).is_visible()
    assert "Qwen" not in portal.content()
    table.get_by_text("Upload the config files of a private model").click()
    portal.screenshot(path=tmp_path / "portal-model-files.png", full_page=True)
    context.close()
    upload = ModelFilesUpload.objects.get()
    assert upload.channel == "portal" and upload.model.name == "Acme Contract LLM v3"
    assert InferredEdge.objects.get(child=upload.model).parent.name == "Qwen/Qwen2.5-7B-Instruct"
