"""Every write of reports: asking for a report, generating it (figures, HTML, PDF, file, checksum) and recording
how far it got. A report is written once and never replaced or deleted."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from reports import document, render
from reports.models import Report
from reports.periods import Quarter
from reports.selectors import PortfolioReport, portfolio_report
from reports.signals import report_ready_announce
from vendors.models import Vendor

logger = logging.getLogger(__name__)

QUARTERLY_TEMPLATE = document.BODY_TEMPLATE  # the chapters; the front and the appendix are parts of their own
VENDOR_TEMPLATE = "reports/pdf/vendor.html"
#: Who asked, for the reports Celery beat makes at each quarter's end.
SCHEDULE = "schedule"


@dataclass(frozen=True)
class Period:
    """What a report covers: a quarter, the moment its figures describe, and whether the quarter was still on."""

    quarter: Quarter
    as_of: datetime
    to_date: bool


def report_period(quarter: Quarter | None = None, *, now: datetime | None = None) -> Period:
    """A finished quarter is reported at its last instant; the current one to date (``now``). A quarter that has
    not started is refused."""
    now = now or timezone.now()
    current = Quarter.containing(now)
    quarter = quarter or current
    if quarter > current:
        raise ValidationError({"period": f"{quarter.label} has not started yet."})
    if quarter == current:
        return Period(quarter, now, True)
    return Period(quarter, quarter.last_instant, False)


def _figures(kind: str, period: Period, vendor_id: int | None) -> PortfolioReport:
    return portfolio_report(period.quarter, as_of=period.as_of, to_date=period.to_date, vendor_id=vendor_id)


def report_pdf(
    *, kind: str, period: Period, vendor: Vendor | None = None, generated_at: datetime | None = None, progress=None
) -> bytes:
    """The PDF of a quarterly report (or a vendor's report with ``vendor``) for ``period``; ``progress(percent,
    step)`` is told how far it got. Raises ``riskregistry.pdf.PdfResourceRefused`` if the HTML asked for
    anything but the app's static files."""
    from riskregistry.pdf import PdfMetadata, render_pdf  # WeasyPrint loads only where PDFs are made

    progress = progress or (lambda percent, step: None)
    generated_at = generated_at or timezone.now()
    progress(10, "Reading the figures as they stood")
    figures = _figures(kind, period, vendor.pk if vendor else None)
    progress(35, "Drawing the charts and lineage diagrams")
    title = (
        f"AI risk report: {vendor.name}, {period.quarter.label}"
        if vendor
        else f"AI supply-chain risk report, {period.quarter.label}"
    )
    metadata = PdfMetadata(
        title=title[:200],
        created=generated_at,
        description=f"Figures as of {period.as_of:%Y-%m-%d %H:%M:%S} UTC"
        + (" (quarter to date)" if period.to_date else ""),
        keywords=("AI risk", "third-party risk", period.quarter.code),
    )
    if kind != Report.Kind.VENDOR:  # hundreds of pages: laid out in parts, so memory stays bounded
        return document.quarterly_pdf(figures, generated_at=generated_at, metadata=metadata, progress=progress)
    html = render.report_html(figures, generated_at=generated_at, template=VENDOR_TEMPLATE)
    progress(60, "Laying out the pages")
    return render_pdf(html, metadata=metadata)


@transaction.atomic
def report_request(**request) -> Report:
    """Record a report to generate (the arguments of ``report_record``) and hand it to the workers after the
    commit (in-process without Redis)."""
    from reports import tasks

    report = report_record(**request)
    tasks.report_generate.delay_on_commit(report.pk)
    return report


def report_record(
    *,
    kind: str,
    quarter: Quarter | None = None,
    vendor: Vendor | None = None,
    requested_by=None,
    requested_by_name: str = "",
    now: datetime | None = None,
) -> Report:
    """A new report of ``kind`` for ``quarter`` (the current one, to date, by default), not generated yet."""
    if kind == Report.Kind.VENDOR and vendor is None:
        raise ValidationError({"vendor": "Choose the vendor the report is about."})
    if kind == Report.Kind.QUARTERLY:
        vendor = None
    period = report_period(quarter, now=now)
    name = requested_by_name or (requested_by.get_username() if requested_by else "")
    report = Report(
        kind=kind,
        period=period.quarter.code,
        vendor=vendor,
        as_of=period.as_of,
        to_date=period.to_date,
        requested_by=requested_by,
        requested_by_name=name[:150],
    )
    report.full_clean()
    report.save()
    return report


