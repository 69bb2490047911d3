"""When a failed delivery is tried again: exponential backoff with jitter, for about a day.

Attempt 1 goes out at once; after the n-th failure the next waits 30 s * 3^(n-1), at most 8 hours, each delay
jittered by ±20% so endpoints that failed together do not all retry together. Ten attempts in all: the last
comes about 25 hours after the first (30 s, 1.5 min, 4.5 min, 13.5 min, 40.5 min, 2 h, 6 h, 8 h, 8 h).
"""

from __future__ import annotations

from datetime import timedelta

ATTEMPTS = 10
BASE_SECONDS = 30
FACTOR = 3
CAP_SECONDS = 8 * 3600
JITTER = 0.2


def retry_delay(failed_attempts: int, rand: float) -> timedelta | None:
    """The wait before the next attempt after ``failed_attempts`` failures (``rand`` uniform in [0, 1)), or None
    when the message has had all its attempts."""
    if failed_attempts >= ATTEMPTS:
        return None
    seconds = min(CAP_SECONDS, BASE_SECONDS * FACTOR ** (failed_attempts - 1))
    return timedelta(seconds=seconds * (1 - JITTER + 2 * JITTER * rand))


def schedule_total(rand: float = 0.5) -> timedelta:
    """From the first attempt to the last, at a given jitter."""
    return sum((retry_delay(n, rand) for n in range(1, ATTEMPTS)), timedelta())
