"""The fake hub's world: repositories, renames, access rules, injected failures, request log.

Everything here is guarded by one lock because the HTTP server answers each
connection on its own thread while tests reshape the world from the main
thread.  Repositories are replaced, never mutated in place, so a request that
already holds a :class:`~.records.Repo` keeps a consistent view.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple
from urllib.parse import unquote

from .records import Repo, build_repo

GatedMode = Literal["manual", "auto", False]
_MAX_ALIAS_HOPS = 32


class LoggedRequest(NamedTuple):
    """One request as the server saw it: ``path`` is raw (still percent-encoded)."""

    method: str
    path: str
    query: dict[str, list[str]]


@dataclass
class FailureRule:
    """An injected failure: ``status`` is an HTTP code, ``"hang"`` to stall then answer normally, or ``"drip"``
    to answer normally but send the body one byte every ``delay`` seconds (a hub that never quite times out)."""

    target: str
    status: int | Literal["hang", "drip"]
    times: int | None = 1
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    hits: int = 0

    def matches(self, path: str, repo_ids: tuple[str, ...]) -> bool:
        """``target`` is a path prefix when it starts with ``/``, otherwise a repo id."""
        if self.target.startswith("/"):
            return path.startswith(self.target) or unquote(path).startswith(self.target)
        return self.target.lower() in (repo_id.lower() for repo_id in repo_ids)


class HubState:
    """Thread-safe container for everything a request handler reads."""

    def __init__(self, namespaces: dict[str, Any] | None = None, missing: dict[str, str] | None = None) -> None:
        self._lock = threading.RLock()
        self._idle = threading.Condition(self._lock)  # notified when the last request in flight finishes
        self._repos: dict[str, Repo] = {}  # lower-cased id -> repo
        self._aliases: dict[str, str] = {}  # lower-cased old id -> current id
        self._failures: list[FailureRule] = []
        self._tokens: set[str] = set()
        self._log: list[LoggedRequest] = []
        self._in_flight = 0
        self._peak_in_flight = 0
        self.namespaces: dict[str, Any] = dict(namespaces or {})
        self.intentionally_missing: dict[str, str] = dict(missing or {})  # id -> why it is absent

    # ----------------------------------------------------------------- repos
    def add_repo(self, record: dict[str, Any]) -> Repo:
        """Add or replace a repository; an id that was an old name stops redirecting."""
        repo = build_repo(record)
        with self._lock:
            key = repo.repo_id.lower()
            self._aliases.pop(key, None)
            self._repos[key] = repo
            for alias in repo.record.get("aliases") or []:
                if alias.lower() != key:
                    self._aliases[alias.lower()] = repo.repo_id
        return repo

    def remove_repo(self, repo_id: str) -> None:
        """Delete a repository and its redirects, so it answers 404 (gone from the Hub)."""
        with self._lock:
            repo = self._repos.pop(repo_id.lower())
            for old, new in list(self._aliases.items()):
                if new == repo.repo_id:
                    del self._aliases[old]

    def rename(self, old_id: str, new_id: str) -> Repo:
        """Move a repository; the old id (and ids that redirected to it) then redirect to the new one."""
        with self._lock:
            repo = self._repos.get(old_id.lower())
            if repo is None:
                raise KeyError(f"no repository {old_id!r} to rename")
            if new_id.lower() in self._repos and new_id.lower() != old_id.lower():
                raise ValueError(f"{new_id!r} already exists")
            record = copy.deepcopy(repo.record)
            record["id"] = new_id
            record["aliases"] = [*(record.get("aliases") or []), repo.repo_id]
            new_repo = build_repo(record)
            del self._repos[old_id.lower()]
            self._repos[new_id.lower()] = new_repo
            for old, target in list(self._aliases.items()):
                if target == repo.repo_id:
                    self._aliases[old] = new_id
            self._aliases[repo.repo_id.lower()] = new_id
            self._aliases.pop(new_id.lower(), None)
            return new_repo

    def update_record(self, repo_id: str, **changes: Any) -> Repo:
        """Rebuild a repository with some record keys changed (used by ``set_gated`` etc.)."""
        with self._lock:
            repo = self.resolve(repo_id)
            if repo is None:
                raise KeyError(f"no repository {repo_id!r}")
            return self.add_repo({**copy.deepcopy(repo.record), **changes})

    def lookup(self, repo_id: str) -> tuple[Repo | None, bool]:
        """``(repo, redirected)``: ids are case-insensitive; old ids follow renames (chains too)."""
        key = repo_id.lower()
        with self._lock:
            if key in self._repos:
                return self._repos[key], False
            seen: set[str] = set()
            while key in self._aliases and key not in seen and len(seen) < _MAX_ALIAS_HOPS:
                seen.add(key)
                key = self._aliases[key].lower()
                if key in self._repos:
                    return self._repos[key], True
        return None, False

    def resolve(self, repo_id: str) -> Repo | None:
        return self.lookup(repo_id)[0]

    def exists(self, repo_id: str) -> bool:
        return self.resolve(repo_id) is not None

    def repos(self) -> list[Repo]:
        with self._lock:
            return list(self._repos.values())

    def aliases(self) -> dict[str, str]:
        with self._lock:
            return dict(self._aliases)

    def children_count(self, repo_id: str) -> int:
        """How many repositories declare ``repo_id`` (or one of its old ids) as a base model."""
        target = repo_id.lower()
        count = 0
        for repo in self.repos():
            parents = {found.repo_id.lower() for p in repo.main.parents if (found := self.resolve(p))}
            count += target in parents and repo.repo_id.lower() != target
        return count

    # ---------------------------------------------------------------- access
    def require_token(self, token: str | None) -> None:
        """Grant gated/private access to requests bearing ``token`` (``None`` revokes all tokens)."""
        with self._lock:
            if token is None:
                self._tokens.clear()
            else:
                self._tokens.add(token)

    def token_has_access(self, token: str | None) -> bool:
        with self._lock:
            return token is not None and token in self._tokens

    # -------------------------------------------------------------- failures
    def add_failure(self, rule: FailureRule) -> FailureRule:
        with self._lock:
            self._failures.append(rule)
        return rule

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    def take_failure(self, path: str, repo_ids: tuple[str, ...]) -> FailureRule | None:
        """The first rule matching this request, consuming one of its ``times``."""
        with self._lock:
            for rule in self._failures:
                if rule.matches(path, repo_ids):
                    rule.hits += 1
                    if rule.times is not None:
                        rule.times -= 1
                        if rule.times <= 0:
                            self._failures.remove(rule)
                    return rule
        return None

    # ------------------------------------------------------------------- log
    @contextmanager
    def request(self, method: str, path: str, query: dict[str, list[str]]) -> Iterator[None]:
        """Log a request and count it as in flight until the response is written."""
        with self._lock:
            self._log.append(LoggedRequest(method, path, query))
            self._in_flight += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                if not self._in_flight:
                    self._idle.notify_all()

    def log(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._log)

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()
            self._peak_in_flight = self._in_flight

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is in flight; False if some still are after ``timeout`` seconds.

        A client can read a whole response before the handler thread has returned, so a test that
        checks the server is idle waits for it rather than reading the count at once.
        """
        with self._lock:
            return self._idle.wait_for(lambda: not self._in_flight, timeout)

    @property
    def peak_in_flight(self) -> int:
        with self._lock:
            return self._peak_in_flight
