"""Lineage diagrams never disappear because of a hostile name: labels are cleaned for the diagram, and when no
diagram can be drawn the page says what actually happened."""

from __future__ import annotations

import re
from types import SimpleNamespace

import graphviz
import pytest

from tests.fakehub import HOSTILE_STRINGS
from vendors import diagrams
from vendors.models import AIModel, LineageRefresh
from vendors.services import lineage

SCRIPTS = (
    "<script>…</script>",
    "<script>alert('javascript:x')</script>",
    "JaVaScRiPt :alert(1)",
    "x onload=alert(1)",
    "<svg><foreignObject>",
)
_UNSAFE = re.compile(r"<\s*(script|foreignObject|iframe|object|embed)|\son\w+\s*=|javascript:", re.IGNORECASE)


def _report(parent: str) -> SimpleNamespace:
    node = {"publisher": None, "country": None, "repackager": False, "license": None, "status": "resolved"}
    return SimpleNamespace(
        nodes=[{**node, "id": "acme/child"}, {**node, "id": f"declared:{parent}", "publisher": parent}],
        edges=[{"child": "acme/child", "parent": f"declared:{parent}", "relation": "finetune"}],
    )


@pytest.mark.parametrize("name", HOSTILE_STRINGS + SCRIPTS)
def test_a_hostile_name_is_cleaned_not_refused(name: str) -> None:
    svg = diagrams.lineage_svg(_report(name), url_for=lambda node_id: f"/models/{len(node_id)}/")
    assert svg.startswith("<svg") and "acme/child" in svg
    assert not _UNSAFE.search(svg)


def test_labels_that_still_look_like_script_are_drawn_again_strictly(monkeypatch) -> None:
    monkeypatch.setattr(diagrams, "_SCRIPTISH", re.compile(r"(?!)()"))  # the first cleaning lets it through
    svg = diagrams.lineage_svg(_report("javascript:alert(1)"))
    assert svg.startswith("<svg") and not _UNSAFE.search(svg)
    assert "javascriptalert1" in svg


@pytest.mark.django_db
def test_a_declared_parent_named_like_a_script_keeps_every_diagram_below_it(analyst_client, fake_hub, analyst):
    refresh = LineageRefresh.objects.create(scope="models", model_names=["northwind-ai/contract-copilot-7b-GGUF"])
    lineage.lineage_refresh_run(refresh_id=refresh.pk)
    root = AIModel.objects.get(name="Qwen/Qwen2.5-7B")
    lineage.lineage_parent_declare(
        child=root, parent_kind="declared", parent_name="<script>alert('javascript:1')</script>",
        relation="finetune", source="analyst", user=analyst,
    )  # fmt: skip

    for name in ("Qwen/Qwen2.5-7B", "northwind-ai/contract-copilot-7b-GGUF"):
        model = AIModel.objects.get(name=name)
        page = analyst_client.get(f"/models/{model.pk}/").content.decode()
        assert page.count("<svg") == 1, name
        assert "No diagram" not in page


@pytest.mark.django_db
def test_without_graphviz_the_page_says_so(analyst_client, fake_hub, monkeypatch) -> None:
    refresh = LineageRefresh.objects.create(scope="models", model_names=["Qwen/Qwen2.5-7B-Instruct"])
    lineage.lineage_refresh_run(refresh_id=refresh.pk)

    def missing(*args, **kwargs):
        raise graphviz.ExecutableNotFound(("dot",))

    monkeypatch.setattr(graphviz.Digraph, "pipe", missing)
    model = AIModel.objects.get(name="Qwen/Qwen2.5-7B-Instruct")
    page = analyst_client.get(f"/models/{model.pk}/").content.decode()
    assert "No diagram: the diagram needs Graphviz on the server." in page
