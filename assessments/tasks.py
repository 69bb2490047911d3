"""Celery entry points for assessments; the logic lives in assessments.services."""

from celery import shared_task
from django.db import OperationalError

# A lost database connection or a lock timeout is worth another try; anything else is a bug to see in the log.
_TRANSIENT = {"autoretry_for": (OperationalError,), "retry_backoff": True, "retry_jitter": True, "max_retries": 5}


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, **_TRANSIENT)
def ratings_refresh(usage_ids: list[int] | None = None) -> None:
    """Rescore usages (all when ``usage_ids`` is None), in parts shared by the workers when there are many;
    storing only changed ratings makes reruns harmless."""
    from assessments.services.rescoring import ratings_refresh_run

    ratings_refresh_run(usage_ids=usage_ids)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, **_TRANSIENT)
def findings_expire() -> None:
    """Daily: rescore usages whose risk acceptances have expired, which reopens those findings."""
    from assessments import services

    services.findings_expire()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, **_TRANSIENT)
def attestation_signed_notify(attestation_id: int) -> None:
    """Email the analyst who asked that the vendor signed an attestation."""
    from assessments import services

    services.attestation_signed_notify(attestation_id=attestation_id)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, **_TRANSIENT)
def assessments_remind() -> None:
    """Daily: email reminders (with a new portal link) before the due date and once overdue; stamped, so a rerun
    sends nothing twice."""
    from assessments import services

    services.assessments_remind()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, **_TRANSIENT)
def attestation_requests_remind() -> None:
    """Daily: email the vendor's contacts a new link to an open attestation request before its deadline and once
    overdue; stamped, so a rerun sends nothing twice."""
    from assessments.services import attestation_links

    attestation_links.attestation_requests_remind()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True, **_TRANSIENT)
def findings_notify() -> None:
    """Daily: email owners before a finding's due date and once overdue, and before a risk acceptance ends;
    stamped, so a rerun sends nothing twice."""
    from assessments import services

    services.findings_notify()
