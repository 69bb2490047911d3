"""What a Model Bill of Materials is built from: plain frozen values, filled in by
``vendors.selectors.bom`` from the stored lineage, the knowledge base and (optionally) the current ratings and
findings. Nothing here reads the database or the clock.

Models are named by their lineage node key (``org/name`` for hub repos, ``kind:name`` otherwise), as the lineage
contract names them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Org:
    """A legal entity: a model's publisher, the product's vendor or a host's operator."""

    key: str
    name: str
    legal_entity: str = ""
    country: str = ""  # ISO 3166-1 alpha-2, "" when unknown
    website: str = ""
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Model:
    """One node of a chain: a hub repo, a closed API model or a declared-only model."""

    key: str
    kind: str  # hub | closed | declared
    name: str
    status: str = "resolved"
    status_reason: str = ""
    sha: str = ""
    publisher: Org | None = None
    license: str = ""
    license_name: str = ""
    datasets: tuple[str, ...] = ()
    task: str = ""  # the hub's pipeline tag
    library: str = ""
    gated: str = ""
    declared_source: str = ""
    aliases: tuple[str, ...] = ()
    released: str = ""  # ISO date-time the hub created the repo, "" when unknown
    hub_url: str = ""  # the model's hub page, "" for models with no hub record
    limitations: tuple[str, ...] = ()  # why the lineage above this node may be incomplete


@dataclass(frozen=True)
class Edge:
    """``child`` derives from ``parent`` as ``source`` (card, tags, gguf, vendor, analyst, ...) says."""

    child: str
    parent: str
    relation: str = "unknown"
    source: str = ""


@dataclass(frozen=True)
class InferredEdge:
    """``child`` probably derives from ``parent``: inferred from ``child``'s config, tokenizer or README where its
    metadata names no parent. Never a declared edge: a BOM states it apart, with its source, confidence and
    evidence."""

    child: str
    parent: str
    relation: str
    source: str  # inferred:config | inferred:tokenizer | inferred:readme
    confidence: float
    family: str = ""  # the root of the parent's declared lineage
    matched: tuple[str, ...] = ()
    not_matched: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    origin_countries: tuple[str, ...] = ()  # publisher countries of the parent and its declared ancestors

    def label(self) -> str:
        """ "probably Qwen/Qwen2.5-7B (finetune, 0.92, inferred:config; inferred, not declared)"."""
        family = f", {self.family} family" if self.family and self.family.lower() != self.parent.lower() else ""
        return (
            f"probably {self.parent}{family} ({self.relation}, {self.confidence:.2f}, {self.source}; "
            "inferred, not declared)"
        )


@dataclass(frozen=True)
class Host:
    """Who serves a model for the product, and where."""

    key: str
    name: str
    operator: str = ""
    operator_country: str = ""
    kind: str = ""
    region_code: str = ""
    region_country: str = ""


@dataclass(frozen=True)
class Finding:
    """A live finding on a usage: a consideration of the model it is about."""

    code: str
    title: str
    status: str
    trigger: str = ""


@dataclass(frozen=True)
class Factor:
    code: str
    points: int
    reason: str


@dataclass(frozen=True)
class Rating:
    """A usage's current risk rating."""

    score: int
    tier: str
    policy_version: int
    factors: tuple[Factor, ...] = ()


@dataclass(frozen=True)
class Usage:
    """The product uses ``model`` (a node key) in a role, served by ``host``."""

    id: int
    model: str
    role: str
    declared_by: str
    share: int | None = None
    host: Host | None = None
    findings: tuple[Finding, ...] = ()
    rating: Rating | None = None


@dataclass(frozen=True)
class Product:
    id: int
    name: str
    vendor: Org
    description: str = ""
    criticality: str = ""
    data_categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class BomInput:
    """One product's supply chain: its usages and every model of their chains, with the edges between them.

    ``models`` and ``edges`` are sorted (by key; by child then parent) so the same chain always gives the same
    document. ``version`` is the product's BOM version (it increases with every change of the chain).
    ``inferred`` are the parents inferred for models of the chain (sorted by child, then confidence, highest
    first); ``inferred_models`` the inferred parents that are not otherwise in the chain (sorted by key).
    """

    product: Product
    usages: tuple[Usage, ...]
    models: tuple[Model, ...]
    edges: tuple[Edge, ...]
    version: int = 1
    tool_version: str = ""
    include_rating: bool = False
    inferred: tuple[InferredEdge, ...] = ()
    inferred_models: tuple[Model, ...] = ()
    extra: dict = field(default_factory=dict, compare=False)

    def model(self, key: str) -> Model:
        return self._by_key()[key]

    def _by_key(self) -> dict[str, Model]:
        cached = self.extra.get("_by_key")
        if cached is None:
            cached = self.extra["_by_key"] = {m.key: m for m in (*self.inferred_models, *self.models)}
        return cached
