"""Uploaded files of private models, as the model's page and the questionnaire's model table read them."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.db.models.functions import Lower

from vendors.models import AIModel, ModelFilesUpload


def model_files_uploads(model: AIModel) -> QuerySet[ModelFilesUpload]:
    """Every upload for ``model``, newest first (the current one, then those it superseded); the files' bytes
    are left unread."""
    return (
        ModelFilesUpload.objects.filter(model=model)
        .defer("config_raw", "tokenizer_raw")
        .select_related("uploaded_by")
        .order_by("-uploaded_at", "-id")
    )


def model_files_current(names: Iterable[str]) -> dict[str, ModelFilesUpload]:
    """The current upload of each declared model named in ``names``, by lower-case name."""
    lowered = {name.strip().lower() for name in names if isinstance(name, str) and name.strip()}
    if not lowered:
        return {}
    rows = (
        ModelFilesUpload.objects.annotate(lname=Lower("model__name"))
        .filter(lname__in=lowered, model__kind=AIModel.Kind.DECLARED, superseded_at__isnull=True)
        .defer("config_raw", "tokenizer_raw")
        .select_related("model")
    )
    return {row.lname: row for row in rows}


def model_files_upload_queryset() -> QuerySet[ModelFilesUpload]:
    """Every upload of every model, for the REST API: newest first, with the model and the uploader joined and
    the files' bytes left unread."""
    return (
        ModelFilesUpload.objects.defer("config_raw", "tokenizer_raw")
        .select_related("model", "uploaded_by")
        .order_by("-uploaded_at", "-id")
    )
