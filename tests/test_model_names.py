"""A model name a vendor types matches our node however it is written (case, our ``closed:`` prefix, a publisher
prefix, a known alias), in questionnaires and attestations alike; a real contradiction still opens a discrepancy."""

import datetime as dt

import pytest
from django.utils import timezone

from assessments import selectors, services
from assessments.attestation import Response
from assessments.models import Assessment, Finding
from assessments.scoring import NodeFacts
from assessments.scoring.model_names import KnownModel, model_name_normalise, model_names_match
from tests import factories
from tests.services import portal_enter
from tests.test_assessments_flow import _complete_mbom, _send
from tests.test_attestations import _all_confirmed, _factor_codes, attestation_files  # noqa: F401 (fixture)
from vendors.models import AIModel, LineageEdge

GPT4O = KnownModel("closed:gpt-4o", "closed", ("gpt-4o-2024-08-06",), ("openai", "OpenAI"))
LLAMA = KnownModel("meta-llama/Llama-3.1-8B", "hub", ("meta-llama/Meta-Llama-3.1-8B",), ("meta", "Meta"))
SECRET = KnownModel("declared:Acme Legal LLM", "declared", (), ("acme", "Acme AI"))
QWEN_MAX = KnownModel("closed:qwen-max", "closed", (), ("alibaba-qwen", "Qwen (Alibaba Cloud)"))
KIMI = KnownModel("closed:kimi-k2", "closed", (), ("moonshot", "Moonshot AI (Kimi)"))


@pytest.mark.parametrize(
    ("typed", "model", "match"),
    [
        ("gpt-4o", GPT4O, True),
        ("GPT-4o", GPT4O, True),
        ("  gpt-4o ", GPT4O, True),
        ("closed:gpt-4o", GPT4O, True),
        ("Closed: GPT-4o", GPT4O, True),
        ("openai/gpt-4o", GPT4O, True),
        ("OpenAI/GPT-4o", GPT4O, True),
        ("openrouter/openai/gpt-4o", GPT4O, True),  # a router's path ending in the publisher
        ("gpt-4o-2024-08-06", GPT4O, True),  # a dated snapshot id from the knowledge base
        ("openai/gpt-4o-2024-08-06", GPT4O, True),
        ("gpt-4o-mini", GPT4O, False),  # another model
        ("anthropic/gpt-4o", GPT4O, False),  # not its publisher
        ("gpt-4", GPT4O, False),
        ("", GPT4O, False),
        ("meta-llama/Llama-3.1-8B", LLAMA, True),
        ("META-LLAMA/llama-3.1-8b", LLAMA, True),  # the hub is case-insensitive
        ("hub:meta-llama/Llama-3.1-8B", LLAMA, True),
        ("meta-llama/Meta-Llama-3.1-8B", LLAMA, True),  # the repo's former name
        ("Llama-3.1-8B", LLAMA, False),  # a hub id is never reduced to its last part...
        ("bartowski/Llama-3.1-8B", LLAMA, False),  # ...another org's repo is another model
        ("meta-llama/Llama-3.1-70B", LLAMA, False),
        ("qwen/qwen-max", QWEN_MAX, True),  # a router's prefix: the publisher's short name
        ("Alibaba Cloud/qwen-max", QWEN_MAX, True),
        ("alibaba-qwen/qwen-max", QWEN_MAX, True),  # our key
        ("deepseek/qwen-max", QWEN_MAX, False),
        ("moonshotai/kimi-k2", KIMI, True),
        ("kimi/kimi-k2", KIMI, True),
        ("acme legal  llm", SECRET, True),
        ("Acme AI/Acme Legal LLM", SECRET, True),
        ("Acme Legal LLM v2", SECRET, False),
    ],
)
def test_a_typed_name_matches_our_model_however_it_is_written(typed, model, match):
    assert model_names_match(typed, model) is match


def test_normalising_drops_only_our_kind_prefix_and_case():
    assert model_name_normalise("Closed:GPT-4o") == "gpt-4o"
    assert model_name_normalise("hub:Qwen/Qwen2.5-7B") == "qwen/qwen2.5-7b"
    assert model_name_normalise("declared:My  Model") == "my model"
    assert model_name_normalise("openai/gpt-4o") == "openai/gpt-4o"  # a publisher prefix stays: hub ids need it
    assert NodeFacts("closed:gpt-4o", kind="closed", publisher_key="openai").known_model.publishers == ("openai", "")


@pytest.fixture
def closed_usage(db, knowledge):
    gpt4o = AIModel.objects.get(kind=AIModel.Kind.CLOSED, name="gpt-4o")
    product = factories.ProductFactory(name="Helpdesk")
    factories.ContactFactory(vendor=product.vendor, email="compliance@vendor.example")
    usage = factories.ModelUsageFactory(product=product, model=gpt4o)
    services.ratings_refresh(usage_ids=[usage.pk])
    return usage


def _submit_and_accept(client, analyst, product, rows, capture):
    assessment, url = _send(product, analyst)
    page = portal_enter(client, url)
    with capture(execute=True):
        assert client.post(page, {**_complete_mbom(rows), "action": "submit"}).status_code == 302
    client.force_login(analyst)
    with capture(execute=True):
        assert client.post(f"/assessments/{assessment.pk}/accept/").status_code == 302
    assert Assessment.objects.get(pk=assessment.pk).status == Assessment.Status.ACCEPTED
    return assessment


def _discrepancy(usage) -> bool:
    return Finding.objects.filter(usage=usage, code="discrepancy.answer_contradicts_lineage").exists()


