"""Resolve and store lineage: run the hub walk, keep AIModel and LineageEdge rows in step with what the hub
says, and record a ChangeEvent for every change in a model that was known before.

Storing is idempotent: running a refresh twice changes nothing the second time, and a refresh interrupted at
any point (a killed worker) is simply run again from scratch.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from vendors.lineage import RepoSnapshot
from vendors.lineage.discovery import SOURCE_PRIORITY, Discovery
from vendors.lineage.sanitize import clean_text, datasets_of, license_of
from vendors.models import AIModel, AIModelAlias, ChangeEvent, LineageEdge, LineageRefresh, ModelUsage, Product
from vendors.services.knowledge import publisher_for_repo_id
from vendors.services.lineage_walk import WalkLimits, WalkStats, lineage_walk

# Edges the hub walk owns; declared edges (vendor, analyst) are never touched by it.
HUB_SOURCES = (
    LineageEdge.Source.CARD,
    LineageEdge.Source.TAGS,
    LineageEdge.Source.CONFIG,
    LineageEdge.Source.ADAPTER_CONFIG,
    LineageEdge.Source.GGUF,
)
_FAILURE_EVENTS = {
    AIModel.Status.GATED: ChangeEvent.Kind.GATED,
    AIModel.Status.DISABLED: ChangeEvent.Kind.DISABLED,
    AIModel.Status.NOT_FOUND: ChangeEvent.Kind.GONE,
}


def _source_rank(source: str) -> int:
    return SOURCE_PRIORITY.get(source, len(SOURCE_PRIORITY))


def _hub_model(name: str) -> AIModel | None:
    """The hub node for an id or a former id, case-insensitively."""
    lowered = name.lower()
    model = AIModel.objects.filter(kind=AIModel.Kind.HUB).annotate(l=Lower("name")).filter(l=lowered).first()
    if model is None:
        alias = AIModelAlias.objects.select_related("model").annotate(l=Lower("name")).filter(l=lowered).first()
        model = alias.model if alias and alias.model.kind == AIModel.Kind.HUB else None
    return model


def _alias_add(model: AIModel, name: str) -> None:
    if name.lower() != model.name.lower() and not AIModelAlias.objects.filter(name__iexact=name).exists():
        AIModelAlias.objects.create(name=name, model=model)


def _merge_into(old: AIModel, new: AIModel) -> None:
    """Two rows turned out to be one repo (found under its old and its new id): keep ``new``."""
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
            weaker, stronger = sorted((edge, existing), key=lambda e: _source_rank(e.source), reverse=True)
            weaker.delete()
            if stronger.pk == edge.pk:
                edge.parent = new
                edge.save(update_fields=["parent"])
    ChangeEvent.objects.filter(model=old).update(model=new)
    AIModelAlias.objects.filter(model=old).update(model=new)
    old.delete()


def _node_for(snapshot: RepoSnapshot) -> tuple[AIModel, bool]:
    """The row for a fetched repo, renamed and merged as the hub's redirect says; (row, renamed now)."""
    requested, final = _hub_model(snapshot.requested_id), None
    if snapshot.redirected_from:
        final = _hub_model(snapshot.repo_id)
    if requested is not None and final is not None and requested.pk != final.pk:
        _merge_into(requested, final)
        requested = final
    model = final or requested
    renamed = False
    if model is None:
        model = AIModel(kind=AIModel.Kind.HUB, name=snapshot.repo_id)
        model.full_clean()
        model.save()
    elif model.name != snapshot.repo_id and snapshot.status == AIModel.Status.RESOLVED:
        renamed = model.name.lower() != snapshot.repo_id.lower()
        old_name = model.name
        model.name = snapshot.repo_id
        model.save(update_fields=["name", "updated_at"])
        if renamed:
            _alias_add(model, old_name)
    if snapshot.redirected_from:
        _alias_add(model, snapshot.requested_id)
    return model, renamed


