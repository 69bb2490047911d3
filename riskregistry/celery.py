"""The Celery application: workers and beat run ``celery -A riskregistry worker|beat``."""

import gc
import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskregistry.settings")

app = Celery("riskregistry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _first_heartbeat(sender, **kwargs) -> None:
    """A worker shows as alive as soon as it starts, not only after beat's first heartbeat a minute later."""
    from riskregistry import services

    services.worker_heartbeat_record(hostname=sender.hostname)


@worker_process_init.connect
def _startup_objects_freeze(**kwargs) -> None:
    """Move what every worker process loads once (Django, Celery, the apps and their tasks) out of the garbage
    collector's sight (``gc.freeze``): its full collections otherwise scan all of it again, and a large task (a
    lineage refresh's chunk) allocates enough to set one off, a pause of 0.1-0.3 s measured at the end of a 1.5 s
    refresh on two workers. Nothing frozen is ever garbage: it lives as long as the process."""
    gc.freeze()
