"""Inferred lineage, as part of a refresh: fingerprint the models the refresh reached (from the hub, at their
current revision), then infer the parents of those whose metadata names none and store them apart from the
declared edges (``InferredEdge``), with their confidence and evidence.

Idempotent like the rest of the refresh: a fingerprint already read at a model's revision is not read again, and
inferring twice from the same fingerprints stores the same edges. The inference reads a model's stored fingerprint
row (fingerprint, telling file names, README digest), not the files, so a chunked refresh infers once all its
chunks have stored theirs (``lineage_infer_refresh_subjects``) and gets what an unchunked one gets. An edge no longer
inferred is retired (``retired_at``, ``retired_reason``), never deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from vendors.lineage.inference import (
    Candidate,
    Exposed,
    Fingerprint,
    Reference,
    fingerprint_from,
    infer,
    readme_digest,
)
from vendors.lineage.inference.infer import MAX_TELLING_FILES
from vendors.lineage.sanitize import clean_text
from vendors.models import AIModel, InferredEdge, LineageEdge, ModelFingerprint
from vendors.models.inference import RetiredReason
from vendors.services.inferred_changes import InferredState, inferred_changes_record, inferred_state

if TYPE_CHECKING:
    from vendors.services.lineage_identity_reads import IdentityReads

logger = logging.getLogger(__name__)

#: Most matched/not-matched fields and notes stored per inferred edge.
MAX_EVIDENCE_ITEMS = 24


def inference_subjects(models: Iterable[AIModel]) -> list[AIModel]:
    """Models whose metadata names no parent: resolved, fully read (no gaps), and with no parent edge at all
    (a parent declared by the vendor or an analyst counts: it says more than an inference can)."""
    candidates = [m for m in models if m.status == AIModel.Status.RESOLVED and not m.lineage_gaps]
    with_parents = set(LineageEdge.objects.filter(child__in=candidates).values_list("child_id", flat=True).distinct())
    return [m for m in candidates if m.pk not in with_parents]


def lineage_infer_after_walk(
    *,
    reads: IdentityReads,
    now: datetime,
    infer_parents: bool = True,
) -> int:
    """Fingerprint the resolved hub models the walk fetched (``reads.walked``) and infer the parents of those whose
    metadata names none; returns how many inferred edges are stored for them.

    The files are read at the commit and from the file list the walk has just read, so this adds no metadata
    request: only the downloads of ``config.json`` and ``tokenizer_config.json`` when a model's revision is new (or
    one of them could not be read last time), and of ``README.md`` for the models whose parents are inferred (when
    it was not read at that revision). A model whose stored row stands for its revision is inferred about from the
    row, as a chunked refresh infers, against the fingerprints stored since (a base new to the portfolio). The
    reads the walk started as it stored each model (``IdentityReads.prefetch``) are taken as they are when they
    are the reads decided here; any other is made now.

    A chunk of a large refresh passes ``infer_parents=False``: it only fingerprints, and the refresh infers once
    every chunk has stored its fingerprints (``lineage_infer_refresh_subjects``), so that a base fetched by a later
    chunk is a reference for the models of an earlier one.
    """
    if not settings.LINEAGE_INFERENCE:
        return 0
    walked = [item for item in reads.walked if item]
    files = {repo_id.lower(): names for repo_id, names, _ in walked}
    counts = {repo_id.lower(): parameters for repo_id, _, parameters in walked}
    lowered = set(files)
    models = list(
        AIModel.objects.annotate(lname=Lower("name"))
        .filter(kind=AIModel.Kind.HUB, status=AIModel.Status.RESOLVED, lname__in=lowered)
        .select_related("fingerprint")
        .order_by("name")
    )
    # Change events: what was inferred before this step; a model first fingerprinted during this walk
    # (``IdentityReads`` stores them as their reads finish) is a first sight.
    before = inferred_state((m.pk for m in models), since=now)
    subjects = {m.pk for m in inference_subjects(models)}
    # A model whose metadata now names a parent (or could not be read in full) is no longer inferred about.
    with_edges = {child_id for child_id, _ in before.edges}
    if retiring := [m for m in models if m.pk not in subjects and m.pk in with_edges]:
        inferred_edges_retire(InferredEdge.objects.filter(child__in=retiring), reason=RetiredReason.PARENT_NAMED,
                              now=now)  # fmt: skip
    to_read, counted, confirmed = [], [], []
    for model in models:
        current = getattr(model, "fingerprint", None)  # None when the model was never fingerprinted
        readme = model.pk in subjects
        if current is not None and fingerprint_current(
            current.revision, current.problems, sha=model.sha, readme=readme, readme_read=current.readme_read
        ):
            counted += parameters_backfill(current, counts.get(model.name.lower()))
            if readme:  # inferred about from its stored row: the files at this commit say what they said
                confirmed.append(current.pk)
            continue
        to_read.append(model)
    # Each read as the walk may have started it, taken in the models' order: the first that raised is raised.
    reading = [
        reads.read(model.name, model.sha, siblings=files.get(model.name.lower(), ()),
                   parameters=counts.get(model.name.lower()), readme=model.pk in subjects)
        for model in to_read
    ]  # fmt: skip
    identities = {model.pk: future.result() for model, future in zip(to_read, reading, strict=True)}
    fingerprints_store(models=to_read, identities=identities, now=now)
    if counted:  # fingerprints read before the walk carried the count: given it without reading the files again
        ModelFingerprint.objects.bulk_update(counted, ["parameters", "fingerprint"])
    if confirmed:  # current for this refresh, as if read again (a chunked refresh infers about those: ``since``)
        ModelFingerprint.objects.filter(pk__any_of=confirmed).update(fetched_at=now)
    stored = 0
    if subjects and infer_parents:
        inferred = [model for model in models if model.pk in subjects]
        stored = inferred_edges_store_all(inferred, references=fingerprint_references(), before=before, now=now)
    if before.edges or stored:  # none before and none now: nothing can have changed
        inferred_changes_record(before=before, now=now)
    return stored


def lineage_infer_refresh_subjects(*, names: Iterable[str], since: datetime, now: datetime) -> int:
    """Infer, against every fingerprint stored now, the parents of the models among ``names`` (lower-case ids:
    a chunked refresh's claims) whose metadata names none and which were fingerprinted since ``since`` (the
    refresh's start); returns how many inferred edges are stored for them.

    The last chunk of a refresh runs this once all have stored their fingerprints, so the result is the one an
    unchunked refresh gives whatever chunk fetched a model's base. It reads only the database: what the
    inference needs of a model (fingerprint, README digest, file names) is stored with its fingerprint. Change
    events as an unchunked refresh records them: a model first fingerprinted by this refresh is a first sight.
    """
    if not settings.LINEAGE_INFERENCE:
        return 0
    lowered = {name.lower() for name in names}
    fingerprinted = AIModel.objects.annotate(lname=Lower("name")).filter(
        kind=AIModel.Kind.HUB, status=AIModel.Status.RESOLVED, lname__in=lowered, fingerprint__fetched_at__gte=since
    )
    # Most of a refresh's models name a parent: the subjects are told apart on what says so (status, gaps, edges),
    # and only theirs are read in full, with their fingerprints.
    subject_ids = [m.pk for m in inference_subjects(fingerprinted.only("pk", "status", "lineage_gaps"))]
    if not subject_ids:
        return 0
    subjects = list(AIModel.objects.filter(pk__any_of=subject_ids).select_related("fingerprint").order_by("name"))
    before = inferred_state((m.pk for m in subjects), since=since)
    stored = inferred_edges_store_all(subjects, references=fingerprint_references(), before=before, now=now)
    inferred_changes_record(before=before, now=now)
    return stored


def parameters_backfill(row: ModelFingerprint, parameters: int | None) -> list[ModelFingerprint]:
    """``[row]`` with the walk's parameter count set when the stored fingerprint (same revision) has none, else
    ``[]``: the count is a property of the revision, so only a missing one is filled in."""
    if row.parameters is not None or not parameters:
        return []
    row.parameters = parameters
    row.fingerprint = {**(row.fingerprint if isinstance(row.fingerprint, dict) else {}), "parameters": parameters}
    return [row]


def fingerprint_current(
    revision: str, problems: list, *, sha: str, readme: bool = False, readme_read: bool = False
) -> bool:
    """Whether a stored fingerprint (its revision, problems and whether it read the README) stands for revision
    ``sha`` in full, for a model whose parents are inferred (``readme``) or not: its files are not read again. The
    files are read at the commit, so what they said there they still say; with no commit known they were read at
    the branch, which moves."""
    return bool(sha) and revision == sha and not problems and (readme_read or not readme)


def _fingerprint_values(identity, now: datetime) -> dict:
    fingerprint = fingerprint_from(identity.config, identity.tokenizer_config, identity.parameters)
    return {
        "revision": clean_text(identity.revision, 40),
        "fingerprint": fingerprint.as_dict(),
        "parameters": fingerprint.parameters,
        "has_config": fingerprint.has_config,
        "has_tokenizer": fingerprint.has_tokenizer,
        "problems": [clean_text(problem, 300) for problem in identity.problems[:8]],
        "readme_digest": readme_digest(identity.readme),
        "files": [clean_text(name, 200) for name in identity.files[:MAX_TELLING_FILES]],
        "readme_read": identity.readme_read,
        "fetched_at": now,
    }


def fingerprint_store(*, model: AIModel, identity, now: datetime) -> ModelFingerprint:
    """Store what the hub's identifying files say about ``model`` (replacing the previous revision's)."""
    return fingerprints_store(models=[model], identities={model.pk: identity}, now=now)[0]


def fingerprints_store(*, models: list[AIModel], identities: dict, now: datetime) -> list[ModelFingerprint]:
    """Store the fingerprints of several models (replacing their previous revisions') in one statement whatever
    their number: an INSERT that updates the row a model already has (another refresh may have written it a moment
    ago)."""
    if not models:
        return []
    rows = [
        ModelFingerprint(model=model, first_fetched_at=now, **_fingerprint_values(identities[model.pk], now))
        for model in models
    ]  # first_fetched_at is left out of the update: a row that exists keeps its first time
    fields = ["revision", "fingerprint", "parameters", "has_config", "has_tokenizer", "problems", "readme_digest",
              "files", "readme_read", "fetched_at"]  # fmt: skip
    ModelFingerprint.objects.bulk_create(rows, update_conflicts=True, unique_fields=["model"], update_fields=fields)
    if any(row.pk is None for row in rows):  # a database that returns no ids from an upsert
        ids = dict(ModelFingerprint.objects.filter(model__in=models).values_list("model_id", "pk"))
        for row in rows:
            row.pk = ids[row.model_id]
    for model, row in zip(models, rows, strict=True):
        model.fingerprint = row
    return rows


def fingerprint_references() -> list[tuple[int, Reference]]:
    """Every stored fingerprint that says something, as inference references: each with its family (the root of
    its declared lineage, first parent by name at each step) and its depth below that root."""
    parents: dict[int, list[tuple[str, int]]] = {}
    for child_id, parent_id, parent_name in LineageEdge.objects.values_list("child_id", "parent_id", "parent__name"):
        parents.setdefault(child_id, []).append((parent_name.lower(), parent_id))
    names = dict(AIModel.objects.filter(kind=AIModel.Kind.HUB).values_list("pk", "name"))
    references = []
    rows = ModelFingerprint.objects.filter(Q(has_config=True) | Q(has_tokenizer=True), model__kind=AIModel.Kind.HUB)
    for row in rows.select_related("model").order_by("model__name"):
        family, depth, seen = row.model_id, 0, {row.model_id}
        while parents.get(family) and depth < settings.LINEAGE_MAX_DEPTH:
            parent_id = min(parents[family])[1]
            if parent_id in seen:
                break
            seen.add(parent_id)
            family, depth = parent_id, depth + 1
        reference = Reference(
            repo_id=row.model.name,
            fingerprint=Fingerprint.from_dict(row.fingerprint),
            family=names.get(family, row.model.name),
            depth=depth,
            created_at=row.model.hub_created_at,
        )
        references.append((row.model_id, reference))
    return references


def _evidence(candidate: Candidate) -> dict:
    return {
        "family": candidate.family,
        "summary": clean_text(candidate.summary(), 300),
        "matched": [clean_text(item, 200) for item in candidate.matched[:MAX_EVIDENCE_ITEMS]],
        "not_matched": [clean_text(item, 200) for item in candidate.mismatched[:MAX_EVIDENCE_ITEMS]],
        "notes": [clean_text(item, 300) for item in candidate.notes[:MAX_EVIDENCE_ITEMS]],
    }


def inferred_edges_retire(edges: QuerySet, *, reason: str, now: datetime) -> int:
    """Retire the current inferred edges among ``edges``: kept, out of the current lineage, with the time and the
    reason (the change event saying so is recorded by the caller's ``inferred_changes_record``)."""
    return edges.filter(retired_at__isnull=True).update(retired_at=now, retired_reason=reason)


def stored_exposed(model: AIModel) -> Exposed:
    """What ``model`` exposes, as its stored fingerprint keeps it: the inference's input without the hub."""
    row = model.fingerprint
    return Exposed(
        repo_id=model.name,
        readme=row.readme_digest,
        parameters=row.parameters,
        files=tuple(name for name in row.files if isinstance(name, str)) if isinstance(row.files, list) else (),
        created_at=model.hub_created_at,
        fingerprint=Fingerprint.from_dict(row.fingerprint),
    )


def inferred_parents_wanted(*, model: AIModel, references: list[tuple[int, Reference]]) -> dict[int, Candidate]:
    """The parents inferred for ``model`` from its stored fingerprint at or above the threshold (parent id ->
    candidate): what its current inferred edges are to be."""
    by_name = {reference.repo_id.lower(): model_id for model_id, reference in references}
    others = [reference for model_id, reference in references if model_id != model.pk]
    wanted = {}
    for candidate in infer(stored_exposed(model), others):
        parent_id = by_name.get(candidate.parent.lower())
        if parent_id is None or parent_id == model.pk:
            continue
        if candidate.confidence >= settings.LINEAGE_INFERENCE_MIN_CONFIDENCE:
            wanted.setdefault(parent_id, candidate)
    return wanted


def inferred_edges_store_all(
    models: Iterable[AIModel], *, references: list[tuple[int, Reference]], before: InferredState, now: datetime
) -> int:
    """``inferred_edges_store`` for each of ``models`` (``before``: their inferred state, read beforehand); returns
    how many inferred edges they have. A model with no parent inferred now and no current inferred edge has nothing
    to store or retire: it costs no statement (a refresh's models whose metadata names no parent are mostly such)."""
    with_edges = {child_id for child_id, _ in before.edges}
    stored = 0
    for model in models:
        wanted = inferred_parents_wanted(model=model, references=references)
        if wanted or model.pk in with_edges:
            stored += len(inferred_edges_store(model=model, wanted=wanted, now=now))
    return stored


@transaction.atomic
def inferred_edges_store(*, model: AIModel, wanted: dict[int, Candidate], now: datetime) -> list[InferredEdge]:
    """Make ``model``'s current inferred edges exactly ``wanted`` (``inferred_parents_wanted``'s answer); those no
    longer inferred are retired (kept, with the time and the reason)."""
    revision = clean_text(model.fingerprint.revision, 40)
    inferred_edges_retire(
        InferredEdge.objects.filter(child=model).exclude(parent_id__in=wanted), reason=RetiredReason.NOT_INFERRED,
        now=now,
    )  # fmt: skip
    existing = {edge.parent_id: edge for edge in InferredEdge.objects.filter(child=model)}
    kept = []
    for parent_id, candidate in wanted.items():
        values = {
            "family": clean_text(candidate.family, 200),
            "relation": candidate.relation,
            "source": candidate.source,
            "confidence": candidate.confidence,
            "evidence": _evidence(candidate),
            "revision": revision,
        }
        edge = existing.get(parent_id)
        if edge is None:
            edge = InferredEdge.objects.create(child=model, parent_id=parent_id, observed_at=now, **values)
        elif any(getattr(edge, key) != value for key, value in values.items()):  # unchanged: left as it was
            for key, value in values.items():
                setattr(edge, key, value)
            edge.observed_at = now
            edge.save()
        kept.append(edge)
    return kept
