"""Factories for records built in tests: plain children, chains, cycles, adapters, merges, GGUF.

Hostile worlds (deep chains, cycles, HTML in card fields, malformed shapes)
should take one line to build::

    hub.add_repo(make_record("evil/x", parents="evil/y", cardData={"license": "<script>"}))
    for record in make_chain("deep/m", depth=200):
        hub.add_repo(record)

Every factory returns a plain dict in the on-disk record format
(``repos/README.md``), so tests can tweak it before ``add_repo``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

#: Strings that have broken renderers, parsers or databases before.
HOSTILE_STRINGS: tuple[str, ...] = (
    "<script>alert('card')</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(document.cookie)",
    "'; DROP TABLE vendors_model; --",
    "{{ 7*7 }} ${7*7} <%= 7*7 %>",
    "\u202eevil-org/gpt\u202c",
    "line\nbreak: and: colons",
    "null\x00byte",
    "../../../../etc/passwd",
    "🦙" * 64,
)


def make_record(
    repo_id: str,
    parents: str | Sequence[str] | None = None,
    relation: str | None = None,
    license: str | None = None,
    *,
    files: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A minimal text-generation repo.

    ``parents`` becomes ``cardData.base_model`` as given (a string stays a
    string, a list a list, ``[]`` an empty list).  ``relation`` sets
    ``base_model_relation``.  ``extra`` keys are record keys; a ``cardData``
    in ``extra`` is merged into the generated one.
    """
    card: dict[str, Any] = {}
    if license is not None:
        card["license"] = license
    if parents is not None:
        card["base_model"] = parents if isinstance(parents, str) else list(parents)
    if relation is not None:
        card["base_model_relation"] = relation
    card.update(extra.pop("cardData", None) or {})
    record: dict[str, Any] = {
        "id": repo_id,
        "provenance": "synthetic: built by a test",
        "pipeline_tag": "text-generation",
        "library_name": "transformers",
        "cardData": card,
    }
    if files:
        record["files"] = copy.deepcopy(files)
    record.update(extra)
    return record


def make_silent(
    repo_id: str, *, like: str = "Qwen/Qwen2.5-7B-Instruct", readme: str = "# A model\n", config: dict | None = None,
    **extra: Any,
) -> dict[str, Any]:  # fmt: skip
    """A repo whose metadata names no parent (unless ``extra`` says so) but that ships the ``config.json`` and
    ``tokenizer_config.json`` of the recorded repo ``like``, with ``config`` merged into its config: what the
    inference infers a parent from. Published 2025-03-01, with one 15 GB safetensors file."""
    from .records import load_records

    files = copy.deepcopy(next(record for record in load_records() if record["id"] == like)["files"])
    files["config.json"].update(config or {})
    extra.setdefault("siblings", [{"rfilename": "model.safetensors", "size": 15_000_000_000}])
    return make_record(
        repo_id, license="apache-2.0", files=files, readme_body=readme, createdAt="2025-03-01T00:00:00.000Z", **extra
    )


def make_chain(prefix: str, depth: int, license: str = "apache-2.0") -> list[dict[str, Any]]:
    """``{prefix}-0`` (root) <- ``{prefix}-1`` <- ... <- ``{prefix}-{depth-1}``."""
    return [
        make_record(f"{prefix}-{i}", parents=f"{prefix}-{i - 1}" if i else None, license=license) for i in range(depth)
    ]


def make_cycle(repo_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Each repo declares the next one as its base model; the last points back to the first."""
    return [make_record(repo_id, parents=repo_ids[(i + 1) % len(repo_ids)]) for i, repo_id in enumerate(repo_ids)]


def adapter_config(base: str, **overrides: Any) -> dict[str, Any]:
    """A PEFT ``adapter_config.json`` as written by ``peft`` 0.x for a LoRA."""
    return {
        "alpha_pattern": {},
        "auto_mapping": None,
        "base_model_name_or_path": base,
        "bias": "none",
        "fan_in_fan_out": False,
        "inference_mode": True,
        "lora_alpha": 16,
        "lora_dropout": 0.05,
        "peft_type": "LORA",
        "r": 8,
        "revision": None,
        "target_modules": ["q_proj", "v_proj"],
        "task_type": "CAUSAL_LM",
        **overrides,
    }


def make_adapter(repo_id: str, base: str, *, subfolder: str | None = None, **extra: Any) -> dict[str, Any]:
    """A LoRA repo whose only lineage is ``adapter_config.json`` (at the root or in ``subfolder``)."""
    prefix = f"{subfolder.strip('/')}/" if subfolder else ""
    files = {f"{prefix}adapter_config.json": adapter_config(base)}
    record = make_record(repo_id, library_name="peft", files=files, **extra)
    record.setdefault("siblings", []).append({"rfilename": f"{prefix}adapter_model.safetensors", "size": 6_832_640})
    return record


def mergekit_config(parents: Sequence[str], method: str = "linear", base: str | None = None) -> str:
    """A ``mergekit_config.yml`` merging ``parents`` with equal weights."""
    lines = ["models:"]
    for parent in parents:
        lines += [f"  - model: {parent}", "    parameters:", f"      weight: {1 / len(parents):.2f}"]
    lines.append(f"merge_method: {method}")
    if base:
        lines.append(f"base_model: {base}")
    lines.append("dtype: bfloat16")
    return "\n".join(lines) + "\n"


def make_merge(repo_id: str, parents: Sequence[str], *, method: str = "linear", **extra: Any) -> dict[str, Any]:
    """A mergekit merge: ``base_model`` lists every parent and ``mergekit_config.yml`` is present."""
    extra.setdefault("cardData", {}).setdefault("tags", ["mergekit", "merge"])
    return make_record(
        repo_id, parents=list(parents), files={"mergekit_config.yml": mergekit_config(parents, method)}, **extra
    )


def make_gguf(
    repo_id: str, parent: str, *, architecture: str = "llama", total: int = 8_030_261_248, **extra: Any
) -> dict[str, Any]:
    """A GGUF re-packaging of ``parent`` (relation inferred as ``quantized`` from the ``.gguf`` files)."""
    name = repo_id.split("/")[-1].removesuffix("-GGUF")
    record = make_record(repo_id, parents=parent, **extra)
    if "library_name" not in extra:
        del record["library_name"]  # GGUF repos on the Hub usually carry no library_name
    record["gguf"] = {"total": total, "architecture": architecture, "context_length": 131072}
    record["siblings"] = [
        {"rfilename": f"{name}-{quant}.gguf", "size": size}
        for quant, size in (("Q4_K_M", 4_920_739_232), ("Q8_0", 8_540_775_840))
    ]
    return record
