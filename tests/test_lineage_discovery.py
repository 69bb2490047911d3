"""Parent discovery and value bounding on hand-built snapshots and on the fake hub's recorded repos.

Pure functions: no database, no HTTP. Recorded repos (``tests/fakehub/repos``) are mapped into
``RepoSnapshot`` the way the hub client would see them, so the messy real-world shapes of HUB_API 2.2 are
exercised exactly as recorded.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from vendors.lineage import (
    MAX_PARENTS,
    EvidenceSource,
    ParentClaim,
    Relation,
    RepoSnapshot,
    clean_str_list,
    clean_text,
    datasets_of,
    discover_parents,
    license_of,
    normalize_repo_ref,
    relation_from_files,
)
from vendors.lineage.discovery import MAX_IGNORED, MAX_IGNORED_LEN
from vendors.lineage.sanitize import MAX_DATASETS, MAX_LICENSE_LEN, MAX_TEXT_LEN

REPOS = Path(__file__).parent / "fakehub" / "repos"
RECORD_IDS = sorted(
    json.loads(path.read_text())["id"] for path in REPOS.glob("*.json") if not path.name.startswith("_")
)

C, T, CFG, AC, G = (
    EvidenceSource.CARD,
    EvidenceSource.TAGS,
    EvidenceSource.CONFIG,
    EvidenceSource.ADAPTER_CONFIG,
    EvidenceSource.GGUF,
)
FT, AD, MG, QZ, UNK = Relation.FINETUNE, Relation.ADAPTER, Relation.MERGE, Relation.QUANTIZED, Relation.UNKNOWN


# --- helpers --------------------------------------------------------------------------------------------


def load_record(repo_id: str) -> dict[str, Any]:
    """A recorded repo as stored on disk (``org/name`` → ``org--name.json``)."""
    return json.loads((REPOS / f"{repo_id.replace('/', '--')}.json").read_text())


def _expand_fillers(record: dict[str, Any]) -> None:
    """The fake hub generates huge values (``filler``) at load time instead of storing them; do the same."""
    for filler in record.get("filler") or []:
        text, size = str(filler["text"]), int(filler["bytes"])
        *head, last = filler["path"].split(".")
        target = record
        for key in head:
            target = target.setdefault(key, {})
        target[last] = (text * (size // max(len(text), 1) + 1))[:size]


def snapshot_from_record(record: dict[str, Any], **overrides: Any) -> RepoSnapshot:
    """Map a fake-hub record into the ``RepoSnapshot`` the hub client builds (values kept raw, even hostile).

    ``files`` holds the record's JSON documents (objects, or strings that parse to an object; an unparsable
    ``.json`` becomes None, as the client records it). The served siblings are the weights plus every file.
    """
    record = copy.deepcopy(record)
    _expand_fillers(record)
    files: dict[str, Any] = {}
    for path, content in (record.get("files") or {}).items():
        if isinstance(content, dict):
            files[path] = content
        elif isinstance(content, str) and path.endswith(".json"):
            try:
                parsed = json.loads(content)
            except ValueError:
                parsed = None
            files[path] = parsed if isinstance(parsed, dict) else None
    siblings = [s["rfilename"] for s in record.get("siblings") or [] if isinstance(s, dict) and "rfilename" in s]
    siblings += [path for path, content in (record.get("files") or {}).items() if content is not None]
    tags = record.get("tags", ())
    fields: dict[str, Any] = {
        "requested_id": record["id"],
        "repo_id": record["id"],
        "sha": record.get("sha", ""),
        "author": record["id"].split("/")[0],
        "card_data": record.get("cardData") if "cardData" in record else {},
        "config": record.get("config") or {},
        "tags": tuple(tags) if isinstance(tags, list) else tags,
        "siblings": tuple(sorted(set(siblings))),
        "gguf": record.get("gguf") or {},
        "base_models": record.get("baseModels"),
        "gated": record.get("gated") or "",
        "disabled": bool(record.get("disabled")),
        "library_name": record.get("library_name") or "",
        "files": files,
    }
    fields.update(overrides)
    return RepoSnapshot(**fields)


def snap(**fields: Any) -> RepoSnapshot:
    """A hand-built snapshot of ``me/model``."""
    fields.setdefault("requested_id", "me/model")
    fields.setdefault("repo_id", fields["requested_id"])
    return RepoSnapshot(**fields)


def claims(*rows: tuple[str, str, str]) -> tuple[ParentClaim, ...]:
    return tuple(ParentClaim(repo_id=r, relation=rel, source=src) for r, rel, src in rows)


def adapter(base: Any) -> dict[str, Any]:
    return {"base_model_name_or_path": base, "peft_type": "LORA", "r": 8}


GGUF_OF_DISTILL = {  # what llama.cpp writes for a GGUF of DeepSeek-R1-Distill-Qwen-7B (its card names Qwen)
    "total": 7615616512,
    "architecture": "qwen2",
    "general.base_model.count": 1,
    "general.base_model.0.name": "Qwen2.5 Math 7B",
    "general.base_model.0.organization": "Qwen",
    "general.base_model.0.repo_url": "https://huggingface.co/Qwen/Qwen2.5-Math-7B",
}


# --- recorded repos (HUB_API 2.2) -----------------------------------------------------------------------

RECORDED_CASES = [
    # quantized GGUF of a distill: relation inferred from the .gguf files and the gguf key
    ("bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF", {}, [("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", QZ, C)]),
    ("gaianet/DeepSeek-R1-Distill-Qwen-7B-GGUF", {}, [("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", QZ, C)]),
    ("eaddario/DeepSeek-R1-Distill-Qwen-7B-GGUF", {}, [("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", QZ, C)]),
    # the parent's id was renamed since: discovery keeps it verbatim, the fetch follows the redirect
    ("lmstudio-community/Meta-Llama-3.1-8B-Instruct-GGUF", {}, [("meta-llama/Meta-Llama-3.1-8B-Instruct", QZ, C)]),
    ("northwind-ai/contract-copilot-7b-GGUF", {}, [("northwind-ai/contract-copilot-7b", QZ, C)]),
    ("unsloth/Hermes-3-Llama-3.1-8B-bnb-4bit", {}, [("NousResearch/Hermes-3-Llama-3.1-8B", QZ, C)]),
    # fp8 is how the publisher ships its own weights, not a quantization of the parent
    ("moonshotai/Kimi-K2-Instruct", {}, [("moonshotai/Kimi-K2-Base", FT, C)]),
    ("northwind-ai/contract-copilot-7b", {}, [("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", FT, C)]),
    # merges with 4 and 2 parents, card order kept
    (
        "Azazelle/Mocha-Dare-7b-ex",
        {},
        [
            ("Open-Orca/Mistral-7B-OpenOrca", MG, C),
            ("akjindal53244/Mistral-7B-v0.1-Open-Platypus", MG, C),
            ("WizardLM/WizardMath-7B-V1.1", MG, C),
            ("mistralai/Mistral-7B-v0.1", MG, C),
        ],
    ),
    (
        "yasserrmd/DeepSeek-7B-1M",
        {},
        [("Qwen/Qwen2.5-7B-Instruct-1M", MG, C), ("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", MG, C)],
    ),
    ("lexify/legal-merge-7b", {}, [("yasserrmd/DeepSeek-7B-1M", MG, C), ("Qwen/Qwen2.5-7B-Instruct", MG, C)]),
    # adapters: adapter_config at the root, in subfolders (two folders, one base), with a local cache path
    ("pinzhenchen/sft-lora-fi-pythia-2b8", {}, [("EleutherAI/pythia-2.8b-deduped", AD, AC)]),
    ("brightdesk/support-agent-8b-lora", {}, [("brightdesk/support-agent-8b", AD, AC)]),
    ("programasweights/paw-programs", {}, [("Qwen/Qwen3-0.6B", AD, AC)]),
    ("michaelwzhu/Chinese-LlaMA2-chat-7B-sft-v0.3", {}, [("meta-llama/Llama-2-7b-chat-hf", AD, AC)]),
    # config.peft and adapter_config.json name the same base: one claim, the stronger source
    ("EmmanuelEspinoza10/llama-3-70b-corporatus-3k-adapter", {}, [("meta-llama/Meta-Llama-3-70B-Instruct", AD, CFG)]),
    # base_model: [] and prose-only lineage: no parents, nothing to complain about
    ("shyamieee/JARVIS-v1.0", {}, []),
    ("bartowski/internlm2_5-20b-chat-GGUF", {}, []),
    ("NousResearch/Hermes-3-Llama-3.1-8B", {}, []),
    # ...unless the GGUF header names the source's parents: an ancestor with an unknown relation
    ("bartowski/internlm2_5-20b-chat-GGUF", {"gguf": GGUF_OF_DISTILL}, [("Qwen/Qwen2.5-Math-7B", UNK, G)]),
    # ...and never when the card names the parent (they would be a false shortcut past it)
    (
        "bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF",
        {"gguf": GGUF_OF_DISTILL},
        [("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", QZ, C)],
    ),
    ("synthetic-loop/a", {}, [("synthetic-loop/b", FT, C)]),
    ("acme-labs/orphan-ft", {}, [("acme-labs/deleted-base", FT, C)]),
    ("synthetic-hostile/html-card", {}, [("Qwen/Qwen2.5-7B-Instruct", FT, C)]),
]


@pytest.mark.parametrize(("repo_id", "overrides", "expected"), RECORDED_CASES)
def test_recorded_repo_parents(repo_id, overrides, expected):
    result = discover_parents(snapshot_from_record(load_record(repo_id), **overrides))
    assert result.parents == claims(*expected)
    assert result.truncated is False


@pytest.mark.parametrize(
    ("repo_id", "overrides", "expected_notes"),
    [
        ("shyamieee/JARVIS-v1.0", {}, []),
        ("programasweights/paw-programs", {}, []),
        ("synthetic-hostile/malformed-card", {}, ["card base_model is a dict", "'sibling' is not a known relation"]),
        ("synthetic-hostile/malformed-card", {"tags": "single-string"}, ["tags is 'single-string', not a list"]),
        (
            "michaelwzhu/Chinese-LlaMA2-chat-7B-sft-v0.3",
            {"files": {"adapter_config.json": adapter("/data/base")}},
            ["adapter_config.json base_model_name_or_path is a local path '/data/base'"],
        ),
    ],
)
def test_recorded_repo_notes(repo_id, overrides, expected_notes):
    result = discover_parents(snapshot_from_record(load_record(repo_id), **overrides))
    for note in expected_notes:
        assert any(note in ignored for ignored in result.ignored), (note, result.ignored)
    if not expected_notes:
        assert result.ignored == ()


def test_malformed_card_has_no_parents():
    result = discover_parents(snapshot_from_record(load_record("synthetic-hostile/malformed-card")))
    assert result.parents == ()


@pytest.mark.parametrize("repo_id", RECORD_IDS)
def test_every_recorded_repo_is_safe(repo_id):
    """Whatever the record holds: no exception, bounded output, valid ids, never the repo itself."""
    snapshot = snapshot_from_record(load_record(repo_id))
    result = discover_parents(snapshot)
    assert len(result.parents) <= MAX_PARENTS
    assert len(result.ignored) <= MAX_IGNORED
    assert all(len(note) <= MAX_IGNORED_LEN for note in result.ignored)
    for parent in result.parents:
        assert normalize_repo_ref(parent.repo_id) == parent.repo_id
        assert parent.repo_id.lower() != repo_id.lower()
        assert parent.relation in {FT, AD, MG, QZ, UNK}
    assert len(license_of(snapshot)) <= MAX_LICENSE_LEN
    assert len(datasets_of(snapshot)) <= MAX_DATASETS


# --- hand-built snapshots -------------------------------------------------------------------------------

BIG = "x" * 1_048_576
HAND_CASES = [
    # base_model only in the hub's tags (the plain and the relation form appear together)
    (
        "tags only",
        {"tags": ("lora", "base_model:adapter:bfl/FLUX.1-dev", "base_model:bfl/FLUX.1-dev")},
        [("bfl/FLUX.1-dev", AD, T)],
    ),
    ("plain tag", {"tags": ("base_model:org/base",)}, [("org/base", FT, T)]),
    (
        "two plain tags = merge",
        {"tags": ("base_model:a/one", "base_model:b/two")},
        [("a/one", MG, T), ("b/two", MG, T)],
    ),
    ("late tag", {"tags": (*(f"language:l{i}" for i in range(1500)), "base_model:o/b")}, [("o/b", FT, T)]),
    ("unknown tag relation", {"tags": ("base_model:sibling:org/base",)}, []),
    (
        "baseModels live shape",
        {"base_models": {"relation": "quantized", "models": [{"_id": "65f", "id": "org/base"}]}},
        [("org/base", QZ, T)],
    ),
    ("baseModels list of ids", {"base_models": ["org/base"]}, [("org/base", FT, T)]),
    # merging: first spelling kept, strongest source, explicit relation beats inferred, card relation wins
    (
        "case-insensitive merge",
        {"card_data": {"base_model": "Qwen/Qwen2.5-7B"}, "tags": ("base_model:quantized:qwen/qwen2.5-7b",)},
        [("Qwen/Qwen2.5-7B", QZ, C)],
    ),
    (
        "card relation wins",
        {"card_data": {"base_model": "o/b", "base_model_relation": "finetune"}, "tags": ("base_model:quantized:o/b",)},
        [("o/b", FT, C)],
    ),
    (
        "peft source => adapter",
        {"card_data": {"base_model": "o/b"}, "config": {"peft": {"base_model_name_or_path": "o/b"}}},
        [("o/b", AD, C)],
    ),
    (
        "root adapter_config => adapter",
        {
            "card_data": {"base_model": "o/b"},
            "siblings": ("adapter_config.json",),
            "files": {"adapter_config.json": adapter("./local")},
        },
        [("o/b", AD, C)],
    ),
    (
        "subfolder adapter only names its own base",
        {"card_data": {"base_model": "o/card"}, "files": {"sub/adapter_config.json": adapter("o/lora-base")}},
        [("o/card", FT, C), ("o/lora-base", AD, AC)],
    ),
    (
        "explicit relation normalised",
        {"card_data": {"base_model": "o/b", "base_model_relation": " Quantized "}},
        [("o/b", QZ, C)],
    ),
    # quantized evidence
    ("gguf sibling", {"card_data": {"base_model": "o/b"}, "siblings": ("m-Q4_K_M.GGUF",)}, [("o/b", QZ, C)]),
    ("gguf key", {"card_data": {"base_model": "o/b"}, "gguf": {"total": 1}}, [("o/b", QZ, C)]),
    (
        "gptq config",
        {"card_data": {"base_model": "o/b"}, "config": {"quantization_config": {"quant_method": "gptq", "bits": 4}}},
        [("o/b", QZ, C)],
    ),
    (
        "load_in_4bit",
        {"card_data": {"base_model": "o/b"}, "config": {"quantization_config": {"load_in_4bit": True}}},
        [("o/b", QZ, C)],
    ),
    (
        "mxfp4 is native",
        {"card_data": {"base_model": "o/b"}, "config": {"quantization_config": {"quant_method": "mxfp4"}}},
        [("o/b", FT, C)],
    ),
    (
        "merge before quantized",
        {"card_data": {"base_model": ["a/one", "b/two"]}, "gguf": {"total": 1}},
        [("a/one", MG, C), ("b/two", MG, C)],
    ),
    # reference forms
    (
        "url parent",
        {"card_data": {"base_model": "https://huggingface.co/Qwen/Qwen2.5-7B/tree/main"}},
        [("Qwen/Qwen2.5-7B", FT, C)],
    ),
    ("legacy id", {"card_data": {"base_model": "gpt2"}}, [("gpt2", FT, C)]),
    (
        "gguf org/name without url",
        {"gguf": {"general.base_model.0.organization": "Qwen", "general.base_model.0.name": "Qwen2.5-7B"}},
        [("Qwen/Qwen2.5-7B", UNK, G)],
    ),
    # malformed shapes: nothing usable, no crash
    ("base_model dict", {"card_data": {"base_model": {"id": "Qwen/Qwen2.5-7B"}}}, []),
    ("base_model number", {"card_data": {"base_model": 7}}, []),
    ("base_model list of dicts", {"card_data": {"base_model": [{"id": "a/b"}, {"id": "c/d"}]}}, []),
    (
        "base_model mixed list",
        {"card_data": {"base_model": ["a/b", 42, None, ["c/d"], {"id": "e/f"}, "  "]}},
        [("a/b", FT, C)],
    ),
    ("card not an object", {"card_data": ["base_model", "a/b"]}, []),
    ("config not an object", {"config": "peft", "card_data": {"base_model": "a/b"}}, [("a/b", FT, C)]),
    ("files not an object", {"files": ["adapter_config.json"]}, []),
    ("baseModels garbage", {"base_models": {"relation": 3, "models": "org/base"}}, []),
    ("peft not an object", {"config": {"peft": "o/b"}}, []),
    (
        "huge strings",
        {"card_data": {"base_model": BIG, "base_model_relation": BIG}, "tags": (BIG, "base_model:" + BIG)},
        [],
    ),
]


@pytest.mark.parametrize(("fields", "expected"), [c[1:] for c in HAND_CASES], ids=[c[0] for c in HAND_CASES])
def test_hand_built_parents(fields, expected):
    result = discover_parents(snap(**fields))
    assert result.parents == claims(*expected)
    assert all(len(note) <= MAX_IGNORED_LEN for note in result.ignored)


NOTE_CASES = [
    ("base_model dict", {"card_data": {"base_model": {"id": "a/b"}}}, "card base_model is a dict, expected a repo id"),
    ("base_model number", {"card_data": {"base_model": 7}}, "card base_model is a int"),
    ("list of dicts", {"card_data": {"base_model": [{"id": "a/b"}]}}, "card base_model[0] is a dict, not a repo id"),
    ("nested list", {"card_data": {"base_model": [["a/b"]]}}, "card base_model[0] is a list"),
    (
        "bad relation",
        {"card_data": {"base_model_relation": "sibling"}},
        "'sibling' is not a known",
    ),
    ("tags a string", {"tags": "base_model:a/b"}, "tags is 'base_model:a/b', not a list"),
    ("card a list", {"card_data": ["x"]}, "card metadata is a list"),
    ("local dir in card", {"card_data": {"base_model": "./adapter"}}, "card base_model[0] is a local path './adapter'"),
    ("not an id", {"card_data": {"base_model": "Qwen 2.5 7B"}}, "'Qwen 2.5 7B' is not a hub repo id"),
    ("local adapter base", {"files": {"adapter_config.json": adapter("/data/base")}}, "is a local path '/data/base'"),
    (
        "relative adapter base",
        {"files": {"a/adapter_config.json": adapter("../base")}},
        "a/adapter_config.json base_model_name_or_path is a local path",
    ),
    (
        "unparsable adapter_config",
        {"files": {"adapter_config.json": None}},
        "adapter_config.json could not be read or parsed",
    ),
    (
        "adapter_config without base",
        {"files": {"adapter_config.json": {"peft_type": "LORA"}}},
        "adapter_config.json names no base_model_name_or_path",
    ),
    ("adapter base a number", {"files": {"adapter_config.json": adapter(3)}}, "base_model_name_or_path is a int"),
    (
        "gguf titles only",
        {"gguf": {"general.base_model.0.organization": "Qwen", "general.base_model.0.name": "Qwen2.5 Math 7B"}},
        "gguf general.base_model.0 does not name a hub repo",
    ),
    ("self by repo id", {"card_data": {"base_model": "ME/Model"}}, "ME/Model names the repo itself"),
    (
        "self by requested id",
        {"requested_id": "old/name", "repo_id": "me/model", "card_data": {"base_model": "old/name"}},
        "old/name names the repo itself",
    ),
    ("self via tags", {"tags": ("base_model:finetune:me/model",)}, "names the repo itself"),
]


@pytest.mark.parametrize(("fields", "note"), [c[1:] for c in NOTE_CASES], ids=[c[0] for c in NOTE_CASES])
def test_ignored_references_are_explained(fields, note):
    result = discover_parents(snap(**fields))
    assert result.parents == ()
    assert any(note in ignored for ignored in result.ignored), result.ignored


def test_self_reference_dropped_other_parents_kept():
    result = discover_parents(snap(card_data={"base_model": ["me/model", "org/base"]}))
    assert result.parents == claims(("org/base", FT, C))  # the repo itself is no merge input


def test_unusable_entry_still_counts_as_a_merge_input():
    result = discover_parents(snap(card_data={"base_model": ["org/base", "./adapter"]}))
    assert result.parents == claims(("org/base", MG, C))


@pytest.mark.parametrize(("count", "truncated"), [(MAX_PARENTS, False), (MAX_PARENTS + 1, True), (1000, True)])
def test_fan_out_is_capped(count, truncated):
    parents = [f"org/model-{i}" for i in range(count)]
    result = discover_parents(snap(card_data={"base_model": parents}))
    assert [p.repo_id for p in result.parents] == parents[:MAX_PARENTS]
    assert result.truncated is truncated
    assert {p.relation for p in result.parents} == {MG}


def test_huge_repeated_list_is_scanned_boundedly_and_flagged():
    result = discover_parents(snap(card_data={"base_model": ["org/base"] * 100_000}, tags=("x",) * 100_000))
    assert result.parents == claims(("org/base", FT, C))
    assert result.truncated is True


def test_ignored_notes_are_bounded():
    result = discover_parents(snap(card_data={"base_model": [f"./local-{i}" for i in range(200)]}))
    assert result.parents == ()
    assert len(result.ignored) == MAX_IGNORED


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"files": {"adapter_config.json": adapter("o/b")}}, AD),
        ({"siblings": ("adapter_config.json", "adapter_model.safetensors")}, AD),
        ({"config": {"peft": {"base_model_name_or_path": "o/b"}}}, AD),
        ({"files": {"sub/adapter_config.json": adapter("o/b")}}, None),
        ({"siblings": ("model.Q4_K_M.gguf",)}, QZ),
        ({"config": {"quantization_config": {"quant_method": "awq"}}}, QZ),
        ({"config": {"quantization_config": {"quant_method": "fp8"}}}, None),
        ({"config": {"quantization_config": "bitsandbytes"}}, None),
        ({}, None),
    ],
)
def test_relation_from_files(fields, expected):
    assert relation_from_files(snap(**fields)) == expected


# --- normalize_repo_ref ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-7B"),
        ("  Qwen/Qwen2.5-7B/  ", "Qwen/Qwen2.5-7B"),
        ("gpt2", "gpt2"),
        ("https://huggingface.co/Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-7B"),
        ("https://huggingface.co/Qwen/Qwen2.5-7B/", "Qwen/Qwen2.5-7B"),
        ("https://huggingface.co/Qwen/Qwen2.5-7B/tree/main", "Qwen/Qwen2.5-7B"),
        ("https://huggingface.co/Qwen/Qwen2.5-7B/resolve/main/config.json?download=true", "Qwen/Qwen2.5-7B"),
        ("http://www.huggingface.co/Qwen/Qwen2.5-7B#readme", "Qwen/Qwen2.5-7B"),
        ("hf.co/Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-7B"),
        ("https://hf.co/Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-7B"),
        (
            "/root/.cache/huggingface/hub/models--meta-llama--Llama-2-7b-chat-hf/snapshots/902d6349c2a4e4f1/",
            "meta-llama/Llama-2-7b-chat-hf",
        ),
        ("~/.cache/huggingface/hub/models--gpt2/snapshots/abc", "gpt2"),
        ("C:\\Users\\me\\.cache\\huggingface\\hub\\models--org--name\\snapshots\\abc", "org/name"),
        ("./adapter", None),
        ("/data/base", None),
        ("../base", None),
        ("C:\\models\\base", None),
        ("", None),
        ("   ", None),
        (None, None),
        (42, None),
        (["Qwen/Qwen2.5-7B"], None),
        ({"id": "Qwen/Qwen2.5-7B"}, None),
        ("a" * 2000, None),
        ("org/" + "n" * 200, None),
        ("org/name/extra", None),
        ("org--x/name", None),
        ("org/name.git", None),
        ("https://huggingface.co/datasets/org/name", None),
        ("https://huggingface.co/spaces/org/name", None),
        ("https://huggingface.co/meta-llama", None),  # an organisation page, not a model
        ("https://evil.example/Qwen/Qwen2.5-7B", None),
        ("https://huggingface.co.evil.example/Qwen/Qwen2.5-7B", None),
        ("file:///data/models--org--name", "org/name"),
        ("\u202eevil-org/gpt\u202c", None),
        ("Qwen/通义千问", None),
        ("<script>alert(1)</script>", None),
        ("/tmp/cache/models--../snapshots/x", None),
    ],
)
def test_normalize_repo_ref(value, expected):
    assert normalize_repo_ref(value) == expected


# --- sanitize -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "max_len", "expected"),
    [
        ("Qwen2.5 7B", 50, "Qwen2.5 7B"),
        ("  line\nbreak:\tand  colons \r\n", 50, "line break: and colons"),
        ("null\x00byte\x07\x1b[31m", 50, "nullbyte[31m"),
        ("\u202eevil-org/gpt\u202c", 50, "evil-org/gpt"),
        ("<script>alert('card')</script>", 50, "<script>alert('card')</script>"),  # literal: the template escapes
        ("abcdefghij", 5, "abcd…"),
        ("abcde", 5, "abcde"),
        ("abc", 0, ""),
        (None, 50, ""),
        (42, 50, ""),
        (["a"], 50, ""),
        ({"a": 1}, 50, ""),
        ("\ud800lone surrogate", 50, "lone surrogate"),
        ("🦙" * 64, 10, "🦙" * 9 + "…"),
    ],
)
def test_clean_text(value, max_len, expected):
    assert clean_text(value, max_len) == expected


def test_clean_text_bounds_a_megabyte_string():
    text = clean_text("<svg onload=alert(1)>lorem ipsum " * 40_000)
    assert len(text) == MAX_TEXT_LEN
    assert text.endswith("…")
    assert clean_text(" " * 1_000_000 + "tail") == "…"  # a long value is never passed off as complete


@pytest.mark.parametrize(
    ("value", "max_items", "expected"),
    [
        ("one", 5, ("one",)),
        (["a", "b", "a", " b "], 5, ("a", "b")),
        (["a", 1, None, ["b"], {"c": 1}, "", "  ", "d"], 5, ("a", "d")),
        (("a", "b"), 5, ("a", "b")),
        ([f"x{i}" for i in range(1000)], 3, ("x0", "x1", "x2")),
        (42, 5, ()),
        ({"a": "b"}, 5, ()),
        (None, 5, ()),
        (["a"], 0, ()),
    ],
)
def test_clean_str_list(value, max_items, expected):
    assert clean_str_list(value, max_items, 20) == expected


def test_clean_str_list_bounds_items_and_lengths():
    result = clean_str_list(["y" * 1_000_000] * 10 + [f"z{i}" for i in range(100_000)], max_items=50, max_len=30)
    assert len(result) == 50
    assert all(len(item) <= 30 for item in result)


@pytest.mark.parametrize(
    ("card", "tags", "expected"),
    [
        ({"license": "apache-2.0"}, (), "apache-2.0"),
        ({"license": "MIT"}, (), "mit"),
        ({"license": "Apache 2.0"}, (), "apache-2.0"),
        ({"license": "other", "license_name": "qwen-research"}, (), "qwen-research"),
        ({"license": "other", "license_name": "Tencent Hunyuan Community"}, (), "tencent-hunyuan-community"),
        ({"license": "other"}, (), "other"),
        ({"license": "other", "license_name": '"><img src=x onerror=alert(1)>'}, (), "other"),
        ({"license": ["mit"]}, (), "mit"),
        ({"license": ["mit", 42]}, (), "mit"),
        ({"license": [42, "mit"]}, (), "mit"),
        ({"license": "<script>alert('license')</script>"}, (), ""),
        ({"license": "l" * 1_000_000}, (), ""),
        ({"license": {"id": "mit"}}, (), ""),
        ({}, ("region:us", "license:llama3.1"), "llama3.1"),
        ({}, ("license:<b>x</b>", "license:gemma"), "gemma"),
        ({}, (*(f"language:l{i}" for i in range(1500)), "license:mit"), "mit"),
        ({"license": "mit"}, ("license:apache-2.0",), "mit"),  # the card is the author's own word
        ({}, "license:mit", ""),  # tags not a list
        ({}, (), ""),
    ],
)
def test_license_of(card, tags, expected):
    assert license_of(snap(card_data=card, tags=tags)) == expected


@pytest.mark.parametrize(
    ("card", "expected"),
    [
        ({"datasets": ["Open-Orca/OpenOrca", "snli"]}, ("Open-Orca/OpenOrca", "snli")),
        ({"datasets": "eaddario/imatrix-calibration"}, ("eaddario/imatrix-calibration",)),
        ({"datasets": ["a/b", "a/b", 3, None, "<script>", "https://evil/x", " c/d "]}, ("a/b", "c/d")),
        ({"datasets": {"a": "b"}}, ()),
        ({"datasets": 5}, ()),
        ({}, ()),
        ({"datasets": [f"org/set-{i}" for i in range(1000)]}, tuple(f"org/set-{i}" for i in range(MAX_DATASETS))),
    ],
)
def test_datasets_of(card, expected):
    assert datasets_of(snap(card_data=card)) == expected


@pytest.mark.parametrize(
    ("repo_id", "license", "datasets"),
    [
        ("gaianet/DeepSeek-R1-Distill-Qwen-7B-GGUF", "apache-2.0", ()),
        ("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "mit", ()),
        ("eaddario/DeepSeek-R1-Distill-Qwen-7B-GGUF", "mit", ("eaddario/imatrix-calibration",)),
        ("Qwen/Qwen2.5-3B", "qwen-research", ()),
        ("WizardLM/WizardMath-7B-V1.1", "other", ()),
        ("synthetic-hostile/html-card", "", ()),
        ("synthetic-hostile/malformed-card", "mit", ("not-a-list",)),  # a bare string is one (valid-looking) id
        (
            "Salesforce/xLAM-2-32b-fc-r",
            "cc-by-nc-4.0",
            ("Salesforce/APIGen-MT-5k", "Salesforce/xlam-function-calling-60k"),
        ),
    ],
)
def test_recorded_licenses_and_datasets(repo_id, license, datasets):
    snapshot = snapshot_from_record(load_record(repo_id))
    assert license_of(snapshot) == license
    assert datasets_of(snapshot) == datasets


def test_hostile_card_values_are_bounded():
    """The recorded hostile card: a 1 MB description, HTML in every field; nothing unbounded comes out."""
    snapshot = snapshot_from_record(load_record("synthetic-hostile/html-card"))
    description = snapshot.card_data["description"]
    assert len(description) == 1_048_576  # the filler really is there
    assert len(clean_text(description)) == MAX_TEXT_LEN
    assert clean_text(snapshot.card_data["model_name"], 100) == '<iframe src="javascript:alert(1)"></iframe>'
    assert clean_str_list(snapshot.card_data["tags"], 10, 40) == (
        "<b>bold</b>",
        "javascript:alert(1)",
        "'; DROP TABLE vendors_model; --",
    )
    # the same megabyte in every lineage field: ignored with a short note, never echoed whole
    hostile = snapshot_from_record(
        load_record("synthetic-hostile/html-card"),
        card_data={**snapshot.card_data, "base_model": [description, "Qwen/Qwen2.5-7B-Instruct"]},
        files={f"{description[:300]}/adapter_config.json": adapter(description)},
        tags=(description, "base_model:" + description),
    )
    result = discover_parents(hostile)
    assert result.parents == claims(("Qwen/Qwen2.5-7B-Instruct", MG, C))
    assert 1 <= len(result.ignored) <= MAX_IGNORED
    assert all(len(note) <= MAX_IGNORED_LEN for note in result.ignored)
