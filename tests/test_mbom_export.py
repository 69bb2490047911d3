"""MBOM exports: CycloneDX 1.6/1.7 ML-BOM and SPDX 3.0.1 JSON-LD, valid against the official schemas and complete
(every ancestor once with its relation, every dataset, every country), for ordinary, hostile and large chains."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.utils import timezone

from assessments.models import Finding, RiskRating
from assessments.selectors import mbom_risk
from tests import factories
from tests.mbom_schemas import cyclonedx_validator, errors, spdx_validator
from vendors import bom
from vendors.bom.data import BomInput, Edge, Model, Org, Product
from vendors.bom.graph import ancestors, diff, digest, parents_of, snapshot
from vendors.models import AIModel, LineageEdge
from vendors.selectors import lineage_reports
from vendors.selectors.bom import product_bom_input

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


def _render(bom_input, fmt="cyclonedx", spec="1.6", serial=None, when=WHEN) -> dict:
    return json.loads(bom.render(bom_input, fmt=fmt, spec=spec, serial=serial or str(uuid.uuid4()), timestamp=when))


def _edge(child, parent, relation="finetune", source="card"):
    return LineageEdge.objects.create(
        child=child, parent=parent, relation=relation, source=source, observed_at=timezone.now()
    )


def _chain_product():
    """A product on a quantized fine-tune of a Chinese base (a diamond through a merge), a closed API model and
    a declared model with a declared parent, served from a US region."""
    alibaba = factories.PublisherFactory(key="t-alibaba", name="Alibaba Cloud", country="CN", legal_entity="Alibaba")
    meta = factories.PublisherFactory(key="t-meta", name="Meta", country="US")
    bartowski = factories.PublisherFactory(key="t-bartowski", name="bartowski", country="US", flags=["repackager"])
    openai = factories.PublisherFactory(key="t-openai", name="OpenAI", country="US")
    base = factories.AIModelFactory(
        name="Qwen/Qwen2.5-7B", publisher=alibaba, status="resolved", license="apache-2.0", sha="a" * 40
    )
    llama = factories.AIModelFactory(
        name="meta-llama/Llama-3.1-8B", publisher=meta, status="gated", license="llama3.1", datasets=["c4"]
    )
    tune = factories.AIModelFactory(
        name="acme/copilot-7b", status="resolved", license="MIT", datasets=["c4", "acme/contracts"], sha="b" * 40
    )
    merged = factories.AIModelFactory(name="acme/copilot-merge", status="resolved", pipeline_tag="text-generation")
    gguf = factories.AIModelFactory(name="bartowski/copilot-GGUF", publisher=bartowski, status="resolved")
    _edge(gguf, merged, "quantized", "gguf")
    _edge(merged, tune, "merge")
    _edge(merged, llama, "merge")
    _edge(tune, base, "finetune")
    closed = factories.AIModelFactory(kind="closed", name="gpt-test-closed", publisher=openai, status="resolved")
    declared = factories.AIModelFactory(
        kind="declared", name="acme-internal-router", status="resolved", declared_source="vendor"
    )
    _edge(declared, base, "finetune", "vendor")
    region = factories.HostRegionFactory(host__name="Groq", host__country="US", code="us-east", country="US")
    usage = factories.ModelUsageFactory(
        model=gguf, host=region.host, region=region, product__vendor__country="DE", product__vendor__name="Acme AI"
    )
    product = usage.product
    factories.ModelUsageFactory(product=product, model=closed, role="fallback")
    factories.ModelUsageFactory(product=product, model=declared, role="routed", share=20)
    return product


def _component(document: dict, name: str) -> dict:
    return next(c for c in document["components"] if c["name"] == name)


def _props(component: dict, name: str) -> list[str]:
    return [p["value"] for p in component.get("properties", ()) if p["name"] == f"riskregistry:{name}"]


@pytest.mark.parametrize("spec", ["1.6", "1.7"])
def test_cyclonedx_export_is_valid_against_the_official_schema(spec):
    document = _render(product_bom_input(_chain_product()), spec=spec)
    assert errors(cyclonedx_validator(spec), document) == []
    assert document["bomFormat"] == "CycloneDX" and document["specVersion"] == spec
    assert document["serialNumber"].startswith("urn:uuid:")


def test_spdx_export_is_valid_against_the_official_schema():
    document = _render(product_bom_input(_chain_product()), fmt="spdx")
    assert errors(spdx_validator(), document) == []
    types = {e["type"] for e in document["@graph"]}
    assert {"ai_AIPackage", "dataset_DatasetPackage", "Relationship", "Organization", "SpdxDocument"} <= types


def test_cyclonedx_states_every_ancestor_once_with_its_relation_and_the_whole_graph():
    product = _chain_product()
    document = _render(product_bom_input(product))
    subject = _component(document, "bartowski/copilot-GGUF")
    found = {
        a["name"]: (_props(a, "relation")[0], int(_props(a, "depth")[0])) for a in subject["pedigree"]["ancestors"]
    }
    assert len(subject["pedigree"]["ancestors"]) == len(found) == 4  # the diamond's base once
    assert found == {
        "acme/copilot-merge": ("quantized", 1),
        "acme/copilot-7b": ("merge", 2),
        "meta-llama/Llama-3.1-8B": ("merge", 2),
        "Qwen/Qwen2.5-7B": ("finetune", 3),
    }
    base = _component(document, "Qwen/Qwen2.5-7B")
    assert {d["name"] for d in base["pedigree"]["descendants"]} == {"acme/copilot-7b", "acme-internal-router"}
    # Each model once as a component, with a stable bom-ref; dependencies hold every edge and the product's models.
    models = [c for c in document["components"] if c["type"] == "machine-learning-model"]
    assert sorted(c["bom-ref"] for c in models) == sorted(
        f"model:{k}"
        for k in (
            "Qwen/Qwen2.5-7B",
            "meta-llama/Llama-3.1-8B",
            "acme/copilot-7b",
            "acme/copilot-merge",
            "bartowski/copilot-GGUF",
            "closed:gpt-test-closed",
            "declared:acme-internal-router",
        )
    )
    depends = {d["ref"]: set(d["dependsOn"]) for d in document["dependencies"]}
    assert depends[f"product:{product.pk}"] == {
        "model:bartowski/copilot-GGUF",
        "model:closed:gpt-test-closed",
        "model:declared:acme-internal-router",
    }
    assert depends["model:acme/copilot-merge"] == {"model:acme/copilot-7b", "model:meta-llama/Llama-3.1-8B"}
    assert depends["model:acme/copilot-7b"] == {"model:Qwen/Qwen2.5-7B", "dataset:c4", "dataset:acme/contracts"}
    refs = {c["bom-ref"] for c in document["components"]} | {f"product:{product.pk}"}
    assert all(set(d["dependsOn"]) <= refs for d in document["dependencies"])


def test_cyclonedx_names_publishers_countries_hosts_datasets_and_licences():
    product = _chain_product()
    document = _render(product_bom_input(product))
    metadata = document["metadata"]
    assert metadata["component"]["name"] == product.name
    assert metadata["component"]["supplier"]["name"] == "Acme AI"
    assert metadata["component"]["supplier"]["address"] == {"country": "DE"}
    assert metadata["tools"]["components"][0]["name"] == "riskregistry"
    base = _component(document, "Qwen/Qwen2.5-7B")
    assert base["version"] == "a" * 40 and base["publisher"] == "Alibaba Cloud"
    assert base["manufacturer"] == {"name": "Alibaba", "address": {"country": "CN"}}
    assert base["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    assert {r["type"] for r in base["externalReferences"]} == {"website", "model-card"}
    llama = _component(document, "meta-llama/Llama-3.1-8B")
    assert llama["licenses"] == [{"license": {"name": "llama3.1"}}]  # not an SPDX id
    assert "gated" in _props(llama, "model.status")
    gguf = _component(document, "bartowski/copilot-GGUF")
    # Origin countries come from every ancestor's publisher; the re-packager is never an origin.
    assert _props(gguf, "origin-country") == ["CN", "US"]
    assert _props(gguf, "host.provider") == ["Groq"] and _props(gguf, "host.region-country") == ["US"]
    assert _props(gguf, "host.operator-country") == ["US"] and _props(gguf, "usage.role") == ["primary"]
    datasets = {c["name"] for c in document["components"] if c["type"] == "data"}
    assert datasets == {"c4", "acme/contracts"}
    tune = _component(document, "acme/copilot-7b")
    assert tune["modelCard"]["modelParameters"]["datasets"] == [
        {"ref": "dataset:c4"},
        {"ref": "dataset:acme/contracts"},
    ]
    countries = {c["manufacturer"]["address"]["country"] for c in document["components"] if "manufacturer" in c}
    assert countries == {"CN", "US"}


def test_closed_and_declared_models_say_what_they_are():
    document = _render(product_bom_input(_chain_product()))
    closed = _component(document, "gpt-test-closed")
    assert _props(closed, "model.kind") == ["closed"] and "externalReferences" not in closed
    assert "Closed API model" in closed["modelCard"]["considerations"]["technicalLimitations"][0]
    declared = _component(document, "acme-internal-router")
    assert _props(declared, "model.kind") == ["declared"]
    assert _props(declared, "model.declared-source") == ["vendor"]
    assert _props(declared, "usage.share") == ["20"]
    assert _props(declared, "parent") == ["Qwen/Qwen2.5-7B (finetune, per vendor)"]


def test_spdx_carries_the_chain_datasets_licences_and_countries():
    product = _chain_product()
    graph = _render(product_bom_input(product), fmt="spdx")["@graph"]
    by_id = {e.get("spdxId"): e for e in graph}
    name = {i: e.get("name") for i, e in by_id.items()}
    descends = sorted(
        (name[r["from"]], name[r["to"][0]], r["comment"].split(";")[0])
        for r in graph
        if r["type"] == "Relationship" and r["relationshipType"] == "descendantOf"
    )
    assert descends == [
        ("acme-internal-router", "Qwen/Qwen2.5-7B", "riskregistry:relation=finetune"),
        ("acme/copilot-7b", "Qwen/Qwen2.5-7B", "riskregistry:relation=finetune"),
        ("acme/copilot-merge", "acme/copilot-7b", "riskregistry:relation=merge"),
        ("acme/copilot-merge", "meta-llama/Llama-3.1-8B", "riskregistry:relation=merge"),
        ("bartowski/copilot-GGUF", "acme/copilot-merge", "riskregistry:relation=quantized"),
    ]
    trained = {
        name[r["from"]]: sorted(name[t] for t in r["to"])
        for r in graph
        if r["type"] == "Relationship" and r["relationshipType"] == "trainedOn"
    }
    assert trained == {"acme/copilot-7b": ["acme/contracts", "c4"], "meta-llama/Llama-3.1-8B": ["c4"]}
    licences = {
        name[r["from"]]: by_id[r["to"][0]]["simplelicensing_licenseExpression"]
        for r in graph
        if r["type"] == "Relationship" and r["relationshipType"] == "hasDeclaredLicense"
    }
    assert licences["Qwen/Qwen2.5-7B"] == "Apache-2.0" and licences["meta-llama/Llama-3.1-8B"] == "LicenseRef-llama3.1"
    countries = {
        (name[a["subject"]], a["statement"])
        for a in graph
        if a["type"] == "Annotation" and a["statement"].startswith("riskregistry:country=")
    }
    assert countries == {
        ("Alibaba", "riskregistry:country=CN"),
        ("Meta", "riskregistry:country=US"),
        ("bartowski", "riskregistry:country=US"),
        ("OpenAI", "riskregistry:country=US"),
        ("Acme AI", "riskregistry:country=DE"),
    }
    suppliers = {name[e["spdxId"]]: name[e["suppliedBy"]] for e in graph if e.get("suppliedBy")}
    assert suppliers[product.name] == "Acme AI" and suppliers["Qwen/Qwen2.5-7B"] == "Alibaba"


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx"])
def test_an_unchanged_chain_exports_the_same_bytes_but_for_serial_and_timestamp(fmt):
    product = _chain_product()
    first = bom.render(product_bom_input(product), fmt=fmt, serial=str(uuid.UUID(int=1)), timestamp=WHEN)
    later = WHEN + dt.timedelta(days=3, seconds=7)
    second = bom.render(product_bom_input(product), fmt=fmt, serial=str(uuid.UUID(int=2)), timestamp=later)
    assert first != second
    normalised = second.replace(str(uuid.UUID(int=2)), str(uuid.UUID(int=1)))
    normalised = normalised.replace(later.isoformat().replace("+00:00", "Z"), WHEN.isoformat().replace("+00:00", "Z"))
    assert normalised == first


def test_the_rating_and_findings_are_included_on_request():
    product = _chain_product()
    usage = product.model_usages.get(role="primary")
    factor = {"code": "origin.country_of_concern", "points": 40, "reason": "CN ancestor", "evidence": []}
    RiskRating.objects.create(usage=usage, score=55, tier="high", factors=[factor], policy_version=1)
    Finding.objects.create(usage=usage, code=factor["code"], trigger="critical_factor", title="CN ancestor", points=40)
    without = _render(product_bom_input(product, risk=mbom_risk))
    gguf = _component(without, "bartowski/copilot-GGUF")
    assert _props(gguf, "rating.score") == []
    assert gguf["modelCard"]["considerations"]["ethicalConsiderations"][0]["name"].startswith("CN ancestor")
    rated = product_bom_input(product, risk=mbom_risk, include_rating=True)
    gguf = _component(_render(rated), "bartowski/copilot-GGUF")
    assert _props(gguf, "rating.score") == ["55"] and _props(gguf, "rating.tier") == ["high"]
    assert _props(gguf, "rating.factor") == ["origin.country_of_concern (+40): CN ancestor"]
    statements = [e["statement"] for e in _render(rated, fmt="spdx")["@graph"] if e["type"] == "Annotation"]
    assert any("riskregistry:rating.score=55" in s for s in statements)
    assert errors(spdx_validator(), _render(rated, fmt="spdx")) == []


HOSTILE = [
    'He said "hi" \\ back',
    "<script>alert(1)</script><img src=x onerror=alert(2)>",
    "Модель 模型 🤖 ünïcödé",
    "'; DROP TABLE x; --",
    "line\nbreak\ttab",
]


def test_hostile_names_stay_valid_and_intact():
    publisher = factories.PublisherFactory(key="hostile", name=HOSTILE[0], legal_entity=HOSTILE[1], country="FR")
    usage = factories.ModelUsageFactory(
        model__kind="declared",
        model__name=HOSTILE[2],
        model__publisher=publisher,
        model__datasets=HOSTILE,
        model__license="other",
        model__license_name=HOSTILE[1],
        product__name=HOSTILE[1],
        product__vendor__name=HOSTILE[3],
        product__description=HOSTILE[4],
    )
    parent = factories.AIModelFactory(kind="declared", name=HOSTILE[4], publisher=publisher)
    _edge(usage.model, parent, "unknown", "analyst")
    bom_input = product_bom_input(usage.product)
    for spec in ("1.6", "1.7"):
        document = _render(bom_input, spec=spec)
        assert errors(cyclonedx_validator(spec), document) == []
    assert {c["name"] for c in document["components"] if c["type"] == "data"} == set(HOSTILE)
    assert document["metadata"]["component"]["name"] == HOSTILE[1]
    assert _component(document, HOSTILE[2])["pedigree"]["ancestors"][0]["name"] == HOSTILE[4]
    spdx = _render(bom_input, fmt="spdx")
    assert errors(spdx_validator(), spdx) == []
    assert {e["name"] for e in spdx["@graph"] if e["type"] == "dataset_DatasetPackage"} == set(HOSTILE)


def test_a_500_node_graph_is_valid_and_every_ancestor_appears_once():
    publishers = [factories.PublisherFactory(key=f"p{i}", country=c) for i, c in enumerate(["CN", "US", "FR", "AE"])]
    models = AIModel.objects.bulk_create(
        AIModel(
            name=f"org{i % 37}/node-{i}",
            status="resolved",
            publisher=publishers[i % 4],
            datasets=[f"set-{i % 11}"],
            license="apache-2.0" if i % 2 else "other",
        )
        for i in range(500)
    )
    now = timezone.now()
    # Node i derives from i+1 and (every third node) from i+7 as well: long chains with many diamonds.
    edges = [
        LineageEdge(child=models[i], parent=models[j], relation=rel, source="card", observed_at=now)
        for i in range(499)
        for j, rel in ((i + 1, "finetune"), (i + 7, "merge"))
        if j < 500 and (rel == "finetune" or i % 3 == 0)
    ]
    LineageEdge.objects.bulk_create(edges)
    usage = factories.ModelUsageFactory(model=models[0])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.LINEAGE_MAX_DEPTH", 600)
        bom_input = product_bom_input(usage.product)
    assert len(bom_input.models) == 500
    document = _render(bom_input)
    assert errors(cyclonedx_validator("1.6"), document) == []
    subject = _component(document, models[0].name)
    names = [a["name"] for a in subject["pedigree"]["ancestors"]]
    assert len(names) == len(set(names)) == 499
    assert len([d for d in document["dependencies"] if d["ref"].startswith("model:")]) == 500
    assert _props(subject, "origin-country") == ["AE", "CN", "FR", "US"]
    spdx = _render(bom_input, fmt="spdx")
    assert errors(spdx_validator(), spdx) == []
    assert sum(
        1 for e in spdx["@graph"] if e["type"] == "Relationship" and e["relationshipType"] == "descendantOf"
    ) == (len(edges))


# --- The pure module, table-driven ------------------------------------------------------------------------------


def _plain(edges):
    return [Edge(child=c, parent=p, relation=r, source="card") for c, p, r in edges]


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ([], []),
        ([("a", "b", "finetune")], [("b", 1, "finetune")]),
        (
            [("a", "b", "merge"), ("a", "c", "merge"), ("b", "d", "finetune"), ("c", "d", "adapter")],
            [("b", 1, "merge"), ("c", 1, "merge"), ("d", 2, "finetune")],
        ),
        ([("a", "b", "finetune"), ("b", "a", "finetune")], [("b", 1, "finetune")]),  # a cycle ends
    ],
)
def test_ancestors_are_each_listed_once_nearest_first(edges, expected):
    found = ancestors("a", parents_of(_plain(edges)))
    assert [(f.key, f.depth, f.relation) for f in found] == expected


def test_graph_diff_names_models_edges_and_usages_added_and_removed():
    org = Org(key="x", name="X", country="CN")
    old = BomInput(
        product=Product(id=1, name="p", vendor=org),
        usages=(),
        models=(Model(key="a", kind="hub", name="a"), Model(key="b", kind="hub", name="b", publisher=org)),
        edges=tuple(_plain([("a", "b", "finetune")])),
    )
    new = BomInput(
        product=old.product,
        usages=(),
        models=(Model(key="a", kind="hub", name="a", sha="1"), Model(key="c", kind="hub", name="c")),
        edges=tuple(_plain([("a", "c", "merge")])),
    )
    change = diff(snapshot(old), snapshot(new))
    assert change.models_added == ("c",) and change.models_removed == ("b",) and change.models_changed == ("a",)
    assert change.edges_added == (("a", "c", "merge"),) and change.edges_removed == (("a", "b", "finetune"),)
    assert diff(snapshot(old), snapshot(old)).empty
    assert digest(snapshot(old)) == digest(snapshot(old)) != digest(snapshot(new))


# --- The demo portfolio: every product, resolved against the fake hub, fully validated ------------------------


def test_demo_products_export_valid_and_complete_boms(fake_hub):
    from django.core.management import call_command

    from vendors.models import LineageRefresh, ModelUsage, Product
    from vendors.services import lineage

    call_command("load_demo", verbosity=0)
    refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.PORTFOLIO)
    lineage.lineage_refresh_run(refresh_id=refresh.pk)
    deep = ModelUsage.objects.filter(model__name="bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF").first().product
    products = list(Product.objects.filter(model_usages__isnull=False).distinct().order_by("pk"))
    assert len(products) >= 10 and deep in products
    validators = {spec: cyclonedx_validator(spec) for spec in ("1.6", "1.7")}
    spdx = spdx_validator()
    for product in products:
        bom_input = product_bom_input(product, risk=mbom_risk, include_rating=True)
        for spec, validator in validators.items():
            assert errors(validator, _render(bom_input, spec=spec)) == [], product
        assert errors(spdx, _render(bom_input, fmt="spdx")) == [], product
        in_use = [u.model for u in product.model_usages.filter(retired_at__isnull=True)]
        report = {r.subject: r for r in lineage_reports(in_use)}
        document = _render(bom_input)
        datasets = {c["name"] for c in document["components"] if c["type"] == "data"}
        for subject, found in report.items():
            component = next(c for c in document["components"] if c["bom-ref"] == f"model:{subject}")
            entries = component.get("pedigree", {}).get("ancestors", ())
            listed = [a["name"] for a in entries]
            keys = [_props(a, "ref")[0].removeprefix("model:") for a in entries]
            assert sorted(keys) == sorted(found.ancestry.ancestors) and len(listed) == len(set(keys)), product
            assert set(_props(component, "origin-country")) == set(found.countries), product
            assert set(found.as_json()["datasets"]) <= datasets, product
    deep_doc = _render(product_bom_input(deep))
    assert "CN" in _props(_component(deep_doc, "bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF"), "origin-country")
