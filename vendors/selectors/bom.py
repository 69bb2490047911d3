"""A product's supply chain as the plain values ``vendors.bom`` builds a Model Bill of Materials from: its
usages in force, every model of their chains (from one load of the shared lineage subgraph), the edges between
them, the knowledge base's publishers and hosts, and optionally the findings and ratings a door adds."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version

from django.conf import settings
from django.utils import timezone

from vendors import bom
from vendors.lineage.gaps import gaps_from_stored
from vendors.models import AIModel, ModelUsage, Product, Vendor
from vendors.selectors.bom_versions import bom_current_versions
from vendors.selectors.lineage import inferred_parents
from vendors.selectors.subgraph import lineage_subgraph, node_key

#: ``risk(usage_ids) -> {usage id: (findings, rating)}``: what a door adds from the ratings (assessments).
RiskLookup = Callable[[Sequence[int]], Mapping[int, tuple[tuple[bom.data.Finding, ...], bom.data.Rating | None]]]


def tool_version() -> str:
    try:
        return package_version("riskregistry")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return ""


def _org(publisher) -> bom.data.Org | None:
    if publisher is None:
        return None
    return bom.data.Org(
        key=publisher.key,
        name=publisher.name,
        legal_entity=publisher.legal_entity,
        country=publisher.country.code if publisher.country else "",
        flags=tuple(sorted(publisher.flags or ())),
    )


def _model(model: AIModel, aliases: tuple[str, ...]) -> bom.data.Model:
    hub = model.kind == AIModel.Kind.HUB
    limitations = [gap.text() for gap in gaps_from_stored(model.lineage_gaps)]
    return bom.data.Model(
        key=node_key(model),
        kind=model.kind,
        name=model.name,
        status=model.status,
        status_reason=model.status_reason,
        sha=model.sha,
        publisher=_org(model.publisher),
        license=model.license,
        license_name=model.license_name,
        datasets=tuple(str(d) for d in (model.datasets or ()) if str(d).strip()),
        task=model.pipeline_tag,
        library=model.library_name,
        gated=model.gated,
        declared_source=model.declared_source,
        aliases=aliases,
        released=model.hub_created_at.isoformat() if model.hub_created_at else "",
        hub_url=f"{settings.HF_ENDPOINT}/{model.name}" if hub else "",
        limitations=tuple(limitations),
    )


def _inferred(edge, child: str, origins) -> bom.data.InferredEdge:
    evidence = edge.evidence if isinstance(edge.evidence, dict) else {}

    def texts(name: str) -> tuple[str, ...]:
        return tuple(str(item) for item in (evidence.get(name) or ()) if isinstance(item, str))

    return bom.data.InferredEdge(
        child=child,
        parent=node_key(edge.parent),
        relation=edge.relation,
        source=edge.source,
        confidence=round(edge.confidence, 2),
        family=evidence.get("family") if isinstance(evidence.get("family"), str) else edge.family,
        matched=texts("matched"),
        not_matched=texts("not_matched"),
        notes=texts("notes"),
        origin_countries=tuple(origins.get(edge.parent_id, ())),
    )


def _host(usage: ModelUsage) -> bom.data.Host | None:
    if usage.host is None:
        return None
    host, region = usage.host, usage.region
    return bom.data.Host(
        key=host.key,
        name=host.name,
        operator=host.operator,
        operator_country=host.country.code if host.country else "",
        kind=host.kind,
        region_code=region.code if region else "",
        region_country=region.country.code if region and region.country else "",
    )


def _product(product: Product) -> bom.data.Product:
    vendor = product.vendor
    return bom.data.Product(
        id=product.pk,
        name=product.name,
        vendor=bom.data.Org(
            key=str(vendor.pk),
            name=vendor.name,
            country=vendor.country.code if vendor.country else "",
            website=vendor.website,
        ),
        description=product.description,
        criticality=product.criticality,
        data_categories=tuple(sorted(c.code for c in product.data_categories.all())),
    )


def product_bom_inputs(
    products: Iterable[Product],
    *,
    risk: RiskLookup | None = None,
    include_rating: bool = False,
    versions: Mapping[int, int] | None = None,
) -> dict[int, bom.BomInput]:
    """Each product's BOM input, from one load of the lineage subgraph under all their usages in force (shared
    ancestors loaded once). ``versions`` maps product ids to their BOM version (default: the stored one)."""
    products = list(
        Product.objects.select_related("vendor")
        .prefetch_related("data_categories")
        .filter(pk__in=[p.pk for p in products])
        .order_by("pk")
    )
    if not products:
        return {}
    usages = list(
        ModelUsage.objects.filter(product__in=products, retired_at__isnull=True)
        .select_related("model", "host", "region")
        .order_by("product_id", "model__name", "role", "pk")
    )
    graph = lineage_subgraph({u.model_id for u in usages})
    parent_ids: dict[int, list] = graph.edges
    above = inferred_parents(graph)  # inferred parents, stated apart from the declared chain
    risks = risk([u.pk for u in usages]) if risk is not None and usages else {}
    if versions is None:
        versions = bom_current_versions([p.pk for p in products])
    version_text = tool_version()
    models_cache: dict[int, bom.data.Model] = {}

    def model_of(pk: int) -> bom.data.Model:
        if pk not in models_cache:
            if pk in graph.models:
                models_cache[pk] = _model(graph.models[pk], graph.aliases.get(pk, ()))
            else:
                models_cache[pk] = _model(above.models[pk], above.aliases.get(pk, ()))
        return models_cache[pk]

    by_product: dict[int, list[ModelUsage]] = {}
    for usage in usages:
        by_product.setdefault(usage.product_id, []).append(usage)
    inputs = {}
    for product in products:
        mine = by_product.get(product.pk, [])
        reached: set[int] = set()
        edges = []
        frontier = [u.model_id for u in mine]
        while frontier:
            pk = frontier.pop()
            if pk in reached or pk not in graph.models:
                continue
            reached.add(pk)
            for edge in parent_ids.get(pk, ()):
                if edge.parent_id in graph.models:
                    edges.append(edge)
                    frontier.append(edge.parent_id)
        inferred = [
            _inferred(edge, node_key(graph.models[pk]), above.origins)
            for pk in sorted(reached)
            for edge in graph.inferred.get(pk, ())
            if edge.parent_id in graph.models or edge.parent_id in above.models
        ]
        inferred_only = {
            edge.parent_id
            for pk in reached
            for edge in graph.inferred.get(pk, ())
            if edge.parent_id not in reached and edge.parent_id in above.models
        }
        plain_usages = []
        for usage in mine:
            findings, rating = risks.get(usage.pk, ((), None))
            plain_usages.append(
                bom.data.Usage(
                    id=usage.pk,
                    model=node_key(usage.model),
                    role=usage.role,
                    declared_by=usage.declared_by,
                    share=usage.share,
                    host=_host(usage),
                    findings=tuple(findings),
                    rating=rating if include_rating else None,
                )
            )
        inputs[product.pk] = bom.BomInput(
            product=_product(product),
            usages=tuple(plain_usages),
            models=tuple(sorted((model_of(pk) for pk in reached), key=lambda m: m.key)),
            edges=tuple(
                sorted(
                    (
                        bom.data.Edge(
                            child=node_key(graph.models[e.child_id]),
                            parent=node_key(graph.models[e.parent_id]),
                            relation=e.relation,
                            source=e.source,
                        )
                        for e in edges
                    ),
                    key=lambda e: (e.child, e.parent),
                )
            ),
            version=versions.get(product.pk, 1),
            tool_version=version_text,
            include_rating=include_rating,
            inferred=tuple(sorted(inferred, key=lambda e: (e.child, -e.confidence, e.parent))),
            # An inferred-only parent's datasets are not the chain's: they stay on the parent's own BOM.
            inferred_models=tuple(
                sorted((replace(model_of(pk), datasets=()) for pk in inferred_only), key=lambda m: m.key)
            ),
        )
    return inputs


def product_bom_input(product: Product, **options) -> bom.BomInput:
    return product_bom_inputs([product], **options)[product.pk]


@dataclass(frozen=True)
class MbomFile:
    """A downloadable MBOM: its bytes, its file name and its media type."""

    content: bytes
    file_name: str
    media_type: str


def product_mbom(
    product: Product,
    *,
    fmt: str = "cyclonedx",
    spec: str = "1.6",
    risk: RiskLookup | None = None,
    include_rating: bool = False,
) -> MbomFile:
    """A product's MBOM now: a fresh serial number and timestamp, everything else as the chain stands."""
    bom_input = product_bom_input(product, risk=risk, include_rating=include_rating)
    return _file(bom_input, fmt, spec, timezone.now())