def _parent_node(repo_id: str) -> AIModel:
    model = _hub_model(repo_id)
    if model is None:
        model = AIModel(kind=AIModel.Kind.HUB, name=repo_id, publisher=publisher_for_repo_id(repo_id))
        model.full_clean()
        model.save()
    return model


def _event(kind: str, model: AIModel, summary: str, now: datetime, **details) -> ChangeEvent:
    return ChangeEvent(kind=kind, model=model, summary=clean_text(summary, 500), details=details, occurred_at=now)


@transaction.atomic
def lineage_node_store(*, snapshot: RepoSnapshot, discovery: Discovery, now: datetime) -> list[ChangeEvent]:
    """Store one fetched repo and its parent edges; return the change events recorded (none the first time)."""
    model, renamed = _node_for(snapshot)
    known_before = model.fetched_at is not None
    before = {
        "sha": model.sha,
        "license": model.license,
        "status": model.status,
        "parents": {
            e.parent.name.lower(): e.parent.name
            for e in model.parent_edges.filter(source__in=HUB_SOURCES).select_related("parent")
        },
    }
    events: list[ChangeEvent] = []
    if renamed and known_before:
        events.append(
            _event(
                ChangeEvent.Kind.RENAMED,
                model,
                f"{snapshot.requested_id} was renamed to {model.name}",
                now,
                old=snapshot.requested_id,
                new=model.name,
            )
        )

    model.status = snapshot.status
    model.status_reason = clean_text(snapshot.status_reason, 500)
    model.fetched_at = now
    if snapshot.status == AIModel.Status.RESOLVED:
        model.sha = clean_text(snapshot.sha, 40)
        model.license = license_of(snapshot)
        model.datasets = list(datasets_of(snapshot))
        model.pipeline_tag = clean_text(snapshot.pipeline_tag, 100)
        model.library_name = clean_text(snapshot.library_name, 100)
        model.gated = snapshot.gated if snapshot.gated in ("auto", "manual") else ""
        model.hub_created_at, model.hub_last_modified = snapshot.created_at, snapshot.last_modified
        model.lineage_notes = [clean_text(note, 300) for note in discovery.ignored][:20]
        if discovery.truncated:
            model.lineage_notes.append("more parents were declared than are followed; the rest were ignored")
    if model.publisher_id is None:
        model.publisher = publisher_for_repo_id(model.name)
    model.save()

    if snapshot.status == AIModel.Status.RESOLVED:
        events += _edges_sync(model, discovery, now, announce=known_before)
        if known_before and before["sha"] and model.sha and before["sha"] != model.sha:
            events.append(
                _event(
                    ChangeEvent.Kind.NEW_SHA,
                    model,
                    f"{model.name} has a new revision {model.sha[:10]}",
                    now,
                    old=before["sha"],
                    new=model.sha,
                )
            )
        if known_before and before["license"] != model.license:
            events.append(
                _event(
                    ChangeEvent.Kind.LICENSE_CHANGED,
                    model,
                    f"{model.name} licence changed from {before['license'] or 'none'} to {model.license or 'none'}",
                    now,
                    old=before["license"],
                    new=model.license,
                )
            )
    if known_before and before["status"] != model.status:
        kind = _FAILURE_EVENTS.get(model.status, ChangeEvent.Kind.STATUS_CHANGED)
        events.append(
            _event(
                kind,
                model,
                f"{model.name} is now {model.get_status_display().lower()}"
                + (f": {model.status_reason}" if model.status_reason else ""),
                now,
                old=before["status"],
                new=model.status,
            )
        )
    ChangeEvent.objects.bulk_create(events)
    return events


