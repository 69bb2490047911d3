"""The fake hub in a child process, and how its request log is read.

``HubProcess`` serves the generated records from a ``FakeHub`` in a child process that adds ``latency`` to
every request. A child process, so the hub's own request handling does not compete with the service for the
benchmark process's GIL (or show up in its memory): the service is measured, not the fake.
``request_kind`` sorts the hub's logged requests into metadata requests (per repo), file downloads and others.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from typing import Any
from urllib.parse import unquote

from tests.fakehub import FakeHub


class HubProcess:
    """A ``FakeHub`` serving ``records`` with ``latency`` from a child process, driven through a pipe."""

    def __init__(self, records: tuple[dict[str, Any], ...], latency: float) -> None:
        self._records, self._latency = records, latency
        self._process: multiprocessing.process.BaseProcess | None = None
        self.url = ""

    def __enter__(self) -> HubProcess:
        context = multiprocessing.get_context("spawn")  # no fork of a process holding database connections
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_hub_serve, args=(child, self._records, self._latency), name="bench-fakehub", daemon=True
        )
        self._process.start()
        child.close()
        try:
            self.url = self._call("url", timeout=60)
        except (EOFError, OSError) as error:
            self.__exit__()
            raise RuntimeError("the fake hub process did not start: see its traceback above") from error
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._process is None:
            return
        with contextlib.suppress(OSError, EOFError, TimeoutError):
            self._call("stop", timeout=10)
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)
        self._conn.close()
        self._process = None

    def _call(self, operation: str, timeout: float = 30) -> Any:
        self._conn.send(operation)
        if not self._conn.poll(timeout):
            raise TimeoutError(f"the fake hub process did not answer {operation!r} within {timeout} s")
        return self._conn.recv()

    def requests(self) -> list[tuple[str, str]]:
        """(method, raw path) of every request since the last ``reset_log``."""
        return self._call("log")

    def peak_in_flight(self) -> int:
        return self._call("peak")

    def reset_log(self) -> None:
        self._call("reset")


def _hub_serve(conn: Any, records: tuple[dict[str, Any], ...], latency: float) -> None:
    """The child process: build the hub, then answer the parent's requests until told to stop."""
    hub = FakeHub(repos_dir=None, latency=latency)
    for record in records:
        hub.add_repo(record)
    hub.start()
    try:
        while True:
            operation = conn.recv()
            if operation == "url":
                conn.send(hub.url)
            elif operation == "log":
                conn.send([(request.method, request.path) for request in hub.requests])
            elif operation == "peak":
                conn.send(hub.peak_in_flight)
            elif operation == "reset":
                hub.reset_log()
                conn.send(None)
            else:  # "stop"
                conn.send(None)
                return
    except EOFError:  # the parent went away
        return
    finally:
        hub.stop()


_API_SUBPATHS = {"tree", "refs", "commits", "paths-info", "discussions"}
_IDENTITY_FILES = {"config.json", "tokenizer_config.json", "README.md"}


def request_kind(method: str, raw_path: str) -> tuple[str, str | None]:
    """``("metadata", repo_id)`` for ``GET /api/models/{repo_id}`` (and ``/revision/{rev}``), ``("file", None)``
    for a download (``/{repo_id}/resolve/...``), ``("identity", None)`` for the identifying files the inference
    reads, ``("storage", None)`` for the storage a GGUF download is redirected to, ``("other", None)`` for
    listings, trees and the rest."""
    path = unquote(raw_path)
    if path.startswith("/api/models/") and method == "GET":
        parts = [part for part in path.removeprefix("/api/models/").split("/") if part]
        if "revision" in parts:
            parts = parts[: parts.index("revision")]
        elif any(part in _API_SUBPATHS for part in parts):
            return "other", None
        if 1 <= len(parts) <= 2:
            return "metadata", "/".join(parts)
        return "other", None
    if "/resolve/" in path:
        # The inference step after the walk reads these (once per revision, the README for silent repos only).
        return ("identity" if path.rsplit("/", 1)[-1] in _IDENTITY_FILES else "file"), None
    if path.startswith("/_storage/"):  # where resolve redirects a GGUF file (the Hub's storage host)
        return "storage", None
    return "other", None