def test_a_vendor_typing_our_closed_model_in_its_own_words_opens_no_discrepancy(
    client, analyst, closed_usage, django_capture_on_commit_callbacks
):
    product = closed_usage.product
    rows = [{"model": "OpenAI/GPT-4o", "base_model": "gpt-4o", "relation": "none", "role": "primary"}]

    assessment = _submit_and_accept(client, analyst, product, rows, django_capture_on_commit_callbacks)

    assert list(product.model_usages.values_list("model__kind", "model__name")) == [("closed", "gpt-4o")]
    assert not LineageEdge.objects.filter(child=closed_usage.model).exists()  # not declared its own parent
    assert not _discrepancy(closed_usage)
    assert "discrepancy.answer_contradicts_lineage" not in _factor_codes(closed_usage)
    assert assessment.events.filter(action="accepted").exists()


def test_a_real_contradiction_still_opens_a_discrepancy_whatever_the_case(
    client, analyst, django_capture_on_commit_callbacks
):
    fetched = {"status": AIModel.Status.RESOLVED, "fetched_at": timezone.now()}
    qwen = factories.AIModelFactory(name="Qwen/Qwen2.5-7B", **fetched)
    tuned = factories.AIModelFactory(name="acme/contract-7b", **fetched)
    LineageEdge.objects.create(child=tuned, parent=qwen, relation="finetune", source="card", observed_at=timezone.now())
    usage = factories.ModelUsageFactory(model=tuned)
    factories.ContactFactory(vendor=usage.product.vendor)
    rows = [{"model": "ACME/Contract-7B", "base_model": "meta-llama/Llama-3.1-8B", "relation": "finetune"}]

    _submit_and_accept(client, analyst, usage.product, rows, django_capture_on_commit_callbacks)

    assert usage.product.model_usages.count() == 1  # the row named the registered usage
    finding = Finding.objects.get(usage=usage, code="discrepancy.answer_contradicts_lineage")
    assert "Qwen/Qwen2.5-7B is a root" in finding.title


def test_the_same_root_in_other_words_is_no_contradiction_in_a_questionnaire(
    client, analyst, django_capture_on_commit_callbacks
):
    fetched = {"status": AIModel.Status.RESOLVED, "fetched_at": timezone.now()}
    qwen = factories.AIModelFactory(name="Qwen/Qwen2.5-7B", **fetched)
    tuned = factories.AIModelFactory(name="acme/contract-7b", **fetched)
    LineageEdge.objects.create(child=tuned, parent=qwen, relation="finetune", source="card", observed_at=timezone.now())
    usage = factories.ModelUsageFactory(model=tuned)
    factories.ContactFactory(vendor=usage.product.vendor)
    rows = [{"model": "hub:acme/contract-7b", "base_model": "qwen/qwen2.5-7b", "relation": "finetune"}]

    _submit_and_accept(client, analyst, usage.product, rows, django_capture_on_commit_callbacks)

    assert usage.product.model_usages.count() == 1 and not _discrepancy(usage)


@pytest.mark.parametrize(("typed", "contradicts"), [("openai/gpt-4o", False), ("GPT-4o", False),
                                                    ("anthropic/claude-3-5-sonnet", True)])  # fmt: skip
def test_an_attestation_correction_is_matched_the_same_way(
    closed_usage, django_capture_on_commit_callbacks, typed, contradicts
):
    request = services.attestation_request_create(
        product=closed_usage.product, deadline=timezone.now().date() + dt.timedelta(days=10)
    )
    claim = f"u{closed_usage.pk}.lineage"
    responses = _all_confirmed(request, **{claim: Response(claim, False, "We call it by its API name", (typed,))})

    with django_capture_on_commit_callbacks(execute=True):
        services.attestation_sign(request=request, responses=responses, name="Nora Vance", title="CISO")

    assert _discrepancy(closed_usage) is contradicts


def test_the_prefilled_model_table_names_a_closed_root_as_vendors_do_and_confirming_it_contradicts_nothing(
    client, analyst, knowledge, django_capture_on_commit_callbacks
):
    gpt4o = AIModel.objects.get(kind=AIModel.Kind.CLOSED, name="gpt-4o")
    tuned = factories.AIModelFactory(kind=AIModel.Kind.DECLARED, name="Acme Legal Assistant", status="resolved")
    LineageEdge.objects.create(
        child=tuned, parent=gpt4o, relation="finetune", source="vendor", observed_at=timezone.now()
    )
    usage = factories.ModelUsageFactory(model=tuned)
    factories.ContactFactory(vendor=usage.product.vendor)

    [row] = selectors.model_table_prefill(usage.product)
    assert (row["model"], row["base_model"], row["relation"]) == ("Acme Legal Assistant", "gpt-4o", "finetune")

    _submit_and_accept(client, analyst, usage.product, [row], django_capture_on_commit_callbacks)
    assert usage.product.model_usages.count() == 1 and not _discrepancy(usage)


def test_a_declared_models_base_typed_with_its_publisher_becomes_our_closed_model(
    client, analyst, knowledge, django_capture_on_commit_callbacks
):
    product = factories.ProductFactory()
    factories.ContactFactory(vendor=product.vendor)
    rows = [{"model": "Acme Contract Assistant", "base_model": "OpenAI/GPT-4o", "relation": "finetune"}]

    _submit_and_accept(client, analyst, product, rows, django_capture_on_commit_callbacks)

    usage = product.model_usages.select_related("model").get()
    edge = usage.model.parent_edges.select_related("parent").get()
    assert (edge.parent.kind, edge.parent.name, edge.source) == ("closed", "gpt-4o", "vendor")
    assert not _discrepancy(usage)
