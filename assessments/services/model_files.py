"""Config files of a private model, uploaded in a questionnaire's model table (the vendor in the portal, or an
analyst answering on the vendor's behalf) for the model a row declares: the row's model becomes (or is) a
declared model of the registry, the files go through the same records and inference as an upload on the model's
page (``vendors.services.model_files``), and the assessment's trail records the upload."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from assessments.models import Assessment
from assessments.questionnaires import questionnaire_of
from assessments.services.answers import _channel, _writable
from assessments.services.assessments import event_record
from assessments.services.registry import _catalogued, _kind, _product_model
from vendors.model_files import CheckedFile
from vendors.models import AIModel, ModelFilesUpload
from vendors.services.model_files import model_files_upload
from vendors.services.portfolio import ai_model_get_or_create


def _declared_model(assessment: Assessment, name: str, channel: str) -> AIModel:
    """The declared model a row names: the product's own usage of that name, or the declared model of that name
    (created as the vendor's declaration). A hub repo or a closed API model is refused: its files are not the
    vendor's to give."""
    model = _product_model(assessment.product, name)
    if model is None and _catalogued(name) is None and _kind(name) == AIModel.Kind.DECLARED:
        source = AIModel.DeclaredSource.VENDOR if channel == "portal" else AIModel.DeclaredSource.ANALYST
        model = ai_model_get_or_create(kind=AIModel.Kind.DECLARED, name=name, declared_source=source)
    if model is None or model.kind != AIModel.Kind.DECLARED:
        raise ValidationError(
            f"“{name}” is a public hub repository or a closed API model: its configuration is read from its "
            "publisher, so files are uploaded only for a model with no public record (your own private model)."
        )
    return model


@transaction.atomic
def questionnaire_model_files_upload(
    *,
    assessment: Assessment,
    question_id: str,
    row: int,
    model_name: str,
    config: CheckedFile | None,
    tokenizer: CheckedFile | None,
    by=None,
) -> ModelFilesUpload:
    """Record files uploaded in row ``row`` (0-based) of the model table ``question_id`` for the model it names;
    refused (ValidationError, nothing kept) when the questionnaire is closed, the question is not a model table,
    the row names no model or names a public one."""
    assessment = _writable(assessment)
    question = questionnaire_of(assessment.questionnaire.definition).question(question_id)
    if question is None or question.type != "model_table":
        raise ValidationError("Files describe a model of the model table only.")
    name = (model_name or "").strip()
    if not name:
        raise ValidationError(
            f"Row {row + 1} names no model: fill in its model, then choose the files again for that row."
        )
    answer_channel, user = _channel(by)
    channel = ModelFilesUpload.Channel.PORTAL if user is None else ModelFilesUpload.Channel.ANALYST_ON_BEHALF
    model = _declared_model(assessment, name[:200], answer_channel)
    upload = model_files_upload(
        model=model,
        config=config,
        tokenizer=tokenizer,
        channel=channel,
        user=user,
        via=f"assessment #{assessment.pk} ({assessment.questionnaire.key}), {question_id} row {row + 1}",
    )
    files = " and ".join(upload.file_names)
    event_record(
        assessment=assessment,
        action="model_files",
        by=by,
        note=f"{files} uploaded for {model.name} ({question_id} row {row + 1}); SHA-256 "
        + ", ".join(sha for sha in (upload.config_sha256, upload.tokenizer_sha256) if sha),
    )
    return upload
