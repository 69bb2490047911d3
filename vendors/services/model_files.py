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
from vendors.models.inference import UPLOAD_SOURCES
from vendors.models.inference import InferredSource as StoredSource
from vendors.services.lineage_inference import MAX_EVIDENCE_ITEMS, fingerprint_references
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
    parents from them, store those at or above the threshold as inferred edges, record a change event and ask
    for the rescoring of the usages that depend on the model."""
    now = now or timezone.now()
    if model.kind != AIModel.Kind.DECLARED:
        where = "read from the hub" if model.kind == AIModel.Kind.HUB else "its provider's alone"
        raise ValidationError(
            f"{model.name} is a {model.get_kind_display().lower()}: its configuration is {where}; files are "
            "uploaded only for a model with no public record."
        )
    if config is None and tokenizer is None:
        raise ValidationError({"config": "Choose config.json, tokenizer_config.json or both."})
    model = AIModel.objects.select_for_update().get(pk=model.pk)  # one upload at a time per model
    current = ModelFilesUpload.objects.filter(model=model, superseded_at__isnull=True).first()
    config_sha, tokenizer_sha = (config.sha256 if config else ""), (tokenizer.sha256 if tokenizer else "")
    if current is not None and (current.config_sha256, current.tokenizer_sha256) == (config_sha, tokenizer_sha):
        raise ValidationError(
            f"These are the files already uploaded for {model.name} on {current.uploaded_at:%Y-%m-%d %H:%M} UTC: "
            "nothing changed."
        )

    references = [(pk, ref) for pk, ref in fingerprint_references() if pk != model.pk]
    by_name = {ref.repo_id.lower(): pk for pk, ref in references}
    exposed = Exposed(
        repo_id=model.name,
        config=config.content if config else None,
        tokenizer_config=tokenizer.content if tokenizer else None,
    )
    candidates = infer(exposed, [ref for _, ref in references])
    declared = LineageEdge.objects.filter(child=model).exists()
    wanted: dict[int, Candidate] = {}
    note = ""
    if declared:
        note = "A parent is declared for this model: the inference is kept with the upload, not as an inferred parent."
    else:
        for candidate in candidates:
            parent_id = by_name.get(candidate.parent.lower())
            if parent_id is not None and candidate.confidence >= settings.LINEAGE_INFERENCE_MIN_CONFIDENCE:
                wanted.setdefault(parent_id, candidate)
        if not wanted:
            note = (
                f"No known model matches with a confidence of {settings.LINEAGE_INFERENCE_MIN_CONFIDENCE:.2f} or more."
                if references
                else "No fingerprint of a known model is stored yet: refresh the lineage, then upload again."
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
        candidates=[_candidate_row(c, stored=by_name.get(c.parent.lower()) in wanted) for c in candidates],
        references=len(references),
        edges_note=note,
    )
    upload.full_clean()
    upload.save()
    if current is not None:
        current.superseded_by = upload
        current.save(update_fields=["superseded_by"])

    before = {e.parent.name for e in InferredEdge.objects.filter(child=model).select_related("parent")}
    InferredEdge.objects.filter(child=model, source__in=UPLOAD_SOURCES).delete()
    for parent_id, candidate in wanted.items():
        row = _candidate_row(candidate, stored=True)
        edge = InferredEdge(
            child=model,
            parent_id=parent_id,
            family=row["family"],
            relation=candidate.relation,
            source=row["source"],
            confidence=candidate.confidence,
            evidence={key: row[key] for key in ("family", "summary", "matched", "not_matched", "notes")},
            revision=f"upload:{(config_sha or tokenizer_sha)[:12]}",
            observed_at=now,
            upload=upload,
        )
        edge.full_clean()
        edge.save()

    files = " and ".join(upload.file_names)
    who = upload.uploaded_by.get_username() if upload.uploaded_by else "the vendor"
    said = candidates[0].summary() if wanted else note or "no probable parent"
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
            "inferred_parents_before": sorted(before),
            "inferred_parents": sorted(c.parent for c in wanted.values()),
        },
        occurred_at=now,
    )
    change_events_announce([event])
    usages_rescore_request(usage_ids=usages_depending_on([model]))
    return upload
