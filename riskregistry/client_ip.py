"""The address a request came from: one answer for sign-in lockouts, throttles and the attestation record.

Behind a reverse proxy ``REMOTE_ADDR`` is the proxy's address and the client's is in ``X-Forwarded-For``, but
anyone can send that header, so it is read only when the deployment says how many proxies stand in front of the
app (``TRUSTED_PROXY_COUNT``, each appending the address it received the request from). The client is then the
address that many hops from the right of the header, as django-ipware computes it; whatever a client wrote to
the left of it is ignored. With no proxies declared (the default) the header is ignored and ``REMOTE_ADDR`` is
the answer, so a client cannot choose the address it is throttled or locked out under.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip


def client_ip(request: HttpRequest) -> str:
    """The client's address, or the nearest address known when the forwarded chain is shorter or malformed."""
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    # The last proxy's own address is REMOTE_ADDR, not in the header: django-ipware counts the hops in it.
    address, _routable = get_client_ip(
        request, proxy_count=proxies - 1, request_header_order=["HTTP_X_FORWARDED_FOR"], strict=False
    )
    return address or remote
