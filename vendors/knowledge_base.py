"""The curated jurisdiction knowledge base: parse and validate ``vendors/knowledge/*.toml``.

Three files, each row with its sources:

* ``publishers.toml``: who made a model (hub org ids -> legal entity, country, flags);
* ``hosts.toml``: who serves it (API hostnames, operator country, regions);
* ``closed_models.toml``: closed API model ids -> publisher and hosts.

Pure: no Django models or settings, no I/O beyond reading the three files. Every problem
found is collected and raised together in one :class:`KnowledgeBaseError`, so an operator
editing the files sees all mistakes at once. See ``vendors/knowledge/README.md``.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

# A plain dict of ISO 3166-1 alpha-2 codes; importing it needs no Django settings.
from django_countries.data import COUNTRIES

DEFAULT_DIR = Path(__file__).resolve().parent / "knowledge"
PUBLISHERS_FILE = "publishers.toml"
HOSTS_FILE = "hosts.toml"
CLOSED_MODELS_FILE = "closed_models.toml"

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

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_REGION_CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_HUB_ORG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_HOST_LABEL = re.compile(r"(?:[a-z0-9-]|\{[a-z]+\})+")
_PLACEHOLDER = re.compile(r"\{([a-z]+)\}")
_URL = re.compile(r"https?://[^\s/]+\.[^\s]*")


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Source:
    """Where a row's facts come from."""

    title: str
    url: str
    accessed: dt.date | None = None


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
    parts = _PLACEHOLDER.split(pattern)
    # split() alternates literal text and placeholder names; placeholders match one label part.
    return re.compile("".join(re.escape(part) if i % 2 == 0 else "[a-z0-9-]+" for i, part in enumerate(parts)))


# --------------------------------------------------------------------------- errors


class KnowledgeBaseError(ValueError):
    """Every problem found in the knowledge base files, one per line, with file and entry."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} in the knowledge base:"
        super().__init__("\n".join([header, *(f"  - {p}" for p in self.problems)]))


class _Table:
    """Typed reads from one TOML table; problems are recorded, never raised.

    Each accessor returns a usable default when the value is missing or wrong, so validation
    carries on and reports everything in one pass.
    """

    def __init__(
        self,
        data: Mapping[str, Any],
        where: str,
        problems: list[str],
        *,
        required: frozenset[str],
        optional: frozenset[str],
    ) -> None:
        self.data = data
        self.where = where
        self.problems = problems
        for name in sorted(required - data.keys()):
            self.problem(f"missing required field {name!r}")
        for name in sorted(data.keys() - required - optional):
            self.problem(f"unknown key {name!r}")

    def problem(self, message: str) -> None:
        self.problems.append(f"{self.where}: {message}")

    def text(self, name: str, *, allow_empty: bool = False) -> str:
        value = self.data.get(name, "")
        if not isinstance(value, str):
            self.problem(f"{name!r} must be a string")
            return ""
        if name in self.data and not allow_empty and not value.strip():
            self.problem(f"{name!r} must not be empty")
        return value.strip()

    def texts(self, name: str, *, allow_empty: bool = True) -> tuple[str, ...]:
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(f"{name!r} must be a list of strings")
            return ()
        if name in self.data and not allow_empty and not value:
            self.problem(f"{name!r} must not be an empty list")
        return tuple(v.strip() for v in value)

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.data.get(name, default)
        if not isinstance(value, bool):
            self.problem(f"{name!r} must be true or false")
            return default
        return value

    def tables(self, name: str) -> list[Mapping[str, Any]]:
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(f"{name!r} must be a list of tables")
            return []
        return value

    def country(self, name: str = "country") -> str:
        code = self.text(name, allow_empty=True)
        if code and code not in COUNTRIES:
            hint = " (use uppercase)" if code.upper() in COUNTRIES else ""
            self.problem(f"{name!r} {code!r} is not an ISO 3166-1 alpha-2 code{hint}")
        return code

    def sources(self) -> tuple[Source, ...]:
        tables = self.tables("sources")
        if "sources" in self.data and not tables:
            self.problem("needs at least one source")
        result = []
        for index, table in enumerate(tables):
            entry = _Table(
                table,
                f"{self.where}, source #{index + 1}",
                self.problems,
                required=frozenset({"title", "url"}),
                optional=frozenset({"accessed"}),
            )
            url = entry.text("url")
            if url and not _URL.fullmatch(url):
                entry.problem(f"'url' {url!r} is not an http(s) URL")
            result.append(Source(entry.text("title"), url, entry.date("accessed")))
        return tuple(result)

    def date(self, name: str) -> dt.date | None:
        value = self.data.get(name)
        if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(f"{name!r} must be a date such as 2026-05-01")
        return None

    def notes_if_unverified(self, verified: bool, notes: str) -> None:
        if not verified and not notes:
            self.problem("an unverified row needs notes saying what is unconfirmed")


# --------------------------------------------------------------------------- loading


def load_knowledge_base(directory: Path = DEFAULT_DIR) -> KnowledgeBase:
    """Read and validate the three files; raise :class:`KnowledgeBaseError` listing every problem."""
    problems: list[str] = []
    publisher_rows = _read_rows(directory / PUBLISHERS_FILE, "publisher", problems)
    host_rows = _read_rows(directory / HOSTS_FILE, "host", problems)
    model_rows = _read_rows(directory / CLOSED_MODELS_FILE, "model", problems)

    publishers = _parse_publishers(publisher_rows or [], problems)
    hosts = _parse_hosts(host_rows or [], problems)
    closed_models = _parse_closed_models(
        model_rows or [],
        # Cross-file checks only against files that parsed, to avoid a cascade of false alarms.
        publisher_keys={p.key for p in publishers} if publisher_rows is not None else None,
        host_keys={h.key for h in hosts} if host_rows is not None else None,
        problems=problems,
    )
    if problems:
        raise KnowledgeBaseError(problems)
    return KnowledgeBase(tuple(publishers), tuple(hosts), tuple(closed_models))


def _read_rows(path: Path, table: str, problems: list[str]) -> list[Mapping[str, Any]] | None:
    """The ``[[table]]`` entries of one file, or ``None`` when the file is unreadable."""
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        problems.append(f"{path.name}: file not found in {path.parent}")
        return None
    except tomllib.TOMLDecodeError as error:
        problems.append(f"{path.name}: not valid TOML: {error}")
        return None
    for key in sorted(document.keys() - {table}):
        problems.append(f"{path.name}: unknown top-level key {key!r} (expected [[{table}]])")
    rows = document.get(table, [])
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        problems.append(f"{path.name}: {table!r} must be an array of tables ([[{table}]])")
        return None
    return rows


def _label(table: str, index: int, row: Mapping[str, Any], id_field: str) -> str:
    """How problems name an entry: ``publisher #3 ('deepseek')``, counting from 1."""
    name = row.get(id_field)
    named = f" ({name!r})" if isinstance(name, str) and name else ""
    return f"{table} #{index + 1}{named}"


