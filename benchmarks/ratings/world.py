"""The generated portfolio the ratings benchmark rescores, stored straight into the database.

``world_plan`` decides everything (publishers, hosts, the lineage forest, vendors, products, usages, change
events) from a seed, without Django, so the same arguments always give the same world. ``world_store`` writes
a plan with ``bulk_create``: no hub and no lineage walk, the rows look as if a lineage refresh had resolved
every model a few days ago. ``world_delete`` removes the portfolio and the benchmark's own knowledge-base rows
again (audit history included), so each measured size starts from an empty portfolio and a
``BENCH_DATABASE_URL`` database is left as it was found.

The forest is shaped like a real one: a few popular base models carry most of the derivatives, most usages
are of leaves (fine-tunes, GGUF quantizations, LoRA adapters, merges) or of popular bases, a fifth are of
closed API models, a few of vendor-declared models; models of a family were fetched together, a tenth of the
families too long ago. Loading a batch's lineage takes two queries per generation not yet loaded, so the
query count of a batch depends on how deep its lineage goes. To make that the same in every batch, at every
portfolio size, one in three families also has a chain exactly ``MAX_DEPTH`` links deep (an older base model
fine-tuned five times in a row, then quantized) used only at its tip, and every ``DEEP_TIP_EVERY``-th usage
(by position, so several in each batch) is of such a tip. Nothing else is deeper.
"""

from __future__ import annotations

import random
import string
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

DEFAULT_SEED = 20250114
#: Unique hub repos per model usage: 10,000 usages over about 1,500 repos.
REPOS_PER_USAGE = 0.15
#: Mean number of repos in one family (a base model and everything derived from it).
FAMILY_MEAN = 25
#: Parent links from the deepest repo to its root: a quantization of the fifth fine-tune in a row.
MAX_DEPTH = 6
#: One deep chain (an older base model, fine-tuned again and again) per this many families ...
FAMILIES_PER_CHAIN = 3
#: ... and every this-many-th usage, by position (so in every batch), uses the tip of one.
DEEP_TIP_EVERY = 25
#: Products use about this many models each.
USAGES_PER_PRODUCT = 9
#: Keys of the publishers and hosts the benchmark creates, so it can delete exactly those again.
KEY_PREFIX = "bench-ratings-"

