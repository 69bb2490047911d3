"""Lineage benchmark: one portfolio refresh of 2,000+ model usages over 300+ hub repos, against a slow hub.

What it does, in order (README.md says how to read the numbers):

1. ``world_build`` generates a deterministic lineage forest (base models, fine-tunes, GGUF quantizations,
   LoRA adapters found through ``adapter_config.json``, a few merges, one chain as deep as ``chain_length``,
   popular bases shared by many products) as fake-hub records, with the edges the service must find.
2. ``HubProcess`` serves those records from a ``FakeHub`` in a child process that adds ``latency`` to every
   request. A child process, so the hub's own request handling does not compete with the service for this
   process's GIL (or show up in its memory): the service is measured, not the fake.
3. ``portfolio_create`` registers vendors, products and usages in the database with ``bulk_create``.
4. ``refresh_measure`` times ``lineage_refresh_run`` on a portfolio refresh, counts what reached the hub and
   checks what was stored. Every measured refresh starts from the same state (``lineage_state_reset``).

Django must be set up before ``run`` is called (``python -m benchmarks`` does it on a throwaway database).
Nothing at import time needs Django: the hub's child process imports this module too.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import heapq
import multiprocessing
import random
import resource
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import unquote

from tests.fakehub import FakeHub, make_adapter, make_gguf, make_merge, make_record

NAME = "lineage"
DEFAULT_SEED = 20240904
DEFAULT_REPOS = 360
DEFAULT_USAGES = 2100
DEFAULT_LATENCY_MS = 50.0
DEFAULT_CHAIN_LENGTH = 8
SWEEP_CONCURRENCY = (1, 4, 16, 32)
#: The issue's targets for the headline run (default settings).
TARGET_REQUESTS_PER_REPO = 1.00
TARGET_SPEEDUP = 8.0

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
        """Lineage files the client must download: one adapter_config.json per adapter."""
        return sum(node.kind == "adapter" for node in self.nodes)

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
    """Back to the portfolio as registered, before any refresh: no edges, aliases, change events, refreshes or
    discovered ancestors; the usages' models pending and never fetched. Works on SQLite and PostgreSQL."""
    from vendors.models import AIModel, AIModelAlias, ChangeEvent, LineageEdge, LineageRefresh

    LineageEdge.objects.all().delete()
    ChangeEvent.objects.all().delete()
    AIModelAlias.objects.all().delete()
    LineageRefresh.objects.all().delete()
    AIModel.objects.filter(usages__isnull=True).delete()
    AIModel.objects.update(
        status=AIModel.Status.PENDING, status_reason="", sha="", license="", datasets=[], pipeline_tag="",
        library_name="", gated="", hub_created_at=None, hub_last_modified=None, fetched_at=None,
        lineage_notes=[], publisher=None,
    )  # fmt: skip


