"""HTTP layer of the fake hub: routing, access rules and Hub-shaped responses.

One :class:`HubRequestHandler` runs per connection thread.  It reads world
state from ``FakeHub.state`` and never mutates it, apart from consuming
injected failures and logging requests.  JSON shapes live in
:mod:`.documents`; this module decides *which* document or error to send,
and with which headers (``X-Error-Code``, ``Location``, ``ETag``,
``X-Repo-Commit``, ``Link``) because that is what the client reacts to.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import socket
import sys
import threading
import traceback
import uuid
from collections.abc import Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from . import documents
from .records import Repo, Snapshot
from .state import FailureRule

if TYPE_CHECKING:
    from .server import FakeHub

_TRUE = {"1", "true", "True", "yes"}
# Second path segments that mean a one-segment legacy id (``/api/models/gpt2/revision/main``).
_SUBPATHS = {"revision", "tree", "resolve", "refs", "commits", "paths-info", "discussions"}
_SORT_KEYS = {"downloads", "likes", "lastModified", "createdAt", "trendingScore", "id", "modelId"}
MAX_PAGE = 1000
_DISABLED_MESSAGE = "Access to this resource is disabled."
_FAILURE_MESSAGES = {
    429: "You have been rate-limited; you can retry this action in about 0 seconds.",
    500: "Internal Error - We're working hard to fix this as soon as possible!",
}
_FAILURE_CODES = {
    429: "RateLimited",
    500: "InternalError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}
_CONTENT_TYPES = {".json": "application/json", ".md": "text/markdown; charset=utf-8"}
# Like the Hub, resolve answers LFS objects with a 302 to a storage host: unreachable for weights, this server's
# own ``/_storage/`` route for the GGUF files it does serve (which honours ``Range``, as the Hub's storage does).
_LFS_HOST = "https://cdn-lfs.fakehub.invalid"
_STORAGE = "_storage"
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


class HubServer(ThreadingHTTPServer):
    """Threaded server sized for benchmarks with hundreds of concurrent requests."""

    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], hub: FakeHub) -> None:
        self.hub = hub
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, HubRequestHandler)


class HubRequestHandler(BaseHTTPRequestHandler):
    """Routes one request; all world state lives in ``FakeHub``/``HubState``."""

    server: HubServer
    protocol_version = "HTTP/1.1"  # keep-alive, like the client expects from the Hub
    timeout = 120  # idle keep-alive connections do not hold a thread forever
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms delayed-ACK stalls
    server_version = "FakeHub/1.0"

    # ---------------------------------------------------------- plumbing
    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.hub.verbose:
            sys.stderr.write(f"fakehub: {self.address_string()} {format % args}\n")

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def _not_allowed(self) -> None:
        self.close_connection = True
        self._error(HTTPStatus.METHOD_NOT_ALLOWED, "Method not allowed on the fake hub", "MethodNotAllowed")

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def _dispatch(self) -> None:
        hub = self.server.hub
        split = urlsplit(self.path)
        self.raw_path, self.query_string = split.path, split.query
        self.query = parse_qs(split.query, keep_blank_values=True)
        self.segments = [unquote(part) for part in self.raw_path.split("/")[1:]]
        self.request_id = self.headers.get("X-Amzn-Trace-Id") or str(uuid.uuid4())
        self.drip = 0.0
        with hub.state.request(self.command, self.raw_path, self.query):
            try:
                if hub.latency > 0:
                    hub.pause(hub.latency)
                rule = hub.state.take_failure(self.raw_path, self._repo_ids_in_path())
                if rule is not None and self._inject(rule):
                    return
                self._route()
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                self.close_connection = True
            except Exception:  # a bug in the fake must show up in the test output, not hang the client
                traceback.print_exc()
                self._error(HTTPStatus.INTERNAL_SERVER_ERROR, "fake hub crashed: see stderr", "InternalError")

    # ------------------------------------------------------------ responses
    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        merged = {"x-request-id": self.request_id, "Content-Length": str(len(body)), **(headers or {})}
        for name, value in merged.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD" and body:
            if self.drip <= 0:
                self.wfile.write(body)
                return
            hub = self.server.hub
            for index in range(len(body)):  # one byte at a time: every read succeeds, the whole never ends
                self.wfile.write(body[index : index + 1])
                self.wfile.flush()
                hub.pause(self.drip)
                if hub.stopping:
                    return

    def _json(self, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        self._send(status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})

    def _error(self, status: int, message: str, code: str | None, headers: dict[str, str] | None = None) -> None:
        extra = {"X-Error-Message": message, **({"X-Error-Code": code} if code else {}), **(headers or {})}
        self._json({"error": message}, status, extra)

    def _redirect(self, location: str) -> None:
        body = f"Temporary Redirect. Redirecting to {location}".encode()
        self._send(
            HTTPStatus.TEMPORARY_REDIRECT, body, {"Location": location, "Content-Type": "text/plain; charset=utf-8"}
        )

    def _inject(self, rule: FailureRule) -> bool:
        """Apply an injected failure; ``True`` when the response has been sent."""
        hub = self.server.hub
        if rule.status == "hang":
            hub.pause(rule.delay if rule.delay > 0 else 3600)
            return False
        if rule.status == "drip":
            self.drip = rule.delay if rule.delay > 0 else 1.0
            return False
        if rule.delay > 0:
            hub.pause(rule.delay)
        status = int(rule.status)
        headers = dict(rule.headers)
        if status == 429:
            headers = {
                "RateLimit": '"api";r=0;t=0',
                "RateLimit-Policy": '"fixed window";"api";q=1000;w=300',
                "Retry-After": "0",
                **headers,
            }
        message = headers.pop("X-Error-Message", None) or _FAILURE_MESSAGES.get(status) or HTTPStatus(status).phrase
        code = headers.pop("X-Error-Code", None) or _FAILURE_CODES.get(status, "InjectedFailure")
        self._error(status, message, code, headers)
        return True

    # -------------------------------------------------------------- routing
    def _repo_ids_in_path(self) -> tuple[str, ...]:
        """Requested and current ids of the repository a path is about (for failure matching)."""
        seg = self.segments
        requested: str | None = None
        if seg[:2] == ["api", "models"] and len(seg) > 2:
            requested = "/".join(seg[2 : 2 + self._id_length(seg[2:])])
        elif len(seg) >= 4 and seg[2] == "resolve":
            requested = f"{seg[0]}/{seg[1]}"
        elif len(seg) >= 3 and seg[1] == "resolve":
            requested = seg[0]
        elif len(seg) >= 5 and seg[0] == _STORAGE:
            requested = f"{seg[1]}/{seg[2]}"
        if requested is None:
            return ()
        repo = self.server.hub.state.resolve(requested)
        return (requested, repo.repo_id) if repo else (requested,)

    def _id_length(self, rest: Sequence[str]) -> int:
        """1 for legacy one-segment ids (``xlm-roberta-large``), else 2 (``org/name``)."""
        state = self.server.hub.state
        if len(rest) >= 2 and state.exists(f"{rest[0]}/{rest[1]}"):
            return 2
        if state.exists(rest[0]):
            return 1
        return 2 if len(rest) >= 2 and rest[1] not in _SUBPATHS else 1

    def _route(self) -> None:
        seg = self.segments
        if seg == ["api", "agent-harnesses"]:
            self._json({"standardEnvVars": [], "harnesses": {}})
        elif seg == ["api", "models"]:
            self._list_models()
        elif seg[:2] == ["api", "models"] and len(seg) > 2 and seg[2]:
            self._model_api(seg[2:])
        elif len(seg) == 4 and seg[0] == "api" and seg[1] in ("organizations", "users") and seg[3] == "overview":
            self._overview(seg[1], seg[2])
        elif len(seg) >= 5 and seg[0] == _STORAGE:
            self._storage(f"{seg[1]}/{seg[2]}", seg[3], "/".join(seg[4:]))
        elif len(seg) >= 5 and seg[2] == "resolve":
            self._resolve(f"{seg[0]}/{seg[1]}", seg[3], "/".join(seg[4:]), id_length=2)
        elif len(seg) >= 4 and seg[1] == "resolve":
            self._resolve(seg[0], seg[2], "/".join(seg[3:]), id_length=1)
        else:
            self._error(HTTPStatus.NOT_FOUND, "Sorry, we can't find the page you are looking for.", "NotFound")

    def _bearer(self) -> str | None:
        value = self.headers.get("Authorization", "")
        return value[7:].strip() if value.lower().startswith("bearer ") else None

    def _open_repo(self, repo_id: str, id_prefix: list[str], id_length: int) -> Repo | None:
        """Find a repository or answer for it: 307 to a renamed repo, 401/404 when unknown or private."""
        state = self.server.hub.state
        repo, redirected = state.lookup(repo_id)
        token = self._bearer()
        if repo is None or (repo.private and not state.token_has_access(token)):
            # The Hub answers 401 to anonymous callers so private repos cannot be probed.
            status = HTTPStatus.NOT_FOUND if token else HTTPStatus.UNAUTHORIZED
            self._error(status, "Repository not found", "RepoNotFound")
            return None
        if redirected:
            raw = self.raw_path.split("/")[1:]
            tail = raw[len(id_prefix) + id_length :]
            location = "/" + "/".join([*id_prefix, repo.repo_id, *tail])
            self._redirect(location + (f"?{self.query_string}" if self.query_string else ""))
            return None
        if repo.disabled:
            self._error(HTTPStatus.FORBIDDEN, _DISABLED_MESSAGE, "DisabledRepo")
            return None
        return repo

    def _gate(self, repo: Repo) -> bool:
        """Refuse a gated repository's protected content; ``True`` when the refusal was sent."""
        if not repo.gated:
            return False
        token = self._bearer()
        if self.server.hub.state.token_has_access(token):
            return False
        if token is None:
            message = (
                f"Access to model {repo.repo_id} is restricted. You must have access to it and be "
                "authenticated to access it. Please log in."
            )
            self._error(HTTPStatus.UNAUTHORIZED, message, "GatedRepo")
        else:
            message = (
                f"Access to model {repo.repo_id} is restricted and you are not in the authorized list. "
                f"Visit https://huggingface.co/{repo.repo_id} to ask for access."
            )
            self._error(HTTPStatus.FORBIDDEN, message, "GatedRepo")
        return True

    def _snapshot(self, repo: Repo, revision: str, headers: dict[str, str] | None = None) -> Snapshot | None:
        snapshot = repo.at(revision)
        if snapshot is None:
            self._error(HTTPStatus.NOT_FOUND, f"Invalid rev id: {revision}", "RevisionNotFound", headers)
        return snapshot

    def _flag(self, name: str) -> bool:
        return any(value in _TRUE for value in self.query.get(name, []))

    def _expand(self, *, listing: bool) -> list[str] | None:
        """``expand`` given as repeated ``expand=`` and/or ``expand[]=``; ``None`` after a 400."""
        values = [*self.query.get("expand", []), *self.query.get("expand[]", [])]
        allowed = documents.EXPAND_PROPERTIES - (documents.DETAIL_ONLY_EXPAND if listing else set())
        bad = [value for value in values if value not in allowed]
        if bad:
            message = f'"expand" contains invalid value(s) {bad}: must be one of {sorted(allowed)}'
            self._error(HTTPStatus.BAD_REQUEST, message, "BadRequest")
            return None
        return list(dict.fromkeys(values))

    # ------------------------------------------------------------ endpoints
    def _model_api(self, rest: list[str]) -> None:
        id_length = self._id_length(rest)
        repo_id, tail = "/".join(rest[:id_length]), rest[id_length:]
        if tail and tail[0] == "revision" and len(tail) == 2:
            revision: str | None = tail[1]
        elif not tail:
            revision = "main"
        elif tail[0] == "tree" and len(tail) >= 2:
            revision = None
        else:
            self._error(HTTPStatus.NOT_FOUND, "Sorry, we can't find the page you are looking for.", "NotFound")
            return
        repo = self._open_repo(repo_id, ["api", "models"], id_length)
        if repo is None:
            return
        if revision is None:
            self._tree(repo, tail[1], "/".join(tail[2:]))
            return
        expand = self._expand(listing=False)
        if expand is None or (repo.refuse_metadata and self._gate(repo)):
            return
        snapshot = self._snapshot(repo, revision)
        if snapshot is None:
            return
        state = self.server.hub.state
        doc = documents.model_info(
            repo, snapshot, state.resolve, state.children_count,
            expand=expand, blobs=self._flag("blobs"), security=self._flag("securityStatus"),
        )  # fmt: skip
        self._json(doc)

    def _tree(self, repo: Repo, revision: str, path: str) -> None:
        if repo.refuse_metadata and self._gate(repo):
            return
        snapshot = self._snapshot(repo, revision)
        if snapshot is None:
            return
        expand = self._flag("expand")
        entries = documents.tree(snapshot, path, recursive=self._flag("recursive"), expand=expand)
        if entries is None:
            message = f'{path} does not exist on "{revision}"'
            self._error(HTTPStatus.NOT_FOUND, message, "EntryNotFound", {"X-Repo-Commit": snapshot.sha})
            return
        self._paginated(entries, 50 if expand else MAX_PAGE)

    def _list_models(self) -> None:
        expand = self._expand(listing=True)
        if expand is None:
            return
        q = self.query
        sort = (q.get("sort") or ["trendingScore"])[-1]
        if sort not in _SORT_KEYS:
            self._error(HTTPStatus.BAD_REQUEST, f'"sort" must be one of {sorted(_SORT_KEYS)}', "BadRequest")
            return
        filters = [part.lower() for value in q.get("filter", []) for part in value.split(",") if part]
        author = (q.get("author") or [""])[-1].lower()
        search = (q.get("search") or [""])[-1].lower()
        pipeline = (q.get("pipeline_tag") or [""])[-1]
        gated = (q.get("gated") or [""])[-1]
        token_ok = self.server.hub.state.token_has_access(self._bearer())
        selected = []
        for repo in self.server.hub.state.repos():
            props = documents.properties(repo, repo.main)
            tags = (
                {t.lower() for t in props["tags"] if isinstance(t, str)} if isinstance(props["tags"], list) else set()
            )
            if (repo.private and not token_ok) or not all(f in tags for f in filters):
                continue
            if (author and not repo.repo_id.lower().startswith(f"{author}/")) or (
                search and search not in repo.repo_id.lower()
            ):
                continue
            if (pipeline and props["pipeline_tag"] != pipeline) or (gated and (gated in _TRUE) != bool(repo.gated)):
                continue
            selected.append((repo, props))
        key = "id" if sort == "modelId" else sort
        ascending = (q.get("direction") or ["-1"])[-1] == "1" or key == "id"
        selected.sort(key=lambda item: item[0].repo_id.lower())
        if key != "id":
            selected.sort(key=lambda item: item[1].get(key) or 0, reverse=not ascending)
        try:
            limit = int((q.get("limit") or [str(MAX_PAGE)])[-1])
        except ValueError:
            self._error(HTTPStatus.BAD_REQUEST, '"limit" must be a number', "BadRequest")
            return
        items = [
            documents.listing_item(
                repo,
                expand=expand,
                full=self._flag("full"),
                card_data=self._flag("cardData"),
                config=self._flag("config"),
            )
            for repo, _ in selected
        ]
        self._paginated(items, max(1, min(limit, MAX_PAGE, self.server.hub.page_size)))

    def _paginated(self, items: list[Any], page_size: int) -> None:
        """Serve one page and, when more remain, a GitHub-style absolute ``Link: <...>; rel="next"``."""
        cursor = (self.query.get("cursor") or [""])[-1]
        try:
            offset = int(json.loads(base64.urlsafe_b64decode(cursor.encode()))["offset"]) if cursor else 0
        except (ValueError, KeyError, TypeError, binascii.Error):
            self._error(HTTPStatus.BAD_REQUEST, "Invalid cursor", "BadRequest")
            return
        page = items[offset : offset + page_size]
        headers = {}
        if offset + page_size < len(items):
            token = base64.urlsafe_b64encode(json.dumps({"offset": offset + page_size}).encode()).decode()
            params = [(k, v) for k, values in self.query.items() if k != "cursor" for v in values]
            host = self.headers.get("Host") or self.server.hub.url.split("//", 1)[1]
            url = f"http://{host}{self.raw_path}?{urlencode([*params, ('cursor', token)])}"
            headers["Link"] = f'<{url}>; rel="next"'
        self._json(page, headers=headers)

    def _resolve(self, repo_id: str, revision: str, path: str, id_length: int) -> None:
        repo = self._open_repo(repo_id, [], id_length)
        if repo is None:
            return
        name = path.rsplit("/", 1)[-1]
        public = path in ("README.md", ".gitattributes") or ("/" not in path and name.upper().startswith("LICENSE"))
        if not public and self._gate(repo):
            return
        snapshot = self._snapshot(repo, revision)
        if snapshot is None:
            return
        item = snapshot.files.get(path)
        commit = {"X-Repo-Commit": snapshot.sha}
        if item is None:
            self._error(HTTPStatus.NOT_FOUND, "Entry not found", "EntryNotFound", commit)
            return
        if item.content is None:
            location = f"{_LFS_HOST}/repos/{item.lfs_sha256[:2]}/{item.lfs_sha256[2:4]}/{item.lfs_sha256}"
            if item.lfs_content is not None:
                host = self.headers.get("Host") or self.server.hub.url.split("//", 1)[1]
                location = f"http://{host}/{_STORAGE}/{repo.repo_id}/{snapshot.sha}/{item.path}"
            self._send(
                HTTPStatus.FOUND,
                b"",
                {**commit, "Location": location, "X-Linked-Size": str(item.size),
                 "X-Linked-Etag": f'"{item.lfs_sha256}"', "ETag": f'"{item.blob_id}"'},
            )  # fmt: skip
            return
        suffix = Path(name).suffix
        self._send(
            HTTPStatus.OK,
            item.content,
            {
                **commit,
                "ETag": f'"{item.blob_id}"',
                "Content-Type": _CONTENT_TYPES.get(suffix, "text/plain; charset=utf-8"),
                "Accept-Ranges": "bytes",
                "Content-Disposition": f'inline; filename="{name}"',
            },
        )

    def _storage(self, repo_id: str, sha: str, path: str) -> None:
        """The bytes of a served LFS object (the target of resolve's redirect), whole or one ``Range``: 206 with
        ``Content-Range``, 416 when the range starts past the end. Like signed storage URLs, no token is needed."""
        repo = self.server.hub.state.resolve(repo_id)
        snapshot = repo.at(sha) if repo is not None else None
        item = snapshot.files.get(path) if snapshot is not None else None
        if item is None or item.lfs_content is None:
            self._error(HTTPStatus.NOT_FOUND, "Not found in storage", "EntryNotFound")
            return
        data, total = item.lfs_content, len(item.lfs_content)
        headers = {"Content-Type": "application/octet-stream", "Accept-Ranges": "bytes", "ETag": f'"{item.lfs_sha256}"'}
        match = _RANGE.fullmatch(self.headers.get("Range", "").strip())
        if match is None or match.groups() == ("", ""):
            self._send(HTTPStatus.OK, data, headers)
            return
        first, last = match.groups()
        if first == "":  # the last N bytes
            start, end = max(0, total - int(last)), total - 1
        else:
            start, end = int(first), min(total - 1, int(last)) if last else total - 1
        if start >= total or start > end:
            headers["Content-Range"] = f"bytes */{total}"
            self._send(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, b"", headers)
            return
        headers["Content-Range"] = f"bytes {start}-{end}/{total}"
        self._send(HTTPStatus.PARTIAL_CONTENT, data[start : end + 1], headers)

    def _overview(self, kind: str, name: str) -> None:
        """Namespaces listed in ``_hub.json`` have a type; unlisted ones that own repos are orgs."""
        hub = self.server.hub
        profiles = {key.lower(): (key, value) for key, value in hub.state.namespaces.items()}
        owned = [r for r in hub.state.repos() if r.repo_id.lower().startswith(f"{name.lower()}/")]
        default_name = owned[0].repo_id.split("/")[0] if owned else name
        canonical, profile = profiles.get(name.lower(), (default_name, {}))
        namespace_type = profile.get("type", "org" if owned else None)
        if kind == "organizations" and namespace_type == "org":
            self._json(documents.organization_overview(canonical, profile, len(owned)))
        elif kind == "users" and namespace_type == "user":
            self._json(documents.user_overview(canonical, profile, len(owned)))
        else:
            what = "Organization" if kind == "organizations" else "User"
            self._error(HTTPStatus.NOT_FOUND, f"{what} not found", f"{what}NotFound")