# ------------------------------------------------------------------------------------------- the knowledge base
#: Base-model makers: hub org, brand, country, knowledge-base flags, the licence of their base models. Ordered by
#: popularity (a family's rank is its lab's index): US labs carry most usages, as in real portfolios.
_LABS = (
    ("aurora-labs", "Aurora", "US", (), "apache-2.0"),
    ("basalt-ai", "Basalt", "US", (), "llama3.1"),
    ("cedar-research", "Cedar", "FR", (), "apache-2.0"),
    ("delta-lm", "Delta", "CN", (), "other"),
    ("granite-ml", "Granite", "US", (), "mit"),
    ("ember-ai", "Ember", "CN", ("bis_entity_list",), "other"),
    ("harbor-ai", "Harbor", "GB", (), "apache-2.0"),
    ("fjord-nlp", "Fjord", "DE", ("research_institution",), "cc-by-nc-4.0"),
    ("nimbus-lm", "Nimbus", "CN", ("dod_1260h",), "apache-2.0"),
    ("juniper-ai", "Juniper", "CA", (), "apache-2.0"),
    ("iris-lab", "Iris", "RU", ("state_owned",), "other"),
    ("kestrel-ml", "Kestrel", "JP", (), "other"),
    ("meridian-ai", "Meridian", "AE", (), "apache-2.0"),
    ("lumen-research", "Lumen", "IR", (), ""),
    ("onyx-ai", "Onyx", "KR", (), "mit"),
    ("pinnacle-ml", "Pinnacle", "US", (), "llama3.1"),
)  # fmt: skip
_SIZES = ("7B", "8B", "3B", "14B", "1B", "32B", "70B")
#: Fine-tuners and mergers: hub org, country ("" unknown), flags. ``None`` country: no publisher row at all, so
#: their repos have an unknown publisher.
_COMMUNITY = (
    ("acme-bits", "US", ()), ("blue-forge", "DE", ()), ("bright-labs", "IN", ()), ("clear-minds", "GB", ()),
    ("deep-works", "CN", ()), ("fast-tune", "US", ("individual",)), ("helix-stack", "FR", ()),
    ("lucid-craft", "BR", ()), ("nova-labs", "SG", ()), ("open-forge", "US", ("non_profit",)),
    ("sage-minds", "CN", ()), ("acme-tune", "US", ("individual",)), ("blue-stack", "", ("individual",)),
    ("bright-forge", "RU", ()), ("lucid-labs", "NL", ()), ("nova-works", "KR", ()),
    ("open-minds", "CA", ("research_institution",)), ("sage-bits", "US", ()),
    ("anon-tuner", None, ()), ("x-models", None, ()), ("hf-user-4821", None, ()),
)  # fmt: skip
#: Re-packagers: they quantize others' weights and are never an origin.
_QUANTIZERS = (
    ("gguf-bench", "US", ("repackager",)), ("quant-works", "DE", ("repackager", "individual")),
    ("llamacpp-hub", "", ("repackager", "individual")), ("tensor-pack", "CN", ("repackager",)),
)  # fmt: skip
_TASKS = (
    "chat", "instruct", "legal", "medical", "code", "sql", "support", "rag", "math", "finance", "summarize",
    "translate", "sales", "hr", "security", "retail", "tutor", "agent", "reasoning", "claims",
)  # fmt: skip
#: Closed API models: name and the index of their lab in ``_LABS``.
_CLOSED = (
    ("aurora-chat-pro", 0), ("aurora-embed-2", 0), ("basalt-large", 1), ("cedar-medium-2", 2),
    ("delta-max", 3), ("granite-sonnet", 4), ("harbor-flash", 6), ("nimbus-turbo", 8), ("juniper-command", 9),
    ("kestrel-4", 11), ("pinnacle-ultra", 15), ("granite-rerank", 4),
)  # fmt: skip
#: Hosts: key, name, operator country, kind, regions (code, name, country; "" = global routing).
_HOSTS = (
    ("hyperscale", "Hyperscale Cloud", "US", "cloud",
     (("us-east-1", "US East", "US"), ("eu-central-1", "EU Central", "DE"), ("ap-east-1", "Asia Pacific", "HK"))),
    ("inferhub", "InferHub", "US", "inference_provider", (("global", "Global routing", ""),)),
    ("dragon-cloud", "Dragon Cloud AI", "CN", "cloud_ai",
     (("cn-north-1", "China North", "CN"), ("ap-southeast-1", "Singapore", "SG"))),
    ("eurollm", "EuroLLM API", "FR", "model_api", (("eu-west", "EU West", "FR"),)),
    ("switchboard", "Switchboard", "US", "router", (("global", "Global", ""),)),
)  # fmt: skip
_HOST_WEIGHTS = (40, 25, 10, 15, 10)
#: Hub orgs with a publisher row (the rest are unknown publishers).
_KNOWN_ORGS = frozenset(
    [lab[0] for lab in _LABS] + [org for org, country, _ in (*_COMMUNITY, *_QUANTIZERS) if country is not None]
)
_VENDOR_COUNTRIES = ("US", "US", "US", "GB", "DE", "FR", "NL", "CA", "JP", "IN", "IL", "SG")

