"""A product's supply chain as SPDX 3.0.1 JSON-LD with the AI and Dataset profiles, built with the SPDX
project's own Python bindings (spdx-python-model).

Each model is an ``ai_AIPackage``, each dataset a ``dataset_DatasetPackage``, the product a ``software_Package``
supplied by its vendor; ``descendantOf`` relationships carry the chain (one per edge, its relation and evidence in
the comment), ``trainedOn`` the datasets, ``hasDeclaredLicense`` the licences, ``dependsOn`` the product's models.
SPDX has no country on an ``Organization``: each organisation's country, and each usage's host, are stated in
``Annotation``s whose statements use the ``riskregistry:`` keys the CycloneDX properties use.

An inferred parent is never a ``descendantOf``: it is an ``other`` relationship whose comment says it is an
inferred, undeclared descent, annotated with its source, confidence and evidence (``riskregistry:lineage:inferred-*``
lines); a parent in the document only because it was inferred says so in its comment and an annotation.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from urllib.parse import quote

from spdx_python_model import v3_0_1 as spdx

from vendors.bom.cyclonedx import inferred_edge_json, license_entry
from vendors.bom.data import BomInput, Model, Org
from vendors.bom.graph import inferred_limitation, inferred_of, parents_of

_TYPE_OF_MODEL = {"hub": "open-weight model", "closed": "closed API model", "declared": "declared-only model"}


class _Ids:
    """Stable element ids under the product's namespace (percent-encoded, so any name makes a valid IRI)."""

    def __init__(self, product_id: int) -> None:
        self.base = f"urn:riskregistry:product:{product_id}"

    def __call__(self, kind: str, *parts: object) -> str:
        return "/".join([self.base, kind, *(quote(str(part), safe="") for part in parts)])


def _license_expression(license_id: str, license_name: str) -> str | None:
    entry = license_entry(license_id, license_name)
    if entry is None:
        return None
    if "id" in entry["license"]:
        return entry["license"]["id"]
    ref = re.sub(r"[^A-Za-z0-9.\-]+", "-", entry["license"]["name"]).strip("-") or "unknown"
    return f"LicenseRef-{ref}"


