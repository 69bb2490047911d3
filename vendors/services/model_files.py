"""A private model's config files, uploaded by the vendor (questionnaire portal) or an analyst (the model's page,
or a questionnaire on the vendor's behalf): stored as a record that is never changed or erased, then compared with
the fingerprints of the known models by the same inference the hub's models get, and the probable parents
stored as inferred edges whose source says they came from an upload.

The files are checked by ``vendors.model_files`` before they reach this service (size, JSON, types and ranges).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from vendors.lineage.inference import Candidate, Exposed, InferredSource, fingerprint_from, infer
from vendors.lineage.sanitize import clean_text
from vendors.model_files import CheckedFile
from vendors.models import AIModel, ChangeEvent, InferredEdge, LineageEdge, ModelFilesUpload
from vendors.models.inference import UPLOAD_SOURCES, RetiredReason
from vendors.models.inference import InferredSource as StoredSource
from vendors.services.lineage_inference import MAX_EVIDENCE_ITEMS, fingerprint_references, inferred_edges_retire
from vendors.services.rescoring import usages_depending_on, usages_rescore_request
from vendors.signals import change_events_announce

#: The stored source of a parent inferred from uploaded files, by the inference's own source.
_UPLOAD_SOURCE = {
    InferredSource.CONFIG: StoredSource.UPLOAD_CONFIG,
    InferredSource.TOKENIZER: StoredSource.UPLOAD_TOKENIZER,
    InferredSource.README: StoredSource.UPLOAD_CONFIG,  # no README is uploaded; kept total all the same
}


def _candidate_row(candidate: Candidate, stored: bool) -> dict:
    return {
        "parent": clean_text(candidate.parent, 200),
        "family": clean_text(candidate.family, 200),
        "relation": candidate.relation,
        "source": _UPLOAD_SOURCE.get(candidate.source, StoredSource.UPLOAD_CONFIG).value,
        "confidence": candidate.confidence,
        "summary": clean_text(candidate.summary(), 300),
        "matched": [clean_text(item, 200) for item in candidate.matched[:MAX_EVIDENCE_ITEMS]],
        "not_matched": [clean_text(item, 200) for item in candidate.mismatched[:MAX_EVIDENCE_ITEMS]],
        "notes": [clean_text(item, 300) for item in candidate.notes[:MAX_EVIDENCE_ITEMS]],
        "stored": stored,
    }


def _file_fields(prefix: str, checked: CheckedFile | None) -> dict:
    if checked is None:
        return {f"{prefix}_name": "", f"{prefix}_sha256": "", f"{prefix}_size": None, f"{prefix}_raw": None}
    return {
        f"{prefix}_name": clean_text(checked.name, 200),
        f"{prefix}_sha256": checked.sha256,
        f"{prefix}_size": checked.size,
        f"{prefix}_raw": checked.raw,
    }


def _min_confidence() -> float:
    return settings.LINEAGE_INFERENCE_MIN_CONFIDENCE


@transaction.atomic
def model_files_upload(
    *,
    model: AIModel,
    config: CheckedFile | None,
    tokenizer: CheckedFile | None,
    channel: str,
    user=None,
    via: str = "",
    now: datetime | None = None,
) -> ModelFilesUpload:
    """Record uploaded files for ``model`` (superseding its current upload, which is kept), infer its probable
    parents from them, store those at or above the threshold as inferred edges (unless a parent is declared),
    record a change event and ask for the rescoring of the usages that depend on the model.

    The same files again are refused when the inference says what it said then; when it says something else (a
    base fingerprinted since, a changed threshold) they are a new upload, so the record shows what changed."""
    if model.kind != AIModel.Kind.DECLARED:
        where = "read from the hub" if model.kind == AIModel.Kind.HUB else "its provider's alone"
        raise ValidationError(
            f"{model.name} is a {model.get_kind_display().lower()}: its configuration is {where}; files are "
            "uploaded only for a model with no public record."
        )
    if config is None and tokenizer is None:
        raise ValidationError({"config": "Choose config.json, tokenizer_config.json or both."})
    model = AIModel.objects.select_for_update().get(pk=model.pk)  # one upload at a time per model
    now = now or timezone.now()  # taken under the lock: a later upload always has a later time
    current = ModelFilesUpload.objects.filter(model=model, superseded_at__isnull=True).first()
    config_sha, tokenizer_sha = (config.sha256 if config else ""), (tokenizer.sha256 if tokenizer else "")

    references = [(pk, ref) for pk, ref in fingerprint_references() if pk != model.pk]
    known = {ref.repo_id.lower() for _, ref in references}
    exposed = Exposed(
        repo_id=model.name,
        config=config.content if config else None,
        tokenizer_config=tokenizer.content if tokenizer else None,
    )
    candidates = infer(exposed, [ref for _, ref in references])
    declared = LineageEdge.objects.filter(child=model).exists()
    kept = [c for c in candidates if c.parent.lower() in known and c.confidence >= _min_confidence()]
    rows = [_candidate_row(c, stored=not declared and c in kept) for c in candidates]
    same_files = current is not None and (current.config_sha256, current.tokenizer_sha256) == (
        config_sha,
        tokenizer_sha,
    )
    if same_files and current.candidates == rows:
        raise ValidationError(
            f"These are the files already uploaded for {model.name} on {current.uploaded_at:%Y-%m-%d %H:%M} "
            "UTC, and the inference says the same of them: nothing changed."
        )
    note = ""
    if declared:
        note = "A parent is declared for this model: the inference is kept with the upload, not as an inferred parent."
    elif not kept:
        note = (
            f"No known model matches with a confidence of {_min_confidence():.2f} or more."
            if references
            else "No fingerprint of a known model is stored yet: refresh the lineage, then upload the files again."
        )
    fingerprint = fingerprint_from(exposed.config, exposed.tokenizer_config)
    if current is not None:
        current.superseded_at = now
        current.save(update_fields=["superseded_at"])
    upload = ModelFilesUpload(
        model=model,
        channel=channel,
        uploaded_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
        uploaded_via=clean_text(via, 300),
        uploaded_at=now,
        **_file_fields("config", config),
        **_file_fields("tokenizer", tokenizer),
        fingerprint=fingerprint.as_dict(),
        candidates=rows,
        references=len(references),
        edges_note=note,
    )
    upload.full_clean()
    upload.save()
    if current is not None:
        current.superseded_by = upload
        current.save(update_fields=["superseded_by"])

    before = sorted(InferredEdge.objects.filter(child=model).values_list("parent__name", flat=True))
    stored = model_files_edges_sync(model=model, now=now)
    files = " and ".join(upload.file_names)
    who = upload.uploaded_by.get_username() if upload.uploaded_by else "the vendor"
    best = max(stored, key=lambda edge: edge.confidence, default=None)
    said = best.evidence.get("summary") if best is not None else note or "no probable parent"
    event = ChangeEvent.objects.create(
        kind=ChangeEvent.Kind.FILES_UPLOADED,
        model=model,
        summary=clean_text(f"{files} uploaded for {model.name} by {who}: {said}", 500),
        details={
            "upload": upload.pk,
            "channel": channel,
            "user": getattr(upload.uploaded_by, "pk", None),
            "via": upload.uploaded_via,
            "config_sha256": config_sha or None,
            "tokenizer_config_sha256": tokenizer_sha or None,
            "supersedes": current.pk if current else None,
            "inferred_parents_before": before,
            "inferred_parents": sorted(edge.parent.name for edge in stored),
        },
        occurred_at=now,
    )
    change_events_announce([event])
    usages_rescore_request(usage_ids=usages_depending_on([model]))
    return upload


@transaction.atomic
def model_files_edges_sync(*, model: AIModel, now: datetime | None = None) -> list[InferredEdge]:
    """Make a declared model's inferred parents those its current upload's inference names at or above the
    threshold, or none while a parent is declared for it (a declaration says more than an inference can, as for
    hub models). Called after an upload and whenever a parent is declared for the model or removed from it; the
    inference itself is not run again: its result is the upload's record. Edges no longer wanted are retired (kept,
    with the time and the reason: a parent declared, or the upload superseded)."""
    if model.kind != AIModel.Kind.DECLARED:
        return []
    now = now or timezone.now()
    current = (
        ModelFilesUpload.objects.filter(model=model, superseded_at__isnull=True)
        .defer("config_raw", "tokenizer_raw")
        .first()
    )
    wanted: dict[int, dict] = {}
    declared = LineageEdge.objects.filter(child=model).exists()
    if current is not None and not declared:
        rows = [row for row in current.candidates if isinstance(row, dict) and isinstance(row.get("parent"), str)]
        parents = {
            name.lower(): pk
            for pk, name in AIModel.objects.filter(
                kind=AIModel.Kind.HUB, name__in=[row["parent"] for row in rows]
            ).values_list("pk", "name")
        }
        for row in rows:
            parent_id = parents.get(row["parent"].lower())
            if parent_id is not None and parent_id != model.pk and row.get("confidence", 0) >= _min_confidence():
                wanted.setdefault(parent_id, row)
    current_id = current.pk if current is not None else None
    existing = {e.parent_id: e for e in InferredEdge.objects.filter(child=model, source__in=UPLOAD_SOURCES)}
    stale = [e.pk for parent_id, e in existing.items() if parent_id not in wanted or e.upload_id != current_id]
    reason = RetiredReason.PARENT_DECLARED if declared else RetiredReason.UPLOAD_SUPERSEDED
    inferred_edges_retire(InferredEdge.objects.filter(pk__in=stale), reason=reason, now=now)
    kept = []
    for parent_id, row in wanted.items():
        edge = existing.get(parent_id)
        if edge is not None and edge.upload_id == current_id:
            kept.append(edge)  # unchanged: left as it was
            continue
        edge = InferredEdge(
            child=model,
            parent_id=parent_id,
            family=row.get("family") or "",
            relation=row.get("relation") or "unknown",
            source=row.get("source") or StoredSource.UPLOAD_CONFIG,
            confidence=row["confidence"],
            evidence={key: row.get(key) for key in ("family", "summary", "matched", "not_matched", "notes")},
            revision=f"upload:{(current.config_sha256 or current.tokenizer_sha256)[:12]}",
            observed_at=now,
            upload=current,
        )
        edge.full_clean()
        edge.save()
        kept.append(edge)
    return kept
