"""A product's supply chain as a CycloneDX ML-BOM (JSON, spec 1.6 or 1.7).

Built by hand because cyclonedx-python-lib has no ``modelCard``; that library only supplies SPDX licence ids
here. Every list is sorted, so the same chain gives the same document apart from ``serialNumber`` and
``metadata.timestamp``. What CycloneDX has no field for is a ``riskregistry:`` property (README, "MBOM").

Inferred parents (``riskregistry:lineage:inferred-*`` properties) are never declared lineage: they are in no
``pedigree`` and no ``dependencies`` entry. A parent in the BOM only because it was inferred is a component of its
own, flagged ``riskregistry:lineage:inferred-only``, and the models inferred about stay ``incomplete``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from cyclonedx.spdx import fixup_id

from vendors.bom.data import BomInput, Host, InferredEdge, Model, Org, Usage
from vendors.bom.graph import Ancestor, ancestors, children_of, inferred_limitation, inferred_of, parents_of

SPECS = ("1.6", "1.7")
NS = "riskregistry:"


def model_ref(key: str) -> str:
    return f"model:{key}"


def dataset_ref(name: str) -> str:
    return f"dataset:{name}"


def product_ref(product_id: int) -> str:
    return f"product:{product_id}"


def _prop(name: str, value) -> dict:
    return {"name": NS + name, "value": str(value)}


def _props(pairs: Iterable[tuple[str, object]]) -> list[dict]:
    return [_prop(name, value) for name, value in pairs if value not in ("", None)]


def _org(org: Org) -> dict:
    entity: dict = {"name": org.legal_entity or org.name}
    if org.country:
        entity["address"] = {"country": org.country}
    if org.website:
        entity["url"] = [org.website]
    return entity


def license_entry(license_id: str, license_name: str = "") -> dict | None:
    """``{"license": {"id": ...}}`` when the hub's licence is an SPDX id (any case), else by name."""
    if not license_id and not license_name:
        return None
    spdx = fixup_id(license_id) if license_id else None
    if spdx:
        return {"license": {"id": spdx}}
    name = license_name or license_id
    if license_id and license_name and license_id != license_name:
        name = f"{license_id}: {license_name}"
    return {"license": {"name": name}}


def _external_references(model: Model) -> list[dict]:
    if not model.hub_url:
        return []
    revision = model.sha or "main"
    return [
        {"type": "website", "url": model.hub_url, "comment": "The model's page on the model hub"},
        {"type": "model-card", "url": f"{model.hub_url}/blob/{revision}/README.md", "comment": "The model card"},
    ]


def _host_props(host: Host) -> list[tuple[str, object]]:
    return [
        ("host.provider", host.name),
        ("host.operator", host.operator),
        ("host.operator-country", host.operator_country),
        ("host.region", host.region_code),
        ("host.region-country", host.region_country),
    ]


def _usage_props(usage: Usage, include_rating: bool) -> list[tuple[str, object]]:
    pairs: list[tuple[str, object]] = [
        ("usage.id", usage.id),
        ("usage.role", usage.role),
        ("usage.share", usage.share),
        ("usage.declared-by", usage.declared_by),
    ]
    if usage.host is not None:
        pairs += _host_props(usage.host)
    if include_rating and usage.rating is not None:
        rating = usage.rating
        pairs += [
            ("rating.score", rating.score),
            ("rating.tier", rating.tier),
            ("rating.policy-version", rating.policy_version),
        ]
        pairs += [("rating.factor", f"{f.code} ({f.points:+d}): {f.reason}") for f in rating.factors]
    return pairs


def _ancestor_entry(bom: BomInput, found) -> dict:
    model = bom.model(found.key)
    entry: dict = {"type": "machine-learning-model", "name": model.name}
    if model.sha:
        entry["version"] = model.sha
    if model.publisher is not None:
        entry["publisher"] = model.publisher.name
    entry["properties"] = _props(
        [
            ("ref", model_ref(model.key)),
            ("depth", found.depth),
            ("derived-by", found.via),
            ("relation", found.relation),
            ("evidence", found.source),
        ]
    )
    return entry


def _descendant_entry(bom: BomInput, key: str, relation: str) -> dict:
    model = bom.model(key)
    entry: dict = {"type": "machine-learning-model", "name": model.name}
    if model.sha:
        entry["version"] = model.sha
    entry["properties"] = _props([("ref", model_ref(key)), ("relation", relation)])
    return entry


