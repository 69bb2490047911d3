"""The reports' lineage diagrams with their labels as HTML text (reports.diagram_html) print the same picture as the
Graphviz SVG they come from: every word at the same place on the page (read back with pdftotext -bbox), at the
size the SVG's scaling gave it; hostile labels stay text; anything unexpected is left as the SVG was."""

from __future__ import annotations

import html
import re
import subprocess
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.template import Context, Template

from reports.diagram_html import diagram_html
from reports.render import DIAGRAM_HEIGHT_MM, DIAGRAM_WIDTH_MM, _with_title
from riskregistry.pdf import PdfMetadata, render_pdf
from tests.fakehub import HOSTILE_STRINGS
from vendors import diagrams

_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')
_NOW = datetime(2026, 12, 31, tzinfo=UTC)
_PAGE = Template(
    '{% extends "reports/pdf/base.html" %}{% block body %}<section class="vendor first">'
    '<div class="diagram">{{ diagram|safe }}</div></section>{% endblock %}'
)


def _lineage(roots: int, parent: str = "Northwind AI") -> SimpleNamespace:
    """``roots`` chains side by side (a wide diagram when many), each a fine-tune of a root, plus one hostile name."""
    node = {"publisher": "Qwen", "country": "CN", "repackager": False, "license": "apache-2.0", "status": "resolved"}
    nodes, edges = [{**node, "id": "northwind-ai/contract-copilot-7b"}], []
    for index in range(roots):
        nodes += [{**node, "id": f"acme/tune-{index}"}, {**node, "id": f"Qwen/Qwen2.5-{index}B", "license": None}]
        edges.append({"child": f"acme/tune-{index}", "parent": f"Qwen/Qwen2.5-{index}B", "relation": "finetune"})
    nodes.append({**node, "id": f"declared:{parent}", "publisher": parent, "status": "gated"})
    edges.append({"child": nodes[0]["id"], "parent": f"declared:{parent}", "relation": "merge"})
    return SimpleNamespace(nodes=nodes, edges=edges)


def _words(diagram: str) -> list[tuple[str, tuple[float, ...]]]:
    pdf = render_pdf(_PAGE.render(Context({"diagram": diagram})), metadata=PdfMetadata(title="t", created=_NOW))
    out = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return [(html.unescape(m[4]), tuple(float(n) for n in m[:4])) for m in _WORD.findall(out.decode())]


@pytest.mark.parametrize("roots", [1, 14])  # drawn at its own size; scaled down to the page's width
def test_the_labels_print_where_the_svg_printed_them(roots):
    svg = _with_title(diagrams.lineage_svg(_lineage(roots)), "Lineage of the models behind Northwind's products")

    split = diagram_html(svg, max_width_mm=DIAGRAM_WIDTH_MM, max_height_mm=DIAGRAM_HEIGHT_MM)

    assert "<text" not in split and split.count("<span ") == svg.count("<text ")
    assert "<title>Lineage of the models behind Northwind's products</title>" in split  # the figure's alt text
    before, after = sorted(_words(svg)), sorted(_words(split))  # by word, then top, then left
    assert [word for word, _ in after] == [word for word, _ in before]
    assert "acme/tune-0" in [word for word, _ in after] and len(after) > 10
    for (word, old), (_, new) in zip(before, after, strict=True):
        # Same left edge and line, to 2 % of the text's height; the right edge within kerning (the
        # SVG's letters are drawn one by one, unkerned).
        height = old[3] - old[1]
        assert abs(new[0] - old[0]) < 0.02 * height and abs(new[1] - old[1]) < 0.02 * height, (word, old, new)
        assert abs(new[3] - old[3]) < 0.02 * height, (word, old, new)
        assert abs(new[2] - old[2]) < 0.05 * (old[2] - old[0]) + 0.04 * height, (word, old, new)


@pytest.mark.parametrize("name", HOSTILE_STRINGS[:8])
def test_hostile_labels_stay_text(name):
    svg = diagrams.lineage_svg(_lineage(1, parent=name))

    split = diagram_html(svg, max_width_mm=DIAGRAM_WIDTH_MM, max_height_mm=DIAGRAM_HEIGHT_MM)

    assert split.startswith('<div class="diagram-figure"')
    labels = re.findall(r"<span [^>]*>([^<]*)</span>", split)
    assert len(labels) == svg.count("<text ")
    assert not re.search(r"<(?!/?(div|span|svg|g|path|polygon|title|ellipse|polyline|a)\b)", split)


@pytest.mark.parametrize(
    "change",
    [
        lambda svg: svg.replace("rotate(0)", "rotate(90)"),
        lambda svg: svg.replace("<text ", '<text rotate="30" ', 1),
        lambda svg: svg.replace('class="node">', 'class="node" transform="translate(5 5)">', 1),
        lambda svg: svg.replace(' width="', ' width="calc(', 1),
        lambda svg: svg[:-20],
        lambda svg: svg.replace("<svg", '<!DOCTYPE svg [<!ENTITY x "y">]><svg', 1),
    ],
)
def test_an_svg_it_does_not_expect_is_left_as_it_was(change):
    svg = change(diagrams.lineage_svg(_lineage(2)))

    assert diagram_html(svg, max_width_mm=DIAGRAM_WIDTH_MM, max_height_mm=DIAGRAM_HEIGHT_MM) == svg