def _file(bom_input: bom.BomInput, fmt: str, spec: str, now) -> MbomFile:
    text = bom.render(bom_input, fmt=fmt, spec=spec, serial=str(uuid.uuid4()), timestamp=now)
    return MbomFile(text.encode(), bom.file_name(bom_input, fmt), bom.media_type(fmt, spec))


def products_mbom(
    products: Iterable[Product],
    *,
    fmt: str = "cyclonedx",
    spec: str = "1.6",
    now=None,
    risk: RiskLookup | None = None,
    include_rating: bool = False,
) -> list[MbomFile]:
    """Each product's MBOM as of ``now`` (default: now), in product order, from one load of the lineage."""
    inputs = product_bom_inputs(products, risk=risk, include_rating=include_rating)
    now = now or timezone.now()
    return [_file(inputs[product_id], fmt, spec, now) for product_id in sorted(inputs)]


def vendor_mbom_zip(
    vendor: Vendor,
    *,
    fmt: str = "cyclonedx",
    spec: str = "1.6",
    risk: RiskLookup | None = None,
    include_rating: bool = False,
) -> MbomFile:
    """One MBOM per product of the vendor still offered, in a zip (one load of the shared lineage subgraph)."""
    products = Product.objects.filter(vendor=vendor, retired_at__isnull=True).order_by("pk")
    now = timezone.now()
    buffer = io.BytesIO()
    stamp = now.astimezone(UTC).timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for document in products_mbom(products, fmt=fmt, spec=spec, now=now, risk=risk, include_rating=include_rating):
            archive.writestr(zipfile.ZipInfo(document.file_name, date_time=stamp), document.content)
    suffix = "cdx" if fmt == "cyclonedx" else "spdx"
    return MbomFile(buffer.getvalue(), f"mbom-vendor-{vendor.pk}.{suffix}.zip", "application/zip")
