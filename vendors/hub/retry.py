"""When to ask the hub again, and how long to wait first.

``HfApi.model_info`` sends one request and raises on the first 429 or 5xx (only the listing calls go through
huggingface_hub's ``http_backoff``), so the retry loop lives here. The waits follow the hub's own client where it
has an opinion (``RateLimit: "api";r=0;t=N`` means N+1 s), and a capped exponential backoff with jitter otherwise,
so that many workers hitting the same outage do not come back in lock-step.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx2
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import parse_ratelimit_headers

#: Statuses that mean "not now" rather than "no": rate limited, or the hub (or its proxy) failing.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class HubUnavailable(Exception):
    """The hub kept failing (5xx, 429, timeouts, network errors) until the retry budget ran out."""

    def __init__(self, reason: str, http_status: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.http_status = http_status


@dataclass(frozen=True)
class TransientFailure:
    """A failure worth retrying: what to tell the user if it persists, and the server's own wait, if any."""

    description: str
    http_status: int | None = None
    server_wait: float | None = None


def transient_failure(exc: BaseException, timeout: float) -> TransientFailure | None:
    """Classify ``exc``; ``None`` means it is final (4xx other than 429, malformed data, offline mode...).

    The status decides before the exception class: a 503 that happens to carry ``X-Error-Code: RepoNotFound``
    is an overloaded hub, not a missing repo.
    """
    if isinstance(exc, HfHubHTTPError) and exc.response is not None:
        status = exc.response.status_code
        if status in RETRY_STATUSES:
            return TransientFailure(f"hub answered HTTP {status}", status, server_wait(status, exc.response.headers))
        return None
    if isinstance(exc, httpx2.TimeoutException):
        return TransientFailure(f"hub did not answer within {timeout:g} s")
    if isinstance(exc, httpx2.NetworkError | httpx2.RemoteProtocolError):
        return TransientFailure(f"could not reach the hub ({type(exc).__name__})")
    return None


def server_wait(status: int, headers: Mapping[str, str]) -> float | None:
    """Seconds the hub asked us to wait, or ``None`` when it did not say.

    A 429 whose ``RateLimit`` header says no request is left (``r=0``) waits for the window reset plus one
    second, as huggingface_hub does for listings (``t`` is rounded down). Otherwise ``Retry-After`` in seconds
    is honoured; its HTTP-date form is not (the hub sends seconds).
    """
    if status == 429:
        info = parse_ratelimit_headers(headers)
        if info is not None and info.remaining == 0:
            return float(info.reset_in_seconds + 1)
    value = headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None


@dataclass(frozen=True)
class Backoff:
    """Wait before retry number ``retry`` (1-based): the server's wait if it gave one, else exponential.

    Exponential waits use "equal jitter": half of ``min(cap, base * 2**(retry-1))`` plus a random share of the
    other half, so a wait is never under half nor over the ceiling. Every wait, the server's included, is capped
    by ``cap`` so one answer cannot park a worker for minutes.
    """

    base: float
    cap: float
    rand: Callable[[], float] = random.random

    def wait(self, retry: int, requested: float | None = None) -> float:
        if requested is not None:
            return min(self.cap, max(0.0, requested))
        ceiling = min(self.cap, self.base * 2.0 ** min(retry - 1, 60))
        return ceiling / 2 + self.rand() * ceiling / 2


class TokenBucket:
    """A thread-safe request pacer shared by every thread using one client: at most ``rate`` requests a second.

    Each caller reserves the next free slot under the lock, then sleeps outside it, so concurrent callers are
    spaced ``1/rate`` apart without serialising on the lock. ``burst`` requests may go out back to back after an
    idle period. ``clock`` and ``sleep`` are injectable so tests can check the spacing without waiting.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = burst
        self._updated = clock()

    def acquire(self) -> float:
        """Take one token, sleeping until it is due; returns the wait (0.0 when none)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1.0  # may go negative: that debt is the queue of callers already waiting
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait
