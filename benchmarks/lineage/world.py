"""The generated hub world and the portfolio that uses it, and the state every measured refresh starts from.

``world_build`` generates a deterministic lineage forest (base models, fine-tunes, GGUF quantizations, LoRA
adapters found through ``adapter_config.json``, a few merges, one chain as deep as ``chain_length``, popular
bases shared by many products) as fake-hub records, with the edges the service must find.
``portfolio_create`` registers vendors, products and usages in the database with ``bulk_create``;
``lineage_state_reset`` takes the database back to that portfolio as registered. ``critical_path_requests``
is the depth bound: the hub requests that must happen one after another.

Nothing at import time needs Django: the hub's child process imports this package too.
"""

from __future__ import annotations

import heapq
import random
import sys
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tests.fakehub import make_adapter, make_gguf, make_merge, make_record

DEFAULT_SEED = 20240904
DEFAULT_REPOS = 360
DEFAULT_USAGES = 2100
DEFAULT_CHAIN_LENGTH = 8

# --------------------------------------------------------------------------------------------------- the world
_LABS = (
    ("aurora-labs", "Aurora"), ("basalt-ai", "Basalt"), ("cedar-research", "Cedar"), ("delta-lm", "Delta"),
    ("ember-ai", "Ember"), ("fjord-nlp", "Fjord"), ("granite-ml", "Granite"), ("harbor-ai", "Harbor"),
    ("iris-lab", "Iris"), ("juniper-ai", "Juniper"), ("kestrel-ml", "Kestrel"), ("lumen-research", "Lumen"),
    ("meridian-ai", "Meridian"), ("nimbus-lm", "Nimbus"), ("onyx-ai", "Onyx"), ("pinnacle-ml", "Pinnacle"),
)  # fmt: skip
_SIZES = ("7B", "8B", "3B", "14B", "1B", "32B", "70B")
_LICENSES = ("apache-2.0", "mit", "llama3.1", "gemma", "cc-by-nc-4.0", "other")
_COMMUNITY = tuple(
    f"{adjective}-{noun}"
    for adjective in ("acme", "blue", "bright", "clear", "deep", "fast", "helix", "lucid", "nova", "open", "sage")
    for noun in ("bits", "forge", "labs", "minds", "works", "tune", "stack", "craft")
)
_QUANTIZERS = ("gguf-bench", "quant-works", "llamacpp-hub", "tensor-pack")
_TASKS = (
    "chat", "instruct", "legal", "medical", "code", "sql", "support", "rag", "math", "finance", "summarize",
    "translate", "sales", "hr", "security", "retail", "tutor", "agent", "reasoning", "claims",
)  # fmt: skip
#: How often each kind of derivative is generated (merges need two fine-tunes of one family).
_KIND_WEIGHTS = {"finetune": 48, "gguf": 24, "adapter": 22, "merge": 6}
#: The relation the service must store for an edge from a child of each kind.
RELATION_OF_KIND = {"finetune": "finetune", "gguf": "quantized", "adapter": "adapter", "merge": "merge"}
#: Kinds that can be fine-tuned, quantized or adapted further (nobody fine-tunes a GGUF file or a LoRA).
_DERIVABLE = frozenset({"base", "finetune", "merge"})


@dataclass(frozen=True)
class Node:
    """One generated repo: ``depth`` is its generation (a base model is 0), ``family`` the index of its root."""

    repo_id: str
    kind: str  # base, finetune, gguf, adapter, merge
    parents: tuple[str, ...]
    depth: int
    family: int


@dataclass(frozen=True)
class World:
    """The generated hub: nodes in creation order (parents before children) and their fake-hub records."""

    nodes: tuple[Node, ...]
    records: tuple[dict[str, Any], ...]
    popularity: tuple[float, ...]  # per family: how often products use that base directly
    deep_chain: tuple[str, ...] = ()  # the forced deepest chain, root first

    @property
    def repo_ids(self) -> list[str]:
        return [node.repo_id for node in self.nodes]

    @property
    def edges(self) -> set[tuple[str, str, str]]:
        """(child, parent, relation) for every parent link the service must store."""
        return {(n.repo_id, p, RELATION_OF_KIND[n.kind]) for n in self.nodes for p in n.parents}

    @property
    def longest_chain(self) -> int:
        """Repos on the longest child → root path."""
        return max(node.depth for node in self.nodes) + 1

    @property
    def file_fetches(self) -> int:
        """Lineage files the client must download: one adapter_config.json per adapter, one GGUF header (a
        range read) per quantization."""
        return sum(node.kind in ("adapter", "gguf") for node in self.nodes)

    @property
    def storage_fetches(self) -> int:
        """Requests to the storage a GGUF download is redirected to: one per quantization."""
        return sum(node.kind == "gguf" for node in self.nodes)

    @property
    def requests(self) -> int:
        """Every hub request a first refresh must make: metadata, lineage files and their redirects."""
        return len(self.nodes) + self.file_fetches + self.storage_fetches

    def kinds(self) -> dict[str, int]:
        return dict(Counter(node.kind for node in self.nodes))


