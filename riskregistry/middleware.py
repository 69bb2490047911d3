"""Request limits applied before anything reads the body."""

import logging

from django.conf import settings
from django.shortcuts import render

logger = logging.getLogger("riskregistry.security")


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is larger than ``REQUEST_MAX_BYTES`` with 413, before the CSRF check,
    the session or a form parses it: an anonymous 300 MB upload costs a header read, not a temporary file.

    Django itself limits the non-file part of a body (``DATA_UPLOAD_MAX_MEMORY_SIZE``) and the number of fields
    and files; this caps the whole body, files included, for every content type. A body sent without a length
    (chunked) is never read by Django's WSGI handler.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.REQUEST_MAX_BYTES
        if length > limit:
            logger.warning(
                "Request body too large (%d bytes, limit %d): %s %s", length, limit, request.method, request.path
            )
            return render(request, "413.html", status=413)
        return self.get_response(request)
