"""The Celery application: workers and beat run ``celery -A riskregistry worker|beat``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskregistry.settings")

app = Celery("riskregistry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
