"""Reads for attestations: the claims a request asks about, built from the stored lineage (never the hub), and
the signed attestations that cover each model usage, as scoring reads them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django_countries import countries

from assessments.attestation import (
    AttestationClaims,
    EdgeClaim,
    HostClaim,
    NodeClaim,
    ProductClaims,
    UsageClaims,
    claim_list,
    declared_claims,
    snapshot_from_json,
)
from assessments.models import Attestation, AttestationCoverage, AttestationRequest
from assessments.scoring import AttestationFacts, Claims
from vendors.lineage.sanitize import clean_text
from vendors.models import ModelUsage, Product, Vendor
from vendors.selectors import LineageReport, lineage_reports, model_usage_queryset


def _text(value: str | None, limit: int = 300) -> str:
    """Text as it enters a snapshot: one line, no control or direction-override characters (so a name cannot
    reorder itself on the page or in the signed statement), bounded."""
    return clean_text(value or "", limit)


def _country_name(code: str | None) -> str:
    return str(countries.name(code)) if code else ""


def _usage_claims(usage: ModelUsage, report: LineageReport) -> UsageClaims:
    nodes = tuple(
        NodeClaim(
            id=_text(row["id"]),
            status=row["status"],
            publisher=_text(row["publisher"]),
            country=row["country"] or "",
            country_name=_country_name(row["country"]),
            repackager=row["repackager"],
            license=_text(row["license"]),
            datasets=tuple(_text(d) for d in report.models[row["id"]].datasets or () if isinstance(d, str)),
        )
        for row in report.nodes
    )
    host = None
    if usage.host is not None:
        region = usage.region
        host = HostClaim(
            name=_text(usage.host.name),
            operator=_text(usage.host.operator),
            country=usage.host.country.code or "",
            country_name=_country_name(usage.host.country.code),
            region=_text(region.code) if region else "",
            region_name=_text(region.name) if region else "",
            region_country=(region.country.code or "") if region else "",
            region_country_name=_country_name(region.country.code) if region else "",
        )
    return UsageClaims(
        id=usage.pk,
        model=_text(report.subject),
        model_kind=usage.model.kind,
        role=usage.role,
        share=usage.share,
        nodes=nodes,
        edges=tuple(EdgeClaim(_text(e["child"]), _text(e["parent"]), e["relation"]) for e in report.edges),
        chains=tuple(tuple(_text(node) for node in chain) for chain in report.ancestry.chains),
        roots=tuple(_text(root) for root in report.roots),
        complete=report.complete,
        incomplete_reasons=tuple(_text(reason, 500) for reason in report.ancestry.incomplete_reasons),
        host=host,
        datasets=tuple(_text(d) for d in report.ancestry.datasets),
    )


def attestation_products(*, vendor: Vendor | None = None, product: Product | None = None) -> QuerySet[Product]:
    """The products a request covers: one product, or every active product of the vendor."""
    if (vendor is None) == (product is None):
        raise ValueError("name a vendor or a product, not both")
    if product is not None:
        return Product.objects.filter(pk=product.pk).select_related("vendor")
    return vendor.products.filter(status=Product.Status.ACTIVE).select_related("vendor").order_by("name", "pk")


def attestation_claims(
    *, vendor: Vendor | None = None, product: Product | None = None, now: datetime | None = None
) -> AttestationClaims:
    """What we resolved about a vendor's active products (or one product), claim by claim: every model usage,
    its chains to the roots, each ancestor's publisher and country, the host with its operator country and
    region, the licences and datasets along the chain. One load of the lineage subgraph for all usages."""
    products = list(attestation_products(vendor=vendor, product=product))
    vendor = vendor or product.vendor
    usages = list(
        model_usage_queryset().filter(product__in=products).order_by("product_id", "role", "model__name", "pk")
    )
    reports = lineage_reports([u.model for u in usages])
    by_product: dict[int, list[UsageClaims]] = {}
    for usage, report in zip(usages, reports, strict=True):
        by_product.setdefault(usage.product_id, []).append(_usage_claims(usage, report))
    return AttestationClaims(
        vendor_id=vendor.pk,
        vendor_name=_text(vendor.name),
        vendor_country=vendor.country.code or "",
        vendor_country_name=_country_name(vendor.country.code),
        scope="product" if product is not None else "vendor",
        products=tuple(
            ProductClaims(id=p.pk, name=_text(p.name), usages=tuple(by_product.get(p.pk, ()))) for p in products
        ),
        as_of=(now or timezone.now()).isoformat(timespec="seconds"),
    )


def attestation_request_queryset() -> QuerySet[AttestationRequest]:
    """Requests with their vendor, product, creator and signature loaded (a fixed number of queries per page)."""
    return AttestationRequest.objects.select_related("vendor", "product", "created_by", "attestation")


def attestation_facts_for(usage_ids: Iterable[int]) -> dict[int, AttestationFacts]:
    """The newest signed attestation covering each usage, with what it declared about that usage (one query
    for the coverage; each attestation's claims are rebuilt from its request's snapshot once)."""
    newest: dict[int, Attestation] = {}
    coverage = (
        AttestationCoverage.objects.filter(usage_id__any_of=list(usage_ids), request__attestation__isnull=False)
        .select_related("request__attestation")
        .order_by("usage_id", "-request__attestation__signed_at", "-request_id")
    )
    for row in coverage:
        newest.setdefault(row.usage_id, row.request.attestation)
    declared: dict[int, dict] = {}
    facts = {}
    for usage_id, attestation in newest.items():
        if attestation.pk not in declared:
            claims = claim_list(snapshot_from_json(attestation.request.claims))
            declared[attestation.pk] = declared_claims(claims, attestation.response_map())
        facts[usage_id] = AttestationFacts(
            signed_at=attestation.signed_at,
            expires_at=attestation.expires_at,
            signed_by=f"{attestation.signer_name}, {attestation.signer_title}",
            claims=declared[attestation.pk].get(usage_id) or Claims(),
        )
    return facts
