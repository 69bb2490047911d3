"""A hub id that does not exist is caught when the usage is registered: the hub is asked at once, briefly (the
project's fake hub answers 404 for unknown repos), and the analyst confirms or corrects it; a hub that does not
answer in time holds nothing up (the lineage refresh in the background records what it finds)."""

import socket
import time

import pytest

from tests import factories
from vendors.models import AIModel, ModelUsage
from vendors.selectors import hub_repo_check

pytestmark = pytest.mark.django_db

MISSING_ID = "nobody-here/nonexistent-model-xyz"
PRESENT_ID = "Qwen/Qwen2.5-7B-Instruct"  # recorded in the fake hub


def _post(client, product, name, **extra):
    data = {"model_kind": "hub", "model_name": name, "role": "primary", "declared_by": "analyst", **extra}
    return client.post(f"/products/{product.pk}/models/new/", data)


def test_the_check_answers_from_the_hub(fake_hub):
    assert hub_repo_check(MISSING_ID) == "missing"
    assert hub_repo_check(PRESENT_ID) == "found"


def test_a_missing_repo_asks_the_analyst_to_confirm_and_saves_nothing(analyst_client, fake_hub):
    product = factories.ProductFactory()
    response = _post(analyst_client, product, MISSING_ID)
    assert response.status_code == 200
    body = response.content.decode()
    assert f"The hub has no repository {MISSING_ID}" in body
    assert 'type="checkbox" name="confirm_missing"' in body
    assert not ModelUsage.objects.filter(product=product).exists()
    assert not AIModel.objects.filter(name=MISSING_ID).exists()

    response = _post(analyst_client, product, MISSING_ID, confirm_missing="on")
    assert response.status_code == 302
    assert ModelUsage.objects.get(product=product).model.name == MISSING_ID


def test_a_repo_the_hub_has_is_saved_at_once(analyst_client, fake_hub):
    product = factories.ProductFactory()
    assert _post(analyst_client, product, PRESENT_ID).status_code == 302
    assert ModelUsage.objects.filter(product=product, model__name=PRESENT_ID).exists()


def test_a_hub_that_does_not_answer_holds_nothing_up(analyst_client, settings):
    # A listening socket that never answers: the check gives up after HUB_CHECK_SECONDS and the usage is saved.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    settings.HF_ENDPOINT = f"http://127.0.0.1:{silent.getsockname()[1]}"
    settings.HUB_CHECK_SECONDS = 0.5
    product = factories.ProductFactory()
    started = time.monotonic()
    try:
        assert _post(analyst_client, product, MISSING_ID).status_code == 302
    finally:
        silent.close()
    assert time.monotonic() - started < 5
    assert ModelUsage.objects.filter(product=product, model__name=MISSING_ID).exists()


def test_closed_and_declared_models_are_not_checked(analyst_client, settings):
    settings.HF_ENDPOINT = "http://127.0.0.1:9"  # nothing there: a check would say unknown, not block
    product = factories.ProductFactory()
    data = {"model_kind": "declared", "model_name": "acme-internal-7b", "role": "primary", "declared_by": "analyst"}
    assert analyst_client.post(f"/products/{product.pk}/models/new/", data).status_code == 302
