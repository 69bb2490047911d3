"""Real GGUF files for the fake hub, written by llama.cpp's own writer (the ``gguf`` package), tiny.

Every ``.gguf`` sibling of a record is served as one of these: a valid header carrying the record's GGUF metadata
(the ``gguf_metadata`` control key, or by default what a quantizer copying the card would write), one 4-value
tensor, nothing else. ``gguf_padding`` adds a long key after the ``general.*`` ones, for headers larger than a
client's first read (as real tokenizers make them).
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from typing import Any

import numpy as np
from gguf import GGUFWriter

_PADDING_KEY = "tokenizer.chat_template"


def default_metadata(repo_id: str, fields: dict[str, Any], parents: list[str]) -> dict[str, Any]:
    """What a quantizer that copies the card writes: the card's parents as base models, its licence."""
    card = fields.get("cardData") if isinstance(fields.get("cardData"), dict) else {}
    metadata: dict[str, Any] = {"general.name": repo_id.split("/")[-1].removesuffix("-GGUF")}
    if parents:
        metadata["general.base_model.count"] = len(parents)
        for index, parent in enumerate(parents):
            metadata[f"general.base_model.{index}.repo_url"] = f"https://huggingface.co/{parent}"
    if isinstance(card.get("license"), str):
        metadata["general.license"] = card["license"]
    return metadata


def gguf_bytes(metadata: dict[str, Any], *, architecture: str = "llama", padding: int = 0) -> bytes:
    """A complete GGUF file with ``metadata`` (strings, ints, floats and bools) and ``padding`` bytes more header."""
    return _gguf_bytes(json.dumps(metadata, sort_keys=True), architecture, padding)


@functools.lru_cache(maxsize=256)
def _gguf_bytes(metadata_json: str, architecture: str, padding: int) -> bytes:
    metadata = json.loads(metadata_json)
    architecture = str(metadata.pop("general.architecture", architecture))  # the writer adds this key itself
    with tempfile.TemporaryDirectory(prefix="fakehub-gguf-") as folder:
        path = os.path.join(folder, "model.gguf")
        writer = GGUFWriter(path, architecture)
        for key, value in metadata.items():
            if isinstance(value, bool):
                writer.add_bool(key, value)
            elif isinstance(value, int):
                writer.add_uint32(key, value)
            elif isinstance(value, float):
                writer.add_float32(key, value)
            else:
                writer.add_string(key, str(value))
        if padding > 0:
            writer.add_string(_PADDING_KEY, "x" * padding)
        writer.add_tensor("token_embd.weight", np.zeros(4, dtype=np.float32))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        with open(path, "rb") as handle:
            return handle.read()
