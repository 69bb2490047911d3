"""Read and validate the knowledge base files in this folder into a :class:`KnowledgeBase`.

Every problem found is collected and raised together in one :class:`KnowledgeBaseError`, so an operator
editing the files sees all mistakes at once.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from vendors.knowledge.reader import TableReader
from vendors.knowledge.records import (
    FLAGS,
    HOST_KINDS,
    HOSTNAME_PLACEHOLDERS,
    PLACEHOLDER_PATTERN,
    ClosedModelRecord,
    HostRecord,
    KnowledgeBase,
    PublisherRecord,
    RegionRecord,
)
from vendors.knowledge.region_groups import region_groups

#: The folder holding the shipped TOML files: this package's own folder.
DEFAULT_DIR = Path(__file__).resolve().parent
PUBLISHERS_FILE = "publishers.toml"
HOSTS_FILE = "hosts.toml"
CLOSED_MODELS_FILE = "closed_models.toml"

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_REGION_CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_HUB_ORG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_HOST_LABEL = re.compile(r"(?:[a-z0-9-]|\{[a-z]+\})+")


class KnowledgeBaseError(ValueError):
    """Every problem found in the knowledge base files, one per line, with file and entry."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} in the knowledge base:"
        super().__init__("\n".join([header, *(f"  - {p}" for p in self.problems)]))


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
        table = TableReader(row, where, problems, required=_PUBLISHER_REQUIRED, optional=_PUBLISHER_OPTIONAL)
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
                sources=table.sources("publisher"),
            )
        )
    return records


_HOST_REQUIRED = frozenset(
    {"key", "name", "operator", "country", "kind", "api_hostnames", "verified", "sources", "region"}
)
_HOST_OPTIONAL = frozenset({"notes"})
_REGION_REQUIRED = frozenset({"code", "name", "country"})
_REGION_OPTIONAL = frozenset({"hostnames", "notes", "verified", "group"})


def _parse_hosts(rows: list[Mapping[str, Any]], problems: list[str]) -> list[HostRecord]:
    records: list[HostRecord] = []
    keys: dict[str, str] = {}
    for index, row in enumerate(rows):
        where = f"{HOSTS_FILE}: {_label('host', index, row, 'key')}"
        table = TableReader(row, where, problems, required=_HOST_REQUIRED, optional=_HOST_OPTIONAL)
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
                sources=table.sources("host"),
            )
        )
    return records


def _parse_regions(
    rows: list[Mapping[str, Any]], host_where: str, host_verified: bool, problems: list[str]
) -> tuple[RegionRecord, ...]:
    regions: list[RegionRecord] = []
    codes: set[str] = set()
    for index, row in enumerate(rows):
        table = TableReader(
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
        country = table.country()
        group = table.text("group", allow_empty=True) if "group" in row else ""
        if group and group not in region_groups():
            table.problem(f"unknown region group {group!r} (see region_groups.toml: {', '.join(region_groups())})")
        if group and country:
            table.problem("a region names a country or a group, not both")
        regions.append(
            RegionRecord(
                code=code,
                name=table.text("name"),
                country=country,
                hostnames=_hostnames(table, "hostnames"),
                notes=notes,
                verified=verified,
                group=group,
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
        table = TableReader(row, where, problems, required=_MODEL_REQUIRED, optional=_MODEL_OPTIONAL)
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
                sources=table.sources("closed_model"),
            )
        )
    return records


def _slug(table: TableReader, name: str) -> str:
    value = table.text(name)
    if value and not _SLUG.fullmatch(value):
        table.problem(f"{name!r} {value!r} must be a lowercase slug such as 'alibaba-qwen'")
    return value


def _hostnames(table: TableReader, name: str) -> tuple[str, ...]:
    hostnames = table.texts(name)
    for hostname in hostnames:
        labels = hostname.split(".")
        if len(labels) < 2 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
            table.problem(
                f"{hostname!r} in {name!r} is not a lowercase hostname "
                "(no scheme, port or path; placeholders like {region} allowed)"
            )
            continue
        for placeholder in PLACEHOLDER_PATTERN.findall(hostname):
            if placeholder not in HOSTNAME_PLACEHOLDERS:
                table.problem(
                    f"unknown placeholder {{{placeholder}}} in {hostname!r} "
                    f"(known: {', '.join(sorted(HOSTNAME_PLACEHOLDERS))})"
                )
    return hostnames
