"""``HubClient``: the one place that talks to the model hub (DESIGN.md: "Only vendors/hub.py talks to the hub").

It goes through huggingface_hub's ``HfApi`` so the hub's error conventions (``X-Error-Code`` → exception class,
307 renames, auth headers) are interpreted by the hub's own client, and adds what that client leaves out for
``model_info``: a timeout by default, retries, pacing, bounded file downloads, and a status instead of an
exception, because one unreachable ancestor must not abort a whole lineage walk.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx2
from huggingface_hub import HfApi, ModelInfo, hf_hub_url
from huggingface_hub.errors import (
    DisabledRepoError,
    GatedRepoError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
)
from huggingface_hub.hf_api import ExpandModelProperty_T
from huggingface_hub.utils import HFValidationError, validate_repo_id

from vendors.hub import transport
from vendors.hub.convert import (
    LINEAGE_FILE_NAME,
    MAX_LINEAGE_FILE_BYTES,
    MAX_LINEAGE_FILES,
    failed_snapshot,
    gguf_file_choice,
    gguf_unsafe_paths,
    lineage_file_plan,
    parse_json_object,
    pinned_revision,
    sibling_names,
    snapshot_from_info,
)
from vendors.hub.downloads import LineageFileTooLarge, download_prefix, download_small
from vendors.hub.gguf import HeaderInvalid, HeaderTruncated, lineage_metadata
from vendors.hub.retry import Backoff, HubUnavailable, TokenBucket, TransientFailure, transient_failure
from vendors.hub.transport import ResponseTooLarge
from vendors.lineage.snapshot import EvidenceSource, NodeStatus, RepoSnapshot, SourceFailure, SourceProblem

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: What lineage reads from ``GET /api/models/{id}``, in one request: ``safetensors`` too, for the parameter count
#: the inference's fingerprints keep (``ModelInfo`` raises ``KeyError`` on a ``safetensors`` object without
#: ``total``: such an answer is asked again without it, see ``fetch``). Not ``private``/``downloads``/``likes``...:
#: unused. ``baseModels`` is only accepted on this endpoint, not on listings.
EXPAND: tuple[ExpandModelProperty_T, ...] = (
    "author",
    "baseModels",
    "cardData",
    "config",
    "createdAt",
    "disabled",
    "gated",
    "gguf",
    "lastModified",
    "library_name",
    "pipeline_tag",
    "safetensors",
    "sha",
    "siblings",
    "tags",
)
# What a hub answer that does not fit ``ModelInfo`` (or is not JSON at all) raises while being parsed.
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, RecursionError)
#: Largest metadata answer read (headers included); real ones are KiB, a repo listing 10,000 files a few MiB.
MAX_METADATA_BYTES = 16 * 1024 * 1024
#: First range read of a GGUF file: the ``general.*`` keys come first, but the whole key/value section (the
#: tokenizer's vocabulary included) must fit before the reader can vouch that nothing was missed.
GGUF_FIRST_READ_BYTES = 256 * 1024
#: Each further read is this many times larger, up to the cap.
GGUF_READ_GROWTH = 8
#: Largest GGUF prefix read; real headers with a 150,000-token vocabulary take about 6 MiB.
MAX_GGUF_HEADER_BYTES = 16 * 1024 * 1024
# Response headers on top of the body that a range read may take.
_RANGE_HEADER_ALLOWANCE = 64 * 1024


class HubClient:
    """Fetches one repo at a time as a ``RepoSnapshot``; safe to share between threads.

    The lineage walk calls ``fetch`` from a thread pool: the underlying HTTP client is huggingface_hub's shared,
    thread-safe ``httpx2.Client``, the pacer is locked, and nothing else is mutated after ``__init__``.
    ``sleep`` (and ``clock``, for the pacer) are injectable so tests can count waits instead of waiting.
    """

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        token: str | None = None,
        timeout: float | None = None,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        requests_per_second: float | None = None,
        request_deadline: float | None = None,
        node_budget: float | None = None,
        max_metadata_bytes: int = MAX_METADATA_BYTES,
        gguf_first_read_bytes: int = GGUF_FIRST_READ_BYTES,
        max_gguf_header_bytes: int = MAX_GGUF_HEADER_BYTES,
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if endpoint is None or token is None or timeout is None or request_deadline is None or node_budget is None:
            from django.conf import settings  # lazily: the module must import without Django configured

            endpoint = settings.HF_ENDPOINT if endpoint is None else endpoint
            token = settings.HF_TOKEN if token is None else token
            timeout = settings.HUB_TIMEOUT if timeout is None else timeout
            request_deadline = settings.HUB_REQUEST_DEADLINE if request_deadline is None else request_deadline
            node_budget = settings.HUB_NODE_BUDGET if node_budget is None else node_budget
        if not timeout or timeout <= 0:
            raise ValueError("the hub timeout must be a positive number of seconds (model_info has none by default)")
        if request_deadline <= 0 or node_budget <= 0 or max_metadata_bytes <= 0:
            raise ValueError("request_deadline, node_budget and max_metadata_bytes must be positive")
        if not 0 < gguf_first_read_bytes <= max_gguf_header_bytes:
            raise ValueError("gguf_first_read_bytes must be positive and at most max_gguf_header_bytes")
        if max_retries < 0 or backoff_base < 0 or backoff_cap < 0:
            raise ValueError("max_retries, backoff_base and backoff_cap cannot be negative")
        if requests_per_second is not None and requests_per_second <= 0:
            raise ValueError("requests_per_second must be positive (or None for no pacing)")
        self.endpoint = endpoint.rstrip("/")
        self.timeout = float(timeout)
        self.request_deadline = float(request_deadline)
        self.node_budget = float(node_budget)
        self.max_metadata_bytes = max_metadata_bytes
        self.gguf_first_read_bytes = gguf_first_read_bytes
        self.max_gguf_header_bytes = max_gguf_header_bytes
        self.max_retries = max_retries
        self._clock = clock
        transport.install()
        # An empty token means none. Never fall back to a token saved on the machine (``hf auth login``): what
        # this service sends is what its settings say.
        self._token: str | bool = token or False
        self._api = HfApi(endpoint=self.endpoint, token=self._token)
        self._backoff = Backoff(base=backoff_base, cap=backoff_cap)
        self._sleep = sleep
        self._pacer = TokenBucket(requests_per_second, clock=clock, sleep=sleep) if requests_per_second else None

    # ------------------------------------------------------------------------------------------------- public
    def fetch(self, repo_id: str) -> RepoSnapshot:
        """One repo's metadata (one ``model_info`` request when it succeeds) and its small lineage files.

        Never raises for anything the hub does: failures come back as a snapshot whose ``status`` is
        not_found, gated, disabled or error, with a short reason that quotes nothing from the server.

        Bounded in time and size: each request ends within ``request_deadline`` seconds (connect and every read
        included), all of the node's requests and retry waits within ``node_budget``, and the metadata answer is
        not read past ``max_metadata_bytes``.
        """
        started = self._clock()
        try:
            info = self._metadata(repo_id, started)
        except Exception as exc:  # sorted out below; anything unexpected is re-raised there
            return self._failed(repo_id, exc)
        if not _valid_repo_id(info.id):
            return failed_snapshot(repo_id, NodeStatus.ERROR, "malformed metadata (no valid repo id)", 200)
        files, failures = self._lineage_files(info, started)
        gguf_file = gguf_file_choice(sibling_names(info)) or ""
        header: dict[str, Any] = {}
        if gguf_file:
            header, failure = self._gguf_header(info.id, pinned_revision(_text_sha(info)), gguf_file, started)
            if failure is not None:
                failures.append(failure)
        elif unsafe := gguf_unsafe_paths(sibling_names(info)):
            reason = f"{unsafe} GGUF file(s) listed only at paths that are not safe to request"
            failures.append(SourceFailure(EvidenceSource.GGUF, "*.gguf", SourceProblem.NOT_READ, reason))
        try:
            return snapshot_from_info(repo_id, info, files, failures, gguf_header=header, gguf_file=gguf_file)
        except _MALFORMED as exc:
            logger.warning("hub: %s: metadata could not be converted (%s)", repo_id, type(exc).__name__)
            return failed_snapshot(repo_id, NodeStatus.ERROR, "malformed metadata", 200)

    def _metadata(self, repo_id: str, started: float):
        """The ``model_info`` answer with ``EXPAND``. ``ModelInfo`` refuses a ``safetensors`` object without
        ``parameters`` or ``total`` (HUB_API.md 1.4), which would cost the node its lineage: an answer it cannot
        parse is asked again without ``safetensors`` (no parameter count), and only that one fails for good."""

        def ask(expand: tuple[str, ...]):
            return self._retrying(
                lambda: self._api.model_info(repo_id, expand=list(expand), timeout=self.timeout),
                started=started,
                max_bytes=self.max_metadata_bytes,
            )

        try:
            return ask(EXPAND)
        except _MALFORMED as exc:
            # Only an answer that came and could not be parsed: a 400 (BadRequestError is a ValueError too) or an
            # invalid repo id are final as they are.
            if isinstance(exc, HfHubHTTPError | HFValidationError):
                raise
            logger.info("hub: %s: metadata not parsed with safetensors (%s); asked again without", repo_id,
                        type(exc).__name__)  # fmt: skip
            return ask(tuple(key for key in EXPAND if key != "safetensors"))

    def fetch_identity(
        self, repo_id: str, revision: str = "", *, siblings=None, parameters: int | None = None, readme: bool = False
    ):
        """The repo's identifying files (config, tokenizer config, parameter count, README): see ``hub.identity``."""
        from vendors.hub.identity import fetch_identity

        return fetch_identity(self, repo_id, revision, siblings=siblings, parameters=parameters, readme=readme)

    # ----------------------------------------------------------------------------------------------- failures
    def _failed(self, repo_id: str, exc: Exception) -> RepoSnapshot:
        """Map a final failure to a node status; GatedRepoError subclasses RepositoryNotFoundError: first."""
        status = _http_status(exc)
        if isinstance(exc, HubUnavailable):
            return failed_snapshot(repo_id, NodeStatus.ERROR, exc.reason, exc.http_status)
        if isinstance(exc, ResponseTooLarge):
            reason = f"metadata not read: the hub's answer is larger than {exc.limit:,} bytes"
            return failed_snapshot(repo_id, NodeStatus.ERROR, reason)
        if isinstance(exc, HFValidationError):  # before ValueError: raised before any request
            return failed_snapshot(repo_id, NodeStatus.NOT_FOUND, "not a valid hub repo id")
        if isinstance(exc, GatedRepoError):
            reason = (
                "gated: the configured HF_TOKEN has not been granted access on the hub"
                if self._token
                else "gated: request access on the hub or set HF_TOKEN"
            )
            return failed_snapshot(repo_id, NodeStatus.GATED, reason, status)
        if isinstance(exc, RepositoryNotFoundError):
            return failed_snapshot(repo_id, NodeStatus.NOT_FOUND, "not found on the hub (or private)", status)
        if isinstance(exc, DisabledRepoError):
            return failed_snapshot(repo_id, NodeStatus.DISABLED, "disabled on the hub", status)
        if isinstance(exc, HfHubHTTPError):  # 400, 401 (bad token), 403, 404 without an error code...
            reason = f"hub refused the request (HTTP {status})"
            if status == 401:
                reason = "hub rejected the credentials (HTTP 401): check HF_TOKEN"
            return failed_snapshot(repo_id, NodeStatus.ERROR, reason, status)
        if isinstance(exc, OfflineModeIsEnabled):
            return failed_snapshot(repo_id, NodeStatus.ERROR, "hub not asked: offline mode is on (HF_HUB_OFFLINE)")
        if isinstance(exc, httpx2.HTTPError):  # too many redirects, unsupported protocol, proxy...
            return failed_snapshot(repo_id, NodeStatus.ERROR, f"could not reach the hub ({type(exc).__name__})")
        if isinstance(exc, _MALFORMED):  # a 200 whose JSON does not fit ModelInfo (see HUB_API.md 1.4)
            logger.warning("hub: %s: malformed metadata (%s)", repo_id, type(exc).__name__)
            return failed_snapshot(repo_id, NodeStatus.ERROR, "malformed metadata", 200)
        raise exc

    # ------------------------------------------------------------------------------------------------ retries
    def _retrying(self, request: Callable[[], T], *, started: float, max_bytes: int | None = None) -> T:
        """Run ``request`` (one HTTP request), retrying transient failures ``max_retries`` times.

        So a request is sent at most ``max_retries + 1`` times, each bounded by ``request_deadline``, and never
        past the node's budget (``node_budget`` seconds from ``started``, waits included). The wait before retry n
        is the server's (``RateLimit`` on a 429, else ``Retry-After``) or the jittered exponential backoff, capped
        either way.
        """
        attempt = 0
        while True:
            attempt += 1
            if self._pacer is not None:
                self._pacer.acquire()
            left = self.node_budget - (self._clock() - started)
            if left <= 0:
                raise HubUnavailable(f"the per-node time budget of {self.node_budget:g} s ran out", None)
            deadline = time.monotonic() + min(self.request_deadline, left)
            try:
                with transport.bounded(deadline=deadline, max_bytes=max_bytes):
                    return request()
            except Exception as exc:
                failure = transient_failure(exc, self.timeout)
                if failure is None:
                    raise
                if isinstance(exc, httpx2.TimeoutException) and time.monotonic() >= deadline - 0.05:
                    failure = TransientFailure(
                        f"hub did not finish answering before the request's deadline "
                        f"({min(self.request_deadline, left):g} s)"
                    )
                tries = f"{attempt} attempt" + ("s" if attempt > 1 else "")
                if attempt > self.max_retries:
                    raise HubUnavailable(f"{failure.description}; gave up after {tries}", failure.http_status) from exc
                wait = self._backoff.wait(attempt, failure.server_wait)
                if self._clock() - started + wait >= self.node_budget:
                    raise HubUnavailable(
                        f"{failure.description}; gave up after {tries}: the per-node time budget of "
                        f"{self.node_budget:g} s would run out before the next one",
                        failure.http_status,
                    ) from exc
                logger.info("hub: %s; retry %d/%d in %.1f s", failure.description, attempt, self.max_retries, wait)
                self._sleep(wait)

    # -------------------------------------------------------------------------------------------------- files
    def _lineage_files(
        self, info: ModelInfo, started: float
    ) -> tuple[dict[str, Mapping[str, Any] | None], list[SourceFailure]]:
        """The repo's ``adapter_config.json`` files at the metadata's commit, parsed (``None`` for unreadable),
        and why each unreadable one, or one left unread, was not read."""
        revision = pinned_revision(_text_sha(info))
        paths, unread = lineage_file_plan(sibling_names(info))
        files: dict[str, Mapping[str, Any] | None] = {}
        failures: list[SourceFailure] = []
        for path in paths:
            files[path], failure = self._json_file(info.id, revision, path, started)
            if failure is not None:
                failures.append(failure)
        if unread:
            failures.append(
                SourceFailure(
                    EvidenceSource.ADAPTER_CONFIG,
                    f"{unread} more {LINEAGE_FILE_NAME} files",
                    SourceProblem.NOT_READ,
                    f"at most {MAX_LINEAGE_FILES} are read per repo, and only at safe paths",
                )
            )
        return files, failures

    def _json_file(
        self, repo_id: str, revision: str, path: str, started: float
    ) -> tuple[dict[str, Any] | None, SourceFailure | None]:
        """The parsed file, or ``None`` and why not: gated, refused, missing, failing, oversized or not JSON."""
        url = hf_hub_url(repo_id, path, revision=revision, endpoint=self.endpoint)
        try:
            body = self._retrying(lambda: download_small(url, token=self._token, timeout=self.timeout), started=started)
        except (HubUnavailable, HfHubHTTPError, httpx2.HTTPError, OfflineModeIsEnabled, LineageFileTooLarge) as exc:
            logger.info("hub: %s: %s not read (%s, HTTP %s)", repo_id, path, type(exc).__name__, _http_status(exc))
            kind, reason = self._file_failure(exc)
            return None, SourceFailure(EvidenceSource.ADAPTER_CONFIG, path, kind, reason)
        document = parse_json_object(body)
        if document is None:
            return None, SourceFailure(EvidenceSource.ADAPTER_CONFIG, path, SourceProblem.ERROR, "not a JSON object")
        return document, None

    def _gguf_header(
        self, repo_id: str, revision: str, path: str, started: float
    ) -> tuple[dict[str, Any], SourceFailure | None]:
        """The lineage keys of ``path``'s GGUF header, read with range requests: ``gguf_first_read_bytes`` first,
        then ``GGUF_READ_GROWTH`` times more while the header goes on, never past ``max_gguf_header_bytes``."""
        url = hf_hub_url(repo_id, path, revision=revision, endpoint=self.endpoint)
        size = self.gguf_first_read_bytes
        while True:
            try:
                prefix, whole = self._retrying(
                    lambda size=size: download_prefix(url, size, token=self._token, timeout=self.timeout),
                    started=started,
                    max_bytes=size + _RANGE_HEADER_ALLOWANCE,
                )
            except (HubUnavailable, HfHubHTTPError, httpx2.HTTPError, OfflineModeIsEnabled, ResponseTooLarge) as exc:
                logger.info("hub: %s: %s not read (%s, HTTP %s)", repo_id, path, type(exc).__name__, _http_status(exc))
                kind, reason = self._file_failure(exc)
                return {}, SourceFailure(EvidenceSource.GGUF, path, kind, f"GGUF header: {reason}")
            try:
                return lineage_metadata(prefix), None
            except HeaderTruncated as exc:
                if whole:
                    reason = "the file ends inside its GGUF header"
                elif size >= self.max_gguf_header_bytes:
                    reason = f"the GGUF header is larger than the {size:,} bytes read (the cap)"
                else:
                    size = min(self.max_gguf_header_bytes, max(size * GGUF_READ_GROWTH, exc.needed))
                    continue
            except HeaderInvalid as exc:
                reason = str(exc)
            return {}, SourceFailure(EvidenceSource.GGUF, path, SourceProblem.ERROR, reason)

    def _file_failure(self, exc: Exception) -> tuple[str, str]:
        """Why a file was not read, as a ``SourceProblem`` and a reason in our own words."""
        if isinstance(exc, HubUnavailable):
            return SourceProblem.ERROR, exc.reason
        if isinstance(exc, ResponseTooLarge):
            return SourceProblem.ERROR, f"the hub's answer is larger than {exc.limit:,} bytes"
        if isinstance(exc, LineageFileTooLarge):
            return SourceProblem.ERROR, f"larger than {MAX_LINEAGE_FILE_BYTES:,} bytes"
        if isinstance(exc, OfflineModeIsEnabled):
            return SourceProblem.ERROR, "offline mode is on (HF_HUB_OFFLINE)"
        if isinstance(exc, HfHubHTTPError):
            status = _http_status(exc)
            response = getattr(exc, "response", None)
            code = response.headers.get("X-Error-Code", "") if response is not None else ""
            if code == "GatedRepo":
                granted = "the configured HF_TOKEN has not been granted access"
                return SourceProblem.GATED, granted if self._token else "request access on the hub or set HF_TOKEN"
            if status in (401, 403):
                return SourceProblem.FORBIDDEN, f"HTTP {status}"
            if status == 404:
                return SourceProblem.MISSING, "HTTP 404"
            return SourceProblem.ERROR, f"HTTP {status}"
        return SourceProblem.ERROR, f"could not reach the hub ({type(exc).__name__})"


def _text_sha(info: ModelInfo) -> str:
    return info.sha if isinstance(info.sha, str) else ""


def _valid_repo_id(value: Any) -> bool:
    """The id the hub answered with keys the node and goes into file URLs: it must be a well-formed repo id."""
    if not isinstance(value, str):
        return False
    try:
        validate_repo_id(value)
    except HFValidationError:
        return False
    return True


def _http_status(exc: BaseException) -> int | None:
    if isinstance(exc, HubUnavailable):
        return exc.http_status
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None