def inferred_edge_json(edge: InferredEdge) -> str:
    """One inferred parent as the JSON text of a ``riskregistry:lineage:inferred-edge`` property (or annotation
    line): the lineage contract's ``inferred_edges`` row, with the parent's ``bom-ref``."""
    row = {
        "child": edge.child,
        "parent": edge.parent,
        "ref": model_ref(edge.parent),
        "relation": edge.relation,
        "source": edge.source,
        "confidence": edge.confidence,
        "declared": False,
        "evidence": {
            "family": edge.family or None,
            "matched": list(edge.matched),
            "not_matched": list(edge.not_matched),
            "notes": list(edge.notes),
        },
        "origin_countries": list(edge.origin_countries),
    }
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def inferred_props(edges: list[InferredEdge], children: list[InferredEdge]) -> list[tuple[str, object]]:
    """The ``lineage:inferred-*`` properties of a model: its inferred parents (``edges``) and the models it is
    an inferred parent of (``children``)."""
    pairs: list[tuple[str, object]] = []
    for edge in edges:
        pairs += [("lineage:inferred-parent", edge.label()), ("lineage:inferred-edge", inferred_edge_json(edge))]
    countries = sorted({country for edge in edges for country in edge.origin_countries})
    pairs += [("lineage:inferred-origin-country", country) for country in countries]
    pairs += [
        ("lineage:inferred-parent-of", f"{e.child} ({e.relation}, {e.confidence:.2f}, {e.source})") for e in children
    ]
    return pairs


def _model_card(model: Model, bom: BomInput, usages: list[Usage]) -> dict:
    parameters: dict = {}
    if model.task:
        parameters["task"] = model.task
    if model.library:
        parameters["architectureFamily"] = model.library
    if model.datasets:
        parameters["datasets"] = [{"ref": dataset_ref(name)} for name in model.datasets]
    considerations: dict = {}
    limitations = list(model.limitations)
    if model.status != "resolved" and model.status_reason:
        limitations.insert(0, f"{model.status}: {model.status_reason}")
    inferred = inferred_of(bom.inferred).get(model.key)
    if inferred:
        limitations.append(inferred_limitation(inferred))
    if model.key in {m.key for m in bom.inferred_models}:
        limitations.append("In this BOM only as a parent inferred for another model: its own lineage is not stated.")
    if model.kind == "closed":
        limitations.append("Closed API model: weights, revision and training data are not public.")
    if model.kind == "declared":
        limitations.append("Declared only: no public record; what is known is what was declared.")
    if limitations:
        considerations["technicalLimitations"] = limitations
    risks = sorted(
        {(f.code, f.title, f.status) for usage in usages for f in usage.findings}, key=lambda row: (row[0], row[1])
    )
    if risks:
        considerations["ethicalConsiderations"] = [
            {"name": f"{title} [{code}, {status}]", "mitigationStrategy": "Tracked as a finding in riskregistry."}
            for code, title, status in risks
        ]
    card: dict = {"bom-ref": f"model-card:{model.key}"}
    if parameters:
        card["modelParameters"] = parameters
    if considerations:
        card["considerations"] = considerations
    return card


def _model_component(
    bom: BomInput, model: Model, parents, children, usages_of, edge_relation, inferred=None, inferred_only=False
) -> dict:
    component: dict = {"type": "machine-learning-model", "bom-ref": model_ref(model.key), "name": model.name}
    if model.sha:
        component["version"] = model.sha
    if model.publisher is not None:
        component["publisher"] = model.publisher.name
        component["manufacturer"] = _org(model.publisher)
    lic = license_entry(model.license, model.license_name)
    if lic:
        component["licenses"] = [lic]
    refs = _external_references(model)
    if refs:
        component["externalReferences"] = refs
    usages = usages_of.get(model.key, [])
    component["modelCard"] = _model_card(model, bom, usages)
    # A model the product uses lists its whole ancestry (each ancestor once); a model further up lists its direct
    # parents, so a long chain costs its length, not its square.
    if model.key in usages_of:
        found = ancestors(model.key, parents)
    else:
        found = [Ancestor(e.parent, 1, model.key, e.relation, e.source) for e in parents.get(model.key, ())]
    kids = children.get(model.key, [])
    if found or kids:
        pedigree: dict = {}
        if found:
            pedigree["ancestors"] = [_ancestor_entry(bom, a) for a in found]
        if kids:
            pedigree["descendants"] = [_descendant_entry(bom, k, edge_relation[(k, model.key)]) for k in kids]
        component["pedigree"] = pedigree
    pairs: list[tuple[str, object]] = [
        ("model.kind", model.kind),
        ("model.status", model.status),
        ("model.declared-source", model.declared_source),
        ("model.gated", model.gated),
        ("model.released", model.released),
        ("publisher.key", model.publisher.key if model.publisher else ""),
        ("publisher.country", model.publisher.country if model.publisher else ""),
    ]
    pairs += [("publisher.flag", flag) for flag in (model.publisher.flags if model.publisher else ())]
    pairs += [("model.alias", alias) for alias in model.aliases]
    pairs += [("parent", f"{e.parent} ({e.relation}, per {e.source})") for e in parents.get(model.key, ())]
    pairs += [("origin-country", c) for c in _origin_countries(bom, model.key, parents)]
    if inferred_only:
        pairs.append(("lineage:inferred-only", "true"))
    if inferred is not None:
        pairs += inferred_props(inferred[0].get(model.key, []), inferred[1].get(model.key, []))
    for usage in usages:
        pairs += _usage_props(usage, bom.include_rating)
    component["properties"] = _props(pairs)
    return component