#: How often each kind of derivative is generated (merges need two derivatives of one family).
_KIND_WEIGHTS = {"finetune": 48, "gguf": 24, "adapter": 22, "merge": 6}
#: Kinds that are fine-tuned, quantized or adapted further (nobody fine-tunes a GGUF file or a LoRA).
_DERIVABLE = frozenset({"base", "finetune", "merge"})
#: (relation, source) of the edge from a child of each kind, as the lineage walk would store it.
EDGE_OF_KIND = {
    "finetune": ("finetune", "card"),
    "gguf": ("quantized", "gguf"),
    "adapter": ("adapter", "adapter_config"),
    "merge": ("merge", "card"),
    "declared": ("finetune", "vendor"),
}
#: Supply-chain changes nobody acknowledged (these count in a rating) and bookkeeping ones (these do not).
_SUPPLY_CHAIN_KINDS = ("new_sha", "license_changed", "parent_added", "gated")


@dataclass(frozen=True)
class PublisherSpec:
    key: str
    name: str
    country: str
    flags: tuple[str, ...]


@dataclass(frozen=True)
class ModelSpec:
    """One lineage node. ``kind`` is a hub kind (base, finetune, gguf, adapter, merge), ``closed`` or
    ``declared``; ``depth`` is the number of parent links up to its root; ``fetched_days_ago`` is None for
    nodes the hub is never asked about."""

    name: str
    kind: str
    parents: tuple[str, ...]
    depth: int
    publisher: str | None
    license: str
    status: str
    fetched_days_ago: float | None

    @property
    def model_kind(self) -> str:
        return self.kind if self.kind in ("closed", "declared") else "hub"


@dataclass(frozen=True)
class UsageSpec:
    product: int
    model: str
    role: str
    host: int | None  # index into the plan's hosts
    region: str | None  # region code of that host


@dataclass(frozen=True)
class ChangeSpec:
    kind: str
    model: str | None
    product: int | None
    days_ago: float
    acknowledged: bool


@dataclass(frozen=True)
class Plan:
    """Everything the world holds, in the order it is stored (parents before children)."""

    seed: int
    families: int
    deep_chains: int
    publishers: tuple[PublisherSpec, ...]
    models: tuple[ModelSpec, ...]
    vendors: tuple[tuple[str, str], ...]  # (name, country)
    products: tuple[int, ...]  # the vendor index of each product
    usages: tuple[UsageSpec, ...]
    changes: tuple[ChangeSpec, ...]

    @property
    def edges(self) -> int:
        return sum(len(model.parents) for model in self.models)

    @property
    def max_depth(self) -> int:
        return max(model.depth for model in self.models)

    def summary(self) -> dict[str, Any]:
        """The counts the report shows."""
        kinds = Counter(model.kind for model in self.models)
        used = Counter(usage.model for usage in self.usages)
        depth_of = {model.name: model.depth for model in self.models}
        return {
            "usages": len(self.usages),
            "vendors": len(self.vendors),
            "products": len(self.products),
            "publishers": len(self.publishers),
            "families": self.families,
            "deep_chains": self.deep_chains,
            "models": len(self.models),
            "model_kinds": dict(sorted(kinds.items(), key=lambda item: -item[1])),
            "models_used": len(used),
            "usages_on_most_used_model": max(used.values()),
            "edges": self.edges,
            "max_depth": self.max_depth,
            "usages_at_max_depth": sum(n for name, n in used.items() if depth_of[name] == self.max_depth),
            "hosted_usages": sum(usage.host is not None for usage in self.usages),
            "unacknowledged_changes": sum(not change.acknowledged for change in self.changes),
            "change_events": len(self.changes),
        }


