"""The metadata of a GGUF file from its first bytes, read with llama.cpp's own reader (the ``gguf`` package).

A GGUF file starts with its key/value metadata (``general.*``, then model parameters and the tokenizer), then the
tensor table, then gigabytes of weights. Lineage needs a handful of ``general.*`` keys, so the hub client reads a
bounded prefix of the file (an HTTP Range request) and this module parses it.

``gguf.GGUFReader`` reads a whole file through ``numpy.memmap`` and builds the tensor table too, which a prefix
does not hold. ``PrefixReader`` is the same reader on an in-memory prefix: it uses the reader's own field decoding
(``_build_fields``) for the key/value section and stops there, and its ``_get`` refuses to read past the bytes it
was given, so a header longer than the prefix is reported as ``HeaderTruncated`` (the caller reads more, up to a
cap) instead of being parsed from a short array. The keys lineage reads are decoded by the reader; the values of
the others (a 150,000-entry vocabulary...) are only measured to step over them, which takes a fraction of the
time decoding them would (a 6 MB header with a 150,000-token vocabulary: 0.03 s instead of 3.5 s).
"""

from __future__ import annotations

import struct
import sys
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
        self._raw = bytes(prefix)
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

    def _build_fields(self, offs: int, count: int) -> int:
        """The reader's own decoding for the keys lineage reads; every other value is stepped over."""
        for _ in range(count):
            key_length, key_data = self._get_str(offs)
            value_offs = offs + int(key_length.nbytes + key_data.nbytes) + 4
            raw_type = int(self._get(value_offs - 4, np.uint32)[0])
            if _wanted(str(bytes(key_data), encoding="utf-8")):
                offs = super()._build_fields(offs, 1)
            else:
                offs = value_offs + self._value_size(value_offs, raw_type, depth=0)
        return offs

    def _u(self, offset: int, fmt: str) -> int:
        end = offset + struct.calcsize(fmt)
        if end > len(self._raw):
            raise HeaderTruncated(end, len(self._raw))
        return struct.unpack_from(self._order() + fmt, self._raw, offset)[0]

    def _order(self) -> str:
        return "<" if (self.byte_order == "I") == (sys.byteorder == "little") else ">"

    def _strings_size(self, offset: int, count: int) -> int:
        """Bytes taken by ``count`` strings from ``offset`` (the hot loop of a tokenizer's vocabulary)."""
        length = struct.Struct(self._order() + "Q")
        raw, end, position = self._raw, len(self._raw), offset
        for _ in range(count):  # each string takes 8 bytes or more, so this ends within the prefix
            if position + 8 > end:
                raise HeaderTruncated(position + 8, end)
            position += 8 + length.unpack_from(raw, position)[0]
        return position - offset

    def _value_size(self, offset: int, raw_type: int, *, depth: int) -> int:
        """Bytes taken by one value of ``raw_type`` at ``offset`` (GGUF's layout: strings are a u64 length and
        the bytes; arrays a u32 item type, a u64 count and the items), checked against the prefix."""
        value_type = GGUFValueType(raw_type)  # an unknown type raises ValueError: not GGUF
        scalar = self.gguf_scalar_to_np.get(value_type)
        if scalar is not None:
            size = int(np.dtype(scalar).itemsize)
        elif value_type == GGUFValueType.STRING:
            size = 8 + self._u(offset, "Q")
        elif value_type == GGUFValueType.ARRAY and depth < 4:
            item_type, count = self._u(offset, "I"), self._u(offset + 4, "Q")
            item_scalar = self.gguf_scalar_to_np.get(GGUFValueType(item_type))
            size = 12
            if item_scalar is not None:
                size += count * int(np.dtype(item_scalar).itemsize)
            elif item_type == GGUFValueType.STRING:
                size += self._strings_size(offset + 12, count)
            else:
                for _ in range(count):  # each item takes 8 bytes or more, so this ends within the prefix
                    size += self._value_size(offset + size, item_type, depth=depth + 1)
        else:
            raise HeaderInvalid(f"unsupported GGUF value type {raw_type}")
        if offset + size > len(self.data):
            raise HeaderTruncated(offset + size, len(self.data))
        return size


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