def _edges_sync(model: AIModel, discovery: Discovery, now: datetime, *, announce: bool) -> list[ChangeEvent]:
    """Make the hub-sourced parent edges exactly the discovered ones; declared edges stay as they are."""
    events = []
    current = {e.parent_id: e for e in model.parent_edges.select_related("parent")}
    wanted: dict[int, tuple[AIModel, str, str]] = {}
    for claim in discovery.parents:
        parent = _parent_node(claim.repo_id)
        if parent.pk == model.pk:
            continue
        # Two claims may name one repo by its old and its new id: keep the strongest evidence.
        known = wanted.get(parent.pk)
        if known is None or _source_rank(claim.source) < _source_rank(known[2]):
            wanted[parent.pk] = (parent, claim.relation, claim.source)
    for parent_id, edge in current.items():
        if edge.source in HUB_SOURCES and parent_id not in wanted:
            edge.delete()
            if announce:
                events.append(
                    _event(
                        ChangeEvent.Kind.PARENT_REMOVED,
                        model,
                        f"{model.name} no longer names {edge.parent.name} as a parent",
                        now,
                        parent=edge.parent.name,
                    )
                )
    for parent_id, (parent, relation, source) in wanted.items():
        edge = current.get(parent_id)
        if edge is None:
            LineageEdge.objects.create(child=model, parent=parent, relation=relation, source=source, observed_at=now)
            if announce:
                events.append(
                    _event(
                        ChangeEvent.Kind.PARENT_ADDED,
                        model,
                        f"{model.name} now names {parent.name} as a parent ({relation})",
                        now,
                        parent=parent.name,
                        relation=relation,
                    )
                )
        elif (edge.relation, edge.source) != (relation, source) and edge.source in HUB_SOURCES:
            edge.relation, edge.source, edge.observed_at = relation, source, now
            edge.save(update_fields=["relation", "source", "observed_at"])
    return events


def _depth_limited_mark(names: Iterable[str], now: datetime) -> None:
    for name in names:
        model = _hub_model(name)
        if model is not None and model.fetched_at is None:
            model.status = AIModel.Status.DEPTH_LIMIT
            model.status_reason = f"beyond the depth limit of {settings.LINEAGE_MAX_DEPTH} generations"
            model.save(update_fields=["status", "status_reason", "updated_at"])


def refresh_seeds(refresh: LineageRefresh) -> list[str]:
    """The hub repos a refresh starts from."""
    hub = AIModel.objects.filter(kind=AIModel.Kind.HUB)
    if refresh.scope == LineageRefresh.Scope.PRODUCT:
        hub = hub.filter(
            Q(usages__product=refresh.product_id) | Q(child_edges__child__usages__product=refresh.product_id)
        )
    elif refresh.scope == LineageRefresh.Scope.MODELS:
        return list(refresh.model_names)
    else:
        hub = hub.filter(usages__isnull=False)  # retired products too: their records stay current
    return sorted(set(hub.values_list("name", flat=True)))


def lineage_refresh_run(
    *, refresh_id: int, client=None, limits: WalkLimits | None = None, progress=None
) -> LineageRefresh:
    """Run a refresh from scratch: walk the hub from its seeds, store every node as it arrives, count progress.

    Safe to run again after an interruption: the walk recomputes everything, storing is idempotent.
    ``progress(done, known)`` is called after each node (the CLI draws its progress bar with it).
    """
    from vendors.hub import HubClient

    refresh = LineageRefresh.objects.get(pk=refresh_id)
    client = client or HubClient(requests_per_second=settings.HUB_REQUESTS_PER_SECOND)
    limits = limits or WalkLimits(
        max_depth=settings.LINEAGE_MAX_DEPTH,
        max_nodes=settings.LINEAGE_MAX_NODES,
        concurrency=settings.LINEAGE_CONCURRENCY,
    )
    now = timezone.now()
    refresh.status, refresh.started_at, refresh.finished_at = LineageRefresh.Status.RUNNING, now, None
    refresh.nodes_done = refresh.nodes_failed = refresh.nodes_known = refresh.changes = 0
    refresh.save()
    aliases = dict(AIModelAlias.objects.filter(model__kind=AIModel.Kind.HUB).values_list("name", "model__name"))

    def on_node(snapshot: RepoSnapshot, discovery: Discovery, depth: int) -> None:
        events = lineage_node_store(snapshot=snapshot, discovery=discovery, now=now)
        refresh.nodes_done += 1
        refresh.nodes_failed += snapshot.status != AIModel.Status.RESOLVED
        refresh.nodes_known = stats.queued
        refresh.changes += len(events)
        if refresh.nodes_done % 25 == 0:  # progress for the UI, without a write per node
            refresh.save(update_fields=["nodes_done", "nodes_failed", "nodes_known", "changes"])
        if progress is not None:
            progress(refresh.nodes_done, refresh.nodes_known)

    stats = WalkStats()
    try:
        lineage_walk(
            refresh_seeds(refresh), client=client, on_node=on_node, limits=limits, aliases=aliases, stats=stats
        )
    except Exception as error:
        refresh.status = LineageRefresh.Status.FAILED
        refresh.error = clean_text(f"{type(error).__name__}: {error}", 500)
        refresh.finished_at = timezone.now()
        refresh.save()
        raise
    _depth_limited_mark(stats.depth_limited, now)
    refresh.status = LineageRefresh.Status.DONE
    refresh.finished_at = timezone.now()
    if stats.node_limit_reached:
        refresh.error = f"stopped at the limit of {limits.max_nodes} nodes; raise LINEAGE_MAX_NODES"
    refresh.save()
    return refresh


