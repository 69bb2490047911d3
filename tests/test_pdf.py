"""riskregistry.pdf: the one place PDFs are made. Static files only, hostile URLs refused with no I/O, metadata,
attachments, same input same bytes. Runs anywhere (WeasyPrint is a dependency); a local HTTP server counts what a
refused URL would have fetched."""

from __future__ import annotations

import http.server
import io
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from riskregistry.pdf import PdfAttachment, PdfMetadata, PdfResourceRefused, StaticOnlyFetcher, render_pdf

CREATED = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
METADATA = PdfMetadata(title="Quarterly AI risk report", created=CREATED, description="Portfolio as of 2026-12-31")
BASE = "http://127.0.0.1:8000/"


def page(body: str, head: str = "") -> str:
    return f"<!doctype html><html lang=en><head><title>t</title>{head}</head><body>{body}</body></html>"


@pytest.fixture
def local_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on the loopback that records every request made to it."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def test_a_page_with_the_apps_stylesheet_renders_and_carries_its_metadata():
    stylesheet = '<link rel="stylesheet" href="/static/riskregistry/app.css">'
    html = page("<h1>Exposure by origin country</h1>", head=stylesheet)

    pdf = render_pdf(html, metadata=METADATA, base_url=BASE)

    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title == "Quarterly AI risk report"
    assert reader.metadata.subject == "Portfolio as of 2026-12-31"
    assert "Exposure by origin country" in reader.pages[0].extract_text()


def test_the_fetcher_serves_static_files_and_nothing_else(settings):
    fetcher = StaticOnlyFetcher(base_url=BASE)

    response = fetcher.fetch(f"{BASE}static/riskregistry/app.css")

    assert response.headers["Content-Type"] == "text/css"
    assert fetcher.served == [f"{BASE}static/riskregistry/app.css"]
    refused = [
        "file:///etc/passwd",
        "data:text/css,body{color:red}",
        f"{BASE}static/../riskregistry/settings.py",
        f"{BASE}static/%2e%2e/riskregistry/settings.py",
        f"{BASE}static/riskregistry/",
        f"{BASE}static//etc/passwd",
        f"{BASE}static/riskregistry\\app.css",
        f"{BASE}media/secret.pdf",
        "http://127.0.0.2:8000/static/riskregistry/app.css",
        "ftp://127.0.0.1/static/riskregistry/app.css",
    ]
    for url in refused:
        with pytest.raises(ValueError, match="not a static file"):
            fetcher.fetch(url)
    assert fetcher.refused == refused


@pytest.mark.parametrize(
    "snippet",
    [
        '<link rel="attachment" href="file:///etc/passwd">',
        '<a rel="attachment" href="file:///etc/passwd">x</a>',
        '<img src="file:///etc/passwd" alt="x">',
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="x">',
        '<link rel="stylesheet" href="{server}/style.css">',
        '<img src="{server}/pixel.png" alt="x">',
        '<div style="background: url({server}/bg.png)">x</div>',
        "<style>@import url({server}/import.css);</style>",
        '<svg xmlns="http://www.w3.org/2000/svg"><image href="{server}/svg.png" width="5" height="5"/></svg>',
        '<base href="file:///etc/"><img src="passwd" alt="x">',
        '<embed src="file:///etc/passwd">',
    ],
)
def test_anything_but_a_static_file_fails_the_render_and_nothing_is_fetched(local_server, snippet):
    server, hits = local_server

    with pytest.raises(PdfResourceRefused) as refused:
        render_pdf(page(snippet.format(server=server)), metadata=METADATA, base_url=BASE)

    assert hits == []
    assert refused.value.refused


def test_escaped_hostile_text_renders_as_text_and_fetches_nothing(local_server):
    from django.utils.html import escape

    server, hits = local_server
    hostile = (
        f'<img src="{server}/x.png"><link rel=attachment href="file:///etc/passwd">'
        "\u202egnp.exe مرحبا 杭州深度求索 " + "A" * 20_000
    )

    pdf = render_pdf(page(f"<p>{escape(hostile)}</p>"), metadata=METADATA, base_url=BASE)

    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(p.extract_text() for p in reader.pages)
    assert hits == []
    assert "<img src=" in text
    assert list(reader.attachments) == []


def test_attachments_are_embedded_and_same_input_gives_same_bytes():
    html = page("<p>Signed statement</p>")
    attachment = PdfAttachment(name="statement.json", data=b'{"claims": []}', description="What was signed")

    first = render_pdf(html, metadata=METADATA, base_url=BASE, attachments=[attachment])
    second = render_pdf(html, metadata=METADATA, base_url=BASE, attachments=[attachment])

    assert first == second
    reader = PdfReader(io.BytesIO(first))
    assert reader.attachments == {"statement.json": [b'{"claims": []}']}


def test_the_pdf_is_tagged_for_screen_readers():
    pdf = render_pdf(page("<h1>Summary</h1><p>Three things to act on.</p>"), metadata=METADATA, base_url=BASE)

    catalog = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    assert "/StructTreeRoot" in catalog
    assert catalog["/Lang"] == "en"


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_paused_while_laying_out_and_left_as_it_was_found(enabled, monkeypatch):
    import gc

    import weasyprint

    seen = []
    render = weasyprint.HTML.render
    monkeypatch.setattr(weasyprint.HTML, "render", lambda self, **kw: seen.append(gc.isenabled()) or render(self, **kw))
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        render_pdf(page("<p>Findings</p>"), metadata=METADATA, base_url=BASE)
        with pytest.raises(PdfResourceRefused):
            render_pdf(page('<img src="file:///etc/passwd" alt="x">'), metadata=METADATA, base_url=BASE)
        after = gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()

    assert seen == [False, False]
    assert after is enabled
