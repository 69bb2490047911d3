"""Where a webhook may be delivered: the checks that keep the server from becoming an SSRF relay.

A target is an http(s) URL without credentials whose host resolves only to public unicast addresses: loopback,
private, link-local, shared (CGNAT), multicast, reserved and unspecified addresses are refused, in every spelling
(``127.1``, ``2130706433``, ``[::ffff:127.0.0.1]``, a name that resolves to one). The check runs when an endpoint
is saved and again on every delivery, where the connection goes to the very address that passed the check (see
``webhooks.delivery``), so a name that later resolves elsewhere is refused too. ``allow_private`` (the
``WEBHOOKS_ALLOW_PRIVATE_TARGETS`` setting) lifts the address checks only.

Pure apart from name resolution, which the caller may replace (``resolve``).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

SCHEMES = ("http", "https")
MAX_URL_LENGTH = 2000
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

Resolver = Callable[[str, int], Sequence[str]]


class TargetRefused(ValueError):
    """The URL may not receive webhooks; the message says why, for the person who typed it."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (TCP)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as error:
        raise TargetRefused(f"The host {host} could not be resolved ({error}).") from error
    return list(dict.fromkeys(info[4][0] for info in infos))


def address_refusal(address: str) -> str | None:
    """Why this address may not receive webhooks, or None if it is a public unicast address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            reason = address_refusal(str(embedded))
            return f"{address} embeds {reason}" if reason else None
    for test, what in (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "not a public address"),
    ):
        if test:
            return f"{ip} is {what}"
    return None


def url_check(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a well-formed target URL; raises ``TargetRefused`` otherwise."""
    if not url or len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"Give a URL of at most {MAX_URL_LENGTH} characters.")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise TargetRefused("The URL may not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise TargetRefused(f"The URL is not valid ({error}).") from error
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise TargetRefused("Webhooks are sent over http or https only.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise TargetRefused("The URL may not carry credentials; authenticate the webhook by its signature.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise TargetRefused("The URL has no host.")
    if parts.fragment:
        raise TargetRefused("The URL may not have a #fragment.")
    return scheme, host, port or (443 if scheme == "https" else 80)


def target_check(url: str, *, allow_private: bool = False, resolve: Resolver = system_resolve) -> Target:
    """The checked target of ``url``: every address its host resolves to is allowed. Raises ``TargetRefused``."""
    scheme, host, port = url_check(url)
    addresses = tuple(resolve(host, port))
    if not addresses:
        raise TargetRefused(f"The host {host} resolves to no address.")
    if not allow_private:
        for address in addresses:
            if reason := address_refusal(address):
                raise TargetRefused(
                    f"{host} resolves to {address}: {reason}. Webhooks go to public addresses only, unless an "
                    "administrator allows private targets (WEBHOOKS_ALLOW_PRIVATE_TARGETS)."
                    if address != host
                    else f"{reason}. Webhooks go to public addresses only, unless an administrator allows private "
                    "targets (WEBHOOKS_ALLOW_PRIVATE_TARGETS)."
                )
    return Target(scheme=scheme, host=host, port=port, addresses=addresses)
