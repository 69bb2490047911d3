"""Comparing two fingerprints field by field: what matched, what did not, and what kind of difference it is
(the same model's shapes, a changed depth, an extended vocabulary, a replaced tokenizer)."""

from __future__ import annotations

from dataclasses import dataclass

from vendors.lineage.inference.fingerprint import Fingerprint

#: Shape fields that must all agree for two configs to be one architecture (layers and vocabulary are apart).
CORE_SHAPES = (
    "hidden_size", "num_heads", "num_kv_heads", "intermediate_size", "head_dim", "num_experts", "experts_per_token",
    "moe_intermediate_size",
)  # fmt: skip
#: Largest vocabulary growth still read as "the base's vocabulary, extended" (added special or domain tokens).
MAX_VOCAB_EXTENSION = 4096
#: Relative difference of parameter counts still read as "the same size".
PARAMETER_TOLERANCE = 0.02


class ConfigMatch:
    SAME = "same"  # same architecture, shapes, depth and vocabulary
    VOCAB_EXTENDED = "vocab_extended"  # same, with a vocabulary grown by a few tokens
    DEPTH_CHANGED = "depth_changed"  # same widths, another number of layers (pruned or upscaled)
    DIFFERENT = "different"
    UNKNOWN = "unknown"  # one side has no config


class TokenizerMatch:
    SAME = "same"  # same special tokens and added tokens
    SIMILAR = "similar"  # same added tokens, another end-of-sequence token or chat template (an instruct variant)
    DIFFERENT = "different"  # added tokens or special tokens replaced
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Comparison:
    config: str
    tokenizer: str
    rope_same: bool  # every position setting both sides state is equal
    parameters_same: bool | None  # None: not comparable (unknown, or a quantized child)
    matched: tuple[str, ...]
    mismatched: tuple[str, ...]
    vocab_added: int = 0
    layers: tuple[int, int] | None = None  # (child, reference) when the depth differs


def _fmt(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def compare(child: Fingerprint, ref: Fingerprint) -> Comparison:
    """How ``child`` relates to ``ref``, field by field (only fields both sides state are compared)."""
    matched: list[str] = []
    mismatched: list[str] = []
    config = ConfigMatch.UNKNOWN
    vocab_added = 0
    layers = None
    rope_same = True
    if child.has_config and ref.has_config:
        config = ConfigMatch.SAME
        if child.model_type and ref.model_type:
            (matched if child.model_type == ref.model_type else mismatched).append(f"model_type {child.model_type}")
            if child.model_type != ref.model_type:
                config = ConfigMatch.DIFFERENT
        for name in CORE_SHAPES:
            a, b = child.shapes.get(name), ref.shapes.get(name)
            if a is None or b is None:
                continue
            if a == b:
                matched.append(f"{name} {_fmt(a)}")
            else:
                mismatched.append(f"{name} {_fmt(a)} vs {_fmt(b)}")
                config = ConfigMatch.DIFFERENT
        if not any(name in child.shapes and name in ref.shapes for name in CORE_SHAPES):
            config = ConfigMatch.UNKNOWN if config == ConfigMatch.SAME else config
        a, b = child.shapes.get("num_layers"), ref.shapes.get("num_layers")
        if a is not None and b is not None:
            if a == b:
                matched.append(f"num_layers {_fmt(a)}")
            else:
                mismatched.append(f"num_layers {_fmt(a)} vs {_fmt(b)}")
                layers = (int(a), int(b))
                if config == ConfigMatch.SAME:
                    config = ConfigMatch.DEPTH_CHANGED
        a, b = child.shapes.get("vocab_size"), ref.shapes.get("vocab_size")
        if a is not None and b is not None:
            if a == b:
                matched.append(f"vocab_size {_fmt(a)}")
            elif 0 < a - b <= MAX_VOCAB_EXTENSION and config == ConfigMatch.SAME:
                vocab_added = int(a - b)
                mismatched.append(f"vocab_size {_fmt(a)} vs {_fmt(b)} (extended by {vocab_added})")
                config = ConfigMatch.VOCAB_EXTENDED
            else:
                mismatched.append(f"vocab_size {_fmt(a)} vs {_fmt(b)}")
                if config in (ConfigMatch.SAME, ConfigMatch.DEPTH_CHANGED):
                    config = ConfigMatch.DIFFERENT
        for name in ("rope_theta", "max_position_embeddings", "rope_scaling"):
            a, b = child.rope.get(name), ref.rope.get(name)
            if a is None or b is None:
                if (a is None) != (b is None) and name == "rope_scaling":
                    rope_same = False
                    mismatched.append(f"rope_scaling {a or 'none'} vs {b or 'none'}")
                continue
            if a == b:
                matched.append(f"{name} {_fmt(a)}")
            else:
                rope_same = False
                mismatched.append(f"{name} {_fmt(a)} vs {_fmt(b)}")
        ties = (child.tie_word_embeddings, ref.tie_word_embeddings)
        if None not in ties and ties[0] != ties[1]:
            mismatched.append("tie_word_embeddings differs")
    tokenizer = _tokenizer(child, ref, matched, mismatched)
    parameters_same = None
    if child.parameters and ref.parameters and not child.quantization:
        parameters_same = abs(child.parameters - ref.parameters) <= PARAMETER_TOLERANCE * ref.parameters
        (matched if parameters_same else mismatched).append(
            f"parameters {child.parameters / 1e9:.2f}B"
            + ("" if parameters_same else f" vs {ref.parameters / 1e9:.2f}B")
        )
    return Comparison(
        config, tokenizer, rope_same, parameters_same, tuple(matched), tuple(mismatched), vocab_added, layers
    )


def _tokenizer(child: Fingerprint, ref: Fingerprint, matched: list[str], mismatched: list[str]) -> str:
    if not (child.has_tokenizer and ref.has_tokenizer):
        return TokenizerMatch.UNKNOWN
    shared_ids = set(child.added_tokens) & set(ref.added_tokens)
    same = [i for i in shared_ids if child.added_tokens[i] == ref.added_tokens[i]]
    replaced = [i for i in shared_ids if child.added_tokens[i] != ref.added_tokens[i]]
    if same:
        matched.append(f"{len(same)} added tokens at the same ids")
    if replaced:
        first = min(replaced)
        pair = f"{child.added_tokens[first]} vs {ref.added_tokens[first]}"
        mismatched.append(f"{len(replaced)} added tokens replaced (id {first}: {pair})")
    special_diff = []
    for name in ("bos_token", "eos_token", "pad_token", "unk_token"):
        a, b = child.tokens.get(name), ref.tokens.get(name)
        if a is None or b is None:
            continue
        if a == b:
            matched.append(f"{name} {a}")
        else:
            special_diff.append(name)
            mismatched.append(f"{name} {a} vs {b}")
    markers_a, markers_b = set(child.chat_markers), set(ref.chat_markers)
    if markers_a and markers_b:
        if markers_a == markers_b:
            matched.append("chat template markers " + " ".join(sorted(markers_a)[:6]))
        else:
            mismatched.append("chat template markers differ")
    if (replaced and len(replaced) >= len(same)) or ("bos_token" in special_diff and not same):
        return TokenizerMatch.DIFFERENT
    if not replaced and not special_diff and (markers_a == markers_b or not (markers_a and markers_b)):
        return TokenizerMatch.SAME if same or not (child.added_tokens or ref.added_tokens) else TokenizerMatch.SIMILAR
    if replaced and same and len(replaced) * 2 > len(same):
        return TokenizerMatch.DIFFERENT
    return TokenizerMatch.SIMILAR
