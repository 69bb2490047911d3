"""Real Celery workers for the benchmarks: ``celery -A benchmarks.worker_app worker`` processes over Redis on the
benchmark's database, each task's SQL statements counted inside the worker.

``CeleryWorkers`` starts the workers (each in its own process group, production settings: ``DEBUG`` off, so no
statement logging), points this process's Celery app at the same Redis and a queue of its own (tasks the
benchmark requests go there instead of running in-process), waits until every worker answers a ping, and on
exit stops them (their own process groups only) and puts the app back as it was. ``wait_idle`` waits until the
queue is empty and no worker is running a task; ``task_log`` reads what the workers recorded per task
(``benchmarks.worker_app``).

The workers need a database the benchmark process shares: PostgreSQL, or the SQLite file ``python -m
benchmarks`` creates (never an in-memory one). Redis comes from ``BENCH_REDIS_URL``, else ``REDIS_URL``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def bench_redis_url() -> str:
    """The Redis the worker modes use: ``BENCH_REDIS_URL``, else ``REDIS_URL``; empty when neither is set."""
    return os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL") or ""


def redis_problem(url: str) -> str:
    """Why the worker modes cannot run with this Redis (empty when they can)."""
    if not url:
        return "no Redis: set BENCH_REDIS_URL (or REDIS_URL) to run it"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis at {url} does not answer: {error}"
    return ""


def shared_database_url() -> str:
    """The benchmark database as a URL a worker process can open: the one this process uses."""
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(settings["NAME"])
        if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
            raise RuntimeError("worker processes cannot share an in-memory SQLite database")
        return f"sqlite:///{name}"
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{settings['NAME']}"


class CeleryWorkers:
    """``count`` worker processes (``--concurrency 1`` each: one task at a time, as ``count`` machines would run
    them) on a queue of their own, with ``extra_env`` added to their environment."""

    def __init__(self, *, count: int, redis_url: str, extra_env: dict[str, str] | None = None) -> None:
        self.count, self.redis_url, self.extra_env = count, redis_url, dict(extra_env or {})
        self.queue = f"bench-{uuid.uuid4().hex[:8]}"
        self.names: list[str] = []
        self._processes: list[subprocess.Popen] = []
        self._dir = Path(tempfile.mkdtemp(prefix="riskregistry-bench-workers-"))
        self.task_log_path = self._dir / "tasks.jsonl"
        self._saved: dict[str, Any] = {}

    # ------------------------------------------------------------------------------------------ lifecycle
    def __enter__(self) -> CeleryWorkers:
        from riskregistry.celery import app

        self._saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue")}
        app.conf.update(broker_url=self.redis_url, task_always_eager=False, task_default_queue=self.queue)
        app._after_fork()  # drop pooled broker connections: the next send uses this broker
        try:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "riskregistry.settings",
                "DATABASE_URL": shared_database_url(),
                "REDIS_URL": self.redis_url,
                "CELERY_TASK_DEFAULT_QUEUE": self.queue,
                "DEBUG": "false",  # a deployed worker: no statement logging
                "SECRET_KEY": secrets.token_urlsafe(64),
                "ALLOWED_HOSTS": "127.0.0.1",
                "BENCH_TASK_LOG": str(self.task_log_path),
                "PYTHONUNBUFFERED": "1",
                **self.extra_env,
            }
            for index in range(self.count):
                name = f"bench{index + 1}-{uuid.uuid4().hex[:6]}@localhost"
                command = [
                    sys.executable, "-m", "celery", "-A", "benchmarks.worker_app", "worker", "--hostname", name,
                    "--queues", self.queue, "--concurrency", "1", "--pool", "prefork", "--loglevel", "WARNING",
                    "--without-gossip", "--without-mingle", "--without-heartbeat",
                ]  # fmt: skip
                with open(self._dir / f"worker{index + 1}.log", "wb") as log:
                    self._processes.append(
                        subprocess.Popen(  # noqa: S603
                            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                        )
                    )
                self.names.append(name)
            self._wait_ready(timeout=90)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        from riskregistry.celery import app

        deadline = time.monotonic() + timeout
        waiting = set(self.names)
        while waiting and time.monotonic() < deadline:
            for process in self._processes:
                if process.poll() is not None:
                    raise RuntimeError(f"a celery worker exited early:\n{self.logs()}")
            for answer in app.control.ping(destination=sorted(waiting), timeout=1.0) or []:
                waiting -= set(answer)
        if waiting:
            raise RuntimeError(f"celery workers did not answer a ping within {timeout:.0f} s:\n{self.logs()}")

    def __exit__(self, *exc_info: object) -> None:
        from riskregistry.celery import app

        for process in self._processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self._processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self._processes = []
        if self._saved:
            app.conf.update(self._saved)
            app._after_fork()
            self._saved = {}

    # --------------------------------------------------------------------------------------------- reading
    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}" for path in sorted(self._dir.glob("*.log"))
        )

    def task_log(self) -> list[dict[str, Any]]:
        """One record per task the workers ran (``benchmarks.worker_app``), in the order they ended."""
        if not self.task_log_path.exists():
            return []
        lines = self.task_log_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def task_log_reset(self) -> None:
        self.task_log_path.unlink(missing_ok=True)

    def wait_idle(self, timeout: float = 600) -> None:
        """Until the queue is empty and no worker runs a task (twice in a row: a task may be between the two)."""
        import redis

        from riskregistry.celery import app

        broker = redis.Redis.from_url(self.redis_url)
        deadline, quiet = time.monotonic() + timeout, 0
        while quiet < 2:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the workers were still busy after {timeout:.0f} s:\n{self.logs()}")
            inspect = app.control.inspect(destination=self.names, timeout=1.0)
            running = [*(inspect.active() or {}).values(), *(inspect.reserved() or {}).values()]
            busy = broker.llen(self.queue) or any(running)
            quiet = 0 if busy else quiet + 1
            time.sleep(0.1)