def _progress(report: Report, percent: int, step: str) -> None:
    # Outside any transaction, so the page polling the report sees it move.
    Report.objects.filter(pk=report.pk).update(progress=percent, step=step[:200])


def report_generate(*, report_id: int) -> Report | None:
    """Generate a queued report: figures as of its ``as_of``, the PDF, the file (a new name, never reused) and
    its SHA-256. Running it again on a ready report does nothing; a failure is recorded on the report."""
    report = Report.objects.select_related("vendor").filter(pk=report_id).first()
    if report is None or report.status == Report.Status.READY:
        return report
    Report.objects.filter(pk=report.pk).update(status=Report.Status.RUNNING, progress=5, step="Starting", error="")
    period = Period(Quarter.parse(report.period), report.as_of, report.to_date)
    try:
        pdf = report_pdf(
            kind=report.kind,
            period=period,
            vendor=report.vendor,
            generated_at=report.created_at,
            progress=lambda percent, step: _progress(report, percent, step),
        )
    except Exception as error:
        logger.exception("Report %s failed", report.pk)
        Report.objects.filter(pk=report.pk).update(
            status=Report.Status.FAILED,
            step="Failed",
            error=f"{type(error).__name__}: {error}"[:500],
            finished_at=timezone.now(),
        )
        return Report.objects.get(pk=report.pk)
    _progress(report, 90, "Storing the file")
    report = report_store(report=report, pdf=pdf)
    if report.requested_by_name == SCHEDULE and settings.REPORTS_EMAIL_TO:
        report_email(report=report, recipients=settings.REPORTS_EMAIL_TO)
    return report


def report_email(*, report: Report, recipients: list[str]) -> None:
    """Send a ready report, attached, to ``recipients`` (the subscribers of the scheduled quarterly report)."""
    from riskregistry.pdf import site_url

    link = site_url().rstrip("/") + report.get_absolute_url()
    body = (
        f"The {report.get_kind_display().lower()} for {Quarter.parse(report.period).label} is ready, with the "
        f"figures as they stood at {report.as_of:%Y-%m-%d %H:%M} UTC.\n\n"
        f"It is attached, and kept at {link}\nSHA-256 of the file: {report.sha256}\n"
    )
    message = EmailMessage(subject=f"[riskregistry] {report}", body=body, to=list(recipients))
    message.attach(report.download_name, report.file.open("rb").read(), "application/pdf")
    message.send()


@transaction.atomic
def report_store(*, report: Report, pdf: bytes) -> Report:
    """Keep the PDF under a name of its own (the report's id and checksum) and mark the report ready."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.status == Report.Status.READY:
        return report
    digest = hashlib.sha256(pdf).hexdigest()
    report.file.save(f"{report.download_name[:-4]}-{digest[:12]}.pdf", ContentFile(pdf), save=False)
    report.sha256, report.size = digest, len(pdf)
    report.status, report.progress, report.step = Report.Status.READY, 100, "Ready"
    report.finished_at = timezone.now()
    report.save(update_fields=["file", "sha256", "size", "status", "progress", "step", "finished_at"])
    report_ready_announce(report)
    return report


def quarterly_reports_due(*, now: datetime | None = None) -> Report | None:
    """At a quarter's start: the report of the quarter that just ended, unless the schedule already made it."""
    now = now or timezone.now()
    ended = Quarter.containing(now).previous
    exists = Report.objects.filter(
        kind=Report.Kind.QUARTERLY, period=ended.code, to_date=False, requested_by_name=SCHEDULE
    ).exists()
    if exists:
        return None
    return report_request(kind=Report.Kind.QUARTERLY, quarter=ended, requested_by_name=SCHEDULE, now=now)
