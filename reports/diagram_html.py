"""A Graphviz lineage diagram as the PDF reports print it: its shapes as inline SVG, its labels as HTML text
placed over them at the same points.

WeasyPrint draws SVG text one letter at a time: each letter is shaped as a line of its own and drawn with its
own text matrix, and each ``text-anchor="middle"`` label becomes a form XObject of its own. In the quarterly
report's appendix (25 vendors a part, about 57 labels a diagram) the diagrams' text took 1.7 s of a part's 4.5 s of
CPU and 690 KB of its 900 KB of PDF. The same labels as absolutely positioned HTML text are shaped once per label
and drawn as ordinary text (kerned, and extracted as words). The picture is the same: the labels are centred on
the same points, in the same font, at the size the SVG's scaling would have given them; so the diagram's box is
sized here, with the scale the SVG would have had in the room the page gives it.

Anything this does not expect (a rotated or nested transform, a label with per-letter positions, markup that does
not parse) leaves the SVG as it was: slower to draw, never wrong.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_SVG = f"{{{SVG_NS}}}"
_PT_PER_MM = 72 / 25.4
#: Half the width of a label's box (in the diagram's units): text is centred in it, so it must hold the longest
#: label (Graphviz labels are cut at 70 characters, about 400 units at 10pt).
_LABEL_HALF_WIDTH = 300
#: Where the baseline of a line sits below its top with ``line-height: 1`` in DejaVu Sans (fontconfig's Helvetica
#: here): ascent 0.928 less half of (ascent + descent - 1) = 0.164 em.
_BASELINE = 0.846
_TRANSFORM = re.compile(
    r"^\s*scale\(([-\d.]+)(?:[ ,]+([-\d.]+))?\)\s*rotate\(0\)\s*translate\(([-\d.]+)[ ,]+([-\d.]+)\)\s*$"
)
_COLOUR = re.compile(r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]+)$")
_ALIGN = {"start": ("left", 0.0), "middle": ("center", 1.0), "end": ("right", 2.0)}
# The shapes are written back with SVG as the default namespace (and xlink's usual prefix), as Graphviz wrote them.
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)


class _Unexpected(ValueError):
    """The SVG is not the plain Graphviz output this knows how to take apart."""


def _points(value: str | None) -> float:
    if not value:
        raise _Unexpected("no size")
    value = value.strip()
    if value.endswith("pt"):
        return float(value[:-2])
    if value.endswith("px") or value.replace(".", "", 1).isdigit():
        return float(value.removesuffix("px")) * 0.75
    raise _Unexpected(f"size {value!r}")


def diagram_html(svg: str, *, max_width_mm: float, max_height_mm: float) -> str:
    """The diagram at the size the page gives it (never larger than drawn): ``<div class="diagram-figure">`` with
    the SVG's shapes and its labels as HTML; the SVG unchanged when it is not as expected."""
    try:
        return _split(svg, max_width_mm * _PT_PER_MM, max_height_mm * _PT_PER_MM)
    except (_Unexpected, ET.ParseError, ValueError, IndexError, KeyError):
        return svg


def _split(svg: str, max_width: float, max_height: float) -> str:
    if re.search(r"<!\s*(DOCTYPE|ENTITY)", svg, re.IGNORECASE):
        raise _Unexpected("a DOCTYPE")  # Graphviz's element has none (lineage_svg cuts its prolog): no entities
    root = ET.fromstring(svg)  # noqa: S314 -- Graphviz's output for our cleaned labels, without a DOCTYPE
    if root.tag != f"{_SVG}svg":
        raise _Unexpected("not an SVG")
    width, height = _points(root.get("width")), _points(root.get("height"))
    view_x, view_y, view_width, view_height = (float(n) for n in root.get("viewBox", "").replace(",", " ").split())
    graph = root.find(f"{_SVG}g")
    match = _TRANSFORM.match(graph.get("transform", "") if graph is not None else "")
    if match is None or any(node.get("transform") for node in root.iter() if node is not graph):
        raise _Unexpected("a transform other than Graphviz's")
    scale_x = float(match.group(1))
    scale_y = float(match.group(2) or match.group(1))
    shift_x, shift_y = float(match.group(3)), float(match.group(4))
    # The SVG's box, scaled down to fit the room as ``max-width: 100%; max-height`` would, and where the viewBox
    # lands in it (``preserveAspectRatio`` is xMidYMid meet).
    fit = min(1.0, max_width / width, max_height / height)
    box_width, box_height = width * fit, height * fit
    unit = min(box_width / view_width, box_height / view_height)
    left = (box_width - view_width * unit) / 2
    top = (box_height - view_height * unit) / 2

    labels = []
    for parent in root.iter():
        for node in list(parent):
            if node.tag == f"{_SVG}title" and parent is not root:
                parent.remove(node)  # Graphviz's node and edge names; the root's <title> is the figure's alt text
            elif node.tag == f"{_SVG}text":
                labels.append(_label(node, unit, left, top, (scale_x, scale_y, shift_x, shift_y, view_x, view_y)))
                parent.remove(node)
    for node in root.iter():
        node.attrib.pop("class", None)
    for name in ("width", "height"):
        root.attrib.pop(name, None)
    shapes = ET.tostring(root, encoding="unicode")
    return (
        f'<div class="diagram-figure" style="width:{box_width:.2f}pt;height:{box_height:.2f}pt">'
        f"{shapes}{''.join(labels)}</div>"
    )


def _label(node: ET.Element, unit: float, left: float, top: float, transform: tuple[float, ...]) -> str:
    scale_x, scale_y, shift_x, shift_y, view_x, view_y = transform
    if len(node) or any(name in node.attrib for name in ("dx", "dy", "rotate", "textLength", "letter-spacing")):
        raise _Unexpected("a label with tspans or per-letter positions")
    x, y = float(node.get("x", "")), float(node.get("y", ""))
    x = left + (scale_x * (x + shift_x) - view_x) * unit
    baseline = top + (scale_y * (y + shift_y) - view_y) * unit
    size = float(node.get("font-size", "14")) * scale_y * unit
    align, widths = _ALIGN[node.get("text-anchor", "start")]
    half = _LABEL_HALF_WIDTH * unit
    style = (
        f"left:{x - widths * half:.2f}pt;top:{baseline - _BASELINE * size:.2f}pt;width:{2 * half:.2f}pt;"
        f"font-size:{size:.2f}pt"
    )
    if align != "left":
        style += f";text-align:{align}"
    colour = node.get("fill", "")
    if _COLOUR.match(colour) and colour.lower() not in ("#000000", "black"):
        style += f";color:{colour}"
    return f'<span style="{style}">{html.escape(node.text or "")}</span>'
