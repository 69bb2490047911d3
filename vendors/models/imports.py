"""Spreadsheet imports of vendors, products and model usages: the uploaded file, kept as it was previewed."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from vendors.models.base import choices_check


class CsvImportStatus(models.TextChoices):
    PREVIEWED = "previewed", "Previewed"
    APPLYING = "applying", "Importing"
    APPLIED = "applied", "Applied"


class CsvImport(models.Model):
    """A CSV file of vendors, products and model usages, stored when uploaded so that "import all" applies
    exactly the rows that were previewed (and refuses if the portfolio changed since the preview). "Import all"
    queues it (``applying``, with the previewed plan's digest) for a worker, which applies every row or none;
    a failure goes back to ``previewed`` with the reason in ``error``. Nothing here is deleted."""

    Status = CsvImportStatus

    filename = models.CharField(max_length=255)
    content = models.TextField(help_text="The file's text, decoded from UTF-8.")
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the uploaded bytes.")
    row_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PREVIEWED)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who asked to import it all.",
    )
    plan_digest = models.CharField(max_length=64, blank=True, help_text="The previewed plan being applied.")
    applied_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, max_length=5000, help_text="Why the last attempt imported nothing.")
    outcome = models.JSONField(default=dict, blank=True, help_text="Rows created, changed and unchanged when applied.")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            choices_check("status", CsvImportStatus, "csvimport_status_valid"),
            models.CheckConstraint(
                condition=Q(status=CsvImportStatus.APPLIED, applied_at__isnull=False)
                | (~Q(status=CsvImportStatus.APPLIED) & Q(applied_at__isnull=True)),
                name="csvimport_applied_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display().lower()})"

    def get_absolute_url(self) -> str:
        return reverse("vendors:csv_import_detail", args=[self.pk])
