"""Load the curated knowledge base (vendors/knowledge/*.toml) into the database, idempotently.

``migrate`` loads the shipped files (``knowledge_base_load_shipped``, from the app's post_migrate hook), so every
database has them; ``load_knowledge`` loads them (or another folder) on demand. A row the files own keeps a digest of
the values last loaded (``shipped_fingerprint``): when an admin has edited the row since, a newer shipped version
leaves it alone and the load reports it, unless asked to replace edits.
"""

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models.functions import Lower
from django_countries.fields import Country

from vendors.knowledge import (
    DEFAULT_DIR,
    ClosedModelRecord,
    HostRecord,
    KnowledgeBase,
    PublisherRecord,
    Source,
    load_knowledge_base,
)
from vendors.models import AIModel, AIModelAlias, Host, HostRegion, Publisher, PublisherOrg
from vendors.services.rescoring import usages_rescore_request


@dataclass
class LoadReport:
    """What a load did, per kind of row: created, updated, unchanged, or kept (edited by an admin since the
    last load, so left as the admin made it); ``kept`` names those rows."""

    replace_edits: bool = False
    counts: Counter = field(default_factory=Counter)
    kept: list[str] = field(default_factory=list)

    def add(self, kind: str, outcome: str) -> None:
        self.counts[(kind, outcome)] += 1

    @property
    def changed(self) -> bool:
        return any(count for (_, outcome), count in self.counts.items() if outcome not in ("unchanged", "kept"))

    def lines(self) -> list[str]:
        kinds = sorted({kind for kind, _ in self.counts})
        lines = []
        for kind in kinds:
            line = (
                f"{kind}: {self.counts[(kind, 'created')]} created, {self.counts[(kind, 'updated')]} updated, "
                f"{self.counts[(kind, 'unchanged')]} unchanged"
            )
            if self.counts[(kind, "kept")]:
                line += f", {self.counts[(kind, 'kept')]} edited by an admin and left alone"
            lines.append(line)
        if self.kept:
            lines.append("Left as an admin edited them (load_knowledge --replace-edits restores the shipped values): "
                         + ", ".join(self.kept))  # fmt: skip
        return lines


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Country):
        return value.code or ""
    return value


def _fingerprint(values: dict) -> str:
    """A digest of the file-owned values of a row, the same whether read from a file or from the row."""
    plain = {name: _plain(value) for name, value in values.items()}
    return hashlib.sha256(json.dumps(plain, sort_keys=True, default=str).encode()).hexdigest()


def _sources(sources: tuple[Source, ...]) -> list[dict]:
    """The stored form: title, URL, issuer, kind, and for a secondary copy the primary it reports on."""
    return [source.as_dict() for source in sources]


def _upsert(model, lookup: dict, values: dict, report: LoadReport, kind: str):
    """update_or_create that saves only when something differs, so reloading leaves rows (and their audit
    history) untouched, and that leaves alone a row an admin edited since the last load."""
    shipped = _fingerprint(values)
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        instance = model(**lookup, **values, shipped_fingerprint=shipped)
        instance.full_clean()
        instance.save()
        report.add(kind, "created")
        return instance
    current = _fingerprint({name: getattr(instance, name) for name in values})
    edited = bool(instance.shipped_fingerprint) and current != instance.shipped_fingerprint
    if edited and not report.replace_edits:
        report.add(kind, "kept")
        report.kept.append(f"{kind[:-1] if kind.endswith('s') else kind} {instance}")
        return instance
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    if changed or instance.shipped_fingerprint != shipped:
        for name in changed:
            setattr(instance, name, values[name])
        instance.shipped_fingerprint = shipped
        instance.full_clean()
        instance.save()
    report.add(kind, "updated" if changed else "unchanged")
    return instance


