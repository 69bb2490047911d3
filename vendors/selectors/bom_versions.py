"""Reads of products' BOM versions: the current number, the list, and the difference between two versions."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Max, QuerySet

from vendors.bom.graph import GraphDiff, diff
from vendors.models import BomVersion, Product


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
