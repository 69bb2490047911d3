"""Celery entry points for assessments; the logic lives in assessments.services."""

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def ratings_refresh(usage_ids: list[int] | None = None) -> None:
    """Rescore usages (all when ``usage_ids`` is None); storing only changed ratings makes reruns harmless."""
    from assessments import services

    services.ratings_refresh(usage_ids=usage_ids)
