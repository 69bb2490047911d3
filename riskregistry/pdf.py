"""The one place PDFs are made: attestation requests, signed attestations and reports call ``render_pdf`` (long
reports ``render_pdf_part``, joined by ``riskregistry.pdf_join``).

WeasyPrint is given a URL fetcher that serves the app's own static files and nothing else: no ``file:`` (a
``<link rel=attachment href=file:///etc/passwd>`` would embed the file), no ``data:``, no ``http(s)`` to any other
place (a stylesheet ``@import`` or an ``<img>`` would reach the loopback), no ``../`` out of the static folders.
A refused resource fails the whole render (``PdfResourceRefused``): an incomplete PDF must not reach a vendor or a
board. Text from the hub or a vendor reaches the HTML only through Django's autoescaping, so it can never name a
resource; anything refused comes from a template and is a bug to fix.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import mimetypes
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import weasyprint
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from weasyprint.urls import URLFetcher, URLFetcherResponse

from riskregistry.collector import collector_paused

logger = logging.getLogger(__name__)

#: Longest URL kept in a refusal (a hostile URL can be megabytes long).
_URL_SHOWN = 200


class PdfResourceRefused(Exception):
    """The HTML asked for resources other than the app's static files; nothing was fetched."""

    def __init__(self, refused: Sequence[str]):
        self.refused = tuple(refused)
        listed = ", ".join(self.refused[:5])
        more = f" and {len(self.refused) - 5} more" if len(self.refused) > 5 else ""
        super().__init__(f"The PDF asked for resources outside the app's static files: {listed}{more}")


@dataclass(frozen=True)
class PdfMetadata:
    """The document information: shown by PDF readers, and fixed dates make the same input give the same bytes."""

    title: str
    created: datetime
    authors: tuple[str, ...] = ("riskregistry",)
    description: str = ""
    lang: str = "en"
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class PdfAttachment:
    """A file embedded in the PDF (a BOM snapshot, the signed statement as JSON)."""

    name: str
    data: bytes
    description: str = ""


def site_url() -> str:
    """The public address of this installation (``SITE_URL``); links in PDFs and emails start with it."""
    return settings.SITE_URL.rstrip("/") + "/"


@dataclass
class StaticOnlyFetcher(URLFetcher):
    """Serves ``{base_url}{STATIC_URL}…`` from the app's static files; refuses and records everything else."""

    base_url: str
    served: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # No protocol is allowed to reach the network or the disk through WeasyPrint's own opener.
        super().__init__(timeout=2, allowed_protocols=(), allow_redirects=False)
        self.static_url = urljoin(self.base_url, settings.STATIC_URL)

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        path = self.static_file(url)
        if path is None:
            self.refused.append(url[:_URL_SHOWN])
            raise ValueError(f"not a static file of this app: {url[:80]}")
        self.served.append(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    def static_file(self, url: str) -> Path | None:
        """The file a static URL names, or None: other origins, schemes, ``..`` segments and folders are refused."""
        if not url.startswith(self.static_url):
            return None
        parts = urlsplit(url)
        name = unquote(parts.path)[len(urlsplit(self.static_url).path) :]
        if not name or "\\" in name or "\x00" in name or name.startswith("/"):
            return None
        if any(segment in ("", ".", "..") for segment in name.split("/")) or posixpath.normpath(name) != name:
            return None
        candidates: list[Path] = []
        with contextlib.suppress(SuspiciousFileOperation, NotImplementedError):
            candidates.append(Path(staticfiles_storage.path(name)))
        with contextlib.suppress(SuspiciousFileOperation):
            found = finders.find(name)
            if isinstance(found, str):
                candidates.append(Path(found))
        return next((path for path in candidates if path.is_file()), None)


def pdf_fetcher(base_url: str | None = None) -> StaticOnlyFetcher:
    """A fresh fetcher; benchmarks use one to time WeasyPrint alone on the same HTML."""
    return StaticOnlyFetcher(base_url=base_url or site_url())


def _describe(document, metadata: PdfMetadata) -> None:
    info = document.metadata
    info.title = metadata.title
    info.authors = list(metadata.authors)
    info.description = metadata.description or None
    info.keywords = list(metadata.keywords)
    info.lang = metadata.lang
    info.generator = "riskregistry"
    info.created = info.modified = metadata.created.isoformat(timespec="seconds")


def _refuse(fetcher: StaticOnlyFetcher) -> None:
    if fetcher.refused:
        logger.error("PDF refused %d resource(s): %s", len(fetcher.refused), fetcher.refused[:5])
        raise PdfResourceRefused(fetcher.refused)


def render_pdf(
    html: str,
    *,
    metadata: PdfMetadata,
    base_url: str | None = None,
    attachments: Sequence[PdfAttachment] = (),
    variant: str | None = None,
) -> bytes:
    """Lay out ``html`` (a rendered template) and write a tagged PDF; raises ``PdfResourceRefused`` when the HTML
    asked for anything but the app's static files. ``base_url`` defaults to ``SITE_URL``, so ``{% static %}``
    URLs and relative links resolve."""
    fetcher = pdf_fetcher(base_url)
    with collector_paused():
        document = weasyprint.HTML(string=html, base_url=fetcher.base_url, url_fetcher=fetcher).render()
        _describe(document, metadata)
        pdf = document.write_pdf(
            attachments=_attachments(attachments, metadata, fetcher), pdf_variant=variant, pdf_tags=True
        )
    _refuse(fetcher)
    return pdf


def _attachments(
    attachments: Sequence[PdfAttachment], metadata: PdfMetadata, fetcher: StaticOnlyFetcher
) -> list[weasyprint.Attachment]:
    return [
        weasyprint.Attachment(
            string=attachment.data,
            name=attachment.name,
            description=attachment.description or None,
            created=metadata.created,
            modified=metadata.created,
            relationship="Data",
            url_fetcher=fetcher,
        )
        for attachment in attachments
    ]


@dataclass(frozen=True)
class PdfPart:
    """One part of a long document, laid out and written on its own (``render_pdf_part``): its PDF, its page
    count and the page (0-based, within the part) of every ``id`` in it, so other parts can print page numbers
    and link to it (``riskregistry.pdf_join``)."""

    pdf: bytes
    pages: int
    anchors: dict[str, int]


def render_pdf_part(html: str, *, metadata: PdfMetadata, base_url: str | None = None, tagged: bool = True) -> PdfPart:
    """Lay out and write one part of a document that is too long to hold in memory laid out all at once: a
    WeasyPrint document keeps every laid-out page until it is written, so a long report is made of parts, each
    written and freed before the next is laid out, then joined by ``riskregistry.pdf_join.join_pdf``. Refuses
    resources as ``render_pdf`` does. ``tagged=False`` leaves out the structure (layers drawn over other pages)."""
    fetcher = pdf_fetcher(base_url)
    with collector_paused():
        document = weasyprint.HTML(string=html, base_url=fetcher.base_url, url_fetcher=fetcher).render()
        _describe(document, metadata)
        anchors: dict[str, int] = {}
        for number, page in enumerate(document.pages):
            for name in page.anchors:
                anchors.setdefault(name, number)
        pdf = document.write_pdf(pdf_tags=tagged)
        pages = len(document.pages)
        del document
    gc.collect()  # the layout is held by reference cycles: freed now, before the next part is laid out
    _refuse(fetcher)
    return PdfPart(pdf=pdf, pages=pages, anchors=anchors)
