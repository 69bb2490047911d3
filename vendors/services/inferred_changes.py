"""Change events for inferred parents: when a refresh adds, changes (relation, source or confidence) or drops a
parent inferred for a model, a ``ChangeEvent`` says so, labelled as inferred and not declared, and is announced
like every other supply-chain change (``vendors.signals.change_events_announce``: webhooks' outbox, rescoring).

Used around the inference step of a refresh: ``inferred_state`` before it, ``inferred_changes_record`` after it,
two reads and one write whatever the number of models. As with declared edges, a first sight is not a change: a
model that had never been fingerprinted before the step records nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from vendors.lineage.sanitize import clean_text
from vendors.models import ChangeEvent, InferredEdge, ModelFingerprint
from vendors.signals import change_events_announce


@dataclass(frozen=True)
class InferredParent:
    """One stored inferred edge as a change compares it (confidence as shown: two decimals)."""

    child: str
    parent: str
    relation: str
    source: str
    confidence: float

    def label(self) -> str:
        return f"{self.relation}, {self.confidence:.2f}, {self.source}"

    def as_dict(self) -> dict:
        return {"relation": self.relation, "source": self.source, "confidence": self.confidence}


@dataclass(frozen=True)
class InferredState:
    """The inferred parents of some models at one moment, and which of those models had been fingerprinted."""

    model_ids: frozenset[int]
    known: frozenset[int]  # models fingerprinted before: their changes are changes, not first sights
    edges: Mapping[tuple[int, int], InferredParent]


def inferred_state(model_ids: Iterable[int], *, since: datetime | None = None) -> InferredState:
    """The current inferred parents of ``model_ids`` (two queries). With ``since``, a model first fingerprinted
    at or after it counts as not known (a refresh that started then saw it first)."""
    ids = frozenset(model_ids)
    fingerprinted = ModelFingerprint.objects.filter(model_id__in=ids)
    if since is not None:
        fingerprinted = fingerprinted.filter(Q(first_fetched_at__isnull=True) | Q(first_fetched_at__lt=since))
    known = frozenset(fingerprinted.values_list("model_id", flat=True))
    rows = InferredEdge.objects.filter(child_id__in=ids).values_list(
        "child_id", "parent_id", "child__name", "parent__name", "relation", "source", "confidence"
    )
    edges = {
        (child_id, parent_id): InferredParent(child, parent, relation, source, round(confidence, 2))
        for child_id, parent_id, child, parent, relation, source, confidence in rows
    }
    return InferredState(model_ids=ids, known=known, edges=edges)


def inferred_changes(before: InferredState, after: InferredState) -> list[tuple[str, int, InferredParent, dict]]:
    """What changed between two states of the same models: ``(kind, child id, edge, details)`` rows, in a stable
    order. Models not fingerprinted in ``before`` are skipped (a first sight)."""
    changes = []
    for key in sorted(before.edges.keys() | after.edges.keys()):
        child_id = key[0]
        if child_id not in before.known or child_id not in after.model_ids:
            continue
        old, new = before.edges.get(key), after.edges.get(key)
        if old is None and new is not None:
            changes.append((ChangeEvent.Kind.INFERRED_PARENT_ADDED, child_id, new, new.as_dict()))
        elif new is None and old is not None:
            changes.append((ChangeEvent.Kind.INFERRED_PARENT_REMOVED, child_id, old, {"old": old.as_dict()}))
        elif old is not None and new is not None and old.as_dict() != new.as_dict():
            details = {**new.as_dict(), "old": old.as_dict()}
            changes.append((ChangeEvent.Kind.INFERRED_PARENT_CHANGED, child_id, new, details))
    return changes


def _summary(kind: str, edge: InferredParent, details: dict) -> str:
    if kind == ChangeEvent.Kind.INFERRED_PARENT_ADDED:
        text = f"{edge.child} is now inferred to derive from {edge.parent} ({edge.label()})"
    elif kind == ChangeEvent.Kind.INFERRED_PARENT_REMOVED:
        text = f"{edge.child} is no longer inferred to derive from {edge.parent} (was {edge.label()})"
    else:
        old = InferredParent(edge.child, edge.parent, **details["old"])
        text = f"{edge.child}'s inferred parent {edge.parent} changed from {old.label()} to {edge.label()}"
    return f"{text}; inferred, not declared"


@transaction.atomic
def inferred_changes_record(*, before: InferredState, now: datetime) -> list[ChangeEvent]:
    """Compare the inferred parents of ``before``'s models with what is stored now; record and announce a change
    event for each parent added, changed or dropped."""
    after = inferred_state(before.model_ids)
    events = [
        ChangeEvent(
            kind=kind,
            model_id=child_id,
            summary=clean_text(_summary(kind, edge, details), 500),
            details={"parent": edge.parent, "inferred": True, "declared": False, **details},
            occurred_at=now,
        )
        for kind, child_id, edge, details in inferred_changes(before, after)
    ]
    if events:
        events = ChangeEvent.objects.bulk_create(events)
        change_events_announce(events)
    return events
