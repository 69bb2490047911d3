"""The inference module, table-driven over the fake hub's recorded configs and tokenizer configs: each case is a
recorded repo exposed with its lineage metadata removed (and sometimes altered into one of the known traps)."""

from __future__ import annotations

import dataclasses

import pytest

from tests.inference.evaluation import cases
from tests.inference.recorded import exposed, records, references
from vendors.lineage.inference import (
    ConfigMatch,
    InferredSource,
    TokenizerMatch,
    compare,
    fingerprint_from,
    infer,
    readme_claims,
    readme_digest,
    says_merge,
)
from vendors.lineage.inference.fingerprint import Fingerprint

# (case, recorded repo exposed, changes, expected parent, expected family, relation, source, lowest, highest confidence)
CASES = [
    ("instruct fine-tune: exact base by shapes, rope and tokenizer", "Qwen/Qwen2.5-7B-Instruct", {},
     "Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B", "finetune", InferredSource.CONFIG, 0.85, 0.95),
    ("distill keeps Qwen2 shapes with DeepSeek's tokens: the distill itself is the closest",
     "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", {},
     "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "Qwen/Qwen2.5-7B", "finetune", InferredSource.CONFIG, 0.85, 0.95),
    ("Llama 3.1 instruct tune", "meta-llama/Llama-3.1-8B-Instruct", {},
     "meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B", "finetune", InferredSource.CONFIG, 0.85, 0.95),
    ("gemma tune", "google/gemma-2-9b-it", {}, "google/gemma-2-9b", "google/gemma-2-9b", "finetune",
     InferredSource.CONFIG, 0.8, 0.95),
    ("quantized config: bitsandbytes on a Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B-Instruct",
     {"config": {"quantization_config": {"quant_method": "bitsandbytes", "load_in_4bit": True}},
      "parameters": 4352387200},
     "Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-7B", "quantized", InferredSource.CONFIG, 0.8, 0.95),
    ("vocabulary extended by five tokens", "mistralai/Mistral-7B-v0.1",
     {"config": {"vocab_size": 32005}, "parameters": None},
     "mistralai/Mistral-7B-v0.1", "mistralai/Mistral-7B-v0.1", "finetune", InferredSource.CONFIG, 0.5, 0.85),
    ("upscaled: same widths, more layers", "mistralai/Mistral-7B-v0.1",
     {"config": {"num_hidden_layers": 48}, "parameters": None},
     "mistralai/Mistral-7B-v0.1", "mistralai/Mistral-7B-v0.1", "unknown", InferredSource.CONFIG, 0.3, 0.55),
    ("README claim checked against the named repo's fingerprint", "Qwen/Qwen2.5-7B-Instruct",
     {"readme": "A fine-tune of [Qwen2.5-7B](https://huggingface.co/Qwen/Qwen2.5-7B) for contracts."},
     "Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-7B", "finetune", InferredSource.README, 0.85, 0.97),
    ("merge named by mergekit", "mistralai/Mistral-7B-v0.1",
     {"readme": "This is a merge of pre-trained language models created using mergekit."},
     "mistralai/Mistral-7B-v0.1", "mistralai/Mistral-7B-v0.1", "merge", InferredSource.CONFIG, 0.8, 0.95),
    ("tokenizer only, no config", "google/gemma-2-9b-it", {"config": None},
     "google/gemma-2-9b", "google/gemma-2-9b", "finetune", InferredSource.TOKENIZER, 0.3, 0.55),
]  # fmt: skip


@pytest.mark.parametrize(
    ("repo", "changes", "parent", "family", "relation", "source", "low", "high"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_inference_table(repo, changes, parent, family, relation, source, low, high):
    changes = dict(changes)
    if changes.get("config", {}) is None:
        changes.pop("config")
        subject = exposed(repo, **changes)
        subject = type(subject)(**{**subject.__dict__, "config": None})
    else:
        subject = exposed(repo, **changes)
    candidates = infer(subject, references())
    assert candidates, "no candidate"
    best = candidates[0]
    assert (best.parent, best.family, best.relation, best.source) == (parent, family, relation, source)
    assert low <= best.confidence <= high, best
    assert best.matched  # the evidence is always given
    assert all(0.0 <= c.confidence <= 1.0 for c in candidates)


def test_a_distill_whose_own_repo_is_unknown_names_the_qwen_base_with_the_tokenizer_swap_noted():
    refs = [r for r in references() if "DeepSeek-R1-Distill" not in r.repo_id]
    best = infer(exposed("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"), refs)[0]
    assert best.family == "Qwen/Qwen2.5-7B" and best.parent == "Qwen/Qwen2.5-7B"
    assert any("another tokenizer" in note for note in best.notes)
    assert any("added tokens replaced" in item for item in best.mismatched)
    assert best.confidence < 0.9  # the swapped tokenizer is counted against it


def test_a_readme_claim_that_the_fingerprint_contradicts_is_not_believed():
    readme = "Fine-tuned from https://huggingface.co/meta-llama/Llama-3.1-8B"
    subject = exposed("google/gemma-2-9b-it", readme=readme, created_at=None)  # no date: every model is a reference
    candidates = infer(subject, references())
    claim = next(c for c in candidates if c.parent == "meta-llama/Llama-3.1-8B")
    assert claim.source == InferredSource.README and claim.confidence < 0.5
    assert any("hidden_size" in item for item in claim.mismatched)
    assert candidates[0].family == "google/gemma-2-9b"


def test_a_readme_claim_with_no_fingerprint_to_check_stays_below_half():
    subject = exposed("tiiuae/falcon-7b", readme="Original model: https://huggingface.co/internlm/internlm2_5-20b-chat")
    claim = next(c for c in infer(subject, references()) if c.parent == "internlm/internlm2_5-20b-chat")
    assert claim.confidence < 0.5 and "no fingerprint" in claim.notes[0]


def test_gguf_files_alone_say_quantized_but_name_no_family():
    subject = exposed("Qwen/Qwen2.5-7B", files=("model-Q4_K_M.gguf",))
    subject = type(subject)(**{**subject.__dict__, "config": None, "tokenizer_config": None})
    assert infer(subject, references()) == ()


def test_same_architecture_different_widths_is_no_match():
    kimi = exposed("moonshotai/Kimi-K2-Base")  # DeepSeek-V3's architecture, other heads, experts and vocabulary
    assert all(c.family != "deepseek-ai/DeepSeek-V3" for c in infer(kimi, references()) if c.confidence >= 0.5)


def test_references_published_after_the_subject_or_below_it_are_not_parents():
    subject = exposed("Qwen/Qwen2.5-7B", repo_id="Qwen/Qwen2.5-7B")  # the family root itself
    assert all(c.family != "Qwen/Qwen2.5-7B" for c in infer(subject, references()))


def test_field_aliases_and_comparison_kinds():
    glm = fingerprint_from({"model_type": "chatglm", "num_layers": 40, "padded_vocab_size": 151552,
                            "ffn_hidden_size": 13696, "multi_query_group_num": 2, "seq_length": 8192})  # fmt: skip
    assert glm.shapes == {"num_layers": 40, "vocab_size": 151552, "intermediate_size": 13696, "num_kv_heads": 2}
    assert glm.rope == {"max_position_embeddings": 8192}
    base = fingerprint_from({"model_type": "llama", "hidden_size": 8, "num_hidden_layers": 2, "vocab_size": 100})
    grown = fingerprint_from({"model_type": "llama", "hidden_size": 8, "num_hidden_layers": 2, "vocab_size": 103})
    deeper = fingerprint_from({"model_type": "llama", "hidden_size": 8, "num_hidden_layers": 3, "vocab_size": 100})
    assert compare(grown, base).config == ConfigMatch.VOCAB_EXTENDED and compare(grown, base).vocab_added == 3
    assert compare(deeper, base).config == ConfigMatch.DEPTH_CHANGED
    assert compare(base, Fingerprint()).config == ConfigMatch.UNKNOWN
    assert compare(base, base).tokenizer == TokenizerMatch.UNKNOWN


def test_hostile_values_are_bounded_and_never_raise():
    hostile = {"model_type": ["x"], "hidden_size": "4096", "num_hidden_layers": True, "vocab_size": float("nan"),
               "rope_scaling": {"type": "<script>", "factor": "8"}, "eos_token_id": ["a", 2, None] * 100,
               "text_config": "not a dict"}  # fmt: skip
    tokenizer = {
        "added_tokens_decoder": {str(i): {"content": "<|x|>" * 100} for i in range(10_000)},
        "chat_template": [{"name": "default", "template": "<|im_start|>" * 100_000}],
        "bos_token": 7,
    }
    fp = fingerprint_from(hostile, tokenizer, "many")
    assert fp.model_type == "" and fp.shapes == {} and fp.token_ids == {"eos_token_id": (2,)}
    assert len(fp.added_tokens) == 64 and all(len(t) <= 80 for t in fp.added_tokens.values())
    assert fp.chat_markers == ("<|im_start|>",) and fp.tokens == {} and fp.parameters is None
    assert Fingerprint.from_dict(fp.as_dict()) == fp
    assert Fingerprint.from_dict("garbage") == Fingerprint()


def test_readme_claims_links_and_phrases():
    text = (
        "Fine-tuned from Qwen/Qwen2.5-7B on our data. See https://huggingface.co/datasets/org/data and "
        "https://github.com/org/repo. Compare with https://huggingface.co/meta-llama/Llama-3.1-8B/tree/main. "
        "We use org/tool for evaluation."
    )
    assert readme_claims(text, known={"qwen/qwen2.5-7b"}) == ("meta-llama/Llama-3.1-8B", "Qwen/Qwen2.5-7B")
    assert readme_claims(text) == ("meta-llama/Llama-3.1-8B",)  # a bare id counts only when it is a known model


@pytest.mark.parametrize(
    ("repo", "parent", "low", "high"),
    [
        # Position settings differ from every close model: a sibling looks as close as a parent, so the root is named.
        ("Qwen/Qwen2.5-7B-Instruct-1M", "Qwen/Qwen2.5-7B", 0.6, 0.9),
        # Made public a day after the model tuned from it: still a reference (within the publication slack).
        ("Qwen/Qwen3-0.6B", "Qwen/Qwen3-0.6B-Base", 0.5, 0.9),
    ],
)
def test_a_recorded_repo_inferred_without_its_own_fingerprint(repo, parent, low, high):
    subject = exposed(repo, repo_id=repo)
    best = infer(subject, [r for r in references() if r.repo_id != repo])[0]
    assert best.parent == parent and low <= best.confidence <= high, best


def test_a_same_publisher_root_is_named_with_the_sibling_doubt():
    # DeepSeek-R1 and DeepSeek-V3 share DeepSeek-V3-Base, which is not recorded: V3 is as likely a sibling.
    best = infer(exposed("deepseek-ai/DeepSeek-R1", repo_id="deepseek-ai/DeepSeek-R1"), references())[0]
    assert best.parent == "deepseek-ai/DeepSeek-V3" and best.confidence <= 0.7
    assert any("same publisher" in note for note in best.notes)


DIGEST_TEXTS = [
    "Fine-tuned from Qwen/Qwen2.5-7B on our data. See https://huggingface.co/datasets/org/data and "
    "https://github.com/org/repo. Compare with https://huggingface.co/meta-llama/Llama-3.1-8B/tree/main.",
    "This model is based on\nmistralai/Mistral-7B-v0.1, merged using mergekit.\n\nOriginal model: `google/gemma-2-9b`",
    "A merge of\nQwen/Qwen2.5-7B and meta-llama/Llama-3.1-8B.\nbase_model: [x](https://huggingface.co/Qwen/Qwen2.5-7B)",
    "# Nothing here\nJust prose with org/tool in it and a based on claim with no id.",
    "",
]


@pytest.mark.parametrize("text", DIGEST_TEXTS + [r.get("readme_body") or "" for r in records().values()])
def test_a_readme_digest_names_the_same_claims_as_the_readme_whatever_is_known(text):
    digest = readme_digest(text)
    assert len(digest) <= len(text)
    all_known = {record.lower() for record in records()} | {"qwen/qwen2.5-7b", "mistralai/mistral-7b-v0.1"}
    for known in (set(), {"qwen/qwen2.5-7b"}, all_known):
        assert readme_claims(digest, known=known) == readme_claims(text, known=known)
    assert says_merge(digest) == says_merge(text)


@pytest.mark.parametrize("case", cases(), ids=lambda case: case.repo_id)
def test_inferring_from_a_stored_fingerprint_and_readme_digest_says_what_the_files_say(case):
    subject = exposed(case.repo_id, readme=f"Fine-tuned from https://huggingface.co/{case.parent or 'x/y'} for us.")
    stored = dataclasses.replace(
        subject,
        config=None,
        tokenizer_config=None,
        readme=readme_digest(subject.readme),
        fingerprint=Fingerprint.from_dict(
            fingerprint_from(subject.config, subject.tokenizer_config, subject.parameters).as_dict()
        ),
    )
    others = [r for r in references() if r.repo_id != case.repo_id]
    assert infer(stored, others) == infer(subject, others)
