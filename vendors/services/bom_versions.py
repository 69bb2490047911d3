"""Keeping each product's BOM version in step with its supply chain: after a change, the chain is snapshotted
again and a new version recorded if (and only if) the graph differs from the last version's."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q

from vendors.bom.graph import digest, snapshot
from vendors.models import AIModel, BomVersion, ChangeEvent, ModelUsage, Product
from vendors.selectors.bom import product_bom_inputs

#: Change summaries kept on a version (a portfolio refresh can record thousands).
MAX_CHANGES = 20
_BATCH = 200


def bom_versions_record(*, product_ids: Iterable[int] | None = None) -> list[BomVersion]:
    """Record a new BOM version for each product (None: every product with a usage) whose chain differs from its
    latest version. Idempotent: run twice, the second run records nothing."""
    if product_ids is None:
        ids = sorted(set(ModelUsage.objects.values_list("product_id", flat=True)))
    else:
        ids = sorted(set(product_ids))
    recorded: list[BomVersion] = []
    for start in range(0, len(ids), _BATCH):
        recorded += _record_batch(ids[start : start + _BATCH])
    return recorded


@transaction.atomic
def _record_batch(product_ids: list[int]) -> list[BomVersion]:
    # Lock the products so two recordings of the same product take turns (numbers stay unique and in order).
    products = list(Product.objects.select_for_update().filter(pk__in=product_ids).order_by("pk"))
    latest: dict[int, BomVersion] = {}
    for version in BomVersion.objects.filter(product_id__in=product_ids).order_by("product_id", "-number"):
        latest.setdefault(version.product_id, version)
    inputs = product_bom_inputs(products, versions={})
    created = []
    for product in products:
        graph = snapshot(inputs[product.pk])
        graph_digest = digest(graph)
        previous = latest.get(product.pk)
        if previous is not None and previous.digest == graph_digest:
            continue
        if previous is None and not graph["models"]:
            continue  # nothing in use yet: no BOM to version
        version = BomVersion(
            product=product,
            number=(previous.number + 1) if previous else 1,
            digest=graph_digest,
            graph=graph,
            changes=_changes_since(product, previous, graph),
        )
        version.full_clean()
        created.append(version)
    BomVersion.objects.bulk_create(created)
    return created


def _changes_since(product: Product, previous: BomVersion | None, graph: dict) -> list[str]:
    # Node ids are ``org/name`` for hub repos and ``closed:name`` / ``declared:name`` otherwise.
    names = [_node_name(row["key"]) for row in graph["models"]]
    events = ChangeEvent.objects.filter(Q(product=product) | Q(model__name__in=names))
    if previous is not None:
        events = events.filter(occurred_at__gte=previous.created_at)
    return [e.summary for e in events.order_by("-occurred_at", "-id")[:MAX_CHANGES]]


def _node_name(key: str) -> str:
    for kind in (AIModel.Kind.CLOSED, AIModel.Kind.DECLARED):
        if key.startswith(f"{kind}:"):
            return key.removeprefix(f"{kind}:")
    return key


def bom_versions_refresh_request(*, usage_ids: Iterable[int] | None = None) -> None:
    """Record new BOM versions for the products of these usages (None: every product) once the current
    transaction commits."""
    from vendors import tasks

    if usage_ids is None:
        tasks.bom_versions_refresh.delay_on_commit(None)
        return
    product_ids = sorted(set(ModelUsage.objects.filter(pk__in=list(usage_ids)).values_list("product_id", flat=True)))
    if product_ids:
        tasks.bom_versions_refresh.delay_on_commit(product_ids)
