"""Dashboard charts drawn by matplotlib as inline SVG strings.

Pure on purpose: plain values in, a string out, no Django, database or clock. The dashboard page inlines the same
string with ``|safe`` that the PDF reports hand to WeasyPrint, so both show one picture and neither needs a static
file, a network fetch or a font download.

Labels come from a public model hub and from vendors, so every string is treated as hostile: control characters
become spaces, mathtext is off (a lone ``$`` would otherwise be parsed), text is truncated, and matplotlib escapes
what remains. Links are only the caller's own relative URLs. The finished SVG is parsed once more and checked
against an allow-list before it is returned, so a change in matplotlib's output fails loudly instead of reaching
a page.
"""

from __future__ import annotations

import hashlib
import io
import re
import textwrap
import threading
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType

import matplotlib
import matplotlib.style
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = ["TIER_COLORS", "Bar", "ChartError", "bar_chart", "score_trend_chart", "tier_chart", "tier_trend_chart"]

# Bootstrap 5 success/info/warning/danger, so a tier looks the same in a chart as in the UI badges.
TIER_COLORS: Mapping[str, str] = MappingProxyType(
    {"low": "#198754", "moderate": "#0dcaf0", "high": "#ffc107", "critical": "#dc3545"}
)
_TIER_LABELS = {"low": "Low", "moderate": "Moderate", "high": "High", "critical": "Critical"}

_DEFAULT_COLOR = "#0d6efd"  # Bootstrap primary
_OTHER_COLOR = "#6c757d"  # Bootstrap secondary: the lumped remainder is not one thing, so it is not coloured as one
_TEXT_COLOR = "#212529"
_MUTED_COLOR = "#6c757d"
_LINE_COLOR = "#adb5bd"
_GRID_COLOR = "#dee2e6"

LABEL_LIMIT = 40
TITLE_LIMIT = 80
_TITLE_WRAP = 64  # characters of a 10 pt bold title that fit across the 6.4 in figure, with room to spare
NO_DATA = "No data yet"

_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
# Quotes, angle brackets, backslashes and whitespace never occur in a URL the app builds itself (reverse() and
# urlencode escape them); a backslash would also let "/\evil.example" act as a protocol-relative URL in browsers.
_HREF_FORBIDDEN = re.compile(r"[\s\"'<>\\`\x00-\x1f\x7f]")
# Explicit bidi embeddings, overrides and isolates can make a label display as something it is not.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Everything matplotlib writes for these charts once the prolog, metadata and stylesheet are gone; anything else
# means matplotlib changed and the output must be looked at before it goes into a page.
_ALLOWED_TAGS = frozenset(
    f"{{{_SVG_NS}}}{tag}" for tag in ("svg", "title", "g", "path", "text", "a", "defs", "clipPath", "rect")
)
_HREF_ATTRS = ("href", f"{{{_XLINK_NS}}}href")

# rc_context swaps the process-wide rcParams in and out, so two threads drawing at once would restore each other's
# settings mid-draw; matplotlib's font objects are shared between threads too. One chart takes milliseconds.
_RENDER_LOCK = threading.Lock()

# No creator, date or format: the output must not change between runs or versions for the same input, and the
# RDF block matplotlib would write points at external URLs.
_NO_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}


class ChartError(RuntimeError):
    """matplotlib produced SVG outside the allow-list (a matplotlib upgrade changed its output)."""


@dataclass(frozen=True)
class Bar:
    """One bar: a label, a count, and optionally a link and a colour.

    ``href`` must be a relative URL the caller built ("/path..." or "#fragment"); ``color`` a "#rrggbb" hex colour.
    Anything else is a programming error and raises ValueError here rather than reaching a page.
    """

    label: str
    value: int
    href: str = ""
    color: str = ""

    def __post_init__(self) -> None:
        _check_count(self.value, what=f"value of bar {self.label!r}")
        if self.href:
            _check_href(self.href)
        if self.color and not _HEX_COLOR.fullmatch(self.color):
            raise ValueError(f"bar colour must be '#rrggbb', got {self.color!r}")


