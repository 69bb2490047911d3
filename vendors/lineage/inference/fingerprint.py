"""A model's fingerprint: the fields of its ``config.json`` and ``tokenizer_config.json`` that identify its family
and often its exact base, normalised across the names different architectures give them.

Pure: plain dicts in, a frozen ``Fingerprint`` out. Values come from the hub and are bounded here (numbers must
be numbers, strings are cut, at most ``MAX_ADDED_TOKENS`` added tokens and ``MAX_MARKERS`` chat markers are kept).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from vendors.lineage.sanitize import clean_text

#: Most added tokens kept (the identifying ones come first: ids just past the base vocabulary).
MAX_ADDED_TOKENS = 64
#: Most chat-template marker strings kept.
MAX_MARKERS = 24

#: Shape fields, each with the names architectures use for it (first found wins).
SHAPE_ALIASES: Mapping[str, tuple[str, ...]] = {
    "hidden_size": ("hidden_size", "n_embd", "d_model", "dim"),
    "num_layers": ("num_hidden_layers", "num_layers", "n_layer", "n_layers"),
    "num_heads": ("num_attention_heads", "n_head", "n_heads", "num_heads"),
    "num_kv_heads": ("num_key_value_heads", "multi_query_group_num", "n_head_kv", "num_kv_heads"),
    "intermediate_size": ("intermediate_size", "ffn_hidden_size", "n_inner", "ffn_dim"),
    "vocab_size": ("vocab_size", "padded_vocab_size", "n_vocab"),
    "head_dim": ("head_dim", "kv_channels"),
    "num_experts": ("num_local_experts", "n_routed_experts", "num_experts"),
    "experts_per_token": ("num_experts_per_tok", "moe_topk"),
    "moe_intermediate_size": ("moe_intermediate_size",),
}
#: Position-encoding fields: same family, often different per release (a long-context or math variant).
ROPE_ALIASES: Mapping[str, tuple[str, ...]] = {
    "rope_theta": ("rope_theta", "rotary_emb_base", "rope_ratio"),
    "max_position_embeddings": ("max_position_embeddings", "seq_length", "n_positions", "max_sequence_length"),
}
#: Special token ids of the config.
TOKEN_ID_FIELDS = ("bos_token_id", "eos_token_id", "pad_token_id")
#: Special token strings of the tokenizer config.
TOKEN_FIELDS = ("bos_token", "eos_token", "pad_token", "unk_token")
# A chat template marker: <|...|>, its full-width form (U+FF5C bars, DeepSeek), [INST]-style, <tag>-style.
_MARKER_RE = re.compile(r"<\|[^|<>\s]{1,40}\|>|<\uff5c[^\uff5c<>]{1,40}\uff5c>|\[/?[A-Z_]{3,30}\]|</?[a-z_]{3,30}>")


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if value == value and abs(value) < 1e30 else None  # NaN and absurd values are no evidence


def _first(config: Mapping[str, Any], names: tuple[str, ...]) -> int | float | None:
    for name in names:
        if name in config:
            return _number(config.get(name))
    return None


def _token(value: Any) -> str | None:
    """A special token as written: a string, or the ``content`` of an AddedToken object."""
    if isinstance(value, Mapping):
        value = value.get("content")
    return clean_text(value, 80) or None if isinstance(value, str) else None


def _ids(value: Any) -> tuple[int, ...]:
    values = value if isinstance(value, list | tuple) else [value]
    return tuple(sorted({v for v in values[:8] if isinstance(v, int) and not isinstance(v, bool)}))


def text_config(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """The language model's part of a multimodal config (``text_config``), else the config itself."""
    nested = config.get("text_config")
    if isinstance(nested, Mapping) and not any(name in config for name in SHAPE_ALIASES["hidden_size"]):
        return {**nested, "model_type": config.get("model_type"), "architectures": config.get("architectures")}
    return config