_PUBLISHER_REQUIRED = frozenset({"key", "name", "legal_entity", "country", "hub_orgs", "verified", "sources"})
_PUBLISHER_OPTIONAL = frozenset({"parent_company", "former_hub_orgs", "flags", "families", "notes"})


def _parse_publishers(rows: list[Mapping[str, Any]], problems: list[str]) -> list[PublisherRecord]:
    records: list[PublisherRecord] = []
    keys: dict[str, str] = {}
    orgs: dict[str, str] = {}  # casefolded org id -> where it was first claimed
    for index, row in enumerate(rows):
        where = f"{PUBLISHERS_FILE}: {_label('publisher', index, row, 'key')}"
        table = _Table(row, where, problems, required=_PUBLISHER_REQUIRED, optional=_PUBLISHER_OPTIONAL)
        key = _slug(table, "key")
        if key and key in keys:
            table.problem(f"duplicate key {key!r} (first used by {keys[key]})")
        keys.setdefault(key, where)

        hub_orgs = table.texts("hub_orgs")
        former_hub_orgs = table.texts("former_hub_orgs")
        for org in (*hub_orgs, *former_hub_orgs):
            if not _HUB_ORG.fullmatch(org):
                table.problem(f"hub org id {org!r} is not a valid hub org id")
            folded = org.casefold()
            if folded in orgs:
                table.problem(f"hub org {org!r} is already claimed by {orgs[folded]}")
            orgs.setdefault(folded, where)

        flags = table.texts("flags")
        for flag in flags:
            if flag not in FLAGS:
                table.problem(f"unknown flag {flag!r} (known: {', '.join(sorted(FLAGS))})")

        verified = table.boolean("verified")
        notes = table.text("notes", allow_empty=True)
        table.notes_if_unverified(verified, notes)
        records.append(
            PublisherRecord(
                key=key,
                name=table.text("name"),
                legal_entity=table.text("legal_entity"),
                parent_company=table.text("parent_company", allow_empty=True),
                country=table.country(),
                hub_orgs=hub_orgs,
                former_hub_orgs=former_hub_orgs,
                flags=frozenset(flags),
                families=table.texts("families"),
                verified=verified,
                notes=notes,
                sources=table.sources(),
            )
        )
    return records


_HOST_REQUIRED = frozenset(
    {"key", "name", "operator", "country", "kind", "api_hostnames", "verified", "sources", "region"}
)
_HOST_OPTIONAL = frozenset({"notes"})
_REGION_REQUIRED = frozenset({"code", "name", "country"})
_REGION_OPTIONAL = frozenset({"hostnames", "notes", "verified"})


