"""Bounded hub requests: a total deadline for each request (connect, every read and write) and a cap on the bytes
read, whatever the server does.

httpx's timeouts are per network operation: a hub answering one byte every two seconds never trips a ten-second read
timeout and holds the request for minutes. The shared ``httpx2`` client huggingface_hub uses is therefore built here
(``set_client_factory``, the hook huggingface_hub documents for custom transports) on a connection pool whose
sockets shrink every operation's timeout to what is left of the current request's deadline and count the bytes
read. The limits are per thread, set by ``bounded(...)`` around one request; outside it nothing changes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore2
import httpx2
from httpcore2 import NetworkBackend, NetworkStream, SyncBackend
from huggingface_hub import set_client_factory
from huggingface_hub.utils._http import hf_request_event_hook

_limits = threading.local()
_installed = threading.Lock()
_is_installed = False


class ResponseTooLarge(Exception):
    """More bytes than the request may read: not read further, not retried."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit:,} bytes")
        self.limit = limit


class DeadlinePassed(httpcore2.ReadTimeout):
    """The request's total deadline passed (httpx reports it as a read timeout, which is retried as one)."""


def _remaining(timeout: float | None) -> float | None:
    deadline = getattr(_limits, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeadlinePassed("the request's total deadline passed")
    return left if timeout is None else min(timeout, left)


class _BoundedStream(NetworkStream):
    def __init__(self, stream: NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = self._stream.read(max_bytes, _remaining(timeout))
        limit = getattr(_limits, "max_bytes", None)
        if limit is not None:
            _limits.read = getattr(_limits, "read", 0) + len(data)
            if _limits.read > limit:
                raise ResponseTooLarge(limit)
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _remaining(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None, timeout: float | None = None):
        return _BoundedStream(self._stream.start_tls(ssl_context, server_hostname, _remaining(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class BoundedBackend(NetworkBackend):
    """httpcore's own socket backend, with every stream bounded by the calling thread's limits."""

    def __init__(self) -> None:
        self._backend = SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> NetworkStream:
        stream = self._backend.connect_tcp(host, port, _remaining(timeout), local_address, socket_options)
        return _BoundedStream(stream)

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options=None) -> NetworkStream:
        return _BoundedStream(self._backend.connect_unix_socket(path, _remaining(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def bounded_client() -> httpx2.Client:
    """huggingface_hub's default client (its request hook, redirects followed, no default timeout) on a bounded
    connection pool. Proxies from the environment are not supported by this pool."""
    transport = httpx2.HTTPTransport()
    # httpx builds its pool without a way to pass a network backend; this pool is the same one with ours.
    transport._pool = httpcore2.ConnectionPool(
        ssl_context=httpx2.create_ssl_context(), max_connections=100, max_keepalive_connections=20,
        keepalive_expiry=5.0, network_backend=BoundedBackend(),
    )  # fmt: skip
    return httpx2.Client(
        transport=transport, event_hooks={"request": [hf_request_event_hook]}, follow_redirects=True, timeout=None
    )


def install() -> None:
    """Make huggingface_hub's shared client the bounded one (once per process)."""
    global _is_installed
    with _installed:
        if not _is_installed:
            set_client_factory(bounded_client)
            _is_installed = True


@contextmanager
def bounded(*, deadline: float, max_bytes: int | None = None) -> Iterator[None]:
    """Within the block, this thread's requests end by ``deadline`` (``time.monotonic()``) and read at most
    ``max_bytes`` bytes (headers included) in all."""
    saved = (getattr(_limits, "deadline", None), getattr(_limits, "max_bytes", None), getattr(_limits, "read", 0))
    _limits.deadline, _limits.max_bytes, _limits.read = deadline, max_bytes, 0
    try:
        yield
    finally:
        _limits.deadline, _limits.max_bytes, _limits.read = saved
