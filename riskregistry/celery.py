"""The Celery application: workers and beat run ``celery -A riskregistry worker|beat``."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskregistry.settings")

app = Celery("riskregistry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _first_heartbeat(sender, **kwargs) -> None:
    """A worker shows as alive as soon as it starts, not only after beat's first heartbeat a minute later."""
    from riskregistry import services

    services.worker_heartbeat_record(hostname=sender.hostname)