def _parse_hosts(rows: list[Mapping[str, Any]], problems: list[str]) -> list[HostRecord]:
    records: list[HostRecord] = []
    keys: dict[str, str] = {}
    for index, row in enumerate(rows):
        where = f"{HOSTS_FILE}: {_label('host', index, row, 'key')}"
        table = _Table(row, where, problems, required=_HOST_REQUIRED, optional=_HOST_OPTIONAL)
        key = _slug(table, "key")
        if key and key in keys:
            table.problem(f"duplicate key {key!r} (first used by {keys[key]})")
        keys.setdefault(key, where)

        kind = table.text("kind")
        if kind and kind not in HOST_KINDS:
            table.problem(f"unknown kind {kind!r} (known: {', '.join(HOST_KINDS)})")
        verified = table.boolean("verified")
        notes = table.text("notes", allow_empty=True)
        table.notes_if_unverified(verified, notes)
        region_tables = table.tables("region")
        if "region" in row and not region_tables:
            table.problem("needs at least one [[host.region]]")
        records.append(
            HostRecord(
                key=key,
                name=table.text("name"),
                operator=table.text("operator"),
                country=table.country(),
                kind=kind,
                api_hostnames=_hostnames(table, "api_hostnames"),
                regions=_parse_regions(region_tables, where, verified, problems),
                verified=verified,
                notes=notes,
                sources=table.sources(),
            )
        )
    return records


def _parse_regions(
    rows: list[Mapping[str, Any]], host_where: str, host_verified: bool, problems: list[str]
) -> tuple[RegionRecord, ...]:
    regions: list[RegionRecord] = []
    codes: set[str] = set()
    for index, row in enumerate(rows):
        table = _Table(
            row,
            f"{host_where}, {_label('region', index, row, 'code')}",
            problems,
            required=_REGION_REQUIRED,
            optional=_REGION_OPTIONAL,
        )
        code = table.text("code")
        if code and not _REGION_CODE.fullmatch(code):
            table.problem(f"region code {code!r} must be lowercase letters, digits and hyphens")
        if code and code in codes:
            table.problem(f"duplicate region code {code!r}")
        codes.add(code)
        # A region is as verified as its host unless it says otherwise; the host's notes
        # already explain an inherited doubt, so only a region's own verdict needs its own note.
        verified = table.boolean("verified", default=host_verified)
        notes = table.text("notes", allow_empty=True)
        if "verified" in row:
            table.notes_if_unverified(verified, notes)
        regions.append(
            RegionRecord(
                code=code,
                name=table.text("name"),
                country=table.country(),
                hostnames=_hostnames(table, "hostnames"),
                notes=notes,
                verified=verified,
            )
        )
    return tuple(regions)


_MODEL_REQUIRED = frozenset({"name", "publisher", "family", "hosts", "verified", "sources"})
_MODEL_OPTIONAL = frozenset({"aliases", "notes"})


def _parse_closed_models(
    rows: list[Mapping[str, Any]],
    *,
    publisher_keys: set[str] | None,
    host_keys: set[str] | None,
    problems: list[str],
) -> list[ClosedModelRecord]:
    records: list[ClosedModelRecord] = []
    names: dict[str, str] = {}  # casefolded name or alias -> where it was first used
    for index, row in enumerate(rows):
        where = f"{CLOSED_MODELS_FILE}: {_label('model', index, row, 'name')}"
        table = _Table(row, where, problems, required=_MODEL_REQUIRED, optional=_MODEL_OPTIONAL)
        name = table.text("name")
        aliases = table.texts("aliases")
        for model_id in (name, *aliases):
            folded = model_id.casefold()
            if folded and folded in names:
                table.problem(f"model id {model_id!r} is already used by {names[folded]}")
            names.setdefault(folded, where)

        publisher = table.text("publisher")
        if publisher and publisher_keys is not None and publisher not in publisher_keys:
            table.problem(f"unknown publisher {publisher!r} (not a key in {PUBLISHERS_FILE})")
        hosts = table.texts("hosts", allow_empty=False)
        for host in hosts:
            if host_keys is not None and host not in host_keys:
                table.problem(f"unknown host {host!r} (not a key in {HOSTS_FILE})")

        verified = table.boolean("verified")
        notes = table.text("notes", allow_empty=True)
        table.notes_if_unverified(verified, notes)
        records.append(
            ClosedModelRecord(
                name=name,
                publisher=publisher,
                family=table.text("family"),
                hosts=hosts,
                aliases=aliases,
                verified=verified,
                notes=notes,
                sources=table.sources(),
            )
        )
    return records


def _slug(table: _Table, name: str) -> str:
    value = table.text(name)
    if value and not _SLUG.fullmatch(value):
        table.problem(f"{name!r} {value!r} must be a lowercase slug such as 'alibaba-qwen'")
    return value


def _hostnames(table: _Table, name: str) -> tuple[str, ...]:
    hostnames = table.texts(name)
    for hostname in hostnames:
        labels = hostname.split(".")
        if len(labels) < 2 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
            table.problem(
                f"{hostname!r} in {name!r} is not a lowercase hostname "
                "(no scheme, port or path; placeholders like {region} allowed)"
            )
            continue
        for placeholder in _PLACEHOLDER.findall(hostname):
            if placeholder not in HOSTNAME_PLACEHOLDERS:
                table.problem(
                    f"unknown placeholder {{{placeholder}}} in {hostname!r} "
                    f"(known: {', '.join(sorted(HOSTNAME_PLACEHOLDERS))})"
                )
    return hostnames
