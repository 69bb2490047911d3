"""Storing what a lineage refresh finds: AIModel and LineageEdge rows kept in step with the hub, and a
ChangeEvent for every change in a model that was known before.

A refresh holds the hub part of the graph in memory (one query each for nodes, aliases, edges and publisher
organisations), so storing a node costs one UPDATE plus the INSERTs of whatever is new, not a dozen lookups.
Storing is idempotent: the same answers stored twice change nothing the second time.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import AbstractContextManager
from datetime import datetime
from functools import cached_property

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from riskregistry.db.commits import commits_unflushed
from vendors.lineage import RepoSnapshot
from vendors.lineage.discovery import SOURCE_PRIORITY, Discovery
from vendors.lineage.gaps import GapCode, node_outcome
from vendors.lineage.sanitize import clean_text, datasets_of, hub_id, license_of
from vendors.models import AIModel, AIModelAlias, ChangeEvent, LineageEdge, ModelUsage, PublisherOrg
from vendors.signals import change_events_announce

# Edges the hub walk owns; declared edges (vendor, analyst) are never touched by it.
HUB_SOURCES = frozenset(
    (
        LineageEdge.Source.CARD,
        LineageEdge.Source.TAGS,
        LineageEdge.Source.CONFIG,
        LineageEdge.Source.ADAPTER_CONFIG,
        LineageEdge.Source.GGUF,
    )
)
_FAILURE_EVENTS = {
    AIModel.Status.GATED: ChangeEvent.Kind.GATED,
    AIModel.Status.DISABLED: ChangeEvent.Kind.DISABLED,
    AIModel.Status.NOT_FOUND: ChangeEvent.Kind.GONE,
}
_NODE_FIELDS = [
    "status", "status_reason", "fetched_at", "sha", "license", "datasets", "pipeline_tag", "library_name", "gated",
    "hub_created_at", "hub_last_modified", "lineage_notes", "lineage_gaps", "publisher", "updated_at",
]  # fmt: skip


def source_rank(source: str) -> int:
    return SOURCE_PRIORITY.get(source, len(SOURCE_PRIORITY))


def _event(kind: str, model: AIModel, summary: str, now: datetime, **details) -> ChangeEvent:
    return ChangeEvent(kind=kind, model=model, summary=clean_text(summary, 500), details=details, occurred_at=now)


class GraphStore:
    """The hub nodes, their aliases and edges for the length of one refresh, and the writes that keep the
    database in step with what the hub answers. The graph is read when it is first needed: a walk's first node
    stored, not before its first request.

    With ``unflushed`` (a refresh's walk), each transaction storing nodes (``store_many``: the answers waiting, a
    few at a time) is committed without waiting for the disk while ``commits_unflushed()`` is entered (PostgreSQL's
    ``synchronous_commit`` off for the walk): waiting for the flush was most of the time spent storing a node.
    Nothing a refresh relies on is at risk: a database crash can lose only the last fraction of a second of such
    commits, and the refresh's own final commit, made with the flush, puts every earlier one on disk with it, so
    only a refresh that never finished can lose nodes, and the next one recomputes them."""

    def __init__(self, *, unflushed: bool = False) -> None:
        self.unflushed = unflushed  # on PostgreSQL, outside a caller's transaction (``commits_unflushed``)
        self._unsaved_edges: list[LineageEdge] = []  # created by the nodes stored so far in this transaction

    # -- the graph, read on first use ------------------------------------------------------------------------------
    @cached_property
    def models(self) -> dict[int, AIModel]:
        return {m.pk: m for m in AIModel.objects.filter(kind=AIModel.Kind.HUB)}

    @cached_property
    def by_name(self) -> dict[str, int]:
        """Lower-case names and former names -> model id (a former name never shadows a current one)."""
        by_name = {m.name.lower(): m.pk for m in self.models.values()}
        for name, model_id in self._alias_rows:
            by_name.setdefault(name.lower(), model_id)
        return by_name

    @cached_property
    def alias_names(self) -> set[str]:
        return {name.lower() for name, _ in self._alias_rows}

    @cached_property
    def _alias_rows(self) -> list[tuple[str, int]]:
        return list(AIModelAlias.objects.filter(model__kind=AIModel.Kind.HUB).values_list("name", "model_id"))

    @cached_property
    def orgs(self) -> dict[str, int]:
        return dict(PublisherOrg.objects.annotate(l=Lower("org_id")).values_list("l", "publisher_id"))

    @cached_property
    def edges(self) -> dict[int, dict[int, LineageEdge]]:
        return self._edges_read()

    def _edges_read(self) -> dict[int, dict[int, LineageEdge]]:
        edges: dict[int, dict[int, LineageEdge]] = defaultdict(dict)
        for edge in LineageEdge.objects.filter(child__kind=AIModel.Kind.HUB):
            edges[edge.child_id][edge.parent_id] = edge
        return edges

    # -- lookups ------------------------------------------------------------------------------------------------
    def find(self, name: str) -> AIModel | None:
        return self.models.get(self.by_name.get(name.lower(), -1))

    def aliases(self) -> dict[str, str]:
        """Former ids (lower-case) -> current names, for the walk to ask for renamed repos by their new name. Two
        narrow reads, rather than the graph: the walk asks for this before its first request."""
        names = dict(AIModel.objects.filter(kind=AIModel.Kind.HUB).values_list("pk", "name"))
        current = {name.lower() for name in names.values()}
        aliases: dict[str, str] = {}
        for name, model_id in self._alias_rows:
            if model_id in names and name.lower() not in current:
                aliases.setdefault(name.lower(), names[model_id])
        return aliases

    def _publisher_id(self, name: str) -> int | None:
        return self.orgs.get(name.split("/", 1)[0].lower()) if "/" in name else None

    # -- writes -------------------------------------------------------------------------------------------------
    def _create(self, name: str) -> AIModel:
        """A new hub node; ``name`` has passed the hub id grammar already."""
        model = AIModel(kind=AIModel.Kind.HUB, name=name, publisher_id=self._publisher_id(name))
        try:
            with transaction.atomic():
                model.save()
        except IntegrityError:  # another refresh created it a moment ago
            model = AIModel.objects.annotate(l=Lower("name")).get(kind=AIModel.Kind.HUB, l=name.lower())
        self.models[model.pk] = model
        self.by_name[name.lower()] = model.pk
        return model

    def _alias_add(self, model: AIModel, name: str) -> None:
        lowered = name.lower()
        if lowered != model.name.lower() and lowered not in self.alias_names:
            AIModelAlias.objects.get_or_create(name=name, defaults={"model": model})
            self.alias_names.add(lowered)
        self.by_name[lowered] = model.pk

    def _merge(self, old: AIModel, new: AIModel) -> None:
        """Two rows turned out to be one repo (found under its old and its new id): keep ``new``."""
        self._edges_insert()  # the edges are moved and read again from the database below
        for usage in ModelUsage.objects.filter(model=old):
            duplicate = ModelUsage.objects.filter(
                product=usage.product_id, model=new, role=usage.role, host=usage.host_id, region=usage.region_id
            ).exists()
            if duplicate:
                usage.delete()  # the same usage, registered under both names; its history keeps the record
            else:
                usage.model = new
                usage.save(update_fields=["model", "updated_at"])
        for edge in LineageEdge.objects.filter(parent=old):
            existing = LineageEdge.objects.filter(child=edge.child_id, parent=new).first()
            if edge.child_id == new.pk:
                edge.delete()
            elif existing is None:
                edge.parent = new
                edge.save(update_fields=["parent"])
            else:  # the child named the repo under both ids: keep the claim with the strongest evidence
                weaker, stronger = sorted((edge, existing), key=lambda e: source_rank(e.source), reverse=True)
                weaker.delete()
                if stronger.pk == edge.pk:
                    edge.parent = new
                    edge.save(update_fields=["parent"])
        ChangeEvent.objects.filter(model=old).update(model=new)
        AIModelAlias.objects.filter(model=old).update(model=new)
        old_pk = old.pk
        old.delete()
        del self.models[old_pk]
        for name, pk in list(self.by_name.items()):
            if pk == old_pk:
                self.by_name[name] = new.pk
        self.edges = self._edges_read()  # rare: simplest to read the edges again

    def _node_for(self, snapshot: RepoSnapshot, final_id: str) -> tuple[AIModel, bool]:
        """The row for a fetched repo, renamed and merged as the hub's redirect says; (row, renamed now)."""
        requested = self.find(snapshot.requested_id)
        final = self.find(final_id) if final_id.lower() != snapshot.requested_id.lower() else None
        if requested is not None and final is not None and requested.pk != final.pk:
            self._merge(requested, final)
            requested = final
        model = final or requested
        renamed = False
        if model is None:
            model = self._create(final_id)
        elif model.name != final_id and snapshot.status == AIModel.Status.RESOLVED:
            renamed = model.name.lower() != final_id.lower()
            old_name = model.name
            model.name = final_id
            model.save(update_fields=["name", "updated_at"])
            self.by_name[final_id.lower()] = model.pk
            if renamed:
                self._alias_add(model, old_name)
        if final_id.lower() != snapshot.requested_id.lower():
            self._alias_add(model, snapshot.requested_id)
        return model, renamed

    def commits_unflushed(self) -> AbstractContextManager[None]:
        """While a walk stores its nodes, on this thread's connection: with ``unflushed``, its commits do not wait
        for the disk, and after it they do again, so the caller's next commit (the refresh's or chunk's final
        save) flushes them all (``riskregistry.db.commits``)."""
        return commits_unflushed(self.unflushed)

    def store(self, snapshot: RepoSnapshot, discovery: Discovery, now: datetime) -> list[ChangeEvent]:
        """Store one fetched repo and its parent edges; return the change events recorded (none the first
        time a node is fetched: a first sight is not a change)."""
        return self.store_many([(snapshot, discovery)], now)[0]

    def store_many(self, nodes: list[tuple[RepoSnapshot, Discovery]], now: datetime) -> list[list[ChangeEvent]]:
        """Store several fetched repos, as ``store`` stores each, in one transaction: the answers a walk took while
        it was storing the ones before, committed once and their new edges inserted in one statement. Returns
        each node's change events."""
        try:
            with transaction.atomic():
                events = [self._store(snapshot, discovery, now) for snapshot, discovery in nodes]
                self._edges_insert()
        except BaseException:
            self._unsaved_edges = []  # rolled back with the rest
            raise
        return events

    def _edges_insert(self) -> None:
        """Insert the edges created since the last time (one statement): before anything reads them back."""
        if self._unsaved_edges:
            LineageEdge.objects.bulk_create(self._unsaved_edges)
            self._unsaved_edges = []

    def _store(self, snapshot: RepoSnapshot, discovery: Discovery, now: datetime) -> list[ChangeEvent]:
        # The hub's answer names the repo; a mirror that answers nonsense keeps the id we asked for.
        final_id = hub_id(snapshot.repo_id) or snapshot.requested_id
        model, renamed = self._node_for(snapshot, final_id)
        known_before = model.fetched_at is not None
        before_sha, before_license, before_status = model.sha, model.license, model.status
        events: list[ChangeEvent] = []
        if renamed and known_before:
            events.append(_event(ChangeEvent.Kind.RENAMED, model, f"{snapshot.requested_id} was renamed to "
                                 f"{model.name}", now, old=snapshot.requested_id, new=model.name))  # fmt: skip

        # The metadata may have been read while a parent source was not (a gated adapter_config.json): the
        # node is then gated or error, but what was read is stored all the same.
        model.status, reason = node_outcome(snapshot, discovery.gaps)
        model.status_reason = clean_text(reason, 500)
        model.fetched_at = now
        model.lineage_gaps = [gap.as_dict() for gap in discovery.gaps] if snapshot.status == "resolved" else []
        if snapshot.status == AIModel.Status.RESOLVED:
            model.sha = clean_text(snapshot.sha, 40)
            model.license = license_of(snapshot)
            model.datasets = list(datasets_of(snapshot))
            model.pipeline_tag = clean_text(snapshot.pipeline_tag, 100)
            model.library_name = clean_text(snapshot.library_name, 100)
            model.gated = snapshot.gated if snapshot.gated in ("auto", "manual") else ""
            model.hub_created_at, model.hub_last_modified = snapshot.created_at, snapshot.last_modified
            model.lineage_notes = [clean_text(note, 300) for note in discovery.ignored][:20]
            model.lineage_notes += [gap.text() for gap in discovery.gaps if gap.code == GapCode.PARENTS_TRUNCATED]
            model.lineage_notes += [clean_text(note, 300) for note in discovery.evidence]
        if model.publisher_id is None:
            model.publisher_id = self._publisher_id(model.name)
        model.save(update_fields=_NODE_FIELDS)

        if snapshot.status == AIModel.Status.RESOLVED:
            events += self._edges_sync(model, discovery, now, announce=known_before)
            if known_before and before_sha and model.sha and before_sha != model.sha:
                events.append(_event(ChangeEvent.Kind.NEW_SHA, model, f"{model.name} has a new revision "
                                     f"{model.sha[:10]}", now, old=before_sha, new=model.sha))  # fmt: skip
            if known_before and before_license != model.license:
                events.append(_event(ChangeEvent.Kind.LICENSE_CHANGED, model, f"{model.name} licence changed from "
                                     f"{before_license or 'none'} to {model.license or 'none'}", now,
                                     old=before_license, new=model.license))  # fmt: skip
        if known_before and before_status != model.status:
            kind = _FAILURE_EVENTS.get(model.status, ChangeEvent.Kind.STATUS_CHANGED)
            reason = f": {model.status_reason}" if model.status_reason else ""
            events.append(_event(kind, model, f"{model.name} is now {model.get_status_display().lower()}{reason}",
                                 now, old=before_status, new=model.status))  # fmt: skip
        if events:
            change_events_announce(ChangeEvent.objects.bulk_create(events))
        return events

    def _edges_sync(self, model: AIModel, discovery: Discovery, now: datetime, *, announce: bool) -> list[ChangeEvent]:
        """Make the hub-sourced parent edges exactly the discovered ones; declared edges stay as they are."""
        events = []
        current = self.edges[model.pk]
        wanted: dict[int, tuple[AIModel, str, str]] = {}
        for claim in discovery.parents:
            parent = self.find(claim.repo_id) or self._create(claim.repo_id)
            if parent.pk == model.pk:
                continue
            # Two claims may name one repo by its old and its new id: keep the strongest evidence.
            known = wanted.get(parent.pk)
            if known is None or source_rank(claim.source) < source_rank(known[2]):
                wanted[parent.pk] = (parent, claim.relation, claim.source)
        removed = [e for pid, e in current.items() if e.source in HUB_SOURCES and pid not in wanted]
        if any(edge.pk is None for edge in current.values()):  # one repo answered twice in a batch: rare
            self._edges_insert()
        if removed:
            LineageEdge.objects.filter(pk__in=[e.pk for e in removed]).delete()
            for edge in removed:
                del current[edge.parent_id]
                if announce:
                    parent_name = self.models[edge.parent_id].name if edge.parent_id in self.models else "a model"
                    events.append(_event(ChangeEvent.Kind.PARENT_REMOVED, model, f"{model.name} no longer names "
                                         f"{parent_name} as a parent", now, parent=parent_name))  # fmt: skip
        for parent_id, (parent, relation, source) in wanted.items():
            edge = current.get(parent_id)
            if edge is None:
                current[parent_id] = edge = LineageEdge(child=model, parent=parent, relation=relation, source=source,
                                                        observed_at=now)  # fmt: skip
                self._unsaved_edges.append(edge)  # inserted with the batch's (``_edges_insert``)
                if announce:
                    events.append(_event(ChangeEvent.Kind.PARENT_ADDED, model, f"{model.name} now names "
                                         f"{parent.name} as a parent ({relation})", now, parent=parent.name,
                                         relation=relation))  # fmt: skip
            elif (edge.relation, edge.source) != (relation, source) and edge.source in HUB_SOURCES:
                edge.relation, edge.source, edge.observed_at = relation, source, now
                edge.save(update_fields=["relation", "source", "observed_at"])
        return events

    def depth_limited_mark(self, names, *, max_depth: int) -> None:
        """Repos beyond the depth limit that were never fetched say so, rather than 'not resolved yet'."""
        for name in names:
            model = self.find(name)
            if model is not None and model.fetched_at is None:
                model.status = AIModel.Status.DEPTH_LIMIT
                model.status_reason = f"beyond the depth limit of {max_depth} generations"
                model.save(update_fields=["status", "status_reason", "updated_at"])