def bar_chart(
    bars: Sequence[Bar], *, title: str, value_label: str, max_bars: int = 10, other_label: str = "Other"
) -> str:
    """Horizontal bars, largest first (ties by label), each with its value at its end.

    At most ``max_bars`` bars are drawn: when there are more, the first ``max_bars - 1`` are kept and the rest are
    summed into one last bar labelled ``other_label``, without a link, whatever its size.
    """
    if max_bars < 2:
        raise ValueError("max_bars must be at least 2 (one bar and the 'other' bar)")
    bars = list(bars)
    for bar in bars:
        if not isinstance(bar, Bar):
            raise TypeError(f"expected Bar, got {type(bar).__name__}")
    title = _clean(title, TITLE_LIMIT)
    if not any(bar.value for bar in bars):
        return _no_data(title)

    shown = _rows(bars, max_bars=max_bars, other_label=other_label)
    labels = [_clean(bar.label, LABEL_LIMIT) for bar in shown]
    values = [bar.value for bar in shown]
    hrefs = [bar.href for bar in shown]
    salt = _salt("bar", title, value_label, [(bar.label, bar.value, bar.href, bar.color) for bar in shown])

    with _drawing(salt):
        # 0.32 in per bar as planned, plus about 0.5 in more than planned for the title, ticks and axis label,
        # without which one or two bars are squashed to a line.
        fig = Figure(figsize=(6.4, 1.1 + 0.32 * len(shown)), layout="tight")
        ax = fig.add_subplot()
        positions = range(len(shown))
        container = ax.barh(
            positions, values, height=0.7, color=[bar.color or _DEFAULT_COLOR for bar in shown], zorder=2
        )
        ax.set_yticks(positions, labels=labels)
        ax.invert_yaxis()  # largest on top, in reading order
        _link(container.patches, ax.get_yticklabels(), hrefs)
        ax.bar_label(container, labels=[str(value) for value in values], padding=3, color=_TEXT_COLOR)
        # Room for the value printed past the longest bar.
        ax.set_xlim(0, max(values) * 1.12)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        ax.set_xlabel(_clean(value_label, LABEL_LIMIT), loc="right", color=_MUTED_COLOR)
        ax.grid(axis="x", color=_GRID_COLOR, linewidth=0.6, zorder=0)
        _declutter(ax)
        _title(fig, title)
        return _render(fig, title, hrefs)


def tier_chart(counts: Mapping[str, int], *, title: str, hrefs: Mapping[str, str] | None = None) -> str:
    """Vertical bars for the four risk tiers, always all four in order low to critical, in the tiers' colours.

    Missing tiers count as zero; a key that is not a tier raises ValueError (in ``counts`` and in ``hrefs``).
    """
    hrefs = dict(hrefs or {})
    for mapping, what in ((counts, "counts"), (hrefs, "hrefs")):
        unknown = set(mapping) - set(TIER_COLORS)
        if unknown:
            raise ValueError(f"unknown tier(s) in {what}: {sorted(map(str, unknown))}; expected {list(TIER_COLORS)}")
    for tier, value in counts.items():
        _check_count(value, what=f"count of tier {tier!r}")
    for href in hrefs.values():
        if href:
            _check_href(href)
    title = _clean(title, TITLE_LIMIT)
    if not any(counts.values()):
        return _no_data(title)

    tiers = list(TIER_COLORS)
    values = [counts.get(tier, 0) for tier in tiers]
    links = [hrefs.get(tier, "") for tier in tiers]
    salt = _salt("tier", title, list(zip(tiers, values, links, strict=True)))

    with _drawing(salt):
        fig = Figure(figsize=(6.4, 2.6), layout="tight")
        ax = fig.add_subplot()
        positions = range(len(tiers))
        container = ax.bar(positions, values, width=0.6, color=[TIER_COLORS[tier] for tier in tiers], zorder=2)
        ax.set_xticks(positions, labels=[_TIER_LABELS[tier] for tier in tiers])
        _link(container.patches, ax.get_xticklabels(), links)
        ax.bar_label(container, labels=[str(value) for value in values], padding=2, color=_TEXT_COLOR)
        ax.set_ylim(0, max(values) * 1.18)  # room for the value on top of the tallest bar
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        ax.grid(axis="y", color=_GRID_COLOR, linewidth=0.6, zorder=0)
        _declutter(ax)
        _title(fig, title)
        return _render(fig, title, links)


