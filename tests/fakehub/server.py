"""A fake Hugging Face Hub on 127.0.0.1 for testing the real ``huggingface_hub`` client.

:class:`FakeHub` serves recorded repositories (``repos/*.json``) through the
endpoints huggingface_hub 2.4.0 calls (see ``../shared/hub/HUB_API.md``):
model info with ``expand``, paginated listings with a ``Link`` header, file
resolution with ``ETag``/``X-Repo-Commit``, tree listings, organisation and
user overviews, and the telemetry side request to ``/api/agent-harnesses``.
Errors carry ``X-Error-Code``/``X-Error-Message`` because the client maps
exceptions from those headers (over plain http a bare 404 would not become a
``RepositoryNotFoundError``).

Tests shape the world at runtime: add/remove/rename repositories, gate or
disable them, inject 429/5xx or hanging responses, and read the request log.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Literal
from urllib.parse import unquote

from .handler import MAX_PAGE, HubServer
from .records import DEFAULT_REPOS_DIR, load_hub_meta, load_records
from .state import FailureRule, GatedMode, HubState, LoggedRequest


class FakeHub:
    """A local stand-in for huggingface.co, driven by the real ``huggingface_hub`` client.

    Usage::

        with FakeHub(latency=0.05) as hub:
            HfApi(endpoint=hub.url, token=False).model_info("Qwen/Qwen2.5-7B-Instruct")
            hub.metadata_requests("Qwen/Qwen2.5-7B-Instruct")  # -> 1

    Recorded repositories are loaded when the hub is created (pass
    ``repos_dir=None`` for an empty hub), so the world can be shaped before
    or after :meth:`start`.
    """

    def __init__(
        self,
        repos_dir: Path | str | None = DEFAULT_REPOS_DIR,
        latency: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        page_size: int = MAX_PAGE,
        verbose: bool = False,
    ) -> None:
        self.latency = latency
        self.page_size = page_size
        self.verbose = verbose
        self._address = (host, port)
        meta = load_hub_meta(repos_dir) if repos_dir is not None else {}
        #: The world (repositories, aliases, rules, log); prefer the methods below.
        self.state = HubState(meta.get("namespaces"), meta.get("intentionally_missing"))
        for record in load_records(repos_dir) if repos_dir is not None else []:
            self.state.add_repo(record)
        self._stopping = threading.Event()
        self._server: HubServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------- lifecycle
    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def pause(self, seconds: float) -> None:
        """Sleep in a handler thread; returns early when the hub stops so threads never outlive it."""
        self._stopping.wait(seconds)

    def start(self) -> FakeHub:
        """Bind and serve from a daemon thread; returns ``self``."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = HubServer(self._address, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fakehub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: wakes hanging/slow handlers and closes kept-alive connections."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with server.connections_lock:
            for conn in list(server.connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (use it as ``HfApi(endpoint=...)``)."""
        if self._server is None:
            raise RuntimeError("FakeHub is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -------------------------------------------------------------- world
    def add_repo(self, record: dict[str, Any]) -> str:
        """Add (or replace) a repository from a record shaped like ``repos/*.json``; returns its id."""
        return self.state.add_repo(record).repo_id

    def remove_repo(self, repo_id: str) -> None:
        """Delete a repository: it then answers 404 ``RepoNotFound``."""
        self.state.remove_repo(repo_id)

    def rename(self, old_id: str, new_id: str) -> None:
        """Rename a repository; ``old_id`` answers 307 to ``new_id`` (chains of renames work)."""
        self.state.rename(old_id, new_id)

    def set_gated(self, repo_id: str, mode: GatedMode, *, refuse_metadata: bool = False) -> None:
        """Gate a repository (``"manual"``/``"auto"``) or ungate it (``False``).

        Gated repositories answer metadata (with ``gated`` set), README and
        licence files; other files need a token granted by :meth:`require_token`
        (401 ``GatedRepo`` anonymously, 403 with another token).  With
        ``refuse_metadata=True`` model info and tree listings are refused too.
        """
        if mode not in ("manual", "auto", False):
            raise ValueError(f"gated mode must be 'manual', 'auto' or False, not {mode!r}")
        self.state.update_record(repo_id, gated=mode, refuse_metadata=bool(mode) and refuse_metadata)

    def set_disabled(self, repo_id: str, disabled: bool = True) -> None:
        """Disable a repository: 403 with ``X-Error-Message: Access to this resource is disabled.``."""
        self.state.update_record(repo_id, disabled=disabled)

    def set_private(self, repo_id: str, private: bool = True) -> None:
        """Make a repository private: unknown to callers without a granted token (401/404)."""
        self.state.update_record(repo_id, private=private)

    def require_token(self, token: str | None) -> None:
        """Grant access to gated/private repositories for ``Authorization: Bearer <token>``."""
        self.state.require_token(token)

    def fail(
        self,
        target: str,
        status: int | Literal["hang", "drip"],
        times: int | None = 1,
        headers: dict[str, str] | None = None,
        *,
        delay: float = 0.0,
    ) -> FailureRule:
        """Inject failures for a repo id (``"org/name"``, matched through renames) or a path prefix (``"/api/models"``).

        ``status`` 429 gets ``RateLimit: "api";r=0;t=0`` and ``Retry-After: 0``
        unless ``headers`` override them; 5xx get a Hub-like JSON error.
        ``"hang"`` stalls for ``delay`` seconds (default: until :meth:`stop`)
        and then answers normally, to exercise client timeouts; ``"drip"``
        answers normally but sends the body one byte every ``delay`` seconds
        (default 1), so no single read times out; with an HTTP status,
        ``delay`` makes the error slow.  ``times=None`` fails forever.
        Returns the rule, whose ``hits`` counts the requests it caught.
        """
        if status not in ("hang", "drip") and not 400 <= int(status) <= 599:
            raise ValueError("status must be an HTTP error code or 'hang'")
        return self.state.add_failure(FailureRule(target, status, times, dict(headers or {}), delay))

    def clear_failures(self) -> None:
        self.state.clear_failures()

    def repo_ids(self) -> list[str]:
        return sorted(repo.repo_id for repo in self.state.repos())

    def record(self, repo_id: str) -> dict[str, Any] | None:
        """The current record of a repository (a copy), following renames."""
        repo = self.state.resolve(repo_id)
        return json.loads(json.dumps(repo.record)) if repo else None

    @property
    def aliases(self) -> dict[str, str]:
        """Old ids (lower-cased) -> current id."""
        return self.state.aliases()

    @property
    def intentionally_missing(self) -> dict[str, str]:
        """Parent ids referenced by recorded repos that are deliberately absent, with the reason."""
        return dict(self.state.intentionally_missing)

    # ---------------------------------------------------------------- log
    @property
    def requests(self) -> list[LoggedRequest]:
        """Every request so far as ``(method, raw path, query dict)``."""
        return self.state.log()

    def count(self, path_prefix: str | None = None, method: str | None = None) -> int:
        """Requests whose path (raw or decoded) starts with ``path_prefix`` and whose method matches."""
        return sum(
            1
            for req in self.state.log()
            if (method is None or req.method == method.upper())
            and (path_prefix is None or req.path.startswith(path_prefix) or unquote(req.path).startswith(path_prefix))
        )

    def metadata_requests(self, repo_id: str) -> int:
        """``GET /api/models/{repo_id}`` calls, including ``/revision/{rev}`` ones (ids as requested)."""
        base = f"/api/models/{repo_id}"
        return sum(
            1
            for req in self.state.log()
            if req.method == "GET" and (unquote(req.path) == base or req.path.startswith(base + "/revision/"))
        )

    def reset_log(self) -> None:
        self.state.reset_log()

    @property
    def in_flight(self) -> int:
        return self.state.in_flight

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until the server has finished every request it started (see :meth:`HubState.wait_idle`)."""
        return self.state.wait_idle(timeout)

    @property
    def peak_in_flight(self) -> int:
        """Most requests the server was handling at the same time since the last :meth:`reset_log`."""
        return self.state.peak_in_flight
