"""Celery entry points for reports; the logic lives in reports.services."""

from celery import shared_task
from django.db import OperationalError

_TRANSIENT = {"autoretry_for": (OperationalError,), "retry_backoff": True, "retry_jitter": True, "max_retries": 3}


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, **_TRANSIENT)
def report_generate(report_id: int) -> None:
    """Generate one report; a ready report is left as it is, so a redelivery is harmless."""
    from reports import services

    services.report_generate(report_id=report_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, **_TRANSIENT)
def quarterly_reports_due() -> None:
    """Beat, on the first day of each quarter: the report of the quarter that just ended."""
    from reports import services

    services.quarterly_reports_due()
