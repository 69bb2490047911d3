"""Deployment settings that would make the workers misbehave stop being silent: ``manage.py check`` (and every
start of the web server or a worker) says what is wrong and how to set it."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.compatibility)
def celery_redelivery(app_configs=None, **kwargs):
    """With Redis as the broker, a task not acknowledged within the visibility timeout is delivered again, whether
    its worker died or is still running it: the timeout must be above the longest a task may run (its time
    limit), or a long refresh or report runs twice side by side."""
    if not settings.REDIS_URL:  # the embedded mode: tasks run in-process, nothing is delivered again
        return []
    visibility = (settings.CELERY_BROKER_TRANSPORT_OPTIONS or {}).get("visibility_timeout", 3600)
    limit = settings.CELERY_TASK_TIME_LIMIT
    if limit and visibility <= limit:
        return [
            checks.Warning(
                f"CELERY_VISIBILITY_TIMEOUT ({visibility} s) is not above CELERY_TASK_TIME_LIMIT ({limit} s): Redis "
                "delivers a task again once it has run that long, so a task still running on a live worker starts "
                "a second time beside it.",
                hint="Set CELERY_VISIBILITY_TIMEOUT above the time limit (the default is 3600).",
                id="riskregistry.W201",
            )
        ]
    return []
