"""Lineage drawn as SVG by Graphviz, so pages and PDFs show the same picture.

Every label is built from stored values, cleaned of markup characters and of anything a browser could read as
a script (``javascript:``, ``on…=``), and passed to Graphviz as plain text (it escapes it into the SVG). The result
is checked to contain only what Graphviz itself writes before anyone puts it in a page; should a label still trip
that check, the diagram is drawn again with strict labels (letters, digits and ``/._-`` only) rather than dropped.
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
_STRICT = re.compile(r"[^A-Za-z0-9 ./_-]")
# Text a browser could take for a script even without markup: a scheme such as "javascript:", "on…=" handlers.
_SCRIPTISH = re.compile(r"(java|vb|live)\s*script\s*:|\bon(\w+)\s*=", re.IGNORECASE)


class DiagramUnavailable(RuntimeError):
    """No diagram could be drawn; ``reason`` says why in words for the page (Graphviz missing or failing)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _text(value: str, limit: int = 60, *, strict: bool = False) -> str:
    """Label text: printable, short, no markup characters and nothing script-like (Graphviz escapes the rest)."""
    value = (_STRICT if strict else _PLAIN).sub("", value or "")
    value = _SCRIPTISH.sub(lambda m: f"{m.group(1)}script " if m.group(1) else f"on{m.group(2)} ", value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _label(node: dict, strict: bool = False) -> str:
    lines = [_text(node["id"], 70, strict=strict)]
    who = node["publisher"] or "unknown publisher"
    if node["country"]:
        who += f" ({node['country']})"
    if node["repackager"]:
        who += ", re-packager"
    lines.append(_text(who, strict=strict))
    details = [node["license"] or "licence unknown"]
    if node["status"] != "resolved":
        details.append(node["status"].replace("_", " "))
    lines.append(_text(" - ".join(details) if strict else " · ".join(details), strict=strict))
    return "\n".join(lines)


_INFERRED_NODE = {"fillcolor": "#f8f9fa", "color": "#6c757d", "style": "rounded,filled,dashed", "fontcolor": "#495057"}
_INFERRED_EDGE = {"style": "dashed", "color": "#6c757d", "fontcolor": "#495057"}


def _inferred_label(edge: dict, strict: bool = False) -> str:
    source = edge["source"].removeprefix("inferred:").replace("upload-", "uploaded ")  # "uploaded config"
    lines = [_text(edge["parent"], 70, strict=strict), _text(f"inferred from {source}, not declared", strict=strict)]
    return "\n".join(lines)


def lineage_svg(report: LineageReport, *, url_for: Callable[[str], str | None] = lambda node_id: None) -> str:
    """The report's graph as an inline SVG element (roots at the top, the subject at the bottom).

    Raises ``DiagramUnavailable`` only when Graphviz is missing or fails, or (never seen) when even strict labels
    leave markup Graphviz does not write; its ``reason`` says which.
    """
    svg = _render(report, url_for, strict=False)
    if _UNSAFE_SVG.search(svg):  # a label Graphviz passed through in a form a browser might run: draw plainer
        svg = _render(report, url_for, strict=True)
    if _UNSAFE_SVG.search(svg):
        raise DiagramUnavailable("the diagram was not shown: Graphviz's output held markup that is never expected")
    return svg


def _render(report: LineageReport, url_for: Callable[[str], str | None], *, strict: bool) -> str:
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
            attrs.update(URL=url, target="_top", tooltip=_text(node["id"], 96, strict=strict))
        graph.node(f"n{index}", _label(node, strict), **attrs)
    ids = {node["id"]: f"n{index}" for index, node in enumerate(report.nodes)}
    for edge in report.edges:
        graph.edge(ids[edge["child"]], ids[edge["parent"]], label=_text(edge["relation"], strict=strict))
    # Inferred parents: dashed, and labelled as inferred, so they are never read as declared lineage.
    for index, edge in enumerate(getattr(report, "inferred_edges", ())):
        if edge["child"] not in ids:
            continue
        if edge["parent"] not in ids:
            ids[edge["parent"]] = f"i{index}"
            attrs = {**_INFERRED_NODE}
            if url := url_for(edge["parent"]):
                attrs.update(URL=url, target="_top", tooltip=_text(edge["parent"], 96, strict=strict))
            graph.node(f"i{index}", _inferred_label(edge, strict), **attrs)
        label = f"probably {edge['relation']} ({edge['confidence']:.2f})"
        graph.edge(ids[edge["child"]], ids[edge["parent"]], label=_text(label, strict=strict), **_INFERRED_EDGE)
    try:
        svg = graph.pipe(format="svg", encoding="utf-8")
    except graphviz.ExecutableNotFound as error:
        raise DiagramUnavailable("the diagram needs Graphviz on the server") from error
    except graphviz.CalledProcessError as error:
        raise DiagramUnavailable(f"Graphviz could not draw this graph (exit status {error.returncode})") from error
    return svg[svg.index("<svg") :]