def tier_trend_chart(points: Sequence[tuple[str, Mapping[str, int]]], *, title: str) -> str:
    """Stacked bars, one per moment (oldest left), of how many products sat in each tier then, in the tiers'
    colours, low at the bottom. ``points`` are (label, counts by tier) pairs; missing tiers count as zero."""
    rows = []
    for label, counts in points:
        unknown = set(counts) - set(TIER_COLORS)
        if unknown:
            raise ValueError(f"unknown tier(s) in a trend point: {sorted(map(str, unknown))}")
        for tier, value in counts.items():
            _check_count(value, what=f"count of tier {tier!r}")
        rows.append((_clean(label, LABEL_LIMIT), [counts.get(tier, 0) for tier in TIER_COLORS]))
    title = _clean(title, TITLE_LIMIT)
    if not any(sum(values) for _, values in rows):
        return _no_data(title)

    salt = _salt("tier-trend", title, rows)
    with _drawing(salt):
        # Wider than the other charts: it spans the dashboard, and its text should come out the same size.
        fig = Figure(figsize=(9.6, 2.8), layout="tight")
        ax = fig.add_subplot()
        positions = range(len(rows))
        bottoms = [0] * len(rows)
        for index, tier in enumerate(TIER_COLORS):
            heights = [values[index] for _, values in rows]
            ax.bar(positions, heights, width=0.7, bottom=bottoms, color=TIER_COLORS[tier], label=_TIER_LABELS[tier],
                   zorder=2)  # fmt: skip
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        ax.set_xticks(positions, labels=[label for label, _ in rows], rotation=45, ha="right")
        ax.set_ylim(0, max(bottoms) * 1.05)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        ax.set_ylabel("products", color=_MUTED_COLOR)
        ax.grid(axis="y", color=_GRID_COLOR, linewidth=0.6, zorder=0)
        handles, labels = ax.get_legend_handles_labels()
        # Critical on top of the legend, as on top of the stack.
        ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False,
                  fontsize=8)  # fmt: skip
        _declutter(ax)
        _title(fig, title)
        return _render(fig, title, [])


def score_trend_chart(points: Sequence[tuple[str, int | None]], *, title: str) -> str:
    """A step line of a score (0 to 100) over time, oldest left; ``None`` where there was no score yet leaves a
    gap. Horizontal bands in the tiers' colours are not drawn: the score alone is the trend."""
    rows = []
    for label, value in points:
        if value is not None:
            _check_count(value, what=f"score at {label!r}")
            if value > 100:
                raise ValueError(f"a score is at most 100, got {value!r}")
        rows.append((_clean(label, LABEL_LIMIT), value))
    title = _clean(title, TITLE_LIMIT)
    if all(value is None for _, value in rows):
        return _no_data(title)

    salt = _salt("score-trend", title, rows)
    with _drawing(salt):
        fig = Figure(figsize=(6.4, 2.4), layout="tight")
        ax = fig.add_subplot()
        positions = list(range(len(rows)))
        values = [float("nan") if value is None else value for _, value in rows]
        ax.plot(positions, values, drawstyle="steps-mid", color=_DEFAULT_COLOR, linewidth=2, zorder=2)
        ax.set_xticks(positions, labels=[label for label, _ in rows], rotation=45, ha="right")
        ax.set_xlim(-0.5, len(rows) - 0.5)
        ax.set_ylim(0, 105)
        ax.set_yticks([0, 25, 50, 75, 100])
        ax.set_ylabel("score", color=_MUTED_COLOR)
        ax.grid(axis="y", color=_GRID_COLOR, linewidth=0.6, zorder=0)
        _declutter(ax)
        _title(fig, title)
        return _render(fig, title, [])


def _rows(bars: Sequence[Bar], *, max_bars: int, other_label: str) -> list[Bar]:
    """The bars to draw, top to bottom: largest first, then the remainder lumped into one unlinked bar."""
    rows = sorted(bars, key=lambda bar: (-bar.value, bar.label))
    if len(rows) <= max_bars:
        return rows
    rest = rows[max_bars - 1 :]
    return [*rows[: max_bars - 1], Bar(other_label, sum(bar.value for bar in rest), color=_OTHER_COLOR)]


