"""What an attestation request asks a vendor to confirm: the facts we resolved about each product's models, as
plain frozen values that round-trip through JSON (the request keeps them as its snapshot, so a signature always
refers to exactly what was asked, whatever the lineage says later).

Pure: no database, no clock. The selector ``assessments.selectors.attestation_claims`` builds these from the
stored lineage; ``assessments.attestation.statement`` turns them into numbered claims and the statement text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

#: The snapshot's layout; a later layout gets a new number and ``snapshot_from_json`` learns to read both.
SNAPSHOT_VERSION = 1


@dataclass(frozen=True)
class NodeClaim:
    """One model of a usage's lineage (the product's model or an ancestor) with its publisher."""

    id: str
    status: str = "resolved"
    publisher: str = ""
    country: str = ""  # ISO 3166-1 alpha-2, "" unknown
    country_name: str = ""
    repackager: bool = False
    license: str = ""
    datasets: tuple[str, ...] = ()


@dataclass(frozen=True)
class EdgeClaim:
    """``child`` was derived from ``parent`` (``relation``: finetune, adapter, merge, quantized, unknown)."""

    child: str
    parent: str
    relation: str = "unknown"


@dataclass(frozen=True)
class HostClaim:
    """Who serves the model for the product, and where."""

    name: str
    operator: str = ""
    country: str = ""
    country_name: str = ""
    region: str = ""
    region_name: str = ""
    region_country: str = ""
    region_country_name: str = ""


@dataclass(frozen=True)
class UsageClaims:
    """One model usage of a product: the model, its lineage to the roots, its host, licences and datasets."""

    id: int
    model: str
    model_kind: str = "hub"
    role: str = "primary"
    share: int | None = None
    nodes: tuple[NodeClaim, ...] = ()
    edges: tuple[EdgeClaim, ...] = ()
    chains: tuple[tuple[str, ...], ...] = ()
    roots: tuple[str, ...] = ()
    complete: bool = True
    incomplete_reasons: tuple[str, ...] = ()
    host: HostClaim | None = None
    datasets: tuple[str, ...] = ()

    def node(self, node_id: str) -> NodeClaim | None:
        return next((node for node in self.nodes if node.id == node_id), None)

    def relation(self, child: str, parent: str) -> str:
        return next((e.relation for e in self.edges if e.child == child and e.parent == parent), "unknown")


@dataclass(frozen=True)
class ProductClaims:
    id: int
    name: str
    usages: tuple[UsageClaims, ...] = ()


@dataclass(frozen=True)
class AttestationClaims:
    """Everything one request asks about: a vendor's active products (``scope`` ``vendor``) or one product."""

    vendor_id: int
    vendor_name: str
    vendor_country: str = ""
    vendor_country_name: str = ""
    scope: str = "vendor"
    products: tuple[ProductClaims, ...] = ()
    as_of: str = ""  # ISO time the facts were read
    version: int = SNAPSHOT_VERSION

    @property
    def usage_ids(self) -> tuple[int, ...]:
        return tuple(usage.id for product in self.products for usage in product.usages)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists)."""
        return asdict(self)


def _tuple(value: Any) -> tuple:
    return tuple(value or ())


def _node(data: Mapping[str, Any]) -> NodeClaim:
    return NodeClaim(**{**data, "datasets": _tuple(data.get("datasets"))})


def _usage(data: Mapping[str, Any]) -> UsageClaims:
    host = data.get("host")
    return UsageClaims(
        **{
            **data,
            "nodes": tuple(_node(n) for n in data.get("nodes") or ()),
            "edges": tuple(EdgeClaim(**e) for e in data.get("edges") or ()),
            "chains": tuple(tuple(chain) for chain in data.get("chains") or ()),
            "roots": _tuple(data.get("roots")),
            "incomplete_reasons": _tuple(data.get("incomplete_reasons")),
            "host": HostClaim(**host) if host else None,
            "datasets": _tuple(data.get("datasets")),
        }
    )


def snapshot_from_json(data: Mapping[str, Any]) -> AttestationClaims:
    """The claims a request stored (``AttestationClaims.to_json``); raises ``ValueError`` on another layout."""
    if data.get("version") != SNAPSHOT_VERSION:
        raise ValueError(f"unknown attestation snapshot version {data.get('version')!r}")
    products = tuple(
        ProductClaims(id=p["id"], name=p["name"], usages=tuple(_usage(u) for u in p.get("usages") or ()))
        for p in data.get("products") or ()
    )
    return AttestationClaims(**{**data, "products": products})


@dataclass(frozen=True)
class Response:
    """The vendor's answer to one claim: confirmed, or corrected with a text and, for lineage and hosting
    claims, the base models or serving countries the vendor states instead."""

    claim_id: str
    confirmed: bool
    correction: str = ""
    base_models: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Response:
        return cls(
            claim_id=data["claim_id"],
            confirmed=bool(data["confirmed"]),
            correction=data.get("correction", ""),
            base_models=_tuple(data.get("base_models")),
            countries=_tuple(data.get("countries")),
        )


@dataclass(frozen=True)
class Signature:
    """Who signed, in what capacity, when (ISO time, UTC)."""

    name: str
    title: str
    signed_at: str
    email: str = ""


__all__ = [
    "SNAPSHOT_VERSION",
    "AttestationClaims",
    "EdgeClaim",
    "HostClaim",
    "NodeClaim",
    "ProductClaims",
    "Response",
    "Signature",
    "UsageClaims",
    "snapshot_from_json",
]
