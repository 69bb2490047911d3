"""Questionnaire versions: loading the shipped YAML files and an admin's edit published as a new version."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from assessments.models import QuestionnaireVersion
from assessments.questionnaires import (
    DIRECTORY,
    QuestionnaireError,
    canonical_sha256,
    parse_document,
    template_files,
)


@dataclass
class QuestionnaireLoadReport:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.created)} questionnaire version(s) loaded, {len(self.unchanged)} unchanged"


@transaction.atomic
def questionnaire_versions_load(*, directory: Path = DIRECTORY) -> QuestionnaireLoadReport:
    """Store every shipped file's version not stored yet. A stored version whose content changed is refused
    (QuestionnaireError): a published version is frozen; ship the change as the next version."""
    report = QuestionnaireLoadReport()
    files = template_files(directory)
    stored = {(v.key, v.version): v for v in QuestionnaireVersion.objects.select_for_update()}
    changed = []
    for item in files:
        key, number = item.questionnaire.id, item.questionnaire.version
        label = f"{key} v{number}"
        existing = stored.get((key, number))
        if existing is not None:
            if existing.sha256 != item.sha256:
                changed.append(label)
            else:
                report.unchanged.append(label)
            continue
        version = QuestionnaireVersion(
            key=key,
            version=number,
            title=item.questionnaire.title,
            definition=item.definition,
            sha256=item.sha256,
            source=QuestionnaireVersion.Source.FILE,
            note=f"Loaded from {item.path.parent.name}/{item.path.name}",
            published_at=timezone.now(),
        )
        version.full_clean()
        version.save()
        report.created.append(label)
    if changed:
        raise QuestionnaireError(
            f"published version(s) changed in place: {', '.join(changed)}; ship each change as the next version "
            "(a new v<N>.yaml), so assessments keep the questions they were sent with"
        )
    return report


@transaction.atomic
def questionnaire_version_publish(*, key: str, text: str, note: str, by=None) -> QuestionnaireVersion:
    """An admin's edit (the YAML of a whole questionnaire) published as the next version of ``key``; the
    document's own ``id`` must be ``key`` and its ``version`` is set to the next number."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValidationError({"text": f"Not valid YAML: {error}"}) from error
    if not isinstance(document, dict):
        raise ValidationError({"text": "The questionnaire is a YAML mapping (id, version, title, intro, sections)."})
    latest = QuestionnaireVersion.objects.select_for_update().filter(key=key).aggregate(n=Max("version"))["n"] or 0
    document = {**document, "version": latest + 1}
    try:
        questionnaire, definition = parse_document(document)
    except QuestionnaireError as error:
        raise ValidationError({"text": str(error)}) from error
    if questionnaire.id != key:
        raise ValidationError({"text": f"The document's id is {questionnaire.id}, not {key}."})
    if not note.strip():
        raise ValidationError({"note": "Say what changed."})
    version = QuestionnaireVersion(
        key=key,
        version=latest + 1,
        title=questionnaire.title,
        definition=definition,
        sha256=canonical_sha256(definition),
        source=QuestionnaireVersion.Source.ADMIN,
        note=note.strip(),
        published_at=timezone.now(),
        created_by=by if by is not None and by.is_authenticated else None,
    )
    version.full_clean()
    version.save()
    return version


def questionnaire_current(*, key: str) -> QuestionnaireVersion:
    """The newest published version of ``key`` not retired (what new assessments are sent with)."""
    version = QuestionnaireVersion.objects.filter(key=key, retired_at__isnull=True).order_by("-version").first()
    if version is None:
        known = sorted(set(QuestionnaireVersion.objects.values_list("key", flat=True)))
        names = ", ".join(known) or "none (run load_questionnaires)"
        raise ValidationError({"questionnaire": f"No questionnaire {key!r}; known: {names}."})
    return version
