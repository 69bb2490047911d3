"""The one place that talks to webhook receivers: one signed POST, bounded in time and in what is read back.

The connection is made to an address that passed ``webhooks.targets`` at connect time (the host is resolved once,
every address checked, the socket opened to a checked address), so a name that resolves to an internal address
at delivery time is refused even if it passed when the endpoint was saved (DNS rebinding). TLS still verifies the
certificate against the URL's host name. Redirects are not followed (a 3xx is a failed attempt), proxies from the
environment are not used, and the whole request ends by a total deadline (``vendors.hub.transport.bounded``).
"""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpcore2
import httpx2
from httpcore2 import NetworkStream

from vendors.hub.transport import BoundedBackend, ResponseTooLarge, bounded
from webhooks.targets import TargetRefused, address_refusal, system_resolve

USER_AGENT = "riskregistry-webhooks/1"
#: How much of a receiver's answer the delivery log keeps.
BODY_KEPT = 1000
#: A bound on what is read from the socket (headers included): reading stops once the start of the body is kept,
#: but one socket read may bring up to 64 KiB.
READ_LIMIT = 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave: a status and the start of the body, or an error; how long it took."""

    status: int | None
    body: str
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and not self.error


class CheckedBackend(BoundedBackend):
    """Connects only to addresses that ``webhooks.targets`` allows (all of them with ``allow_private``)."""

    def __init__(self, *, allow_private: bool, resolve=system_resolve) -> None:
        super().__init__()
        self.allow_private = allow_private
        self.resolve = resolve

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> NetworkStream:
        addresses = self.resolve(host, port)
        if not self.allow_private:
            for address in addresses:
                if reason := address_refusal(address):
                    raise TargetRefused(f"{host} resolves to {address}: {reason}")
        last: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout) as error:
                last = error
        raise last or httpcore2.ConnectError(f"{host} resolves to no address")


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """Built once per process: loading the trust store takes far longer than a delivery to a nearby receiver."""
    return httpx2.create_ssl_context()


def _client(backend: CheckedBackend, timeout: float) -> httpx2.Client:
    transport = httpx2.HTTPTransport(verify=_ssl_context())
    # httpx builds its pool without a way to pass a network backend; this pool is the same one with ours.
    transport._pool = httpcore2.ConnectionPool(ssl_context=_ssl_context(), max_connections=1, network_backend=backend)
    return httpx2.Client(transport=transport, follow_redirects=False, timeout=timeout, trust_env=False)


def _describe(error: Exception, timeout: float) -> str:
    if isinstance(error, TargetRefused):
        return f"Refused target: {error}"
    if isinstance(error, (httpx2.TimeoutException, httpcore2.TimeoutException)):
        return f"Timed out after {timeout:g} s"
    if isinstance(error, ResponseTooLarge):
        return f"The answer was larger than {error.limit:,} bytes"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def post(
    *, url: str, body: str, headers: dict[str, str], timeout: float, allow_private: bool, resolve=system_resolve
) -> Outcome:
    """POST ``body`` with ``headers`` to ``url``; never raises for what the network or the receiver does."""
    started = time.monotonic()
    backend = CheckedBackend(allow_private=allow_private, resolve=resolve)
    status, text, error, location = None, "", "", ""
    try:
        with bounded(deadline=started + timeout, max_bytes=READ_LIMIT), _client(backend, timeout) as client:
            request_headers = {
                "content-type": "application/json",
                "user-agent": USER_AGENT,
                "accept-encoding": "identity",  # the start of the answer is logged as text, never decompressed
                **headers,
            }
            with client.stream("POST", url, content=body.encode(), headers=request_headers) as response:
                status = response.status_code
                location = response.headers.get("location", "")
                kept = b""
                for chunk in response.iter_raw():
                    kept += chunk
                    if len(kept) >= BODY_KEPT * 4:
                        break
                text = kept.decode("utf-8", errors="replace")[:BODY_KEPT]
    except Exception as exc:
        error = _describe(exc, timeout)[:500]
    if status is not None and 300 <= status < 400 and not error:
        error = f"Redirects are not followed (Location: {location[:300] or 'none'})"
    duration_ms = int((time.monotonic() - started) * 1000)
    return Outcome(status=status, body=text, error=error, duration_ms=duration_ms)
