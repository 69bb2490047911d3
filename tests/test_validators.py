"""Hub repo ids are checked against the hub client's own grammar where they enter."""

import pytest
from django.core.exceptions import ValidationError

from vendors.validators import validate_hub_repo_id


@pytest.mark.parametrize(
    "repo_id",
    [
        "Qwen/Qwen2.5-7B-Instruct",
        "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
        "bartowski/Llama-3.1-8B-Lexi-Uncensored-GGUF",
        "gpt2",  # legacy single-segment ids still exist
        "openai/gpt-oss-120b",
        "a/b",
    ],
)
def test_accepts_hub_ids(repo_id):
    validate_hub_repo_id(repo_id)


@pytest.mark.parametrize(
    "repo_id",
    [
        "",
        " Qwen/Qwen2.5-7B",  # surrounding space
        "Qwen/Qwen2.5-7B ",
        "datasets/org/name",  # two slashes
        "org/na me",
        "org/name--x",  # '--' is reserved by the hub
        "org/name..x",
        "-org/name",
        "org/name.",
        "org/" + "x" * 100,  # over 96 characters
        "https://huggingface.co/Qwen/Qwen2.5-7B",
        "<script>alert(1)</script>",
        "org/naïve",
    ],
)
def test_refuses_anything_else_with_the_expected_form_in_the_message(repo_id):
    with pytest.raises(ValidationError) as raised:
        validate_hub_repo_id(repo_id)
    message = " ".join(raised.value.messages)
    assert "ORG/NAME" in message
    assert "96 characters" in message