@transaction.atomic
def lineage_refresh_request(
    *, scope: str, product: Product | None = None, model_names: Iterable[str] = (), user=None
) -> LineageRefresh:
    """Record a refresh and enqueue it after commit (in-process without Redis)."""
    from vendors import tasks

    refresh = LineageRefresh.objects.create(
        scope=scope,
        product=product,
        model_names=list(model_names),
        requested_by=user if user is not None and user.is_authenticated else None,
    )
    tasks.lineage_refresh.delay_on_commit(refresh.pk)
    return refresh


@transaction.atomic
def lineage_parent_declare(
    *, child: AIModel, parent_kind: str, parent_name: str, relation: str, source: str, user=None
) -> LineageEdge:
    """Record a parent that no public metadata shows, as the vendor or an analyst states it.

    Declared edges are kept apart from the hub's (their source says who declared them) and a hub refresh never
    removes them.
    """
    from vendors.services.portfolio import ai_model_get_or_create

    if source not in (LineageEdge.Source.VENDOR, LineageEdge.Source.ANALYST):
        raise ValidationError({"source": "A declared parent comes from the vendor or an analyst."})
    parent = ai_model_get_or_create(kind=parent_kind, name=parent_name, declared_source=source)
    if parent.pk == child.pk:
        raise ValidationError({"parent_name": "A model cannot be its own parent."})
    if LineageEdge.objects.filter(child=child, parent=parent).exists():
        raise ValidationError({"parent_name": f"{parent.name} is already a parent of {child.name}."})
    edge = LineageEdge(child=child, parent=parent, relation=relation, source=source, observed_at=timezone.now())
    edge.full_clean()
    edge.save()
    ChangeEvent.objects.create(
        kind=ChangeEvent.Kind.PARENT_ADDED,
        model=child,
        summary=clean_text(f"{child.name} declared as derived from {parent.name} ({relation}, per {source})", 500),
        details={"parent": parent.name, "relation": relation, "source": source, "user": getattr(user, "pk", None)},
        occurred_at=edge.observed_at,
    )
    if parent.kind == AIModel.Kind.HUB and parent.fetched_at is None:
        lineage_refresh_request(scope=LineageRefresh.Scope.MODELS, model_names=[parent.name], user=user)
    return edge


@transaction.atomic
def lineage_parent_remove(*, edge: LineageEdge, user=None) -> None:
    """Remove a declared parent; what the hub says is removed only by the hub."""
    if edge.source in HUB_SOURCES:
        raise ValidationError("This parent comes from the hub's metadata; it changes when the hub's record does.")
    ChangeEvent.objects.create(
        kind=ChangeEvent.Kind.PARENT_REMOVED,
        model=edge.child,
        summary=clean_text(f"{edge.child.name} no longer declared as derived from {edge.parent.name}", 500),
        details={"parent": edge.parent.name, "source": edge.source, "user": getattr(user, "pk", None)},
        occurred_at=timezone.now(),
    )
    edge.delete()
