"""The first rescoring of the portfolio on real Celery workers: requested as every door that changes a rating
fact requests it (``ratings_refresh_request()``), run by the rescoring task on worker processes over Redis.

The task hands the portfolio out in parts of ``RATINGS_CHUNK_SIZE`` usages, one task each
(``assessments.services.rescoring.ratings_refresh_run``), so the workers share the batches. The wall time runs
from the request to the end of the last task (the workers record when each task ends, and its SQL statements:
``benchmarks.worker_app``); the queries per batch are the parts' statements over their batches.
"""

from __future__ import annotations

import math
import time
from typing import Any

from benchmarks.ratings.measure import batch_size


def ratings_state_reset() -> None:
    """Back to the portfolio before its first rescoring: no ratings, findings or exposure rows, nor their
    history."""
    from django.db import connection

    from assessments.models import Exposure, Finding, RiskRating

    for model in (Finding, RiskRating, Exposure):
        # A raw delete: no per-row signals, so no history row written per deleted row (at 100,000 usages a
        # ``delete()`` would write hundreds of thousands of them, one INSERT each, only to delete them again).
        model.objects.all()._raw_delete(connection.alias)
        history = getattr(model, "history", None)
        if history is not None:
            history.all()._raw_delete(connection.alias)


def rescore_on_workers(workers: Any, *, timeout: float = 1800) -> dict[str, Any]:
    """Request a rescoring of every usage and wait until the workers have run it; what they did and sent."""
    from assessments.models import RiskRating
    from assessments.services import ratings_refresh_request
    from vendors.models import ModelUsage

    usages = ModelUsage.objects.count()
    workers.wait_idle()
    workers.task_log_reset()
    requested_at = time.time()
    ratings_refresh_request()  # outside a transaction: handed to the workers at once
    deadline = time.monotonic() + timeout
    while RiskRating.objects.count() < usages:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the workers had not rescored the portfolio after {timeout:.0f} s:\n{workers.logs()}")
        time.sleep(0.2)
    workers.wait_idle(timeout=timeout)
    tasks = [r for r in workers.task_log() if r["task"] == "assessments.tasks.ratings_refresh"]
    parts = [r for r in tasks if r["items"] is not None]
    size = batch_size()
    batches = sum(math.ceil(part["items"] / size) for part in parts)
    statements = sum(part["db_statements"] for part in parts)
    return {
        "usages": usages,
        "workers": workers.count,
        "wall_s": max(r["ended_at"] for r in tasks) - requested_at if tasks else None,
        "tasks": len(tasks),
        "parts": len(parts),
        "part_sizes": sorted({part["items"] for part in parts}),
        "processes": len({r["pid"] for r in parts}),
        "batches": batches,
        "db_statements": sum(r["db_statements"] for r in tasks),
        "part_statements": statements,
        "statements_per_batch": statements / batches if batches else None,
        "coordinator_statements": sum(r["db_statements"] for r in tasks if r["items"] is None),
        "part_wall_s": [round(part["wall_s"], 2) for part in parts],
        "cpu_s": sum(r["cpu_s"] for r in tasks),
        "rating_rows": RiskRating.objects.count(),
        "rated_usages": RiskRating.objects.values("usage_id").distinct().count(),
        "failed_tasks": [r for r in tasks if r["state"] != "SUCCESS"][:5],
    }
