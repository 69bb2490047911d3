"""The `lineage` command is a contract other tools rely on: its JSON shape and ordering must not drift."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from vendors.models import AIModel, LineageRefresh

pytestmark = pytest.mark.django_db

NODE_FIELDS = {"id", "status", "publisher", "country", "license", "sha", "redirected_from"}


def _lineage(*args) -> str:
    out = StringIO()
    call_command("lineage", *args, stdout=out)
    return out.getvalue()


def test_one_id_prints_one_object_in_the_contract_shape(fake_hub, knowledge):
    report = json.loads(_lineage("northwind-ai/contract-copilot-7b-GGUF", "--json"))

    assert {"subject", "status", "nodes", "edges", "roots", "countries"} <= set(report)
    assert report["subject"] == "northwind-ai/contract-copilot-7b-GGUF"
    assert report["status"] == "complete"
    assert all(set(node) >= NODE_FIELDS for node in report["nodes"])
    assert all(set(edge) == {"child", "parent", "relation", "source"} for edge in report["edges"])
    assert report["roots"] == ["Qwen/Qwen2.5-7B"]
    assert report["chains"] == [[
        "northwind-ai/contract-copilot-7b-GGUF", "northwind-ai/contract-copilot-7b",
        "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "Qwen/Qwen2.5-Math-7B", "Qwen/Qwen2.5-7B",
    ]]  # fmt: skip
    assert report["countries"] == ["CN"]
    by_id = {node["id"]: node for node in report["nodes"]}
    assert by_id["Qwen/Qwen2.5-7B"]["country"] == "CN" and len(by_id["Qwen/Qwen2.5-7B"]["sha"]) == 40
    assert by_id["northwind-ai/contract-copilot-7b-GGUF"]["publisher"] is None  # not in the knowledge base


def test_several_ids_print_an_array_in_the_given_order(fake_hub):
    ids = ["lexify/legal-merge-7b", "acme-labs/orphan-ft", "THUDM/glm-4-9b-chat"]
    reports = json.loads(_lineage(*ids, "--json"))
    assert [r["subject"] for r in reports] == ids
    assert reports[1]["status"] == "incomplete"
    assert {"id": "acme-labs/deleted-base", "status": "not_found"}.items() <= reports[1]["nodes"][1].items()
    renamed = reports[2]["nodes"][0]
    assert renamed["id"] == "zai-org/glm-4-9b-chat" and renamed["redirected_from"] == "THUDM/glm-4-9b-chat"


def test_a_cycle_is_marked_and_the_lineage_incomplete(fake_hub):
    report = json.loads(_lineage("synthetic-loop/a", "--json"))
    assert report["status"] == "incomplete"
    assert {node["status"] for node in report["nodes"]} == {"cycle"}


def test_without_json_a_readable_tree(fake_hub, knowledge):
    text = _lineage("lmstudio-community/Meta-Llama-3.1-8B-Instruct-GGUF")
    assert "└─ quantized of meta-llama/Llama-3.1-8B-Instruct" in text
    assert "formerly meta-llama/Meta-Llama-3.1-8B-Instruct" in text
    assert "re-packager" in text
    assert "origin countries: US" in text and "lineage: complete" in text


def test_invalid_ids_are_refused_with_the_grammar_and_nothing_is_stored(fake_hub):
    with pytest.raises(CommandError) as raised:
        _lineage("Qwen/Qwen2.5-7B", "not a repo", "--json")
    assert "ORG/NAME" in str(raised.value)
    assert not AIModel.objects.filter(kind="hub").exists() and not LineageRefresh.objects.exists()
    assert fake_hub.count("/api/models/") == 0
