"""Importing a vendor's CycloneDX BOM: its models become usages declared by the imported BOM, their pedigrees
declared parents, all or nothing with every problem named, in bulk; and where the vendor's pedigree contradicts
the lineage we resolve, a discrepancy finding opens with both chains side by side."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import Finding
from tests import factories
from tests.api import key_client
from vendors import selectors, services
from vendors.models import AIModel, BomImport, ChangeEvent, LineageEdge, ModelUsage
from vendors.services.lineage import lineage_parent_declare

pytestmark = pytest.mark.django_db


def _bom(components, spec="1.6", dependencies=None, subject=None) -> bytes:
    document = {"bomFormat": "CycloneDX", "specVersion": spec, "version": 1, "components": components}
    if subject:
        document["metadata"] = {"component": {"type": "application", "name": "x", "bom-ref": subject}}
    if dependencies:
        document["dependencies"] = dependencies
    return json.dumps(document).encode()


def _ml(name, *, group=None, ancestors=(), country=None, ref=None):
    component = {"type": "machine-learning-model", "name": name}
    if group:
        component["group"] = group
    if ref:
        component["bom-ref"] = ref
    if country:
        component["manufacturer"] = {"name": f"{name} maker", "address": {"country": country}}
    if ancestors:
        component["pedigree"] = {"ancestors": list(ancestors)}
    return component


def _counts():
    return (AIModel.objects.count(), ModelUsage.objects.count(), LineageEdge.objects.count(), BomImport.objects.count())


def test_a_vendor_bom_declares_usages_and_parents(django_capture_on_commit_callbacks):
    product = factories.ProductFactory()
    content = _bom(
        [
            _ml("acme-router", ancestors=[_ml("acme-base", ancestors=[_ml("Qwen2.5-7B", group="Qwen")])]),
            _ml("acme-embed"),
        ],
        spec="1.5",
    )
    with django_capture_on_commit_callbacks() as callbacks:
        record = services.bom_import(product=product, content=content, file_name="acme.cdx.json")
    usages = {u.model.name: u for u in ModelUsage.objects.filter(product=product).select_related("model")}
    assert set(usages) == {"acme-router", "acme-embed"}  # the ancestors are not used by the product
    assert {u.declared_by for u in usages.values()} == {ModelUsage.DeclaredBy.BOM}
    router = usages["acme-router"].model
    assert router.kind == "declared" and router.declared_source == "vendor"
    edges = {(e.child.name, e.parent.name, e.source) for e in LineageEdge.objects.select_related("child", "parent")}
    assert edges == {("acme-router", "acme-base", "vendor"), ("acme-base", "Qwen/Qwen2.5-7B", "vendor")}
    assert AIModel.objects.get(name="Qwen/Qwen2.5-7B").kind == "hub"
    assert record.spec_version == "1.5" and record.usages_added == ["acme-router", "acme-embed"]
    assert record.claims["declared:acme-router"]["chains"] == [
        "declared:acme-router → declared:acme-base → Qwen/Qwen2.5-7B"
    ]
    assert ChangeEvent.objects.filter(kind="usage_added", product=product).count() == 2
    enqueued = [c.func.__self__.name for c in callbacks if hasattr(c.func, "__self__")]
    assert "vendors.tasks.lineage_refresh" in enqueued  # the hub base is resolved like every other
    assert "assessments.tasks.ratings_refresh" in enqueued


def test_a_1_4_bom_names_its_models_by_hub_package_urls():
    product = factories.ProductFactory()
    component = {"type": "library", "name": "copilot", "purl": "pkg:huggingface/acme/copilot@abc"}
    content = _bom([component, {"type": "library", "name": "requests", "purl": "pkg:pypi/requests@2"}], spec="1.4")
    record = services.bom_import(product=product, content=content)
    assert record.usages_added == ["acme/copilot"]
    assert ModelUsage.objects.get(product=product).model.kind == "hub"


def test_our_own_export_imports_back_with_only_the_used_models_as_usages(django_capture_on_commit_callbacks):
    source = factories.ProductFactory()
    with django_capture_on_commit_callbacks(execute=True):
        usage = services.model_usage_register(product=source, model_kind="declared", model_name="acme-router")
        lineage_parent_declare(
            child=usage.model, parent_kind="declared", parent_name="acme-base", relation="finetune", source="vendor"
        )
    exported = selectors.product_mbom(source, fmt="cyclonedx", spec="1.7").content
    target = factories.ProductFactory()
    record = services.bom_import(product=target, content=exported)
    assert list(ModelUsage.objects.filter(product=target).values_list("model__name", flat=True)) == ["acme-router"]
    assert record.parents_declared == []  # the lineage already knows that parent
    assert record.claims["declared:acme-router"]["roots"] == ["declared:acme-base"]


@pytest.mark.parametrize(
    ("content", "messages"),
    [
        (
            b"{not json",
            ["The file is not JSON: Expecting property name enclosed in double quotes at line 1, column 2."],
        ),
        (b'{"bomFormat": "SPDX"}', ['This is not a CycloneDX BOM: "bomFormat" must be "CycloneDX".']),
        (
            b'{"bomFormat": "CycloneDX", "specVersion": "1.2"}',
            ["CycloneDX spec version '1.2' is not supported; use 1.4, 1.5, 1.6 or 1.7."],
        ),
        (
            _bom([{"type": "machine-learning-model", "name": 3}, {"type": "bogus", "name": "x"}]),
            [
                "At components/0/name: 3 is not of type 'string'",
                "At components/1/type: 'bogus' is not one of ['application', 'framework', 'library', 'container', "
                "'platform', 'operating-system', 'device', 'device-driver', 'firmware', 'file', "
                "'machine-learning-model', 'data', 'cryptographic-asset']",
            ],
        ),
        (
            _bom([{"type": "library", "name": "requests"}]),
            ["The BOM lists no machine-learning model"],
        ),
    ],
)
def test_a_bad_file_is_refused_with_every_problem_and_nothing_saved(content, messages):
    product = factories.ProductFactory()
    before = _counts()
    with pytest.raises(ValidationError) as refused:
        services.bom_import(product=product, content=content)
    assert [m[: len(expected)] for m, expected in zip(refused.value.messages, messages, strict=True)] == messages
    assert _counts() == before


def test_a_file_past_the_size_limit_is_refused(settings):
    settings.MBOM_IMPORT_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="larger than"):
        services.bom_import(product=factories.ProductFactory(), content=_bom([_ml("acme-" + "x" * 100)]))


def test_a_model_that_cannot_be_registered_saves_nothing():
    product = factories.ProductFactory()
    before = _counts()
    content = _bom([_ml("fine-model"), {"type": "machine-learning-model", "name": "x" * 300}])
    with pytest.raises(ValidationError):
        services.bom_import(product=product, content=content)
    assert _counts() == before


def test_the_import_is_done_in_bulk():
    def run(n):
        product = factories.ProductFactory()
        components = [_ml(f"vendor-model-{n}-{i}", ancestors=[_ml(f"vendor-base-{n}-{i}")]) for i in range(n)]
        with CaptureQueriesContext(connection) as queries:
            services.bom_import(product=product, content=_bom(components))
        return len(queries)

    small, large = run(10), run(60)
    # SQLite splits a large insert into batches (it limits a statement's parameters); never a query per component.
    assert small == large if connection.vendor == "postgresql" else large < small + 10


def _resolved_chain():
    """acme/copilot (resolved) fine-tuned from Qwen/Qwen2.5-7B (Alibaba, CN), used by a product."""
    alibaba = factories.PublisherFactory(key="t-alibaba", name="Alibaba Cloud", country="CN")
    fetched = timezone.now()
    base = factories.AIModelFactory(name="Qwen/Qwen2.5-7B", publisher=alibaba, status="resolved", fetched_at=fetched)
    model = factories.AIModelFactory(name="acme/copilot", status="resolved", fetched_at=fetched)
    LineageEdge.objects.create(child=model, parent=base, relation="finetune", source="card", observed_at=fetched)
    return factories.ModelUsageFactory(model=model)


def test_a_contradicting_pedigree_opens_a_discrepancy_with_both_chains(fake_hub, django_capture_on_commit_callbacks):
    usage = _resolved_chain()
    content = _bom(
        [
            _ml(
                "acme/copilot",
                ref="m",
                ancestors=[_ml("meta-llama/Llama-3.1-8B", country="US"), _ml("Qwen/Qwen2.5-7B", country="US")],
            )
        ],
        subject="p",
        dependencies=[{"ref": "p", "dependsOn": ["m"]}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.bom_import(product=usage.product, content=content, file_name="vendor.json")
    assert not LineageEdge.objects.filter(child=usage.model, source="vendor").exists()  # the hub's lineage stands
    finding = Finding.objects.get(usage=usage, trigger=Finding.Trigger.DISCREPANCY)
    evidence = "\n".join(finding.evidence)
    assert "The vendor's imported BOM says Qwen/Qwen2.5-7B is published from US, but Qwen/Qwen2.5-7B" in evidence
    assert "names meta-llama/Llama-3.1-8B as an ancestor of acme/copilot, but the resolved lineage does not" in evidence
    assert "vendor's chain: acme/copilot → meta-llama/Llama-3.1-8B" in evidence
    assert "vendor's chain: acme/copilot → Qwen/Qwen2.5-7B" in evidence
    assert "resolved chain: acme/copilot → Qwen/Qwen2.5-7B" in evidence


def test_a_different_root_and_a_missing_ancestor_are_discrepancies(fake_hub, django_capture_on_commit_callbacks):
    usage = _resolved_chain()
    content = _bom([_ml("acme/copilot", ancestors=[_ml("mistralai/Mistral-7B-v0.1")])])
    with django_capture_on_commit_callbacks(execute=True):
        services.bom_import(product=usage.product, content=content)
    finding = Finding.objects.get(usage=usage, trigger=Finding.Trigger.DISCREPANCY)
    evidence = "\n".join(finding.evidence)
    assert "names base models mistralai/Mistral-7B-v0.1, but Qwen/Qwen2.5-7B is a root" in evidence
    assert "omits Qwen/Qwen2.5-7B (Alibaba Cloud, CN), an ancestor of acme/copilot" in evidence


def test_a_pedigree_that_agrees_opens_nothing(django_capture_on_commit_callbacks):
    usage = _resolved_chain()
    content = _bom([_ml("acme/copilot", ancestors=[_ml("Qwen/Qwen2.5-7B", country="CN")])])
    with django_capture_on_commit_callbacks(execute=True):
        services.bom_import(product=usage.product, content=content)
    assert not Finding.objects.filter(usage=usage, trigger=Finding.Trigger.DISCREPANCY).exists()


def test_page_upload_imports_for_analysts_only(client, analyst, viewer, tmp_path):
    product = factories.ProductFactory()
    client.force_login(viewer)
    upload = tmp_path / "vendor.cdx.json"
    upload.write_bytes(_bom([_ml("acme-router")]))
    with upload.open("rb") as handle:
        assert client.post(f"/products/{product.pk}/mbom/import/", {"file": handle}).status_code == 403
    assert "Import BOM" not in client.get(f"/products/{product.pk}/").content.decode()
    client.force_login(analyst)
    assert "Import BOM" in client.get(f"/products/{product.pk}/").content.decode()
    with upload.open("rb") as handle:
        response = client.post(f"/products/{product.pk}/mbom/import/", {"file": handle}, follow=True)
    page = response.content.decode()
    assert "Imported vendor.cdx.json: 1 model usage(s) added" in page
    assert "vendor.cdx.json (CycloneDX 1.6, 1 component)" in page
    upload.write_bytes(b"<html>not a bom</html>")
    with upload.open("rb") as handle:
        page = client.post(f"/products/{product.pk}/mbom/import/", {"file": handle}, follow=True).content.decode()
    assert "The BOM was not imported; nothing was saved." in page and "&lt;html&gt;" not in page
    assert "The file is not JSON" in page


def test_api_import_answers_201_or_400_with_every_problem(analyst, viewer, tmp_path):
    product = factories.ProductFactory()
    url = f"/api/v1/products/{product.pk}/mbom-import/"
    upload = tmp_path / "vendor.cdx.json"
    upload.write_bytes(_bom([_ml("acme-router")]))
    with upload.open("rb") as handle:
        assert key_client(viewer).post(url, {"file": handle}, format="multipart").status_code == 403
    with upload.open("rb") as handle:
        response = key_client(analyst).post(url, {"file": handle}, format="multipart")
    assert response.status_code == 201 and response.json()["usages_added"] == ["acme-router"]
    upload.write_bytes(_bom([{"type": "machine-learning-model", "name": 3}, {"type": "x", "name": "y"}]))
    with upload.open("rb") as handle:
        response = key_client(analyst).post(url, {"file": handle}, format="multipart")
    assert response.status_code == 400
    assert len(response.json()["fields"]["non_field_errors"]) == 2


def test_import_mbom_command(tmp_path, capsys):
    product = factories.ProductFactory()
    path = tmp_path / "vendor.cdx.json"
    path.write_bytes(_bom([_ml("acme-router")], spec="1.5"))
    call_command("import_mbom", "--product", str(product.pk), str(path))
    assert capsys.readouterr().out.strip().endswith("1 model usage(s) added, 0 parent(s) declared.")
    path.write_bytes(b"[]")
    with pytest.raises(CommandError) as refused:
        call_command("import_mbom", "--product", str(product.pk), str(path))
    assert "nothing was saved.\n- This is not a CycloneDX BOM" in str(refused.value)


# --- The rule itself, on plain facts -----------------------------------------------------------------------------


def _bom_facts(claims):
    from tests.test_scoring import facts

    return facts(bom=claims)  # a clean usage: subject → northwind-ai/contract-copilot-7b → acme/base-7b (US)


@pytest.mark.parametrize(
    ("claims", "found"),
    [
        ({}, None),
        (
            {"ancestors": ("northwind-ai/contract-copilot-7b", "acme/base-7b"), "base_models": ("acme/base-7b",)},
            None,
        ),
        (
            {"ancestors": ("northwind-ai/contract-copilot-7b",), "base_models": ("northwind-ai/contract-copilot-7b",)},
            "omits acme/base-7b",
        ),
        (
            {"ancestors": ("northwind-ai/contract-copilot-7b", "other/root"), "base_models": ("other/root",)},
            "names base models other/root, but acme/base-7b is a root",
        ),
        (
            {
                "ancestors": ("northwind-ai/contract-copilot-7b", "acme/base-7b"),
                "publisher_countries": (("acme/base-7b", "fr"),),
            },
            "says acme/base-7b is published from FR, but acme/base-7b (acme, US) is",
        ),
    ],
)
def test_the_rating_checks_an_imported_bom_against_the_resolved_lineage(claims, found):
    from assessments.scoring import Claims, score
    from tests.test_scoring import POLICY

    chains = ("a → b",)
    rating = score(_bom_facts(Claims(**claims, chains=chains, sources=("BOM x.json",))), POLICY)
    factor = next((f for f in rating.factors if f.code.startswith("discrepancy.")), None)
    if found is None:
        assert factor is None
    else:
        assert found in "\n".join(factor.evidence) and "vendor's chain: a → b" in factor.evidence
        assert any(line.startswith("resolved chain:") for line in factor.evidence)
