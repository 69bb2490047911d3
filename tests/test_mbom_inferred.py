"""Inferred parents in the MBOM exports: stated apart from the declared lineage (never a pedigree ancestor, a
``dependsOn`` or a ``descendantOf``), labelled with their source, confidence and evidence, and valid against the
official CycloneDX and SPDX schemas."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.utils import timezone

from tests import factories
from tests.mbom_schemas import cyclonedx_validator, errors, spdx_validator
from vendors import bom
from vendors.bom.graph import diff, snapshot
from vendors.models import InferredEdge, LineageEdge
from vendors.selectors.bom import product_bom_input

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
HOSTILE = '<script>alert("x")</script> & "quoted" \\ back'


def _render(bom_input, fmt="cyclonedx", spec="1.6") -> dict:
    return json.loads(bom.render(bom_input, fmt=fmt, spec=spec, serial=str(uuid.uuid4()), timestamp=WHEN))


def _silent_product():
    """A product on a repo whose metadata names no parent, inferred (from its config) to derive from a Chinese
    instruct model that itself declares its base; and on a declared fine-tune of a US base."""
    alibaba = factories.PublisherFactory(key="t-alibaba", name="Alibaba Cloud", country="CN", legal_entity="Alibaba")
    meta = factories.PublisherFactory(key="t-meta", name="Meta", country="US")
    base = factories.AIModelFactory(name="Qwen/Qwen2.5-7B", publisher=alibaba, status="resolved", datasets=["c4"])
    instruct = factories.AIModelFactory(name="Qwen/Qwen2.5-7B-Instruct", publisher=alibaba, status="resolved")
    LineageEdge.objects.create(
        child=instruct, parent=base, relation="finetune", source="card", observed_at=timezone.now()
    )
    silent = factories.AIModelFactory(name="acme/silent-7b", status="resolved", sha="c" * 40)
    llama = factories.AIModelFactory(name="meta-llama/Llama-3.1-8B", publisher=meta, status="resolved")
    tune = factories.AIModelFactory(name="acme/llama-tune", status="resolved")
    LineageEdge.objects.create(child=tune, parent=llama, relation="finetune", source="card", observed_at=timezone.now())
    InferredEdge.objects.create(
        child=silent,
        parent=instruct,
        family="Qwen/Qwen2.5-7B",
        relation="finetune",
        source="inferred:config",
        confidence=0.9234,
        evidence={
            "family": "Qwen/Qwen2.5-7B",
            "matched": ["architecture Qwen2ForCausalLM", f"vocabulary {HOSTILE}"],
            "not_matched": ["torch_dtype"],
            "notes": ["same special tokens"],
        },
        observed_at=timezone.now(),
    )
    # A weaker guess at a model that is in the chain anyway (declared for another usage): no extra component.
    InferredEdge.objects.create(
        child=silent,
        parent=llama,
        relation="unknown",
        source="inferred:tokenizer",
        confidence=0.41,
        evidence={"matched": ["bos token"]},
        observed_at=timezone.now(),
    )
    usage = factories.ModelUsageFactory(model=silent, product__name="Copilot")
    factories.ModelUsageFactory(model=tune, product=usage.product, role="fallback")
    return usage.product


def _component(document: dict, name: str) -> dict:
    return next(c for c in document["components"] if c["name"] == name)


def _props(component: dict, name: str) -> list[str]:
    return [p["value"] for p in component.get("properties", ()) if p["name"] == f"riskregistry:{name}"]


@pytest.mark.parametrize("spec", ["1.6", "1.7"])
def test_cyclonedx_states_inferred_parents_apart_from_the_declared_lineage(spec):
    document = _render(product_bom_input(_silent_product()), spec=spec)
    assert errors(cyclonedx_validator(spec), document) == []

    silent = _component(document, "acme/silent-7b")
    assert "pedigree" not in silent  # no declared ancestor, and an inferred one is never a pedigree ancestor
    assert _props(silent, "parent") == []
    assert _props(silent, "lineage:inferred-parent") == [
        "probably Qwen/Qwen2.5-7B-Instruct, Qwen/Qwen2.5-7B family (finetune, 0.92, inferred:config; "
        "inferred, not declared)",
        "probably meta-llama/Llama-3.1-8B (unknown, 0.41, inferred:tokenizer; inferred, not declared)",
    ]
    rows = [json.loads(value) for value in _props(silent, "lineage:inferred-edge")]
    assert rows[0] == {
        "child": "acme/silent-7b",
        "parent": "Qwen/Qwen2.5-7B-Instruct",
        "ref": "model:Qwen/Qwen2.5-7B-Instruct",
        "relation": "finetune",
        "source": "inferred:config",
        "confidence": 0.92,
        "declared": False,
        "evidence": {
            "family": "Qwen/Qwen2.5-7B",
            "matched": ["architecture Qwen2ForCausalLM", f"vocabulary {HOSTILE}"],
            "not_matched": ["torch_dtype"],
            "notes": ["same special tokens"],
        },
        "origin_countries": ["CN"],
    }
    assert rows[1]["source"] == "inferred:tokenizer" and rows[1]["origin_countries"] == ["US"]
    # Countries reached only by inference are not origin countries: they have their own property.
    assert _props(silent, "origin-country") == []
    assert _props(silent, "lineage:inferred-origin-country") == ["CN", "US"]
    limitations = silent["modelCard"]["considerations"]["technicalLimitations"]
    assert any(
        text.startswith("Its metadata names no parent; inferred, not declared: probably Qwen") for text in limitations
    )

    # The inferred parent is a component of its own, flagged as in the BOM only by inference; its declared base
    # (reached only through the inference) is not stated as part of the chain.
    instruct = _component(document, "Qwen/Qwen2.5-7B-Instruct")
    assert _props(instruct, "lineage:inferred-only") == ["true"]
    assert _props(instruct, "lineage:inferred-parent-of") == ["acme/silent-7b (finetune, 0.92, inferred:config)"]
    assert "pedigree" not in instruct and "datasets" not in instruct["modelCard"].get("modelParameters", {})
    assert "Qwen/Qwen2.5-7B" not in {c["name"] for c in document["components"]}
    llama = _component(document, "meta-llama/Llama-3.1-8B")
    assert _props(llama, "lineage:inferred-only") == []  # declared for the other usage
    assert _props(llama, "lineage:inferred-parent-of") == ["acme/silent-7b (unknown, 0.41, inferred:tokenizer)"]

    # Never a declared dependency: the silent model depends on nothing, the inferred-only parent has no entry.
    depends = {d["ref"]: d["dependsOn"] for d in document["dependencies"]}
    assert depends["model:acme/silent-7b"] == []
    assert "model:Qwen/Qwen2.5-7B-Instruct" not in depends
    assert not any("model:Qwen/Qwen2.5-7B-Instruct" in targets for targets in depends.values())
    assert depends["model:acme/llama-tune"] == ["model:meta-llama/Llama-3.1-8B"]
    # A chain completed only by inference stays incomplete; the inferred-only parent's own lineage is unknown.
    compositions = {c["aggregate"]: c["assemblies"] for c in document["compositions"]}
    assert "model:acme/silent-7b" in compositions["incomplete"]
    assert compositions["unknown"] == ["model:Qwen/Qwen2.5-7B-Instruct"]


def test_spdx_states_inferred_parents_as_annotated_other_relationships():
    document = _render(product_bom_input(_silent_product()), fmt="spdx")
    assert errors(spdx_validator(), document) == []
    graph = document["@graph"]
    name = {e.get("spdxId"): e.get("name") for e in graph}
    relationships = [e for e in graph if e["type"] == "Relationship"]
    descends = {(name[r["from"]], name[r["to"][0]]) for r in relationships if r["relationshipType"] == "descendantOf"}
    assert descends == {("acme/llama-tune", "meta-llama/Llama-3.1-8B")}  # the declared edge only

    inferred = {(name[r["from"]], name[r["to"][0]]): r for r in relationships if r["relationshipType"] == "other"}
    assert set(inferred) == {
        ("acme/silent-7b", "Qwen/Qwen2.5-7B-Instruct"),
        ("acme/silent-7b", "meta-llama/Llama-3.1-8B"),
    }
    relation = inferred[("acme/silent-7b", "Qwen/Qwen2.5-7B-Instruct")]
    assert relation["comment"] == (
        "riskregistry:lineage:inferred=descendantOf (inferred, not declared); riskregistry:relation=finetune; "
        "riskregistry:lineage:inferred-source=inferred:config; riskregistry:lineage:inferred-confidence=0.92"
    )
    notes = [a for a in graph if a["type"] == "Annotation" and a["subject"] == relation["spdxId"]]
    assert len(notes) == 1
    lines = dict(line.split("=", 1) for line in notes[0]["statement"].split("\n"))
    assert lines["riskregistry:lineage:inferred-parent"].endswith(
        "(finetune, 0.92, inferred:config; inferred, not declared)"
    )
    edge = json.loads(lines["riskregistry:lineage:inferred-edge"])
    assert edge["declared"] is False and edge["evidence"]["matched"][1] == f"vocabulary {HOSTILE}"

    packages = {e["name"]: e for e in graph if e["type"] == "ai_AIPackage"}
    assert packages["Qwen/Qwen2.5-7B-Instruct"]["comment"].endswith("riskregistry:lineage:inferred-only=true")
    assert "inferred, not declared: probably Qwen/Qwen2.5-7B-Instruct" in packages["acme/silent-7b"]["ai_limitation"]
    assert "Qwen/Qwen2.5-7B" not in packages
    uses = {name[r["to"][0]] for r in relationships if r["relationshipType"] == "dependsOn"}
    assert uses == {"acme/silent-7b", "acme/llama-tune"}
    countries = {
        a["statement"]
        for a in graph
        if a["type"] == "Annotation"
        and name.get(a["subject"]) == "acme/silent-7b"
        and "inferred-origin" in a["statement"]
    }
    assert countries == {
        "riskregistry:lineage:inferred-origin-country=CN\nriskregistry:lineage:inferred-origin-country=US"
    }


def test_bom_versions_see_inferred_parents_added_and_changed():
    product = _silent_product()
    first = snapshot(product_bom_input(product))
    assert first["inferred"] == [
        ["acme/silent-7b", "Qwen/Qwen2.5-7B-Instruct", "finetune", "inferred:config", 0.92],
        ["acme/silent-7b", "meta-llama/Llama-3.1-8B", "unknown", "inferred:tokenizer", 0.41],
    ]
    InferredEdge.objects.filter(source="inferred:tokenizer").update(confidence=0.55, relation="finetune")
    change = diff(first, snapshot(product_bom_input(product)))
    assert change.inferred_removed == (
        ("acme/silent-7b", "meta-llama/Llama-3.1-8B", "unknown", "inferred:tokenizer", 0.41),
    )
    assert change.inferred_added == (
        ("acme/silent-7b", "meta-llama/Llama-3.1-8B", "finetune", "inferred:tokenizer", 0.55),
    )
    assert not change.empty and change.edges_added == () and change.models_added == ()
    # A chain with no inferred parent keeps the snapshot (and digest) it had before inference existed.
    InferredEdge.objects.all().delete()
    assert "inferred" not in snapshot(product_bom_input(product))


def test_an_export_read_back_as_a_vendor_bom_declares_no_inferred_parent():
    from vendors.bom import reader

    text = bom.render(product_bom_input(_silent_product()), fmt="cyclonedx", serial=str(uuid.uuid4()), timestamp=WHEN)
    imported = reader.parse(text.encode())
    assert sorted(imported.used) == ["acme/llama-tune", "acme/silent-7b"]  # the inferred-only parent is not used
    assert imported.declared["acme/silent-7b"].parents == ()  # and is nobody's declared parent
    assert reader.chains(imported, "acme/silent-7b") == [["acme/silent-7b"]]