class _Names:
    """Case-insensitively unique model names, the way the database enforces them (per kind)."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def take(self, name: str) -> str:
        candidate, version = name, 1
        while candidate.lower() in self._taken:
            version += 1
            candidate = f"{name}-v{version}"
        self._taken.add(candidate.lower())
        return candidate


def _publisher_key(org: str) -> str:
    return f"{KEY_PREFIX}{org}"


def _publishers() -> tuple[PublisherSpec, ...]:
    labs = [PublisherSpec(_publisher_key(org), brand, country, flags) for org, brand, country, flags, _ in _LABS]
    others = [
        PublisherSpec(_publisher_key(org), org.replace("-", " ").title(), country, flags)
        for org, country, flags in (*_COMMUNITY, *_QUANTIZERS)
        if country is not None
    ]
    return (*labs, *others)


def _refreshed_days_ago(rng: random.Random) -> float:
    # A family's lineage is refreshed together. Fresh facts are at most 21 days old and stale ones at least 45,
    # far from the policy's 30-day limit: a rescoring a minute later must find them just as fresh or stale.
    return rng.uniform(45, 120) if rng.random() < 0.1 else rng.uniform(1, 21)


def _derived_license(rng: random.Random, kind: str, parent_license: str) -> str:
    keep = {"gguf": 0.8, "adapter": 0.6, "finetune": 0.65, "merge": 0.5}[kind]
    if rng.random() < keep:
        return parent_license
    return rng.choice(("apache-2.0", "mit", "other", "", "cc-by-nc-4.0", "llama3.1"))


class _Family:
    """The hub repos of one lab's base model: ``grow`` adds derivatives by preferential attachment, ``chain``
    adds a separate deep chain on an older version of the base."""

    def __init__(self, rng: random.Random, index: int, names: _Names) -> None:
        self.rng, self.names = rng, names
        self.org, brand, _, _, self.license = _LABS[index % len(_LABS)]
        self.stem = f"{brand}-{_SIZES[(index // len(_LABS) + index) % len(_SIZES)]}"
        if index >= len(_LABS):
            self.stem += f"-r{index // len(_LABS) + 1}"
        self.age = _refreshed_days_ago(rng)
        self.nodes: list[ModelSpec] = []
        self.children: Counter[str] = Counter()

    def _add(self, kind: str, parents: tuple[ModelSpec, ...], name: str, org: str, license: str) -> ModelSpec:
        node = ModelSpec(
            name=self.names.take(name),
            kind=kind,
            parents=tuple(p.name for p in parents),
            depth=1 + max((p.depth for p in parents), default=-1),
            publisher=_publisher_key(org) if org in _KNOWN_ORGS else None,
            license=license,
            status="gated" if self.rng.random() < 0.02 else "resolved",
            fetched_days_ago=self.age + self.rng.uniform(0, 0.5),
        )
        self.nodes.append(node)
        self.children.update(node.parents)
        return node

    def _derive(self, kind: str, parents: tuple[ModelSpec, ...]) -> ModelSpec:
        rng = self.rng
        if kind == "gguf":
            org = rng.choice(_QUANTIZERS)[0]
            name = f"{org}/{parents[0].name.split('/', 1)[1][:40]}-GGUF"
        else:
            org = rng.choice(_COMMUNITY)[0]
            suffix = {"finetune": "", "adapter": "-lora", "merge": "-merge"}[kind]
            name = f"{org}/{self.stem}-{rng.choice(_TASKS)}{suffix}"
        return self._add(kind, parents, name, org, _derived_license(rng, kind, parents[0].license))

    def grow(self, size: int) -> list[ModelSpec]:
        """The base model and ``size - 1`` derivatives, at most ``MAX_DEPTH`` parent links deep."""
        rng = self.rng
        self._add("base", (), f"{self.org}/{self.stem}", self.org, self.license)
        while len(self.nodes) < size:
            kind = rng.choices(list(_KIND_WEIGHTS), weights=list(_KIND_WEIGHTS.values()))[0]
            derivable = [n for n in self.nodes if n.kind in _DERIVABLE and n.depth < MAX_DEPTH]
            if kind == "merge":
                pool = [n for n in derivable if n.depth >= 1]
                if len(pool) >= 2:
                    self._derive("merge", tuple(rng.sample(pool, k=min(len(pool), rng.choice((2, 2, 3))))))
                continue
            weights = [
                (1.0 + 0.7 * self.children[n.name]) * 0.65**n.depth * (3.0 if n.kind == "base" else 1.0)
                for n in derivable
            ]
            self._derive(kind, (rng.choices(derivable, weights=weights)[0],))
        return self.nodes

    def chain(self) -> list[ModelSpec]:
        """An older base model, fine-tuned ``MAX_DEPTH - 1`` times in a row, and a quantization of the last:
        ``MAX_DEPTH`` parent links. Only the quantization is used, so loading its lineage takes one query pair
        per generation, whatever else its batch holds."""
        tip = self._add("base", (), f"{self.org}/{self.stem}-v0", self.org, self.license)
        for _ in range(MAX_DEPTH - 1):
            tip = self._derive("finetune", (tip,))
        return [*self.nodes[-MAX_DEPTH:], self._derive("gguf", (tip,))]


def _usage_targets(
    rng: random.Random, models: list[ModelSpec], chains: list[list[ModelSpec]], popularity: list[float], usages: int
) -> list[str]:
    """The model of each usage. Every ``DEEP_TIP_EVERY``-th is a deep chain's tip, so that every batch loads
    lineage ``MAX_DEPTH`` links deep; of the rest, a fifth are closed API models, a few declared ones, and the
    others hub repos (popular bases, mostly leaves, rarely the fine-tunes in between)."""
    in_chains = {m.name for chain in chains for m in chain}
    tips = [chain[-1].name for chain in chains]
    hub = [m for m in models if m.model_kind == "hub" and m.name not in in_chains]
    parents = {p for m in models for p in m.parents}
    roots = [m for m in hub if m.kind == "base"]
    leaves = [m for m in hub if m.name not in parents]
    middle = [m for m in hub if m.kind != "base" and m.name in parents]
    closed = [m for m in models if m.kind == "closed"]
    declared = [m for m in models if m.kind == "declared"]
    closed_weights = [1 / (rank + 1) for rank in range(len(closed))]
    targets = []
    for i in range(usages):
        draw = rng.random()
        if i % DEEP_TIP_EVERY == 0:
            targets.append(tips[(i // DEEP_TIP_EVERY) % len(tips)])
        elif draw < 0.20:
            targets.append(rng.choices(closed, weights=closed_weights)[0].name)
        elif draw < 0.22 and declared:
            targets.append(rng.choice(declared).name)
        elif draw < 0.42:
            targets.append(rng.choices(roots, weights=popularity)[0].name)
        elif draw < 0.50 and middle:
            targets.append(rng.choice(middle).name)
        else:
            targets.append(rng.choice(leaves).name)
    return targets


def world_plan(*, usages: int, seed: int = DEFAULT_SEED) -> Plan:
    """The world for a portfolio of ``usages`` model usages; the same for the same arguments."""
    if usages < 10:
        raise ValueError("a ratings world needs at least 10 usages")
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    names = _Names()
    repos = round(usages * REPOS_PER_USAGE)
    families = max(2, round(repos / FAMILY_MEAN))
    n_chains = -(-families // FAMILIES_PER_CHAIN)
    popularity = [1 / (rank + 1) ** 1.1 for rank in range(families)]  # a few bases dominate
    # Each family has its base model; the other repos go to families by popularity.
    spare = max(0, repos - families - n_chains * (MAX_DEPTH + 1))
    sizes = Counter(rng.choices(range(families), weights=popularity, k=spare))
    models: list[ModelSpec] = []
    chains: list[list[ModelSpec]] = []
    for index in range(families):
        family = _Family(rng, index, names)
        models += family.grow(1 + sizes[index])
        if index % FAMILIES_PER_CHAIN == 0:
            chains.append(family.chain())
            models += chains[-1]

    for name, lab in _CLOSED:
        models.append(ModelSpec(name, "closed", (), 0, _publisher_key(_LABS[lab][0]), "", "resolved", None))
    # Vendor-declared in-house models on top of a hub repo, shallow enough to stay within MAX_DEPTH.
    in_chains = {m.name for chain in chains for m in chain}
    shallow = [
        m
        for m in models
        if m.model_kind == "hub" and m.depth <= MAX_DEPTH - 2 and m.kind in _DERIVABLE and m.name not in in_chains
    ]
    for i in range(max(1, usages // 400)):
        parent = rng.choice(shallow)
        models.append(
            ModelSpec(
                f"In-house model {i + 1}", "declared", (parent.name,), parent.depth + 1, None, "", "resolved", None
            )
        )

    targets = _usage_targets(rng, models, chains, popularity, usages)
    n_products = max(-(-usages // USAGES_PER_PRODUCT), max(Counter(targets).values()))
    n_vendors = -(-n_products // 4)
    vendors = tuple((f"Ratings Bench Vendor {i:05d}", rng.choice(_VENDOR_COUNTRIES)) for i in range(n_vendors))
    products = tuple(i // 4 for i in range(n_products))

    taken: set[tuple[int, str]] = set()
    usage_specs = []
    for i, name in enumerate(targets):
        for attempt in range(n_products):  # the next product that does not use this model yet
            product = (i + attempt) % n_products
            if (product, name) not in taken:
                taken.add((product, name))
                usage_specs.append(_usage(rng, product, name))
                break
    if len(usage_specs) != usages:  # cannot happen with enough products; a silent shortfall would skew the report
        raise RuntimeError(f"only {len(usage_specs)} of {usages} usages found a product")

    return Plan(
        seed=seed,
        families=families,
        deep_chains=len(chains),
        publishers=_publishers(),
        models=tuple(models),
        vendors=vendors,
        products=products,
        usages=tuple(usage_specs),
        changes=_changes(rng, models, n_products),
    )


def _usage(rng: random.Random, product: int, model: str) -> UsageSpec:
    role = rng.choices(("primary", "fallback", "embedding", "routed"), weights=(70, 15, 10, 5))[0]
    host = region = None
    if rng.random() < 0.45:
        host = rng.choices(range(len(_HOSTS)), weights=_HOST_WEIGHTS)[0]
        if rng.random() < 0.8:
            region = rng.choice(_HOSTS[host][4])[0]
    return UsageSpec(product=product, model=model, role=role, host=host, region=region)


def _changes(rng: random.Random, models: list[ModelSpec], products: int) -> tuple[ChangeSpec, ...]:
    """Change events: some unacknowledged supply-chain changes (they count), some acknowledged ones and some
    bookkeeping (they do not)."""
    changes = []
    for model in models:
        if model.model_kind != "hub":
            continue
        draw = rng.random()
        if draw < 0.04:
            for kind in rng.sample(_SUPPLY_CHAIN_KINDS, k=rng.choice((1, 1, 2))):
                changes.append(ChangeSpec(kind, model.name, None, rng.uniform(0, 10), acknowledged=False))
        elif draw < 0.08:
            changes.append(ChangeSpec(rng.choice(_SUPPLY_CHAIN_KINDS), model.name, None, rng.uniform(5, 60), True))
        elif draw < 0.10:
            changes.append(ChangeSpec("status_changed", model.name, None, rng.uniform(0, 10), acknowledged=False))
    for product in range(products):
        if rng.random() < 0.05:
            changes.append(ChangeSpec("usage_added", None, product, rng.uniform(0, 30), acknowledged=False))
    return tuple(changes)


# ----------------------------------------------------------------------------------------------- the database
def world_store(plan: Plan, *, now: datetime | None = None, log=lambda message: None) -> None:
    """Write the plan with ``bulk_create``, as if a lineage refresh had resolved every model (``now`` is the
    time the ages in the plan count back from). On PostgreSQL the tables written are then analysed, as
    autovacuum does to a table that grew: planned with the statistics of empty tables (or with none, where
    autovacuum is off, as on the development server), a batch's read of its 500 usages with their product,
    vendor, model and host scans every one of those tables (66 ms a batch at 100,000 usages instead of a few),
    which a deployed database never does."""
    from django.db import connection
    from django.utils import timezone

    from vendors.models import (
        AIModel,
        ChangeEvent,
        Host,
        HostRegion,
        LineageEdge,
        ModelUsage,
        Product,
        Publisher,
        Vendor,
    )

    now = now or timezone.now()
    rng = random.Random(plan.seed + 1)  # noqa: S311 - shas only
    publishers = {
        p.key: p
        for p in Publisher.objects.bulk_create(
            Publisher(key=s.key, name=s.name, country=s.country, flags=list(s.flags), verified=True)
            for s in plan.publishers
        )
    }
    hosts = Host.objects.bulk_create(
        Host(key=f"{KEY_PREFIX}{key}", name=name, country=country, kind=kind) for key, name, country, kind, _ in _HOSTS
    )
    regions = {
        (region.host_id, region.code): region
        for region in HostRegion.objects.bulk_create(
            HostRegion(host=host, code=code, name=name, country=country)
            for host, spec in zip(hosts, _HOSTS, strict=True)
            for code, name, country in spec[4]
        )
    }
    log(f"ratings:   {len(publishers)} publishers, {len(hosts)} hosts, {len(regions)} regions")

    rows = []
    for spec in plan.models:
        fetched = now - timedelta(days=spec.fetched_days_ago) if spec.fetched_days_ago is not None else None
        rows.append(
            AIModel(
                kind=spec.model_kind,
                name=spec.name,
                publisher=publishers.get(spec.publisher) if spec.publisher else None,
                status=spec.status,
                status_reason="Gated on the hub." if spec.status == "gated" else "",
                sha="".join(rng.choices(string.hexdigits.lower()[:16], k=40)) if spec.model_kind == "hub" else "",
                license=spec.license,
                pipeline_tag="text-generation" if spec.model_kind == "hub" else "",
                library_name={"gguf": "gguf", "adapter": "peft"}.get(spec.kind, "transformers")
                if spec.model_kind == "hub"
                else "",
                hub_created_at=fetched - timedelta(days=200) if fetched else None,
                hub_last_modified=fetched - timedelta(days=7) if fetched else None,
                fetched_at=fetched,
                declared_source="vendor" if spec.kind == "declared" else "",
            )
        )
    models = {m.name: m for m in AIModel.objects.bulk_create(rows, batch_size=1000)}
    edges = [
        LineageEdge(
            child=models[spec.name],
            parent=models[parent],
            relation=EDGE_OF_KIND[spec.kind][0],
            source=EDGE_OF_KIND[spec.kind][1],
            observed_at=models[spec.name].fetched_at or now,
        )
        for spec in plan.models
        for parent in spec.parents
    ]
    LineageEdge.objects.bulk_create(edges, batch_size=1000)
    log(f"ratings:   {len(models)} models, {len(edges)} lineage edges")

    vendors = Vendor.objects.bulk_create(
        (Vendor(name=name, country=country) for name, country in plan.vendors), batch_size=1000
    )
    products = Product.objects.bulk_create(
        (Product(vendor=vendors[v], name=f"Product {i % 4 + 1}") for i, v in enumerate(plan.products)), batch_size=1000
    )
    usages = []
    for spec in plan.usages:
        host = hosts[spec.host] if spec.host is not None else None
        usages.append(
            ModelUsage(
                product=products[spec.product],
                model=models[spec.model],
                role=spec.role,
                share=50 if spec.role == "routed" else None,
                host=host,
                region=regions[(host.pk, spec.region)] if host and spec.region else None,
                declared_by="vendor" if models[spec.model].kind == "declared" else "analyst",
            )
        )
    ModelUsage.objects.bulk_create(usages, batch_size=1000)
    ChangeEvent.objects.bulk_create(
        (
            ChangeEvent(
                kind=spec.kind,
                model=models[spec.model] if spec.model else None,
                product=products[spec.product] if spec.product is not None else None,
                summary=f"{spec.kind.replace('_', ' ')}: {spec.model or f'product {spec.product}'}",
                occurred_at=now - timedelta(days=spec.days_ago),
                acknowledged_at=now - timedelta(days=spec.days_ago / 2) if spec.acknowledged else None,
            )
            for spec in plan.changes
        ),
        batch_size=1000,
    )
    log(f"ratings:   {len(vendors)} vendors, {len(products)} products, {len(usages)} usages")
    log(f"ratings:   {len(plan.changes)} change events")
    if connection.vendor == "postgresql":
        tables = (Publisher, Host, HostRegion, AIModel, LineageEdge, Vendor, Product, ModelUsage, ChangeEvent)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(connection.ops.quote_name(m._meta.db_table) for m in tables)}")


def world_delete() -> None:
    """Delete every portfolio row and every lineage node but the knowledge base's closed models (whatever
    benchmark made them: the benchmark database is theirs) and the benchmark's own publishers and hosts, with
    everything that refers to them, then the audit history of every row that no longer exists: a
    ``BENCH_DATABASE_URL`` database is left as it was found.

    These are the benchmarks' own rows, so they are deleted set-wise (``_rows_delete``): one statement per table,
    no row loaded, no per-row signal. ``QuerySet.delete()`` would load every row and write a history row for each
    one it deletes, one INSERT each, only for the history to be deleted next: a 100,000-usage portfolio took
    about 20 minutes to delete that way."""
    from django.db import transaction
    from simple_history.models import registered_models

    from assessments.models import Finding, RiskRating
    from vendors.models import AIModel, BomImport, BomVersion, ChangeEvent, Host, ModelUsage, Product, Publisher, Vendor

    with transaction.atomic():  # the foreign keys are checked at the commit, once every table is done
        # MBOM versions too: a refresh on the workers records them for the products it covered.
        for model in (Finding, RiskRating, ChangeEvent, BomImport, BomVersion, ModelUsage, Product, Vendor):
            _rows_delete(model._base_manager.all())
        _rows_delete(AIModel._base_manager.filter(shipped_fingerprint=""))  # the knowledge base's closed models stay
        for model in (Host, Publisher):  # regions go with their host
            _rows_delete(model._base_manager.filter(key__startswith=KEY_PREFIX))
    for model in registered_models.values():
        history = getattr(model, "history", None)
        if history is not None:
            pk = model._meta.pk.attname
            history.exclude(**{f"{pk}__in": model._default_manager.values(pk)})._raw_delete(history.db)


def _rows_delete(rows, _seen: frozenset = frozenset()) -> None:
    """Delete ``rows`` (a queryset) and, first, every row that refers to them, whatever the relation's
    ``on_delete`` says (the benchmark deletes all it made): a raw ``DELETE ... WHERE fk IN (SELECT ...)`` per
    referring table; ``SET_NULL`` references are cleared instead, ``DO_NOTHING`` ones (the audit history's) left
    to the history clean-up. Run inside a transaction: the foreign keys are deferred to its commit."""
    from django.db.models import DO_NOTHING, SET_NULL
    from django.db.models.deletion import get_candidate_relations_to_delete

    model = rows.model
    seen = _seen | {model}
    for relation in get_candidate_relations_to_delete(model._meta):
        related, field = relation.related_model, relation.field
        if relation.on_delete is DO_NOTHING:
            continue
        referring = related._base_manager.filter(**{f"{field.name}__in": rows})
        if relation.on_delete is SET_NULL:
            referring.update(**{field.name: None})
        elif related in seen:  # a table referring to itself (or back up the chain): deleted with its own rows
            continue
        else:
            _rows_delete(referring, seen)
    rows._raw_delete(rows.db)
