"""The project's Celery app as the benchmarks' workers run it (``celery -A benchmarks.worker_app worker``): the
same app and tasks, plus a record per task of its wall time and SQL statements, appended as a JSON line to
``BENCH_TASK_LOG``. Nothing in a task changes: the statements are counted with ``connection.execute_wrapper``
around the task's run, as the benchmark process counts its own.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import ExitStack
from typing import Any

from celery.signals import task_postrun, task_prerun

from riskregistry.celery import app

__all__ = ["app"]

_running: dict[str, tuple[ExitStack, float, float, list[int]]] = {}


@task_prerun.connect
def _count_start(task_id: str, task: Any, args: Any = None, **kwargs: Any) -> None:
    from django.db import connection

    statements = [0]

    def count(execute, *call_args):
        statements[0] += 1
        return execute(*call_args)

    stack = ExitStack()
    stack.enter_context(connection.execute_wrapper(count))
    _running[task_id] = (stack, time.perf_counter(), time.process_time(), statements)


@task_postrun.connect
def _count_end(task_id: str, task: Any, args: Any = None, state: str | None = None, **kwargs: Any) -> None:
    entry = _running.pop(task_id, None)
    if entry is None:
        return
    stack, started, cpu_started, statements = entry
    ended, cpu = time.perf_counter(), time.process_time() - cpu_started
    stack.close()
    path = os.environ.get("BENCH_TASK_LOG")
    if not path:
        return
    first = (args or [None])[0]
    record = {
        "task": task.name,
        "state": state,
        "wall_s": ended - started,
        "cpu_s": cpu,
        "ended_at": time.time(),
        "db_statements": statements[0],
        "items": len(first) if isinstance(first, list) else None,
        "pid": os.getpid(),
    }
    with open(path, "a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")