def _origin_countries(bom: BomInput, key: str, parents) -> list[str]:
    """The countries of the publishers of the model and all its ancestors (re-packagers are never an origin)."""
    countries = set()
    for node in [key, *(a.key for a in ancestors(key, parents))]:
        publisher = bom.model(node).publisher
        if publisher and publisher.country and "repackager" not in publisher.flags:
            countries.add(publisher.country)
    return sorted(countries)


def _dataset_component(name: str, used_by: list[str]) -> dict:
    return {
        "type": "data",
        "bom-ref": dataset_ref(name),
        "name": name,
        "data": [{"type": "dataset", "name": name}],
        "properties": _props([("dataset.used-by", key) for key in used_by]),
    }


def build(bom: BomInput, *, spec: str = "1.6", serial: str, timestamp: str) -> dict:
    """The BOM as a JSON-ready dict. ``serial`` is a UUID string; ``timestamp`` an ISO 8601 date-time."""
    if spec not in SPECS:
        raise ValueError(f"CycloneDX spec {spec} is not supported; choose one of {', '.join(SPECS)}")
    parents = parents_of(bom.edges)
    children = children_of(bom.edges)
    edge_relation = {(e.child, e.parent): e.relation for e in bom.edges}
    usages_of: dict[str, list[Usage]] = {}
    for usage in sorted(bom.usages, key=lambda u: (u.model, u.role, u.id)):
        usages_of.setdefault(usage.model, []).append(usage)
    datasets: dict[str, list[str]] = {}
    for model in bom.models:
        for name in model.datasets:
            datasets.setdefault(name, []).append(model.key)
    product = bom.product
    subject: dict = {
        "type": "application",
        "bom-ref": product_ref(product.id),
        "name": product.name,
        "supplier": _org(product.vendor),
    }
    if product.description:
        subject["description"] = product.description
    subject["properties"] = _props(
        [
            ("product.id", product.id),
            ("product.criticality", product.criticality),
            ("vendor.country", product.vendor.country),
            *(("product.data-category", code) for code in product.data_categories),
        ]
    )
    inferred_children: dict[str, list[InferredEdge]] = {}
    for edge in sorted(bom.inferred, key=lambda e: (e.parent, e.child)):
        inferred_children.setdefault(edge.parent, []).append(edge)
    inferred = (inferred_of(bom.inferred), inferred_children)
    inferred_only = {m.key for m in bom.inferred_models}
    components = [
        _model_component(bom, m, parents, children, usages_of, edge_relation, inferred, m.key in inferred_only)
        for m in sorted((*bom.models, *bom.inferred_models), key=lambda m: m.key)
    ]
    components += [_dataset_component(name, sorted(keys)) for name, keys in sorted(datasets.items())]
    dependencies = [
        {"ref": product_ref(product.id), "dependsOn": sorted({model_ref(u.model) for u in bom.usages})},
        *(
            {
                "ref": model_ref(m.key),
                "dependsOn": sorted(
                    {model_ref(e.parent) for e in parents.get(m.key, ())} | {dataset_ref(d) for d in m.datasets}
                ),
            }
            for m in sorted(bom.models, key=lambda m: m.key)
        ),
        *({"ref": dataset_ref(name), "dependsOn": []} for name in sorted(datasets)),
    ]
    # A chain completed only by inference stays incomplete; an inferred-only parent's own lineage is not stated.
    inferred_children_keys = {e.child for e in bom.inferred}
    incomplete = sorted(
        model_ref(m.key)
        for m in bom.models
        if m.status != "resolved" or m.limitations or m.key in inferred_children_keys
    )
    document: dict = {
        "$schema": f"http://cyclonedx.org/schema/bom-{spec}.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": spec,
        "serialNumber": f"urn:uuid:{serial}",
        "version": bom.version,
        "metadata": {
            "timestamp": timestamp,
            "tools": {
                "components": [
                    {
                        "type": "application",
                        "name": "riskregistry",
                        **({"version": bom.tool_version} if bom.tool_version else {}),
                    }
                ]
            },
            "component": subject,
            "supplier": _org(product.vendor),
        },
        "components": components,
        "dependencies": dependencies,
    }
    compositions = []
    if incomplete:
        compositions.append({"aggregate": "incomplete", "assemblies": incomplete})
    if inferred_only:
        compositions.append({"aggregate": "unknown", "assemblies": sorted(model_ref(k) for k in inferred_only)})
    if compositions:
        document["compositions"] = compositions
    return document


def render(document: dict) -> str:
    """The JSON text: indented, UTF-8 kept as is, keys in the order built (stable)."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
