"""The metadata of a GGUF file from its first bytes, read with llama.cpp's own reader (the ``gguf`` package).

A GGUF file starts with its key/value metadata (``general.*``, then model parameters and the tokenizer), then the
tensor table, then gigabytes of weights. Lineage needs a handful of ``general.*`` keys, so the hub client reads a
bounded prefix of the file (an HTTP Range request) and this module parses it.

``gguf.GGUFReader`` reads a whole file through ``numpy.memmap`` and builds the tensor table too, which a prefix
does not hold. ``PrefixReader`` is the same reader on an in-memory prefix: it uses the reader's own field decoding
(``_build_fields``) for the key/value section and stops there, and its ``_get`` refuses to read past the bytes it
was given, so a header longer than the prefix is reported as ``HeaderTruncated`` (the caller reads more, up to a
cap) instead of being parsed from a short array. Arrays of numbers are read in one slice rather than one element at
a time, so a hostile header costs time in proportion to its strings, not to its bytes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gguf import GGUFReader, GGUFValueType
from gguf.constants import GGUF_MAGIC
from gguf.gguf_reader import READER_SUPPORTED_VERSIONS, ReaderField

#: Most key/value pairs accepted in one header (real ones hold a few dozen).
MAX_KV_COUNT = 100_000
#: Longest string value kept (titles and URLs are short; anything longer is clipped).
MAX_VALUE_CHARS = 1000
#: The keys lineage reads: the header's base models, its own organisation, name and licence.
WANTED_PREFIXES = ("general.base_model.",)
WANTED_KEYS = frozenset(
    {"general.organization", "general.basename", "general.name", "general.license", "general.architecture"}
)


class HeaderTruncated(Exception):
    """The metadata goes on past the bytes read: read more (``needed`` is a lower bound of the bytes needed)."""

    def __init__(self, needed: int, read: int) -> None:
        super().__init__(f"the GGUF header is larger than the {read:,} bytes read")
        self.needed = needed
        self.read = read


class HeaderInvalid(Exception):
    """Not a GGUF file this reader understands (bad magic, unknown version, malformed field)."""


class PrefixReader(GGUFReader):
    """``GGUFReader`` over the first bytes of a file: the key/value metadata only, never past the prefix."""

    def __init__(self, prefix: bytes) -> None:
        self.data = np.frombuffer(prefix, dtype=np.uint8)
        self.fields = {}
        self.tensors = []
        offs = 0
        if self._get(offs, np.uint32, override_order="<")[0] != GGUF_MAGIC:
            raise HeaderInvalid("not a GGUF file (bad magic)")
        offs += 4
        version = self._get(offs, np.uint32)
        if version[0] & 65535 == 0:  # written for the other byte order
            self.byte_order = "S"
            version = version.view(version.dtype.newbyteorder(self.byte_order))
        if version[0] not in READER_SUPPORTED_VERSIONS:
            raise HeaderInvalid(f"GGUF version {int(version[0])} is not supported")
        offs += self._push_field(ReaderField(offs, "GGUF.version", [version], [0], [GGUFValueType.UINT32]))
        counts = self._get(offs, np.uint64, 2)
        offs += self._push_field(ReaderField(offs, "GGUF.tensor_count", [counts[:1]], [0], [GGUFValueType.UINT64]))
        offs += self._push_field(ReaderField(offs, "GGUF.kv_count", [counts[1:]], [0], [GGUFValueType.UINT64]))
        if int(counts[1]) > MAX_KV_COUNT:
            raise HeaderInvalid(f"the header declares {int(counts[1]):,} metadata keys")
        self.kv_end = self._build_fields(offs, int(counts[1]))

    def _get(self, offset: int, dtype: Any, count: int = 1, override_order: Any = None) -> Any:
        count = int(count)
        end = int(offset) + int(np.dtype(dtype).itemsize) * count
        if end > len(self.data):
            raise HeaderTruncated(end, len(self.data))
        return super()._get(offset, dtype, count, override_order)

    def _get_field_parts(self, orig_offs: int, raw_type: int) -> tuple[int, list[Any], list[int], list[Any]]:
        """Arrays of numbers in one slice (``contents()`` flattens the parts it is given either way)."""
        if GGUFValueType(raw_type) == GGUFValueType.ARRAY:
            raw_itype = self._get(orig_offs, np.uint32)
            item_type = self.gguf_scalar_to_np.get(GGUFValueType(raw_itype[0]))
            if item_type is not None:
                length = self._get(orig_offs + 4, np.uint64)
                values = self._get(orig_offs + 12, item_type, int(length[0]))
                size = 12 + int(values.nbytes)
                return size, [raw_itype, length, values], [2], [GGUFValueType.ARRAY, GGUFValueType(raw_itype[0])]
        return super()._get_field_parts(orig_offs, raw_type)


def _wanted(key: str) -> bool:
    return key in WANTED_KEYS or key.startswith(WANTED_PREFIXES)


def lineage_metadata(prefix: bytes) -> dict[str, Any]:
    """The lineage keys of the GGUF header that ``prefix`` starts with: ``{"general.basename": "Qwen2.5", ...}``.

    Raises ``HeaderTruncated`` when the metadata continues past ``prefix`` and ``HeaderInvalid`` when it is not
    GGUF metadata at all. String values are clipped to ``MAX_VALUE_CHARS``; other types are kept when scalar.
    """
    try:
        reader = PrefixReader(prefix)
    except (HeaderTruncated, HeaderInvalid):
        raise
    except (ValueError, KeyError, IndexError, TypeError, OverflowError, UnicodeDecodeError) as exc:
        raise HeaderInvalid(f"malformed GGUF metadata ({type(exc).__name__})") from exc
    found: dict[str, Any] = {}
    for key, field in reader.fields.items():
        if not _wanted(key):
            continue
        try:
            value = field.contents()
        except (ValueError, IndexError, UnicodeDecodeError):
            continue
        if isinstance(value, str):
            found[key] = value[:MAX_VALUE_CHARS]
        elif isinstance(value, bool | int | float):
            found[key] = value
    return found