def build(bom: BomInput, *, serial: str, timestamp: datetime) -> dict:
    """The SPDX document as a JSON-ready dict."""
    ids = _Ids(bom.product.id)
    info = spdx.CreationInfo(specVersion="3.0.1", created=timestamp)
    creator = spdx.Organization(_id=ids("agent", "riskregistry"), name="riskregistry", creationInfo=info)
    tool = spdx.Tool(_id=ids("tool", "riskregistry"), name=f"riskregistry {bom.tool_version}".strip())
    tool.creationInfo = info
    info.createdBy = [creator]
    info.createdUsing = [tool]
    elements: list = [creator, tool]
    orgs: dict[str, spdx.Organization] = {}

    def organization(org: Org, kind: str) -> spdx.Organization:
        key = f"{kind}:{org.key}"
        if key not in orgs:
            element = spdx.Organization(_id=ids(kind, org.key), name=org.legal_entity or org.name, creationInfo=info)
            if org.legal_entity and org.legal_entity != org.name:
                element.summary = org.name
            orgs[key] = element
            elements.append(element)
            if org.country:
                elements.append(
                    _annotation(ids("annotation", kind, org.key, "country"), element, [("country", org.country)], info)
                )
        return orgs[key]

    product = spdx.software_Package(_id=ids("product"), name=bom.product.name, creationInfo=info)
    product.software_primaryPurpose = spdx.software_SoftwarePurpose.application
    product.suppliedBy = organization(bom.product.vendor, "vendor")
    if bom.product.description:
        product.description = bom.product.description
    product.software_packageVersion = f"mbom-{bom.version}"
    elements.append(product)

    packages: dict[str, spdx.ai_AIPackage] = {}
    inferred = inferred_of(bom.inferred)
    inferred_only = {m.key for m in bom.inferred_models}
    for model in sorted((*bom.models, *bom.inferred_models), key=lambda m: m.key):
        package = _model_package(
            model, ids, info, organization, inferred.get(model.key, ()), model.key in inferred_only
        )
        packages[model.key] = package
        elements.append(package)
        if model.key in inferred_only:
            elements.append(
                _annotation(
                    ids("annotation", "inferred-only", model.key), package, [("lineage:inferred-only", "true")], info
                )
            )
    datasets: dict[str, spdx.dataset_DatasetPackage] = {}
    for name in sorted({d for m in bom.models for d in m.datasets}):
        element = spdx.dataset_DatasetPackage(_id=ids("dataset", name), name=name, creationInfo=info)
        element.dataset_datasetType = [spdx.dataset_DatasetType.other]
        element.software_primaryPurpose = spdx.software_SoftwarePurpose.data
        element.software_downloadLocation = "NOASSERTION"
        datasets[name] = element
        elements.append(element)

    def relate(rid: str, source, kind, targets: list, comment: str = "") -> None:
        rel = spdx.Relationship(_id=rid, creationInfo=info, relationshipType=kind)
        rel.from_ = source
        rel.to = targets
        if comment:
            rel.comment = comment
        elements.append(rel)

    for usage in sorted(bom.usages, key=lambda u: (u.model, u.role, u.id)):
        relate(
            ids("relationship", "uses", usage.id),
            product,
            spdx.RelationshipType.dependsOn,
            [packages[usage.model]],
            f"riskregistry:usage.role={usage.role}",
        )
        pairs = [("usage.role", usage.role), ("usage.declared-by", usage.declared_by), ("usage.share", usage.share)]
        if usage.host is not None:
            host = usage.host
            pairs += [
                ("host.provider", host.name),
                ("host.operator", host.operator),
                ("host.operator-country", host.operator_country),
                ("host.region", host.region_code),
                ("host.region-country", host.region_country),
            ]
        elements.append(_annotation(ids("annotation", "usage", usage.id), packages[usage.model], pairs, info))
        for finding in usage.findings:
            elements.append(
                _annotation(
                    ids("annotation", "finding", usage.id, finding.code),
                    packages[usage.model],
                    [("finding", f"{finding.title} [{finding.code}, {finding.status}]")],
                    info,
                    review=True,
                )
            )
        if bom.include_rating and usage.rating is not None:
            rating = usage.rating
            pairs = [
                ("usage.id", usage.id),
                ("rating.score", rating.score),
                ("rating.tier", rating.tier),
                ("rating.policy-version", rating.policy_version),
            ]
            pairs += [("rating.factor", f"{f.code} ({f.points:+d}): {f.reason}") for f in rating.factors]
            elements.append(_annotation(ids("annotation", "rating", usage.id), product, pairs, info, review=True))

    for child, edges in sorted(parents_of(bom.edges).items()):
        for edge in edges:
            relate(
                ids("relationship", "descendant", child, edge.parent),
                packages[child],
                spdx.RelationshipType.descendantOf,
                [packages[edge.parent]],
                f"riskregistry:relation={edge.relation}; riskregistry:evidence={edge.source}",
            )
    for child, edges in sorted(inferred.items()):
        countries = sorted({country for edge in edges for country in edge.origin_countries})
        if countries:
            elements.append(
                _annotation(
                    ids("annotation", "inferred-origin", child),
                    packages[child],
                    [("lineage:inferred-origin-country", c) for c in countries],
                    info,
                )
            )
        for edge in edges:
            rid = ids("relationship", "inferred", child, edge.parent)
            relate(
                rid,
                packages[child],
                spdx.RelationshipType.other,
                [packages[edge.parent]],
                f"riskregistry:lineage:inferred=descendantOf (inferred, not declared); riskregistry:relation="
                f"{edge.relation}; riskregistry:lineage:inferred-source={edge.source}; "
                f"riskregistry:lineage:inferred-confidence={edge.confidence:.2f}",
            )
            elements.append(
                _annotation(
                    ids("annotation", "inferred", child, edge.parent),
                    elements[-1],
                    [("lineage:inferred-parent", edge.label()), ("lineage:inferred-edge", inferred_edge_json(edge))],
                    info,
                )
            )
    for model in sorted(bom.models, key=lambda m: m.key):
        if model.datasets:
            relate(
                ids("relationship", "trained", model.key),
                packages[model.key],
                spdx.RelationshipType.trainedOn,
                [datasets[name] for name in model.datasets],
            )
        expression = _license_expression(model.license, model.license_name)
        if expression:
            licence = spdx.simplelicensing_LicenseExpression(
                _id=ids("license", model.key), creationInfo=info, simplelicensing_licenseExpression=expression
            )
            elements.append(licence)
            relate(
                ids("relationship", "license", model.key),
                packages[model.key],
                spdx.RelationshipType.hasDeclaredLicense,
                [licence],
            )

    document = spdx.SpdxDocument(_id=f"urn:uuid:{serial}", creationInfo=info, name=f"MBOM of {bom.product.name}")
    document.profileConformance = [
        spdx.ProfileIdentifierType.core,
        spdx.ProfileIdentifierType.software,
        spdx.ProfileIdentifierType.ai,
        spdx.ProfileIdentifierType.dataset,
    ]
    document.rootElement = [product]
    document.element = elements
    objects = spdx.SHACLObjectSet([document, *elements])
    return spdx.JSONLDSerializer().serialize_data(objects, force_at_graph=True)


def _model_package(
    model: Model, ids: _Ids, info, organization, inferred=(), inferred_only: bool = False
) -> spdx.ai_AIPackage:
    package = spdx.ai_AIPackage(_id=ids("model", model.key), name=model.name, creationInfo=info)
    package.software_primaryPurpose = spdx.software_SoftwarePurpose.model
    if model.sha:
        package.software_packageVersion = model.sha
    if model.publisher is not None:
        publisher = organization(model.publisher, "publisher")
        package.suppliedBy = publisher
        package.originatedBy = [publisher]
    package.software_downloadLocation = model.hub_url or "NOASSERTION"
    if model.hub_url:
        package.software_homePage = model.hub_url
    if model.released:
        package.releaseTime = datetime.fromisoformat(model.released)
    package.ai_typeOfModel = [_TYPE_OF_MODEL.get(model.kind, model.kind)]
    if model.task:
        package.ai_domain = [model.task]
    limitations = list(model.limitations)
    if model.status != "resolved" and model.status_reason:
        limitations.insert(0, f"{model.status}: {model.status_reason}")
    if inferred:
        limitations.append(inferred_limitation(inferred))
    if inferred_only:
        limitations.append(
            "In this document only as a parent inferred for another model: its own lineage is not stated."
        )
    if limitations:
        package.ai_limitation = "; ".join(limitations)
    package.comment = f"riskregistry:model.kind={model.kind}; riskregistry:model.status={model.status}" + (
        f"; riskregistry:model.declared-source={model.declared_source}" if model.declared_source else ""
    )
    if inferred_only:
        package.comment += "; riskregistry:lineage:inferred-only=true"
    return package


def _annotation(spdx_id: str, subject, pairs, info, *, review: bool = False) -> spdx.Annotation:
    statement = "\n".join(f"riskregistry:{name}={value}" for name, value in pairs if value not in ("", None))
    annotation = spdx.Annotation(
        _id=spdx_id,
        creationInfo=info,
        annotationType=spdx.AnnotationType.review if review else spdx.AnnotationType.other,
        subject=subject,
        statement=statement,
    )
    return annotation


def render(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