@dataclass(frozen=True)
class Fingerprint:
    """What identifies a model without its weights; ``None``/empty means the source did not say."""

    model_type: str = ""
    architectures: tuple[str, ...] = ()
    shapes: Mapping[str, int | float] = field(default_factory=dict)
    rope: Mapping[str, Any] = field(default_factory=dict)
    token_ids: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    tie_word_embeddings: bool | None = None
    quantization: str = ""  # quant_method of a quantization_config
    tokens: Mapping[str, str] = field(default_factory=dict)  # bos/eos/pad/unk strings
    added_tokens: Mapping[int, str] = field(default_factory=dict)
    chat_markers: tuple[str, ...] = ()
    tokenizer_class: str = ""
    parameters: int | None = None

    @property
    def has_config(self) -> bool:
        return bool(self.model_type or self.shapes)

    @property
    def has_tokenizer(self) -> bool:
        return bool(self.tokens or self.added_tokens or self.chat_markers)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["added_tokens"] = {str(k): v for k, v in self.added_tokens.items()}
        data["token_ids"] = {k: list(v) for k, v in self.token_ids.items()}
        data["architectures"], data["chat_markers"] = list(self.architectures), list(self.chat_markers)
        return data

    @classmethod
    def from_dict(cls, data: Any) -> Fingerprint:
        """A stored fingerprint back; anything malformed reads as "not said"."""
        if not isinstance(data, Mapping):
            return cls()
        rebuilt = fingerprint_from(
            {
                "model_type": data.get("model_type"),
                "architectures": data.get("architectures"),
                **{SHAPE_ALIASES[k][0]: v for k, v in _mapping(data.get("shapes")).items() if k in SHAPE_ALIASES},
                **{ROPE_ALIASES[k][0]: v for k, v in _mapping(data.get("rope")).items() if k in ROPE_ALIASES},
                "rope_scaling": _mapping(data.get("rope")).get("rope_scaling"),
                **{k: list(v) if isinstance(v, list) else v for k, v in _mapping(data.get("token_ids")).items()},
                "tie_word_embeddings": data.get("tie_word_embeddings"),
                "quantization_config": {"quant_method": data.get("quantization")} if data.get("quantization") else None,
            },
            {
                **_mapping(data.get("tokens")),
                "added_tokens_decoder": _mapping(data.get("added_tokens")),
                "chat_template": " ".join(m for m in data.get("chat_markers") or () if isinstance(m, str)),
                "tokenizer_class": data.get("tokenizer_class"),
            },
            data.get("parameters"),
        )
        return rebuilt


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _rope_scaling(value: Any) -> str | None:
    """``rope_scaling`` as one comparable string: its type and factor (``llama3 x8``), or ``None``."""
    if not isinstance(value, Mapping):
        return clean_text(value, 40) or None if isinstance(value, str) else None
    kind = value.get("rope_type") or value.get("type")
    factor = _number(value.get("factor"))
    text = " ".join(
        part
        for part in (clean_text(kind, 20) if isinstance(kind, str) else "", f"x{factor:g}" if factor else "")
        if part
    )
    return text or None


def _added_tokens(tokenizer: Mapping[str, Any]) -> dict[int, str]:
    decoder = tokenizer.get("added_tokens_decoder")
    found: dict[int, str] = {}
    if isinstance(decoder, Mapping):
        for key, value in list(decoder.items())[: MAX_ADDED_TOKENS * 8]:
            token = _token(value)
            if isinstance(key, str) and key.isdigit() and len(key) < 12 and token:
                found[int(key)] = token
    return dict(sorted(found.items())[:MAX_ADDED_TOKENS])


def chat_markers(template: Any) -> tuple[str, ...]:
    """The special strings a chat template writes (``<|im_start|>``, ``[INST]``, ``<start_of_turn>``), sorted."""
    if isinstance(template, list):  # several named templates: [{"name": ..., "template": ...}]
        template = " ".join(
            t.get("template", "") for t in template[:8] if isinstance(t, Mapping) and isinstance(t.get("template"), str)
        )
    if not isinstance(template, str):
        return ()
    markers = set(_MARKER_RE.findall(template[:200_000]))
    return tuple(sorted(markers))[:MAX_MARKERS]


def fingerprint_from(config: Any, tokenizer: Any = None, parameters: Any = None) -> Fingerprint:
    """The fingerprint of a ``config.json`` and a ``tokenizer_config.json`` (either may be missing)."""
    config = text_config(config) if isinstance(config, Mapping) else {}
    tokenizer = tokenizer if isinstance(tokenizer, Mapping) else {}
    shapes = {name: value for name, names in SHAPE_ALIASES.items() if (value := _first(config, names)) is not None}
    rope: dict[str, Any] = {
        name: value for name, names in ROPE_ALIASES.items() if (value := _first(config, names)) is not None
    }
    if scaling := _rope_scaling(config.get("rope_scaling")):
        rope["rope_scaling"] = scaling
    architectures = config.get("architectures")
    quant = config.get("quantization_config")
    method = quant.get("quant_method") if isinstance(quant, Mapping) else None
    if isinstance(quant, Mapping) and not method and (quant.get("load_in_4bit") or quant.get("load_in_8bit")):
        method = "bitsandbytes"
    tie = config.get("tie_word_embeddings")
    count = _number(parameters)
    return Fingerprint(
        model_type=clean_text(config.get("model_type"), 60) if isinstance(config.get("model_type"), str) else "",
        architectures=tuple(clean_text(a, 80) for a in architectures[:4] if isinstance(a, str))
        if isinstance(architectures, list)
        else (),
        shapes=shapes,
        rope=rope,
        token_ids={name: ids for name in TOKEN_ID_FIELDS if (ids := _ids(config.get(name)))},
        tie_word_embeddings=tie if isinstance(tie, bool) else None,
        quantization=clean_text(method, 40).lower() if isinstance(method, str) else "",
        tokens={name: token for name in TOKEN_FIELDS if (token := _token(tokenizer.get(name)))},
        added_tokens=_added_tokens(tokenizer),
        chat_markers=chat_markers(tokenizer.get("chat_template")),
        tokenizer_class=clean_text(tokenizer.get("tokenizer_class"), 60)
        if isinstance(tokenizer.get("tokenizer_class"), str)
        else "",
        parameters=int(count) if count and count > 0 else None,
    )