# --------------------------------------------------------------------------------------------------- bounds
def critical_path_requests(world: World, seeds: set[str]) -> int:
    """Requests that must happen one after another even with unlimited concurrency.

    Every seed is asked for at once; a parent can be asked for only after a child's answer (and, for an
    adapter, its adapter_config.json) has arrived. The longest such sequence bounds the wall time from below.
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
        finish[repo_id] = done = at + 1 + (node.kind == "adapter")
        for parent in node.parents:
            if done < start.get(parent, sys.maxsize):
                start[parent] = done
                heapq.heappush(heap, (done, parent))
    return max(finish.values(), default=0)


# ------------------------------------------------------------------------------------------------------ hub
class HubProcess:
    """A ``FakeHub`` serving ``records`` with ``latency`` from a child process, driven through a pipe."""

    def __init__(self, records: tuple[dict[str, Any], ...], latency: float) -> None:
        self._records, self._latency = records, latency
        self._process: multiprocessing.process.BaseProcess | None = None
        self.url = ""

    def __enter__(self) -> HubProcess:
        context = multiprocessing.get_context("spawn")  # no fork of a process holding database connections
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_hub_serve, args=(child, self._records, self._latency), name="bench-fakehub", daemon=True
        )
        self._process.start()
        child.close()
        try:
            self.url = self._call("url", timeout=60)
        except (EOFError, OSError) as error:
            self.__exit__()
            raise RuntimeError("the fake hub process did not start: see its traceback above") from error
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._process is None:
            return
        with contextlib.suppress(OSError, EOFError, TimeoutError):
            self._call("stop", timeout=10)
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)
        self._conn.close()
        self._process = None

    def _call(self, operation: str, timeout: float = 30) -> Any:
        self._conn.send(operation)
        if not self._conn.poll(timeout):
            raise TimeoutError(f"the fake hub process did not answer {operation!r} within {timeout} s")
        return self._conn.recv()

    def requests(self) -> list[tuple[str, str]]:
        """(method, raw path) of every request since the last ``reset_log``."""
        return self._call("log")

    def peak_in_flight(self) -> int:
        return self._call("peak")

    def reset_log(self) -> None:
        self._call("reset")


def _hub_serve(conn: Any, records: tuple[dict[str, Any], ...], latency: float) -> None:
    """The child process: build the hub, then answer the parent's requests until told to stop."""
    hub = FakeHub(repos_dir=None, latency=latency)
    for record in records:
        hub.add_repo(record)
    hub.start()
    try:
        while True:
            operation = conn.recv()
            if operation == "url":
                conn.send(hub.url)
            elif operation == "log":
                conn.send([(request.method, request.path) for request in hub.requests])
            elif operation == "peak":
                conn.send(hub.peak_in_flight)
            elif operation == "reset":
                hub.reset_log()
                conn.send(None)
            else:  # "stop"
                conn.send(None)
                return
    except EOFError:  # the parent went away
        return
    finally:
        hub.stop()


_API_SUBPATHS = {"tree", "refs", "commits", "paths-info", "discussions"}


def request_kind(method: str, raw_path: str) -> tuple[str, str | None]:
    """``("metadata", repo_id)`` for ``GET /api/models/{repo_id}`` (and ``/revision/{rev}``), ``("file", None)``
    for a download (``/{repo_id}/resolve/...``), ``("other", None)`` for listings, trees and the rest."""
    path = unquote(raw_path)
    if path.startswith("/api/models/") and method == "GET":
        parts = [part for part in path.removeprefix("/api/models/").split("/") if part]
        if "revision" in parts:
            parts = parts[: parts.index("revision")]
        elif any(part in _API_SUBPATHS for part in parts):
            return "other", None
        if 1 <= len(parts) <= 2:
            return "metadata", "/".join(parts)
        return "other", None
    if "/resolve/" in path:
        return "file", None
    return "other", None


# -------------------------------------------------------------------------------------------------- measuring
@dataclass
class RefreshRun:
    """What one measured refresh did. ``store_s`` is the time spent in ``lineage_node_store`` on the walk's
    calling thread, ``db_queries`` the SQL statements the refresh sent (transaction statements included)."""

    concurrency: int
    traced_memory: bool
    wall_s: float
    store_s: float
    db_queries: int
    status: str
    nodes_done: int
    nodes_failed: int
    changes: int
    metadata_requests: int
    repos_requested: int
    max_requests_one_repo: int
    repos_requested_twice: list[str]
    file_requests: int
    other_requests: int
    peak_in_flight: int
    nodes_stored: int
    nodes_resolved: int
    edges_stored: int
    tracemalloc_peak_bytes: int | None
    maxrss_before_bytes: int
    maxrss_bytes: int
    missing_repos: list[str] = field(default_factory=list)
    unexpected_repos: list[str] = field(default_factory=list)
    missing_edges: list[list[str]] = field(default_factory=list)
    unexpected_edges: list[list[str]] = field(default_factory=list)