def _publisher_load(record: PublisherRecord, report: LoadReport) -> Publisher:
    publisher = _upsert(
        Publisher,
        {"key": record.key},
        {
            "name": record.name,
            "legal_entity": record.legal_entity,
            "parent_company": record.parent_company,
            "country": record.country,
            "flags": sorted(record.flags),
            "families": list(record.families),
            "verified": record.verified,
            "notes": record.notes,
            "sources": _sources(record.sources),
        },
        report,
        "publishers",
    )
    wanted = {org.lower(): (org, False) for org in record.hub_orgs}
    wanted |= {org.lower(): (org, True) for org in record.former_hub_orgs}
    orgs = PublisherOrg.objects.select_related("publisher").annotate(lorg=Lower("org_id")).filter(lorg__in=wanted)
    existing = {o.lorg: o for o in orgs}
    for lowered, (org_id, is_former) in wanted.items():
        org = existing.get(lowered)
        if org is not None and org.publisher.vendor_id is not None and org.publisher_id != publisher.pk:
            # An analyst marked it as one of our vendors' own: that is not the shipped files' to undo.
            report.kept.append(f"hub organisation {org.org_id} (marked as the vendor {org.publisher.name}'s own)")
            continue
        if org is None:
            PublisherOrg.objects.create(org_id=org_id, publisher=publisher, is_former=is_former)
        elif (org.org_id, org.publisher_id, org.is_former) != (org_id, publisher.pk, is_former):
            org.org_id, org.publisher, org.is_former = org_id, publisher, is_former
            org.save(update_fields=["org_id", "publisher", "is_former"])
    return publisher


def _host_load(record: HostRecord, report: LoadReport) -> Host:
    host = _upsert(
        Host,
        {"key": record.key},
        {
            "name": record.name,
            "operator": record.operator,
            "country": record.country,
            "kind": record.kind,
            "api_hostnames": list(record.api_hostnames),
            "verified": record.verified,
            "notes": record.notes,
            "sources": _sources(record.sources),
        },
        report,
        "hosts",
    )
    for region in record.regions:
        _upsert(
            HostRegion,
            {"host": host, "code": region.code},
            {
                "name": region.name,
                "country": region.country,
                "group": region.group,
                "hostnames": list(region.hostnames),
                "notes": region.notes,
            },
            report,
            "host regions",
        )
    return host


def _closed_model_load(record: ClosedModelRecord, publishers: dict[str, Publisher], report: LoadReport) -> None:
    model = _upsert(
        AIModel,
        {"kind": AIModel.Kind.CLOSED, "name": record.name},
        {
            "publisher": publishers[record.publisher],
            "status": AIModel.Status.RESOLVED,
            "status_reason": "In the catalogue of closed API models.",
            "notes": record.notes,
        },
        report,
        "closed models",
    )
    for alias in record.aliases:
        AIModelAlias.objects.get_or_create(name=alias, defaults={"model": model})


@transaction.atomic
def knowledge_base_load(*, knowledge_base: KnowledgeBase, replace_edits: bool = False) -> LoadReport:
    """Create or update every publisher, host, region and closed model the files name.

    The files own the rows they name, until an admin edits one: that row is then left as the admin made it and
    the report names it (``replace_edits`` restores the files' values; the audit history keeps both). Rows that
    admins added, and that no file names, are left alone.
    """
    report = LoadReport(replace_edits=replace_edits)
    publishers = {record.key: _publisher_load(record, report) for record in knowledge_base.publishers}
    for record in knowledge_base.hosts:
        _host_load(record, report)
    for record in knowledge_base.closed_models:
        _closed_model_load(record, publishers, report)
    assigned = hub_model_publishers_assign()
    if assigned:
        report.add("hub models linked to their publisher", "updated")
        report.counts[("hub models linked to their publisher", "updated")] = assigned
    if report.changed:
        usages_rescore_request()  # publishers' countries and list flags are scoring facts
    return report


def knowledge_base_load_shipped() -> LoadReport:
    """Load the files shipped with riskregistry (what ``migrate`` does after every run)."""
    return knowledge_base_load(knowledge_base=load_knowledge_base(DEFAULT_DIR))


def publisher_for_repo_id(repo_id: str) -> Publisher | None:
    """The publisher that owns a hub repo's organisation (former org ids included)."""
    org = repo_id.split("/", 1)[0] if "/" in repo_id else ""
    if not org:
        return None
    match = PublisherOrg.objects.select_related("publisher").annotate(lorg=Lower("org_id")).filter(lorg=org.lower())
    found = match.first()
    return found.publisher if found else None


def hub_model_publishers_assign() -> int:
    """Link hub models to the publisher of their organisation; returns how many changed."""
    orgs = {o.lorg: o.publisher_id for o in PublisherOrg.objects.annotate(lorg=Lower("org_id"))}
    changed = []
    for model in AIModel.objects.filter(kind=AIModel.Kind.HUB).only("id", "name", "publisher_id"):
        org = model.name.split("/", 1)[0].lower() if "/" in model.name else ""
        publisher_id = orgs.get(org)
        if publisher_id is not None and publisher_id != model.publisher_id:
            model.publisher_id = publisher_id
            changed.append(model)
    AIModel.objects.bulk_update(changed, ["publisher"], batch_size=500)
    return len(changed)
