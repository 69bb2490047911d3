"""Load the curated knowledge base (vendors/knowledge/*.toml) into the database, idempotently."""

from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models.functions import Lower

from vendors.knowledge import ClosedModelRecord, HostRecord, KnowledgeBase, PublisherRecord, Source
from vendors.models import AIModel, AIModelAlias, Host, HostRegion, Publisher, PublisherOrg
from vendors.services.rescoring import usages_rescore_request


@dataclass
class LoadReport:
    """What a load did, per kind of row: created, updated, unchanged."""

    counts: Counter = field(default_factory=Counter)

    def add(self, kind: str, outcome: str) -> None:
        self.counts[(kind, outcome)] += 1

    @property
    def changed(self) -> bool:
        return any(count for (_, outcome), count in self.counts.items() if outcome != "unchanged")

    def lines(self) -> list[str]:
        kinds = sorted({kind for kind, _ in self.counts})
        return [
            f"{kind}: {self.counts[(kind, 'created')]} created, {self.counts[(kind, 'updated')]} updated, "
            f"{self.counts[(kind, 'unchanged')]} unchanged"
            for kind in kinds
        ]


def _sources(sources: tuple[Source, ...]) -> list[dict]:
    return [
        {"title": s.title, "url": s.url, **({"accessed": s.accessed.isoformat()} if s.accessed else {})}
        for s in sources
    ]


def _upsert(model, lookup: dict, values: dict, report: LoadReport, kind: str):
    """update_or_create that saves only when something differs, so reloading leaves rows (and their audit
    history) untouched."""
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        instance = model(**lookup, **values)
        instance.full_clean()
        instance.save()
        report.add(kind, "created")
        return instance
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    if changed:
        for name in changed:
            setattr(instance, name, values[name])
        instance.full_clean()
        instance.save()
        report.add(kind, "updated")
    else:
        report.add(kind, "unchanged")
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
    existing = {o.lorg: o for o in PublisherOrg.objects.annotate(lorg=Lower("org_id")).filter(lorg__in=wanted)}
    for lowered, (org_id, is_former) in wanted.items():
        org = existing.get(lowered)
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
def knowledge_base_load(*, knowledge_base: KnowledgeBase) -> LoadReport:
    """Create or update every publisher, host, region and closed model the files name.

    The files own the rows they name: an admin's edit to such a row is replaced by the file's value on the next
    load (the audit history keeps both). Rows that admins added, and that no file names, are left alone.
    """
    report = LoadReport()
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