class _Names:
    """Case-insensitively unique repo ids, the way the hub enforces them."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def take(self, org: str, name: str) -> str:
        candidate, version = f"{org}/{name}", 1
        while candidate.lower() in self._taken:
            version += 1
            candidate = f"{org}/{name}-v{version}"
        self._taken.add(candidate.lower())
        return candidate


def _derived_name(parent: str, suffix: str, stem: str) -> str:
    """``Aurora-7B-legal`` from ``Aurora-7B`` and ``legal``; long chains restart from the family stem."""
    name = f"{parent.split('/', 1)[1]}-{suffix}"
    return name if len(name) <= 48 else f"{stem}-{suffix}"


def world_build(
    *, repos: int = DEFAULT_REPOS, chain_length: int = DEFAULT_CHAIN_LENGTH, seed: int = DEFAULT_SEED
) -> World:
    """A lineage forest of exactly ``repos`` repos, the same for the same arguments."""
    if repos < 4 or chain_length < 2:
        raise ValueError("a world needs at least 4 repos and chains of at least 2")
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    names = _Names()
    nodes: list[Node] = []
    children: Counter[str] = Counter()
    stems: list[str] = []
    quantized: set[tuple[str, str]] = set()  # (quantizer, parent): one GGUF repo per pair

    def add(repo_id: str, kind: str, parents: tuple[str, ...], depth: int, family: int) -> None:
        nodes.append(Node(repo_id, kind, parents, depth, family))
        children.update(parents)

    n_roots = max(2, min(len(_LABS) * len(_SIZES), round(repos / 25)))
    popularity = tuple(1 / (rank + 1) ** 1.1 for rank in range(n_roots))  # a few bases dominate
    for i in range(n_roots):
        org, brand = _LABS[i % len(_LABS)]
        size = _SIZES[(i // len(_LABS) + i) % len(_SIZES)]
        stems.append(f"{brand}-{size}")
        add(names.take(org, stems[-1]), "base", (), 0, i)

    # One chain as deep as allowed, a fine-tune of a fine-tune of ..., with no other derivatives along it: the
    # walk can only climb it one generation at a time, which makes the depth bound known.
    deep_family = min(1, n_roots - 1)
    parent = nodes[deep_family].repo_id
    deep_chain = [parent]
    for depth in range(1, min(chain_length, repos - len(nodes) + 1)):
        org = rng.choice(_COMMUNITY)
        repo_id = names.take(org, f"{stems[deep_family]}-gen{depth}-{rng.choice(_TASKS)}")
        add(repo_id, "finetune", (parent,), depth, deep_family)
        parent = repo_id
        deep_chain.append(repo_id)

    def weight(node: Node) -> float:
        if node.kind == "base":
            return 6.0 * popularity[node.family] * n_roots / 4
        return (1.0 + 0.7 * children[node.repo_id]) * 0.55**node.depth

    while len(nodes) < repos:
        kind = rng.choices(list(_KIND_WEIGHTS), weights=list(_KIND_WEIGHTS.values()))[0]
        derivable = [
            n for n in nodes if n.kind in _DERIVABLE and n.depth < chain_length - 1 and n.repo_id not in deep_chain[1:]
        ]
        if kind == "merge":
            families = Counter(n.family for n in derivable if n.depth >= 1)
            family = rng.choice(sorted(families)) if families else None
            pool = [n for n in derivable if n.family == family and n.depth >= 1]
            if len(pool) < 2:
                continue
            picked = rng.sample(pool, k=min(len(pool), rng.choice((2, 2, 3))))
            depth = 1 + max(n.depth for n in picked)
            if depth >= chain_length:
                continue
            org = rng.choice(_COMMUNITY)
            repo_id = names.take(org, f"{stems[family]}-{rng.choice(_TASKS)}-merge")
            add(repo_id, "merge", tuple(n.repo_id for n in picked), depth, family)
            continue
        base = rng.choices(derivable, weights=[weight(n) for n in derivable])[0]
        stem = stems[base.family]
        if kind == "gguf":
            quantizer = rng.choice(_QUANTIZERS)
            if (quantizer, base.repo_id) in quantized:
                continue
            quantized.add((quantizer, base.repo_id))
            repo_id = names.take(quantizer, _derived_name(base.repo_id, "GGUF", stem))
        else:
            org = rng.choice(_COMMUNITY)
            suffix = rng.choice(_TASKS) + ("-lora" if kind == "adapter" else "")
            repo_id = names.take(org, _derived_name(base.repo_id, suffix, stem))
        add(repo_id, kind, (base.repo_id,), base.depth + 1, base.family)

    records = tuple(_record(node, rng) for node in nodes)
    return World(nodes=tuple(nodes), records=records, popularity=popularity, deep_chain=tuple(deep_chain))


def _record(node: Node, rng: random.Random) -> dict[str, Any]:
    license = rng.choice(_LICENSES)
    if node.kind == "base":
        return make_record(node.repo_id, license=license)
    if node.kind == "finetune":
        return make_record(node.repo_id, parents=node.parents[0], license=license)
    if node.kind == "gguf":
        return make_gguf(node.repo_id, node.parents[0], cardData={"license": license})
    if node.kind == "adapter":  # lineage only in adapter_config.json: costs a file request
        return make_adapter(node.repo_id, node.parents[0], cardData={"license": license})
    return make_merge(node.repo_id, node.parents, cardData={"license": license})


# ----------------------------------------------------------------------------------------------- the portfolio
@dataclass(frozen=True)
class Portfolio:
    vendors: int
    products: int
    usages: int
    seeds: tuple[str, ...]  # hub repos with at least one usage: where the refresh starts
    usages_per_repo_max: int


def usage_targets(world: World, usages: int, rng: random.Random) -> list[str]:
    """The model of each usage: every leaf at least once (so every repo is reachable from a usage), then leaves
    and popular bases at random. Products deploy leaves (fine-tunes, GGUFs, adapters) and share a few popular
    bases; the models in between are rarely used directly, so the walk has to discover them. The deep chain is
    used at its tip only, so the walk climbs it one generation at a time (that is the depth bound)."""
    parents = {p for node in world.nodes for p in node.parents}
    middle_of_chain = set(world.deep_chain[1:-1])
    targets = [node.repo_id for node in world.nodes if node.repo_id not in parents]

    def weight(node: Node) -> float:
        if node.kind == "base":
            return 40.0 * world.popularity[node.family]
        if node.repo_id in middle_of_chain:
            return 0.0
        return 1.0 if node.repo_id not in parents else 0.02

    weights = [weight(node) for node in world.nodes]
    targets += rng.choices(world.repo_ids, weights=weights, k=max(0, usages - len(targets)))
    rng.shuffle(targets)
    return targets


def portfolio_create(world: World, *, usages: int, seed: int = DEFAULT_SEED) -> Portfolio:
    """Vendors, products and ``usages`` model usages (each product uses a model once) with ``bulk_create``."""
    from vendors.models import AIModel, ModelUsage, Product, Vendor

    rng = random.Random(seed + 1)  # noqa: S311 - reproducible test data, not secrets
    targets = usage_targets(world, usages, rng)
    # About nine models per product, four products per vendor; enough products for the most used model.
    n_products = max(len(targets) // 9 + 1, max(Counter(targets).values()))
    n_vendors = -(-n_products // 4)
    vendors = Vendor.objects.bulk_create(
        Vendor(name=f"Bench Vendor {i:03d}", country=rng.choice(("US", "DE", "FR", "GB", "JP", "CA", "NL")))
        for i in range(n_vendors)
    )
    products = Product.objects.bulk_create(
        Product(vendor=vendors[i // 4], name=f"Product {i % 4 + 1}") for i in range(n_products)
    )
    seeds = sorted(set(targets))
    models = {m.name: m for m in AIModel.objects.bulk_create(AIModel(kind="hub", name=name) for name in seeds)}
    taken: set[tuple[int, str]] = set()
    rows = []
    for i, name in enumerate(targets):
        for attempt in range(len(products)):  # the next product that does not use this model yet
            product = products[(i + attempt) % len(products)]
            if (product.pk, name) not in taken:
                taken.add((product.pk, name))
                role = ModelUsage.Role.PRIMARY if rng.random() < 0.75 else ModelUsage.Role.FALLBACK
                rows.append(ModelUsage(product=product, model=models[name], role=role, declared_by="vendor"))
                break
    if len(rows) != len(targets):  # cannot happen with enough products; a silent shortfall would skew the report
        raise RuntimeError(f"only {len(rows)} of {len(targets)} usages found a product")
    ModelUsage.objects.bulk_create(rows, batch_size=500)
    return Portfolio(
        vendors=len(vendors),
        products=len(products),
        usages=len(rows),
        seeds=tuple(seeds),
        usages_per_repo_max=max(Counter(targets).values()),
    )


def lineage_state_reset() -> None:
    """Back to the portfolio as registered, before any refresh: no hub edges, aliases, change events, refreshes,
    fingerprints, inferred parents or discovered ancestors; the usages' hub models pending and never fetched. The
    knowledge base ``migrate`` loads (closed models, their aliases) is left as it is. Works on SQLite and
    PostgreSQL.

    On PostgreSQL (outside a transaction) the tables a refresh writes are then vacuumed and analysed, as
    autovacuum does to a deployment's tables between two refreshes: where it is off (as on the development
    server), each reset and refresh leaves every row of them dead behind it, and the planner, counting those,
    takes the few hundred rows for tens of thousands (it then compiles the refresh's recursive ancestry read with
    JIT, at 10 to 40 ms, for a query of a few milliseconds); each repeat would be slower than the one before."""
    from django.db import connection

    from vendors.models import (
        AIModel,
        AIModelAlias,
        ChangeEvent,
        LineageEdge,
        LineageRefresh,
        LineageRefreshChunk,
        LineageRefreshClaim,
        ModelUsage,
    )
    from vendors.models.inference import InferredEdge, ModelFingerprint

    hub = AIModel.objects.filter(kind=AIModel.Kind.HUB)
    LineageEdge.objects.filter(child__kind=AIModel.Kind.HUB).delete()
    # A fingerprint kept at its revision would spare every refresh after the first its reads and its upsert.
    InferredEdge.history.filter(child__kind=AIModel.Kind.HUB).delete()
    ModelFingerprint.objects.filter(model__kind=AIModel.Kind.HUB).delete()
    ChangeEvent.objects.all().delete()
    AIModelAlias.objects.filter(model__kind=AIModel.Kind.HUB).delete()
    LineageRefresh.objects.all().delete()
    hub.filter(usages__isnull=True).delete()
    hub.update(
        status=AIModel.Status.PENDING, status_reason="", sha="", license="", datasets=[], pipeline_tag="",
        library_name="", gated="", hub_created_at=None, hub_last_modified=None, fetched_at=None,
        lineage_notes=[], publisher=None,
    )  # fmt: skip
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        written = (
            AIModel, AIModelAlias, ChangeEvent, LineageEdge, LineageRefresh, LineageRefreshChunk, LineageRefreshClaim,
            ModelFingerprint, InferredEdge, InferredEdge.history.model, ModelUsage,
        )  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {', '.join(connection.ops.quote_name(m._meta.db_table) for m in written)}")


# --------------------------------------------------------------------------------------------------- bounds
#: Requests a node needs after its metadata before its parents are known: the adapter's config, the GGUF
#: header's resolve and the storage it redirects to.
_FILE_REQUESTS = {"adapter": 1, "gguf": 2}


def critical_path_requests(world: World, seeds: set[str]) -> int:
    """Requests that must happen one after another even with unlimited concurrency.

    Every seed is asked for at once; a parent can be asked for only after a child's answer (and, for an
    adapter, its adapter_config.json; for a GGUF quantization, its header, behind a redirect) has arrived. The
    longest such sequence bounds the wall time from below.
    """
    by_id = {node.repo_id: node for node in world.nodes}
    start = dict.fromkeys(seeds, 0)
    heap = [(0, repo_id) for repo_id in seeds]
    finish: dict[str, int] = {}
    while heap:
        at, repo_id = heapq.heappop(heap)
        if repo_id in finish:
            continue
        node = by_id[repo_id]
        finish[repo_id] = done = at + 1 + _FILE_REQUESTS.get(node.kind, 0)
        for parent in node.parents:
            if done < start.get(parent, sys.maxsize):
                start[parent] = done
                heapq.heappush(heap, (done, parent))
    return max(finish.values(), default=0)
