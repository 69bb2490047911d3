"""Real services for tests: PostgreSQL, Redis and Celery worker processes.

Locally a test that needs a missing service is skipped with the reason; under CI (CI=true) it fails, so a
green CI run always means the real thing was exercised.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2):
    """Poll ``predicate`` until it returns something truthy (returned) or ``timeout`` seconds pass (None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(interval)
    return None


def portal_enter(client, url: str) -> str:
    """Open a vendor's portal link (a full URL, as emailed) with ``client``: the link redirects to the portal page
    once it has set the session; returns that page's path."""
    response = client.get("/" + url.split("://", 1)[1].split("/", 1)[1])
    assert response.status_code == 302, response.status_code
    return response["Location"]


def tasks_enqueued(callbacks) -> list[str]:
    """The names of the Celery tasks among captured after-commit callbacks (``delay_on_commit``), in order; the
    other callbacks (signals announced after commit, emails) are left out."""
    return [c.func.__self__.name for c in callbacks if hasattr(getattr(c, "func", None), "__self__")]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require(service: str, available: bool, reason: str) -> None:
    """Skip locally, fail under CI, when a service the test needs is not there."""
    if available:
        return
    message = f"{service} is not available: {reason}"
    if in_ci():
        pytest.fail(f"{message} (required under CI=true)", pytrace=False)
    pytest.skip(message)


def redis_url() -> str:
    return os.environ.get("RISKREGISTRY_TEST_REDIS_URL", DEFAULT_TEST_REDIS_URL)


def redis_reachable(url: str) -> tuple[bool, str]:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as error:
        return False, f"{url}: {error}"
    return True, ""


def database_url_for_test_database() -> str:
    """A DATABASE_URL for a child process that points at the test database pytest-django created."""
    from django.db import connection

    settings = connection.settings_dict
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{settings['NAME']}"


@dataclass
class WorkerProcess:
    """A real ``celery worker`` in its own process group, so a test can kill it the way an OOM killer would."""

    queue: str
    redis_url: str
    database_url: str
    concurrency: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    name: str = ""
    log_path: Path | None = None

    def start(self, log_dir: Path, timeout: float = 60.0) -> WorkerProcess:
        from riskregistry.celery import app

        self.name = f"test-{uuid.uuid4().hex[:8]}@localhost"
        self.log_path = log_dir / f"{self.name.split('@')[0]}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "riskregistry.settings",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        command = [
            sys.executable, "-m", "celery", "-A", "riskregistry", "worker",
            "--hostname", self.name, "--queues", self.queue, "--concurrency", str(self.concurrency),
            "--pool", "prefork", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited early:\n{self.log()}")
            if app.control.ping(destination=[self.name], timeout=1.0):
                return self
        self.stop()
        raise RuntimeError(f"celery worker did not answer a ping within {timeout:.0f}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path and self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children) with no chance to clean up."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        process_group_stop(self.process)


def tasks_redeliver_of_dead_worker(
    redis_url: str, queue: str, *, died_at: float, alive: list[WorkerProcess] = ()
) -> list[str]:
    """Put back on ``queue`` the tasks a killed worker had taken and not acknowledged, as kombu's Redis transport
    does once the visibility timeout has passed; returns their ids.

    The tests' workers keep the deployed visibility timeout (an hour, above the tasks' time limit), as a
    deployment must: with a timeout shorter than a task, kombu also delivers again the tasks that live workers are
    still running, and the copies run side by side. So a test that kills a worker calls this rather than waiting
    an hour. A task is put back when it was delivered by ``died_at`` (``time.time()`` after the kill) and none of
    the ``alive`` workers holds it (running or reserved); those must all answer, or nothing is put back.
    """
    from kombu import Connection

    from riskregistry.celery import app

    held: set[str] = set()
    if alive:
        names = [worker.name for worker in alive]
        inspect = app.control.inspect(destination=names, timeout=5.0)
        answers = [inspect.active() or {}, inspect.reserved() or {}]
        missing = [name for name in names if any(name not in answer for answer in answers)]
        if missing:
            raise AssertionError(f"live workers did not say which tasks they hold: {missing}")
        held = {request["id"] for answer in answers for requests in answer.values() for request in requests}
    restored = []
    with Connection(redis_url) as connection:
        channel = connection.default_channel
        client = channel.client
        for tag in client.zrangebyscore(channel.unacked_index_key, "-inf", died_at):
            payload = client.hget(channel.unacked_key, tag)
            if payload is None:  # acknowledged meanwhile
                continue
            message, _exchange, routing_key = json.loads(payload)
            task_id = message["headers"]["id"]
            if routing_key != queue or task_id in held:
                continue
            channel.qos.restore_by_tag(tag, client)
            restored.append(task_id)
    return restored


def process_group_stop(process: subprocess.Popen | None) -> None:
    """Stop a process started in its own group (``start_new_session``): SIGTERM, then SIGKILL after 20 s."""
    if process and process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
