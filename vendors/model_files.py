"""A private model's identifying files as a vendor or an analyst uploads them: ``config.json`` and
``tokenizer_config.json``, read as data and checked before the inference sees them.

Pure: bytes in, a ``CheckedFile`` out, or ``ModelFileRefused`` with a message that says what is wrong in words a
vendor can act on. Nothing in a file is executed or fetched: it is decoded as UTF-8, parsed as JSON (no NaN or
Infinity, no repeated keys, bounded nesting), must be an object, and the fields the inference reads must have
the types and ranges a real model has (a negative or astronomically large width is a typo or a probe, not a
model). Strings are data: HTML in a token or a template stays as it is and is escaped where it is shown.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vendors.lineage.inference.fingerprint import ROPE_ALIASES, SHAPE_ALIASES, TOKEN_FIELDS, TOKEN_ID_FIELDS

CONFIG = "config"
TOKENIZER = "tokenizer"
#: The file name each kind is known by (what the messages call it).
FILE_NAMES = {CONFIG: "config.json", TOKENIZER: "tokenizer_config.json"}
#: Deepest nesting of arrays and objects accepted (real configs nest 3 or 4 levels).
MAX_DEPTH = 20
#: Largest value of a shape field (widths, depth, heads, vocabulary) a real model has, with a wide margin.
MAX_SHAPE = 10_000_000
#: Largest position setting (rope_theta, context length) accepted.
MAX_POSITION = 10**12
#: Largest special token id.
MAX_TOKEN_ID = 100_000_000
#: Most entries of ``added_tokens_decoder`` accepted.
MAX_ADDED_TOKENS = 300_000
#: Longest special token string.
MAX_TOKEN_LEN = 1_000


class ModelFileRefused(ValueError):
    """The file cannot be used; ``str(error)`` says why, naming the file and the field."""


@dataclass(frozen=True)
class CheckedFile:
    """An uploaded file that passed the checks: its parsed content and what identifies the original bytes."""

    kind: str
    name: str
    size: int
    sha256: str
    content: Mapping[str, Any]
    raw: bytes


def _refuse_constant(name: str):
    def refuse(value: str):
        raise ModelFileRefused(f"{name} contains {value}, which is not a number JSON allows.")

    return refuse


def _no_repeats(name: str):
    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key, value in pairs:
            if key in found:
                raise ModelFileRefused(f"{name} gives the key {json.dumps(key)[:80]} twice in one object.")
            found[key] = value
        return found

    return build


def _finite(name: str):
    def parse(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise ModelFileRefused(f"{name} contains the number {text[:40]}, too large to be a real value.")
        return value

    return parse


def _depth(value: Any, name: str, level: int = 0) -> None:
    if level > MAX_DEPTH:
        raise ModelFileRefused(f"{name} nests arrays and objects more than {MAX_DEPTH} levels deep.")
    if isinstance(value, dict):
        for item in value.values():
            _depth(item, name, level + 1)
    elif isinstance(value, list):
        for item in value:
            _depth(item, name, level + 1)


def parse_json(data: bytes, name: str) -> dict[str, Any]:
    """``data`` as a JSON object, or ModelFileRefused saying why not (the line and column of a syntax error)."""
    if not data.strip():
        raise ModelFileRefused(f"{name} is empty.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ModelFileRefused(f"{name} is not UTF-8 text (byte {error.start} cannot be read).") from None
    if "\x00" in text:
        raise ModelFileRefused(f"{name} contains a NUL character: it is not a JSON text file.")
    try:
        content = json.loads(
            text,
            parse_constant=_refuse_constant(name),
            object_pairs_hook=_no_repeats(name),
            parse_float=_finite(name),
        )
    except json.JSONDecodeError as error:
        raise ModelFileRefused(
            f"{name} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from None
    except RecursionError:
        raise ModelFileRefused(f"{name} nests arrays and objects more than {MAX_DEPTH} levels deep.") from None
    except ValueError as error:  # an integer with more digits than Python converts
        if isinstance(error, ModelFileRefused):
            raise
        raise ModelFileRefused(f"{name} contains a number too long to be a real value.") from None
    if not isinstance(content, dict):
        kind = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}.get(
            type(content), "a number"
        )
        raise ModelFileRefused(f"{name} must be a JSON object ({{...}}) at the top, not {kind}.")
    _depth(content, name)
    return content


def _integer(config: Mapping[str, Any], key: str, name: str, *, low: int, high: int) -> None:
    value = config.get(key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ModelFileRefused(f"{name}: {key} must be a whole number, not {_shown(value)}.")
    if not low <= value <= high:
        raise ModelFileRefused(f"{name}: {key} is {value}, outside what a real model has ({low} to {high}).")


def _number(config: Mapping[str, Any], key: str, name: str, *, high: float) -> None:
    value = config.get(key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ModelFileRefused(f"{name}: {key} must be a number, not {_shown(value)}.")
    if not 0 < value <= high:
        raise ModelFileRefused(f"{name}: {key} is {value}, outside what a real model has (above 0, at most {high:g}).")


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if value is None:
        return "null"
    return f"the number {value}"


def _string(value: Any, key: str, name: str, max_len: int) -> None:
    if value is not None and not isinstance(value, str):
        raise ModelFileRefused(f"{name}: {key} must be text, not {_shown(value)}.")
    if isinstance(value, str) and len(value) > max_len:
        raise ModelFileRefused(f"{name}: {key} is longer than {max_len} characters.")


def _check_model_part(config: Mapping[str, Any], name: str) -> None:
    _string(config.get("model_type"), "model_type", name, 100)
    architectures = config.get("architectures")
    if architectures is not None:
        if not isinstance(architectures, list) or not all(isinstance(a, str) for a in architectures):
            raise ModelFileRefused(f"{name}: architectures must be a list of class names (text).")
        if len(architectures) > 16 or any(len(a) > 200 for a in architectures):
            raise ModelFileRefused(f"{name}: architectures lists more or longer names than a model has.")
    for names in SHAPE_ALIASES.values():
        for key in names:
            _integer(config, key, name, low=1 if key not in ("num_local_experts", "n_routed_experts") else 0,
                     high=MAX_SHAPE)  # fmt: skip
    for names in ROPE_ALIASES.values():
        for key in names:
            _number(config, key, name, high=MAX_POSITION)
    for key in TOKEN_ID_FIELDS:
        value = config.get(key)
        values = value if isinstance(value, list) else [value]
        if isinstance(value, list) and len(value) > 64:
            raise ModelFileRefused(f"{name}: {key} lists more than 64 token ids.")
        for item in values:
            if item is None:
                continue
            # -1 is how some configs say "none"
            if isinstance(item, bool) or not isinstance(item, int) or not -1 <= item <= MAX_TOKEN_ID:
                raise ModelFileRefused(f"{name}: {key} must be a token id (a whole number from 0), not {_shown(item)}.")
    tie = config.get("tie_word_embeddings")
    if tie is not None and not isinstance(tie, bool):
        raise ModelFileRefused(f"{name}: tie_word_embeddings must be true or false, not {_shown(tie)}.")
    for key in ("quantization_config", "rope_scaling"):
        value = config.get(key)
        if value is not None and not isinstance(value, dict):
            raise ModelFileRefused(f"{name}: {key} must be an object ({{...}}) or null, not {_shown(value)}.")
    quant = config.get("quantization_config")
    if isinstance(quant, dict):
        _string(quant.get("quant_method"), "quantization_config.quant_method", name, 100)


def check_config(content: Mapping[str, Any], name: str = "config.json") -> None:
    """The fields of a ``config.json`` the inference reads have a model's types and ranges, and it says at least
    what architecture or what sizes the model has."""
    _check_model_part(content, name)
    nested = content.get("text_config")
    if nested is not None:
        if not isinstance(nested, dict):
            raise ModelFileRefused(f"{name}: text_config must be an object ({{...}}), not {_shown(nested)}.")
        _check_model_part(nested, f"{name} (text_config)")
    said = [content, nested if isinstance(nested, dict) else {}]
    if not any(
        part.get("model_type") or part.get("architectures") or part.get(key) is not None
        for part in said
        for key in SHAPE_ALIASES["hidden_size"]
    ):
        raise ModelFileRefused(
            f"{name} names no architecture (model_type, architectures) and no hidden size: it is not a model's "
            "config.json."
        )


def _token_value(value: Any, key: str, name: str) -> None:
    if value is None:
        return
    if isinstance(value, dict):
        value = value.get("content")
        key = f"{key}.content"
        if not isinstance(value, str):
            raise ModelFileRefused(f"{name}: {key} must be text, not {_shown(value)}.")
    _string(value, key, name, MAX_TOKEN_LEN)


def check_tokenizer_config(content: Mapping[str, Any], name: str = "tokenizer_config.json") -> None:
    """The fields of a ``tokenizer_config.json`` the inference reads (special tokens, added tokens, chat
    template, tokenizer class) have their types, and it says at least one of them."""
    for key in TOKEN_FIELDS:
        _token_value(content.get(key), key, name)
    decoder = content.get("added_tokens_decoder")
    if decoder is not None:
        if not isinstance(decoder, dict):
            raise ModelFileRefused(f"{name}: added_tokens_decoder must be an object ({{...}}), not {_shown(decoder)}.")
        if len(decoder) > MAX_ADDED_TOKENS:
            raise ModelFileRefused(f"{name}: added_tokens_decoder has more than {MAX_ADDED_TOKENS} entries.")
        for token_id, token in decoder.items():
            if not token_id.isdigit() or int(token_id) > MAX_TOKEN_ID:
                raise ModelFileRefused(
                    f"{name}: added_tokens_decoder keys must be token ids (whole numbers from 0), not "
                    f"{json.dumps(token_id)[:40]}."
                )
            if not isinstance(token, dict | str):
                raise ModelFileRefused(
                    f"{name}: added_tokens_decoder[{token_id}] must be an object with content (or the token's text)."
                )
            _token_value(token, f"added_tokens_decoder[{token_id}]", name)
    template = content.get("chat_template")
    if (
        template is not None
        and not isinstance(template, str)
        and (
            not isinstance(template, list)
            or not all(isinstance(t, dict) and isinstance(t.get("template"), str) for t in template)
        )
    ):
        raise ModelFileRefused(f"{name}: chat_template must be text or a list of named templates.")
    _string(content.get("tokenizer_class"), "tokenizer_class", name, 200)
    if not any(content.get(key) for key in (*TOKEN_FIELDS, "added_tokens_decoder", "chat_template", "tokenizer_class")):
        raise ModelFileRefused(
            f"{name} names no special token, added token, chat template or tokenizer class: it is not a "
            "tokenizer_config.json."
        )


def check_file(data: bytes, kind: str, *, limit: int, original_name: str = "") -> CheckedFile:
    """One uploaded file of ``kind`` (``config`` or ``tokenizer``), checked; ModelFileRefused otherwise."""
    name = FILE_NAMES[kind]
    if len(data) > limit:
        raise ModelFileRefused(f"{name} is larger than {_size(limit)}; a real one is far smaller.")
    content = parse_json(data, name)
    (check_config if kind == CONFIG else check_tokenizer_config)(content, name)
    shown_name = (original_name or name).replace("\\", "/").rsplit("/", 1)[-1][:200] or name
    return CheckedFile(kind, shown_name, len(data), hashlib.sha256(data).hexdigest(), content, data)


def check_upload(upload: Any, kind: str, *, limit: int) -> CheckedFile | None:
    """An uploaded file (a Django ``UploadedFile``, or None when none was chosen) checked as ``check_file`` does;
    a file over the limit is refused on its declared size before it is read, and never read past the limit."""
    if not upload:
        return None
    size = getattr(upload, "size", None)
    if isinstance(size, int) and size > limit:
        raise ModelFileRefused(f"{FILE_NAMES[kind]} is larger than {_size(limit)}; a real one is far smaller.")
    return check_file(upload.read(limit + 1), kind, limit=limit, original_name=getattr(upload, "name", "") or "")


def _size(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"
