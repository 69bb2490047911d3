"""The enrolment QR code, drawn on the server as SVG with presentation attributes only (no inline style, which the
Content-Security-Policy refuses), and the secret grouped for typing by hand."""

from base64 import b32encode

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(data: str, *, title: str) -> SafeString:
    # segno writes the markup itself from the QR matrix; the title is escaped by segno.
    svg = segno.make(data, error="m").svg_inline(
        scale=5, border=4, dark="#000", light="#fff", title=title, omitsize=True
    )
    return mark_safe(svg)  # noqa: S308 (segno's own markup, no user text besides the escaped title)


def secret_for_manual_entry(key: bytes) -> str:
    secret = b32encode(key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
