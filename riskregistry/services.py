"""Writes for the project's own operational state."""

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from riskregistry.models import WorkerHeartbeat

# A worker is considered alive if it beat within this window (beat sends one a minute).
HEARTBEAT_FRESH = timedelta(minutes=3)


def worker_heartbeat_record(*, hostname: str) -> WorkerHeartbeat:
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(hostname=hostname).update(seen_at=now, beats=F("beats") + 1)
    if not updated:
        WorkerHeartbeat.objects.get_or_create(hostname=hostname, defaults={"seen_at": now, "beats": 1})
    return WorkerHeartbeat.objects.get(hostname=hostname)


def workers_alive() -> list[WorkerHeartbeat]:
    return list(WorkerHeartbeat.objects.filter(seen_at__gte=timezone.now() - HEARTBEAT_FRESH))