def _no_data(title: str) -> str:
    with _drawing(_salt("empty", title)):
        fig = Figure(figsize=(6.4, 0.9), layout="tight")
        _title(fig, title)
        fig.text(0.5, 0.3, NO_DATA, ha="center", va="center", color=_MUTED_COLOR)
        return _render(fig, title, [])


@contextmanager
def _drawing(salt: str) -> Iterator[None]:
    """Hold the lock, start from matplotlib's own defaults (ignoring any matplotlibrc on the host), add ours."""
    settings = {
        "svg.fonttype": "none",  # real <text>: smaller, searchable, read by screen readers
        "svg.hashsalt": salt,  # stable clip-path ids; per chart so two charts on one page do not share ids
        "svg.id": None,
        "text.parse_math": False,  # "$" in a hub name is a dollar sign, not mathtext
        "text.usetex": False,
        "axes.formatter.use_mathtext": False,
        # DejaVu ships with matplotlib, so measuring needs no system font; the SVG names the generic family as a
        # fallback and the browser or WeasyPrint uses whatever sans-serif it has.
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans"],
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.labelsize": 9,
        "axes.edgecolor": _LINE_COLOR,
        "xtick.color": _TEXT_COLOR,
        "ytick.color": _TEXT_COLOR,
        # Transparent, so the chart sits on a card's tinted background as well as on a white page.
        "figure.facecolor": "none",
        "axes.facecolor": "none",
        "savefig.facecolor": "none",
    }
    with _RENDER_LOCK, matplotlib.style.context("default"), matplotlib.rc_context(settings):
        yield


def _title(fig: Figure, title: str) -> None:
    # At the figure's left edge, not the axes': long bar labels push the axes far right, and a title starting there
    # would run off the chart. Wrapped by length because matplotlib's own wrapping is not seen by the layout.
    fig.suptitle(
        textwrap.fill(title, _TITLE_WRAP, break_long_words=False, break_on_hyphens=False),
        x=0.01,
        ha="left",
        fontsize=10,
        fontweight="bold",
        color=_TEXT_COLOR,
    )


def _declutter(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    # No tick marks: matplotlib draws them as <use xlink:href="#m..."> references, and without them every href
    # in the output is one the caller gave.
    ax.tick_params(left=False, bottom=False)
    ax.set_axisbelow(True)


def _link(patches, labels, hrefs: Sequence[str]) -> None:
    """Make each bar and its axis label a link; matplotlib wraps an artist with a URL in ``<a xlink:href>``."""
    for patch, label, href in zip(patches, labels, hrefs, strict=True):
        if href:
            patch.set_url(href)
            label.set_url(href)


def _render(fig: Figure, title: str, hrefs: Sequence[str]) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata=_NO_METADATA)
    return _inline(buffer.getvalue(), title, {href for href in hrefs if href})


_ROOT_TAG = re.compile(r"<svg\b[^>]*>")
_VIEWBOX = re.compile(r'\sviewBox="([0-9. ]+)"')
_DEFAULT_STYLE = re.compile(r"\s*<defs>\s*<style type=\"text/css\">[^<]*</style>\s*</defs>")
_BLANK_TARGET = re.compile(r' target="_blank"')
_ID_ATTR = re.compile(r' id="([^"]*)"')
_ID_REFERENCE = re.compile(r'url\(#([^)"]+)\)|href="#([^"]+)"')


