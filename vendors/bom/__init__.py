"""Model Bills of Materials: a product's supply chain as CycloneDX ML-BOM (1.6, 1.7) or SPDX 3.0.1 JSON-LD, and
a vendor's CycloneDX BOM read back. Pure: plain values in (``vendors.bom.data``, built by
``vendors.selectors.bom``), text out."""

from __future__ import annotations

from datetime import UTC, datetime

from vendors.bom import cyclonedx, spdx
from vendors.bom.data import BomInput

FORMATS = ("cyclonedx", "spdx")
SPECS = cyclonedx.SPECS


def media_type(fmt: str, spec: str = "1.6") -> str:
    if fmt == "spdx":
        return "application/spdx+json"
    return f"application/vnd.cyclonedx+json; version={spec}"


def file_name(bom: BomInput, fmt: str) -> str:
    """``mbom-<product id>-v<version>.cdx.json`` or ``.spdx.json``."""
    return f"mbom-{bom.product.id}-v{bom.version}.{'cdx' if fmt == 'cyclonedx' else 'spdx'}.json"


def render(bom: BomInput, *, fmt: str, spec: str = "1.6", serial: str, timestamp: datetime) -> str:
    """The document's text. Equal inputs give equal text apart from ``serial`` and ``timestamp``."""
    timestamp = timestamp.astimezone(UTC).replace(microsecond=0)
    if fmt == "cyclonedx":
        document = cyclonedx.build(
            bom, spec=spec, serial=serial, timestamp=timestamp.isoformat().replace("+00:00", "Z")
        )
        return cyclonedx.render(document)
    if fmt == "spdx":
        return spdx.render(spdx.build(bom, serial=serial, timestamp=timestamp))
    raise ValueError(f"unknown MBOM format {fmt!r}; choose one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "SPECS", "BomInput", "file_name", "media_type", "render"]
