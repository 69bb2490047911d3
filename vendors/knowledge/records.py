"""The knowledge base's records, its closed vocabularies, and the lookups across them.

Pure: plain frozen dataclasses; :func:`vendors.knowledge.parse.load_knowledge_base` builds them from the files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from vendors.knowledge.provenance import Source

#: The closed vocabulary of publisher flags, with what each one means.
FLAGS: Mapping[str, str] = MappingProxyType(
    {
        "repackager": "re-hosts or quantises other publishers' weights; never an origin",
        "individual": "a person's account rather than an organisation",
        "consortium": "a multi-party collaboration; country is the coordinating one",
        "research_institution": "a university, public lab or research institute",
        "non_profit": "a non-profit organisation",
        "state_owned": "owned or controlled by a government",
        "bis_entity_list": "on the US Commerce (BIS) Entity List, 15 CFR 744 Supp. 4",
        "dod_1260h": "on the US DoD section 1260H list of Chinese military companies",
        "ofac_ns_cmic": "on the US Treasury (OFAC) NS-CMIC securities list",
        "ofac_sdn": "on the US Treasury (OFAC) Specially Designated Nationals (SDN) list",
    }
)

#: What kind of service a host is.
HOST_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "model_api": "a publisher's own API for its models (OpenAI, Anthropic, DeepSeek)",
        "inference_provider": "serves other publishers' models (Together, Groq)",
        "cloud": "general cloud where vendors self-host (EC2, SageMaker, GKE)",
        "cloud_ai": "a cloud's managed model service (Bedrock, Vertex AI, Azure OpenAI)",
        "router": "routes requests to upstream providers (OpenRouter, HF Inference Providers)",
    }
)

#: Placeholders allowed inside hostname patterns, e.g. ``bedrock-runtime.{region}.amazonaws.com``.
HOSTNAME_PLACEHOLDERS = frozenset({"region", "resource", "workspace"})

#: How a placeholder is written inside a hostname pattern.
PLACEHOLDER_PATTERN = re.compile(r"\{([a-z]+)\}")


@dataclass(frozen=True)
class PublisherRecord:
    """Who made a model: one organisation (or person) and the hub org ids it publishes under."""

    key: str
    name: str
    legal_entity: str
    parent_company: str
    country: str  # ISO 3166-1 alpha-2, or "" when unknown
    hub_orgs: tuple[str, ...]
    former_hub_orgs: tuple[str, ...]
    flags: frozenset[str]
    families: tuple[str, ...]
    verified: bool
    notes: str
    sources: tuple[Source, ...]

    @property
    def is_repackager(self) -> bool:
        """Re-packagers are followed through to their base model; they are never an origin."""
        return "repackager" in self.flags

    @property
    def all_hub_orgs(self) -> tuple[str, ...]:
        return self.hub_orgs + self.former_hub_orgs

    def has_flag(self, flag: str) -> bool:
        return flag in self.flags


@dataclass(frozen=True)
class RegionRecord:
    """One place a host runs inference; ``country`` is "" for global or multi-country routing."""

    code: str
    name: str
    country: str
    hostnames: tuple[str, ...]
    notes: str
    verified: bool
    group: str = ""  # a region group of region_groups.toml ("EU") when it serves from no single country


@dataclass(frozen=True)
class HostRecord:
    """Who serves a model: an API, inference provider, cloud or router, with its regions."""

    key: str
    name: str
    operator: str
    country: str  # the operator's country
    kind: str
    api_hostnames: tuple[str, ...]
    regions: tuple[RegionRecord, ...]
    verified: bool
    notes: str
    sources: tuple[Source, ...]

    def region(self, code: str) -> RegionRecord | None:
        return next((region for region in self.regions if region.code == code), None)


@dataclass(frozen=True)
class ClosedModelRecord:
    """A closed API model id, its publisher and the hosts that serve it."""

    name: str
    publisher: str  # a PublisherRecord.key
    family: str
    hosts: tuple[str, ...]  # HostRecord.key values
    aliases: tuple[str, ...]  # dated snapshots and cloud-specific ids of the same model
    verified: bool
    notes: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class HostMatch:
    """The host (and region, when the hostname names one) an API hostname belongs to."""

    host: HostRecord
    region: RegionRecord | None


@dataclass(frozen=True)
class KnowledgeBase:
    """The whole knowledge base with case-insensitive lookups."""

    publishers: tuple[PublisherRecord, ...]
    hosts: tuple[HostRecord, ...]
    closed_models: tuple[ClosedModelRecord, ...]
    _publishers_by_key: Mapping[str, PublisherRecord] = field(init=False, repr=False, compare=False)
    _publishers_by_org: Mapping[str, PublisherRecord] = field(init=False, repr=False, compare=False)
    _hosts_by_key: Mapping[str, HostRecord] = field(init=False, repr=False, compare=False)
    _models_by_name: Mapping[str, ClosedModelRecord] = field(init=False, repr=False, compare=False)
    _hostname_patterns: tuple[tuple[re.Pattern[str], HostMatch], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_org: dict[str, PublisherRecord] = {}
        for publisher in self.publishers:
            for org in publisher.all_hub_orgs:
                by_org.setdefault(org.casefold(), publisher)
        models: dict[str, ClosedModelRecord] = {}
        for model in self.closed_models:
            for name in (model.name, *model.aliases):
                models.setdefault(name.casefold(), model)
        set_field = object.__setattr__  # the dataclass is frozen; these are derived indexes
        set_field(self, "_publishers_by_key", MappingProxyType({p.key: p for p in self.publishers}))
        set_field(self, "_publishers_by_org", MappingProxyType(by_org))
        set_field(self, "_hosts_by_key", MappingProxyType({h.key: h for h in self.hosts}))
        set_field(self, "_models_by_name", MappingProxyType(models))
        set_field(self, "_hostname_patterns", tuple(_hostname_patterns(self.hosts)))

    def publisher(self, key: str) -> PublisherRecord | None:
        return self._publishers_by_key.get(key)

    def publisher_for_org(self, org: str) -> PublisherRecord | None:
        """The publisher behind a hub org id, current or former; hub ids are case-insensitive."""
        return self._publishers_by_org.get(org.strip().casefold())

    def publisher_for_repo(self, repo_id: str) -> PublisherRecord | None:
        """The publisher behind ``org/name``; ``None`` for a canonical id with no org."""
        org, slash, _name = repo_id.strip().partition("/")
        return self.publisher_for_org(org) if slash else None

    def host(self, key: str) -> HostRecord | None:
        return self._hosts_by_key.get(key)

    def closed_model(self, name: str) -> ClosedModelRecord | None:
        """A closed model by its API id or one of its aliases, case-insensitively."""
        return self._models_by_name.get(name.strip().casefold())

    def host_for_hostname(self, hostname: str) -> HostMatch | None:
        """Which host (and region, if the hostname is region-specific) serves ``hostname``."""
        candidate = hostname.strip().lower().rstrip(".")
        for pattern, match in self._hostname_patterns:
            if pattern.fullmatch(candidate):
                return match
        return None


def _hostname_patterns(hosts: Iterable[HostRecord]) -> Iterable[tuple[re.Pattern[str], HostMatch]]:
    """Region hostnames first, so the most specific match wins."""
    regional: list[tuple[re.Pattern[str], HostMatch]] = []
    general: list[tuple[re.Pattern[str], HostMatch]] = []
    for host in hosts:
        for region in host.regions:
            for hostname in region.hostnames:
                pattern = _hostname_regex(hostname.replace("{region}", region.code))
                regional.append((pattern, HostMatch(host, region)))
        for hostname in host.api_hostnames:
            general.append((_hostname_regex(hostname), HostMatch(host, None)))
    return [*regional, *general]


def _hostname_regex(pattern: str) -> re.Pattern[str]:
    parts = PLACEHOLDER_PATTERN.split(pattern)
    # split() alternates literal text and placeholder names; placeholders match one label part.
    return re.compile("".join(re.escape(part) if i % 2 == 0 else "[a-z0-9-]+" for i, part in enumerate(parts)))