def _maxrss_bytes() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024  # kilobytes on Linux


@contextlib.contextmanager
def _store_timer(spent: list[float]) -> Iterator[None]:
    """Time ``lineage_node_store`` (which the refresh looks up as a module global) without changing it."""
    from vendors.services import lineage as lineage_service

    original = lineage_service.lineage_node_store

    def timed(**kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(**kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    lineage_service.lineage_node_store = timed
    try:
        yield
    finally:
        lineage_service.lineage_node_store = original


def refresh_measure(hub: HubProcess, world: World, *, concurrency: int, trace_memory: bool = False) -> RefreshRun:
    """Reset the lineage state, then time one portfolio refresh with the real hub client."""
    from django.db import connection

    from vendors.hub import HubClient
    from vendors.models import AIModel, LineageEdge, LineageRefresh
    from vendors.services.lineage import lineage_refresh_run
    from vendors.services.lineage_walk import WalkLimits

    lineage_state_reset()
    refresh = LineageRefresh.objects.create(scope=LineageRefresh.Scope.PORTFOLIO)
    client = HubClient(endpoint=hub.url, token="", timeout=10)
    limits = WalkLimits(max_depth=32, max_nodes=20000, concurrency=concurrency)
    hub.reset_log()
    spent: list[float] = []
    queries = 0

    def count(execute: Callable[..., Any], *args: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(*args)

    gc.collect()
    maxrss_before = _maxrss_bytes()
    if trace_memory:
        tracemalloc.start()
    try:
        with _store_timer(spent), connection.execute_wrapper(count):
            started = time.perf_counter()
            refresh = lineage_refresh_run(refresh_id=refresh.pk, client=client, limits=limits)
            wall = time.perf_counter() - started
        traced_peak = tracemalloc.get_traced_memory()[1] if trace_memory else None
    finally:
        if trace_memory:
            tracemalloc.stop()

    kinds: Counter[str] = Counter()
    per_repo: Counter[str] = Counter()
    for method, path in hub.requests():
        kind, repo_id = request_kind(method, path)
        kinds[kind] += 1
        if repo_id is not None:
            per_repo[repo_id.lower()] += 1
    hub_nodes = AIModel.objects.filter(kind=AIModel.Kind.HUB)
    stored = set(hub_nodes.values_list("name", flat=True))
    resolved = set(hub_nodes.filter(status=AIModel.Status.RESOLVED).values_list("name", flat=True))
    edges = set(LineageEdge.objects.values_list("child__name", "parent__name", "relation"))
    expected_repos, expected_edges = set(world.repo_ids), world.edges
    return RefreshRun(
        concurrency=concurrency,
        traced_memory=trace_memory,
        wall_s=wall,
        store_s=sum(spent),
        db_queries=queries,
        status=refresh.status,
        nodes_done=refresh.nodes_done,
        nodes_failed=refresh.nodes_failed,
        changes=refresh.changes,
        metadata_requests=kinds["metadata"],
        repos_requested=len(per_repo),
        max_requests_one_repo=max(per_repo.values(), default=0),
        repos_requested_twice=sorted(repo for repo, n in per_repo.items() if n > 1)[:20],
        file_requests=kinds["file"],
        other_requests=kinds["other"],
        peak_in_flight=hub.peak_in_flight(),
        nodes_stored=len(stored),
        nodes_resolved=len(resolved & expected_repos),
        edges_stored=len(edges),
        tracemalloc_peak_bytes=traced_peak,
        maxrss_before_bytes=maxrss_before,
        maxrss_bytes=_maxrss_bytes(),
        missing_repos=sorted(expected_repos - resolved)[:20],
        unexpected_repos=sorted(stored - expected_repos)[:20],
        missing_edges=[list(e) for e in sorted(expected_edges - edges)[:20]],
        unexpected_edges=[list(e) for e in sorted(edges - expected_edges)[:20]],
    )


def _warm_up(hub: HubProcess, world: World) -> None:
    """One fetch before timing: the first request pays for imports and a connection, as a fresh worker does."""
    from vendors.hub import HubClient

    HubClient(endpoint=hub.url, token="", timeout=10).fetch(world.repo_ids[0])


# ---------------------------------------------------------------------------------------------------- report
def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def _derived(run: RefreshRun, *, repos: int, latency: float, critical: int, requests: int) -> dict[str, Any]:
    """The figures the issue asks for; ratios against a bound are ``None`` without latency (no bound)."""
    depth_bound = critical * latency
    throughput_bound = requests / run.concurrency * latency
    return {
        "requests_per_repo": run.metadata_requests / repos,
        "sequential_bound_s": repos * latency,
        "speedup_vs_sequential": _ratio(repos * latency, run.wall_s) if latency > 0 else None,
        "depth_bound_s": depth_bound,
        "wall_over_depth_bound": _ratio(run.wall_s, depth_bound),
        "throughput_bound_s": throughput_bound,
        "wall_over_lower_bound": _ratio(run.wall_s, max(depth_bound, throughput_bound)),
        "store_share": _ratio(run.store_s, run.wall_s),
        "store_ms_per_node": 1000 * run.store_s / max(run.nodes_done, 1),
        "queries_per_node": run.db_queries / max(run.nodes_done, 1),
    }


def _checks(run: RefreshRun, world: World) -> list[dict[str, Any]]:
    repos, edges = len(world.nodes), len(world.edges)
    return [
        {"name": "refresh finished", "ok": run.status == "done" and run.nodes_failed == 0,
         "detail": f"status {run.status}, {run.nodes_failed} failed nodes"},
        {"name": "every generated repo resolved", "ok": run.nodes_resolved == repos and not run.missing_repos,
         "detail": f"{run.nodes_resolved}/{repos} resolved" + _some(run.missing_repos, "missing")},
        {"name": "no nodes beyond the generated repos", "ok": run.nodes_stored == repos,
         "detail": f"{run.nodes_stored} hub nodes stored" + _some(run.unexpected_repos, "unexpected")},
        {"name": "edges equal the generated parent links",
         "ok": run.edges_stored == edges and not run.missing_edges and not run.unexpected_edges,
         "detail": f"{run.edges_stored} stored, {edges} generated (child, parent, relation)"
         + _some(run.missing_edges, "missing") + _some(run.unexpected_edges, "unexpected")},
        {"name": "every repo asked for exactly once",
         "ok": run.metadata_requests == run.repos_requested == repos,
         "detail": f"{run.metadata_requests} metadata requests for {run.repos_requested} repos"
         + _some(run.repos_requested_twice, "asked more than once")},
        {"name": "one file request per adapter", "ok": run.file_requests == world.file_fetches,
         "detail": f"{run.file_requests} file requests, {world.file_fetches} adapters"},
    ]  # fmt: skip


def _some(items: list[Any], label: str) -> str:
    if not items:
        return ""
    return f"; {label}: {', '.join(map(str, items[:5]))}" + (" ..." if len(items) > 5 else "")


def _other_run_failures(run: RefreshRun, world: World) -> list[dict[str, Any]]:
    """Checks of the runs after the headline, listed only when they fail (the headline's are always listed)."""
    label = f"concurrency {run.concurrency}" + (", traced" if run.traced_memory else "")
    return [{**check, "name": f"{check['name']} ({label})"} for check in _checks(run, world) if not check["ok"]]


def run(
    *,
    repos: int = DEFAULT_REPOS,
    usages: int = DEFAULT_USAGES,
    latency_ms: float = DEFAULT_LATENCY_MS,
    chain_length: int = DEFAULT_CHAIN_LENGTH,
    seed: int = DEFAULT_SEED,
    concurrency: int | None = None,
    sweep: tuple[int, ...] = (),
    memory: bool = True,
    log: Callable[[str], object] = lambda message: None,
) -> dict[str, Any]:
    """Build the world and the portfolio, measure the refreshes, return the report (plain JSON-able data).

    ``concurrency`` defaults to ``settings.LINEAGE_CONCURRENCY`` (the headline figure). ``memory`` adds one
    identical refresh under tracemalloc: tracing slows allocation several times and would distort the timing.
    ``sweep`` measures those concurrencies too, each from the same reset state.
    """
    from django.conf import settings
    from django.db import connection

    concurrency = concurrency or settings.LINEAGE_CONCURRENCY
    latency = latency_ms / 1000
    started = time.perf_counter()
    world = world_build(repos=repos, chain_length=chain_length, seed=seed)
    portfolio = portfolio_create(world, usages=usages, seed=seed)
    critical = critical_path_requests(world, set(portfolio.seeds))
    bounds = {
        "repos": len(world.nodes),
        "latency": latency,
        "critical": critical,
        "requests": len(world.nodes) + world.file_fetches,
    }
    log(f"lineage: {len(world.nodes)} repos, {portfolio.usages} usages; fake hub at +{latency_ms:g} ms per request")

    with HubProcess(world.records, latency) as hub:
        _warm_up(hub, world)
        log(f"lineage: portfolio refresh at concurrency {concurrency}")
        headline = refresh_measure(hub, world, concurrency=concurrency)
        memory_run = None
        if memory:
            log("lineage: the same refresh under tracemalloc")
            memory_run = refresh_measure(hub, world, concurrency=concurrency, trace_memory=True)
        sweep_runs = []
        for value in sweep:
            log(f"lineage: sweep, concurrency {value}")
            sweep_runs.append(headline if value == concurrency else refresh_measure(hub, world, concurrency=value))

    derived = _derived(headline, **bounds)
    speedup = derived["speedup_vs_sequential"]
    headline_entry = {**asdict(headline), **derived}
    sweep_entries = [{**asdict(r), **_derived(r, **bounds)} for r in sweep_runs]
    one_at_a_time = next((r.wall_s for r in sweep_runs if r.concurrency == 1), None)
    for entry in [headline_entry, *sweep_entries]:  # against the measured run, files and storing included
        entry["speedup_vs_concurrency_1"] = _ratio(one_at_a_time, entry["wall_s"]) if one_at_a_time else None
    return {
        "benchmark": NAME,
        "config": {
            "repos": repos, "usages": usages, "latency_ms": latency_ms, "chain_length": chain_length,
            "seed": seed, "concurrency": concurrency, "settings_concurrency": settings.LINEAGE_CONCURRENCY,
            "database": connection.vendor, "hub": "FakeHub in a child process",
        },
        "world": {
            "repos": len(world.nodes), "kinds": world.kinds(), "edges": len(world.edges),
            "longest_chain": world.longest_chain, "critical_path_requests": critical,
            "file_fetches": world.file_fetches, "vendors": portfolio.vendors, "products": portfolio.products,
            "usages": portfolio.usages, "seeds": len(portfolio.seeds),
            "usages_on_most_used_repo": portfolio.usages_per_repo_max,
        },
        "headline": headline_entry,
        "memory": asdict(memory_run) if memory_run else None,
        "sweep": sweep_entries,
        "checks": _checks(headline, world) + [
            check for r in [memory_run, *sweep_runs] if r and r is not headline
            for check in _other_run_failures(r, world)
        ],
        "targets": {
            "requests_per_repo": {"target": TARGET_REQUESTS_PER_REPO, "measured": derived["requests_per_repo"],
                                  "met": round(derived["requests_per_repo"], 2) == TARGET_REQUESTS_PER_REPO},
            "speedup_vs_sequential": {"target": TARGET_SPEEDUP, "measured": speedup,
                                      "met": None if speedup is None else speedup >= TARGET_SPEEDUP},
        },
        "elapsed_s": time.perf_counter() - started,
    }  # fmt: skip


def _num(value: float | None, spec: str, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{unit}"


def _met(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "n/a without latency"}[met]


def format_report(report: dict[str, Any]) -> str:
    """The report as ``python -m benchmarks`` prints it."""
    config, world, head, targets = report["config"], report["world"], report["headline"], report["targets"]
    latency_ms, mib = config["latency_ms"], 1024 * 1024
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(world["kinds"].items(), key=lambda item: -item[1]))
    lines = [
        f"Lineage: one portfolio refresh of {world['usages']:,} model usages over {world['repos']} unique hub repos",
        f"  world: {kinds}; {world['edges']} parent links; longest chain {world['longest_chain']} repos",
        f"  portfolio: {world['vendors']} vendors, {world['products']} products; {world['seeds']} repos used "
        f"directly, the most used one by {world['usages_on_most_used_repo']} usages",
        f"  hub: fake hub in a child process, +{latency_ms:g} ms per request; database: {config['database']}",
        "",
        f"  {'metric':<52}{'measured':>12}  target / bound",
        f"  {'-' * 52}{'-' * 12}  {'-' * 34}",
    ]

    def row(label: str, value: str, note: str = "") -> None:
        lines.append(f"  {label:<52}{value:>12}  {note}".rstrip())

    row("concurrency (settings.LINEAGE_CONCURRENCY)", f"{head['concurrency']}")
    row("unique repos", f"{world['repos']}")
    row("hub metadata requests (GET /api/models/{id})", f"{head['metadata_requests']}")
    row(
        "  per unique repo",
        f"{head['requests_per_repo']:.2f}",
        f"target {TARGET_REQUESTS_PER_REPO:.2f}: {_met(targets['requests_per_repo']['met'])}",
    )
    row("  most requests for one repo", f"{head['max_requests_one_repo']}")
    row("hub file requests (adapter_config.json)", f"{head['file_requests']}", f"{world['file_fetches']} adapters")
    row("other hub requests (listings, trees, ...)", f"{head['other_requests']}")
    row("peak requests in flight at the hub", f"{head['peak_in_flight']}", f"concurrency {head['concurrency']}")
    row("wall time of the refresh", f"{head['wall_s']:.2f} s")
    row(
        "sequential bound (unique repos x latency)",
        f"{head['sequential_bound_s']:.2f} s",
        f"{world['repos']} x {latency_ms:g} ms",
    )
    row(
        "  x faster than one request at a time",
        _num(head["speedup_vs_sequential"], ".1f", "x"),
        f"target >= {TARGET_SPEEDUP:g}x: {_met(targets['speedup_vs_sequential']['met'])}",
    )
    if head["speedup_vs_concurrency_1"] is not None:
        row(
            "  x faster than the measured concurrency-1 run",
            f"{head['speedup_vs_concurrency_1']:.1f}x",
            "files and storing included (--sweep)",
        )
    row(
        "depth bound (critical path x latency)",
        f"{head['depth_bound_s']:.2f} s",
        f"{world['critical_path_requests']} requests in sequence x {latency_ms:g} ms",
    )
    row("  wall / depth bound", _num(head["wall_over_depth_bound"], ".2f"), "1.00 = only the depth waits")
    row(
        "throughput bound (requests / concurrency x latency)",
        f"{head['throughput_bound_s']:.2f} s",
        f"{world['repos'] + world['file_fetches']} requests / {head['concurrency']}",
    )
    row(
        "  wall / max(depth bound, throughput bound)",
        _num(head["wall_over_lower_bound"], ".2f"),
        "1.00 = as fast as the hub allows",
    )
    row(
        "storing nodes (on the walk's calling thread)",
        f"{head['store_s']:.2f} s",
        f"{_num(head['store_share'], '.0%')} of wall, {head['store_ms_per_node']:.1f} ms per node",
    )
    row("database statements", f"{head['db_queries']:,}", f"{head['queries_per_node']:.1f} per node")
    memory = report["memory"]
    if memory:
        row(
            "peak Python heap during the refresh (tracemalloc)",
            f"{memory['tracemalloc_peak_bytes'] / mib:.1f} MiB",
            f"separate traced run ({memory['wall_s']:.1f} s)",
        )
    row(
        "peak RSS of this process (ru_maxrss)",
        f"{head['maxrss_bytes'] / mib:.1f} MiB",
        f"{head['maxrss_before_bytes'] / mib:.1f} MiB before the refresh",
    )
    row("nodes stored / resolved", f"{head['nodes_stored']} / {head['nodes_resolved']}", f"{world['repos']} repos")
    row("edges stored", f"{head['edges_stored']}", f"{world['edges']} generated")
    row("change events recorded", f"{head['changes']}", "none expected on a first refresh")

    if report["sweep"]:
        lines += [
            "",
            "  Concurrency sweep (every run from the same reset state):",
            f"  {'concurrency':>11} {'wall s':>7} {'x faster':>9} {'wall/depth':>11} {'wall/bound':>11} "
            f"{'in flight':>10} {'req/repo':>9} {'store s':>8} {'ms/node':>8} {'vs c=1':>7}",
        ]
        for entry in report["sweep"]:
            speedup = _num(entry["speedup_vs_sequential"], ".1f", "x")
            lines.append(
                f"  {entry['concurrency']:>11} {entry['wall_s']:>7.2f} {speedup:>9} "
                f"{_num(entry['wall_over_depth_bound'], '.2f'):>11} {_num(entry['wall_over_lower_bound'], '.2f'):>11} "
                f"{entry['peak_in_flight']:>10} {entry['requests_per_repo']:>9.2f} {entry['store_s']:>8.2f} "
                f"{entry['store_ms_per_node']:>8.1f} {_num(entry['speedup_vs_concurrency_1'], '.1f', 'x'):>7}"
            )
    lines += ["", "  Checks:"]
    lines += [f"    [{'ok' if c['ok'] else 'FAILED'}] {c['name']}: {c['detail']}" for c in report["checks"]]
    lines.append(f"  ({report['elapsed_s']:.1f} s in all, setup included)")
    return "\n".join(lines)


def ok(report: dict[str, Any]) -> bool:
    """Whether every correctness check passed (targets are reported, not enforced: timings are noisy)."""
    return all(check["ok"] for check in report["checks"])


# ------------------------------------------------------------------------------------------------ command line
def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("lineage")
    group.add_argument("--repos", type=int, default=DEFAULT_REPOS, help=f"unique hub repos (default {DEFAULT_REPOS})")
    group.add_argument("--usages", type=int, default=DEFAULT_USAGES, help=f"model usages (default {DEFAULT_USAGES})")
    group.add_argument("--latency-ms", type=float, default=DEFAULT_LATENCY_MS, help="added to every hub request")
    group.add_argument("--concurrency", type=int, help="headline concurrency (default: settings.LINEAGE_CONCURRENCY)")
    group.add_argument(
        "--sweep",
        action="store_true",
        help=f"also measure concurrency {', '.join(map(str, SWEEP_CONCURRENCY))} (adds about a minute)",
    )
    group.add_argument("--no-memory", action="store_true", help="skip the extra refresh under tracemalloc")
    group.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the generated world and portfolio")


def run_from_args(args: argparse.Namespace, log: Callable[[str], object]) -> dict[str, Any]:
    return run(
        repos=args.repos,
        usages=args.usages,
        latency_ms=args.latency_ms,
        seed=args.seed,
        concurrency=args.concurrency,
        sweep=SWEEP_CONCURRENCY if args.sweep else (),
        memory=not args.no_memory,
        log=log,
    )
