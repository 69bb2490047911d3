"""Lineage drawn as SVG by Graphviz, so pages and PDFs show the same picture.

Every label is built from stored values and passed to Graphviz as plain text (it escapes it into the SVG); the
result is checked to contain only what Graphviz itself writes before anyone puts it in a page.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import graphviz

from vendors.selectors.lineage import LineageReport

_STATUS_STYLE = {
    "resolved": {"fillcolor": "#ffffff", "color": "#6c757d"},
    "pending": {"fillcolor": "#f8f9fa", "color": "#adb5bd", "style": "rounded,filled,dashed"},
    "not_found": {"fillcolor": "#f8d7da", "color": "#b02a37"},
    "error": {"fillcolor": "#f8d7da", "color": "#b02a37"},
    "disabled": {"fillcolor": "#f8d7da", "color": "#b02a37"},
    "gated": {"fillcolor": "#fff3cd", "color": "#997404"},
    "cycle": {"fillcolor": "#f8d7da", "color": "#b02a37", "penwidth": "2"},
    "depth_limit": {"fillcolor": "#fff3cd", "color": "#997404", "style": "rounded,filled,dashed"},
}
_UNSAFE_SVG = re.compile(r"<\s*(script|foreignObject|iframe|object|embed)|\son\w+\s*=|javascript:", re.IGNORECASE)
_PLAIN = re.compile(r"[^\w .,:;/()+\-@#&'·]", re.UNICODE)


class DiagramUnavailable(RuntimeError):
    """Graphviz (the ``dot`` program) is not installed, or refused the graph."""


def _text(value: str, limit: int = 60) -> str:
    """Label text: printable, short, no markup characters (Graphviz escapes what remains)."""
    value = _PLAIN.sub("", value or "")
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _label(node: dict) -> str:
    lines = [_text(node["id"], 70)]
    who = node["publisher"] or "unknown publisher"
    if node["country"]:
        who += f" ({node['country']})"
    if node["repackager"]:
        who += ", re-packager"
    lines.append(_text(who))
    details = [node["license"] or "licence unknown"]
    if node["status"] != "resolved":
        details.append(node["status"].replace("_", " "))
    lines.append(_text(" · ".join(details)))
    return "\n".join(lines)


def lineage_svg(report: LineageReport, *, url_for: Callable[[str], str | None] = lambda node_id: None) -> str:
    """The report's graph as an inline SVG element (roots at the top, the subject at the bottom)."""
    graph = graphviz.Digraph(
        graph_attr={"rankdir": "BT", "bgcolor": "transparent", "nodesep": "0.3", "ranksep": "0.45"},
        node_attr={"shape": "box", "style": "rounded,filled", "fontname": "Helvetica", "fontsize": "10"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9", "color": "#495057"},
    )
    for index, node in enumerate(report.nodes):
        attrs = dict(_STATUS_STYLE.get(node["status"], _STATUS_STYLE["resolved"]))
        if index == 0:
            attrs.update(penwidth="2", color="#0b5394")
        url = url_for(node["id"])
        if url:
            attrs.update(URL=url, target="_top", tooltip=_text(node["id"], 96))
        graph.node(f"n{index}", _label(node), **attrs)
    ids = {node["id"]: f"n{index}" for index, node in enumerate(report.nodes)}
    for edge in report.edges:
        graph.edge(ids[edge["child"]], ids[edge["parent"]], label=_text(edge["relation"]))
    try:
        svg = graph.pipe(format="svg", encoding="utf-8")
    except (graphviz.ExecutableNotFound, graphviz.CalledProcessError) as error:
        raise DiagramUnavailable(str(error)) from error
    svg = svg[svg.index("<svg") :]
    if _UNSAFE_SVG.search(svg):  # Graphviz never writes these; refuse rather than inline anything unexpected
        raise DiagramUnavailable("the diagram contained unexpected markup")
    return svg
