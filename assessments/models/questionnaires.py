"""Questionnaire templates, one row per published version of a YAML file (``assessments/questionnaires/``)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from vendors.models.base import choices_check


class QuestionnaireSource(models.TextChoices):
    FILE = "file", "Shipped file"
    ADMIN = "admin", "Edited by an admin"


class QuestionnaireVersion(models.Model):
    """One version of a questionnaire template (``key`` such as ``ai-mbom``), frozen once published.

    ``definition`` is the validated document (``assessments.questionnaires.schema``) and ``sha256`` the hash of
    its canonical JSON, so a shipped file edited in place is refused instead of silently changing what vendors
    answered. An edit is a new version; assessments keep the version they were sent with (PROTECT). The newest
    version not retired is the one new assessments use.
    """

    Source = QuestionnaireSource

    key = models.SlugField(max_length=64)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    definition = models.JSONField()
    sha256 = models.CharField(max_length=64)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.FILE)
    note = models.TextField(blank=True, help_text="What changed in this version.")
    published_at = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="questionnaireversion_unique_key_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="questionnaireversion_version_positive"),
            choices_check("source", QuestionnaireSource, "questionnaireversion_source_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.key} v{self.version})"
