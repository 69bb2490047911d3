"""Bounded file downloads from the hub: small lineage files read whole, and the first bytes of large ones.

Both go through huggingface_hub's shared client (``get_session``: the bounded transport, its request hook, the
redirect to the file storage followed) with the hub's own headers (``HF_TOKEN``), never into the disk cache.
Errors raise a plain ``HfHubHTTPError`` built from the status and headers: ``hf_raise_for_status`` would read the
whole (untrusted, unbounded) error body.
"""

from __future__ import annotations

import httpx2
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import build_hf_headers, get_session

from vendors.hub.convert import MAX_LINEAGE_FILE_BYTES


class LineageFileTooLarge(Exception):
    """A lineage file larger than ``MAX_LINEAGE_FILE_BYTES``: not read past the limit, not retried."""


def download_small(url: str, *, token: str | bool, timeout: float, max_bytes: int = MAX_LINEAGE_FILE_BYTES) -> bytes:
    """GET a small file into memory (no HF disk cache), reading at most ``max_bytes``.

    Errors raise a plain ``HfHubHTTPError`` built from the status and headers: ``hf_raise_for_status`` would
    read the whole (untrusted, unbounded) error body, and which 4xx it was does not matter here.
    """
    headers = build_hf_headers(token=token)
    with get_session().stream("GET", url, headers=headers, timeout=timeout) as response:
        if response.status_code >= 400:
            raise HfHubHTTPError(f"HTTP {response.status_code} for a lineage file", response=response)
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise LineageFileTooLarge(declared)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():  # decoded bytes: a compressed bomb is bounded too
            size += len(chunk)
            if size > max_bytes:
                raise LineageFileTooLarge(f"more than {max_bytes}")
            chunks.append(chunk)
    return b"".join(chunks)


def download_prefix(url: str, size: int, *, token: str | bool, timeout: float) -> tuple[bytes, bool]:
    """The first ``size`` bytes of a file (``Range: bytes=0-…``) and whether they are the whole file.

    A server that ignores the range and sends the whole file (200) is read no further than ``size`` bytes
    either. The redirect to the file storage is followed by the shared client, as for any download.
    """
    headers = {**build_hf_headers(token=token), "Range": f"bytes=0-{size - 1}", "Accept-Encoding": "identity"}
    with get_session().stream("GET", url, headers=headers, timeout=timeout) as response:
        if response.status_code >= 400:
            raise HfHubHTTPError(f"HTTP {response.status_code} for a GGUF file", response=response)
        chunks: list[bytes] = []
        read = 0
        for chunk in response.iter_bytes():  # decoded: a compressed answer is bounded too
            chunks.append(chunk)
            read += len(chunk)
            if read >= size:
                break
        data = b"".join(chunks)[:size]
        total = total_size(response)
    return data, (total is not None and len(data) >= total) or len(data) < size


def total_size(response: httpx2.Response) -> int | None:
    """The file's full size: the ``/total`` of a 206's ``Content-Range``, or a 200's ``Content-Length``."""
    if response.status_code == 206:
        total = response.headers.get("Content-Range", "").rpartition("/")[2].strip()
    else:
        total = response.headers.get("Content-Length", "")
    return int(total) if total.isdigit() else None
