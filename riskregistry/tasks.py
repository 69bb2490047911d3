"""Celery entry points of the project itself."""

from celery import shared_task


@shared_task(bind=True, ignore_result=True, soft_time_limit=30, time_limit=60)
def worker_heartbeat(self) -> None:
    """Record that this worker is alive and reaches the database."""
    from riskregistry import services

    services.worker_heartbeat_record(hostname=self.request.hostname or "in-process")