def _inline(svg: str, title: str, hrefs: set[str]) -> str:
    """Turn matplotlib's standalone SVG file into an element to put straight into HTML."""
    svg = svg[svg.index("<svg") :]  # the XML declaration and DOCTYPE are not allowed mid-document
    root = _ROOT_TAG.match(svg)
    viewbox = _VIEWBOX.search(root.group(0)) if root else None
    if viewbox is None:
        raise ChartError("matplotlib's SVG has no root element with a viewBox")
    # width="100%" with no height: scales with its container and keeps the aspect ratio of the viewBox.
    # The stroke defaults were a "*{...}" stylesheet, which inside an HTML page would apply to every element on
    # it; as inherited presentation attributes on the root they stay inside the chart.
    label = _xml_escape(title)
    new_root = (
        f'<svg xmlns="{_SVG_NS}" xmlns:xlink="{_XLINK_NS}" version="1.1" viewBox="{viewbox.group(1)}" '
        f'width="100%" role="img" aria-label="{label}" stroke-linejoin="round" stroke-linecap="butt">'
        f"\n <title>{label}</title>"
    )
    svg = new_root + _DEFAULT_STYLE.sub("", svg[root.end() :], count=1)
    # Links inside the app open in the same tab, like every other link on the page.
    svg = _BLANK_TARGET.sub("", svg)
    # matplotlib names every group (figure_1, axes_1, patch_3...): the same ids in every chart, so two charts on
    # one page would repeat them. Only the ids something points at are kept, and those are hashed per chart.
    referenced = {name for pair in _ID_REFERENCE.findall(svg) for name in pair if name}
    svg = _ID_ATTR.sub(lambda match: match.group(0) if match.group(1) in referenced else "", svg)
    # The page's Content-Security-Policy allows no inline style: matplotlib's style="" declarations become the
    # SVG presentation attributes they stand for, which need no permission.
    svg = _STYLE_ATTR.sub(_presentation_attributes, svg)
    _check(svg, hrefs)
    return svg.strip() + "\n"


_STYLE_ATTR = re.compile(r' style="([^"]*)"')
# The CSS properties matplotlib writes on these charts that are also SVG presentation attributes.
_PRESENTATION = frozenset(
    ("fill", "fill-opacity", "stroke", "stroke-width", "stroke-opacity", "stroke-linecap", "stroke-linejoin",
     "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "opacity", "clip-path", "font-size",
     "font-family", "font-weight", "font-style", "text-anchor", "dominant-baseline")
)  # fmt: skip


def _presentation_attributes(match: re.Match) -> str:
    attributes = []
    for declaration in filter(None, (part.strip() for part in match.group(1).split(";"))):
        name, _, value = (piece.strip() for piece in declaration.partition(":"))
        if name not in _PRESENTATION:
            raise ChartError(f"unexpected style {declaration!r} in the chart")
        attributes.append(f' {name}="{value}"')  # already escaped for an attribute: it came from one
    return "".join(attributes)


def _check(svg: str, hrefs: set[str]) -> None:
    try:
        root = ET.fromstring(svg)  # noqa: S314 -- our own output, without a DOCTYPE, checked before it is used
    except ET.ParseError as error:
        raise ChartError(f"matplotlib's SVG is not well-formed: {error}") from error
    for element in root.iter():
        if element.tag not in _ALLOWED_TAGS:
            raise ChartError(f"unexpected element {element.tag!r} in the chart")
        for name, value in element.attrib.items():
            local = name.rpartition("}")[2].lower()
            if local == "style":
                raise ChartError("unexpected inline style in the chart")
            if local.startswith("on"):
                raise ChartError(f"unexpected event attribute {name!r} in the chart")
            if name in _HREF_ATTRS and value not in hrefs:
                raise ChartError(f"unexpected link {value!r} in the chart")
            if "url(" in value and not re.fullmatch(r"url\(#[\w-]+\)", value):
                raise ChartError(f"unexpected reference {value!r} in the chart")


def _clean(text: object, limit: int) -> str:
    """Printable single-line text of at most ``limit`` characters."""
    chars = []
    for char in str(text):
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS:
            chars.append(" ")
        elif category == "Cs" or char in ("\ufffe", "\uffff"):  # not allowed in XML, nor encodable as UTF-8
            chars.append("\ufffd")
        else:
            chars.append(char)
    text = " ".join("".join(chars).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _check_count(value: object, *, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a count (an int >= 0), got {value!r}")


def _check_href(href: object) -> None:
    """Only links the app built itself: a path on this site or a fragment of this page."""
    if not isinstance(href, str) or _HREF_FORBIDDEN.search(href):
        raise ValueError(f"chart link must be a relative URL without spaces or quotes, got {href!r}")
    if not (href.startswith("#") or (href.startswith("/") and not href.startswith("//"))):
        raise ValueError(f"chart link must start with '/' (not '//') or '#', got {href!r}")


def _salt(*parts: object) -> str:
    return "riskregistry-charts-" + hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
