"""Reads of products' BOM versions: the current number, the list, and the difference between two versions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Max, QuerySet

from vendors.bom.graph import GraphDiff, diff
from vendors.models import BomImport, BomVersion, Product


def bom_current_versions(product_ids: Iterable[int]) -> dict[int, int]:
    """Each product's latest BOM version number (a product never versioned yet has none: its BOM is version 1)."""
    rows = (
        BomVersion.objects.filter(product_id__in=list(product_ids))
        .values("product_id")
        .annotate(latest=Max("number"))
        .values_list("product_id", "latest")
    )
    return dict(rows)


def bom_version_queryset() -> QuerySet[BomVersion]:
    return BomVersion.objects.select_related("product__vendor").order_by("product_id", "-number")


def bom_versions_for(product: Product) -> QuerySet[BomVersion]:
    return bom_version_queryset().filter(product=product)


def bom_version_diff(product: Product, old: int, new: int) -> GraphDiff:
    """Models, edges and usages added and removed between two versions of a product's BOM (``BomVersion.DoesNotExist``
    when either is missing)."""
    versions = {v.number: v for v in BomVersion.objects.filter(product=product, number__in=[old, new])}
    if old not in versions or new not in versions:
        raise BomVersion.DoesNotExist(f"version {old if old not in versions else new} of this BOM does not exist")
    return diff(versions[old].graph, versions[new].graph)


@dataclass(frozen=True)
class ImportedClaims:
    """What a product's latest imported BOM declares, per model (node id): ``roots``, ``ancestors``,
    ``countries`` (node id → alpha-2) and ``chains`` (text); ``source`` names the import."""

    models: dict
    source: str


def bom_import_claims(product_ids: Iterable[int]) -> dict[int, ImportedClaims]:
    """The latest imported BOM's claims of each product that has one (one query)."""
    found: dict[int, ImportedClaims] = {}
    imports = BomImport.objects.filter(product_id__any_of=list(product_ids)).order_by(
        "product_id", "-created_at", "-id"
    )
    for row in imports.only("product_id", "claims", "file_name", "created_at", "spec_version"):
        if row.product_id not in found:
            source = f"CycloneDX {row.spec_version} BOM {row.file_name or ''} imported {row.created_at:%Y-%m-%d}"
            found[row.product_id] = ImportedClaims(models=row.claims or {}, source=" ".join(source.split()))
    return found


def bom_imports_for(product: Product) -> QuerySet[BomImport]:
    return BomImport.objects.filter(product=product).select_related("imported_by")
