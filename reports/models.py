"""Generated reports: every PDF the service produced, kept as it was delivered."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from vendors.models.base import choices_check


class ReportKind(models.TextChoices):
    QUARTERLY = "quarterly", "Quarterly portfolio report"
    VENDOR = "vendor", "Vendor risk report"


class ReportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Generating"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class ReportRecordsAreKept(Exception):
    """Reports are records people rely on: they are never deleted."""


class ReportQuerySet(models.QuerySet):
    def delete(self):
        raise ReportRecordsAreKept("Reports are kept: they cannot be deleted.")


def report_upload_to(report: "Report", filename: str) -> str:
    return f"reports/{report.created_at:%Y/%m}/{filename}"


class Report(models.Model):
    """One generated PDF: a quarterly portfolio report or a vendor's risk report, with the moment its figures
    describe (``as_of``), who asked for it, and the SHA-256 of the file as delivered.

    A report is written once: its file gets a name of its own (never reused) and is never replaced, and the row
    is never deleted, so a board pack or a letter to a vendor can always be produced again exactly as sent.
    Regenerating a period makes a new report.
    """

    Kind = ReportKind
    Status = ReportStatus

    kind = models.CharField(max_length=16, choices=Kind.choices)
    period = models.CharField(max_length=8, help_text="The calendar quarter (UTC) it covers, e.g. 2026Q4.")
    vendor = models.ForeignKey(
        "vendors.Vendor", null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    as_of = models.DateTimeField(help_text="The moment the figures describe.")
    to_date = models.BooleanField(default=False, help_text="The period was not over: figures are to date.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done while generating.")
    step = models.CharField(max_length=200, blank=True, help_text="What generation is doing now.")
    error = models.CharField(max_length=500, blank=True)
    file = models.FileField(upload_to=report_upload_to, blank=True, max_length=300)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True, help_text="Bytes.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by_name = models.CharField(
        max_length=150, blank=True, help_text="Who asked (kept if the account goes): a user, the schedule, a command."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "period"]), models.Index(fields=["status"])]
        constraints = [
            choices_check("kind", ReportKind, "report_kind_valid"),
            choices_check("status", ReportStatus, "report_status_valid"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_progress_percent"),
            models.CheckConstraint(
                condition=Q(kind=ReportKind.VENDOR, vendor__isnull=False)
                | Q(kind=ReportKind.QUARTERLY, vendor__isnull=True),
                name="report_vendor_iff_vendor_kind",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReportStatus.READY)
                | (Q(sha256__regex=r"^[0-9a-f]{64}$") & ~Q(file="") & Q(size__isnull=False)),
                name="report_ready_has_file_and_checksum",
            ),
        ]

    def __str__(self) -> str:
        subject = f" · {self.vendor}" if self.vendor_id else ""
        return f"{self.get_kind_display()} {self.period}{subject}"

    def get_absolute_url(self) -> str:
        return reverse("reports:report_detail", args=[self.pk])

    def delete(self, *args, **kwargs):
        raise ReportRecordsAreKept("Reports are kept: they cannot be deleted.")

    @property
    def is_ready(self) -> bool:
        return self.status == ReportStatus.READY

    @property
    def download_name(self) -> str:
        subject = f"-vendor-{self.vendor_id}" if self.vendor_id else ""
        return f"riskregistry-{self.kind}-{self.period}{subject}-{self.pk}.pdf"
