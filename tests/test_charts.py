"""The dashboard charts: inline-safe, self-contained, deterministic SVG from hostile labels."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import matplotlib
import pytest

from assessments import charts
from assessments.charts import NO_DATA, TIER_COLORS, Bar, bar_chart, tier_chart

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
NAMESPACES = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink")

# DejaVu has no CJK or emoji glyphs: matplotlib warns while measuring, the browser draws them with its own fonts.
no_glyph_warnings = pytest.mark.filterwarnings("ignore:Glyph .* missing from font:UserWarning")

HOSTILE = [
    # (label as it arrives, the text the chart must show)
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ('" onload="x', '" onload="x'),
    ("&amp;", "&amp;"),
    ("AT&T <b>bold</b>", "AT&T <b>bold</b>"),
    (r"$\alpha$", r"$\alpha$"),
    ("costs $5", "costs $5"),
    ("]]><!-- -->", "]]><!-- -->"),
    ("a" * 80, "a" * 39 + "…"),
    ("Qwen/" + "x" * 50, "Qwen/" + "x" * 34 + "…"),
    ("line\nbreak\ttab\rreturn", "line break tab return"),
    ("nul\x00esc\x1bdel\x7fc1\x85end", "nul esc del c1 end"),
    ("para\u2028graph\u2029end", "para graph end"),
    ("evil\u202egnp.exe", "evil gnp.exe"),  # a right-to-left override would display it as "exe.png"
    ("lone\ud800surrogate", "lone\ufffdsurrogate"),
    ("  padded   out  ", "padded out"),
    ("通义千问 Qwen", "通义千问 Qwen"),
    ("نموذج عربي", "نموذج عربي"),
    ("מודל עברי", "מודל עברי"),
    ("🤖 robot 🇨🇳", "🤖 robot 🇨🇳"),
]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 -- the module's own output, parsed to check it
    assert root.tag == f"{SVG}svg"
    return root


def texts(svg: str) -> list[str]:
    return [element.text or "" for element in parse(svg).iter(f"{SVG}text")]


def assert_safe(svg: str, hrefs: set[str] = frozenset()) -> None:
    """Well-formed, nothing executable, nothing fetched, and no link the caller did not give."""
    root = parse(svg)
    lowered = svg.lower()
    for marker in ("<script", "<foreignobject", "<image", "<iframe", "<use", "<style", "@import", "javascript:"):
        assert marker not in lowered, marker
    for element in root.iter():
        local = element.tag.rpartition("}")[2].lower()
        assert local not in {"script", "foreignobject", "image", "iframe", "object", "embed", "use", "style"}
        for name, value in element.attrib.items():
            assert not name.rpartition("}")[2].lower().startswith("on"), (name, value)
            assert name != "style", "the Content-Security-Policy allows no inline style"
            if name.rpartition("}")[2] == "href":
                assert value in hrefs, value
            assert "http" not in value.lower(), (name, value)
    for reference in re.findall(r"url\(([^)]*)\)", svg):
        assert reference.startswith("#"), reference
    remainder = svg
    for namespace in NAMESPACES:
        remainder = remainder.replace(f'"{namespace}"', "")
    assert "http" not in remainder.lower()


def links(svg: str) -> list[tuple[str, list[str], str]]:
    """Each <a>: its href, the tags it wraps, and the text inside it."""
    return [
        (a.get(XLINK_HREF), [child.tag.removeprefix(SVG) for child in a], "".join(a.itertext()).strip())
        for a in parse(svg).iter(f"{SVG}a")
    ]


def y_of(svg: str, text: str) -> float:
    (element,) = [element for element in parse(svg).iter(f"{SVG}text") if element.text == text]
    return float(element.get("y"))


def x_of(svg: str, text: str) -> float:
    (element,) = [element for element in parse(svg).iter(f"{SVG}text") if element.text == text]
    return float(element.get("x"))


COUNTRIES = [
    Bar("China (CN)", 42, href="/exposure/?country=CN"),
    Bar("United States (US)", 17, href="/exposure/?country=US&tier=high"),
    Bar("France (FR)", 3),
]

CHARTS = {
    "bars": lambda: bar_chart(COUNTRIES, title="Models by country", value_label="Models"),
    "bars with other": lambda: bar_chart(
        [Bar(f"model-{i}", i, href=f"/models/{i}/") for i in range(1, 15)], title="Models", value_label="Usages"
    ),
    "hostile bars": lambda: bar_chart(
        [Bar(raw, index + 1, href=f"/h/{index}/") for index, (raw, _) in enumerate(HOSTILE)],
        title="<script>alert(1)</script>",
        value_label='" onload="x',
        max_bars=len(HOSTILE),
    ),
    "tiers": lambda: tier_chart(
        {"low": 3, "high": 7, "critical": 1}, title="Usages by tier", hrefs={"high": "/usages/?tier=high"}
    ),
    "no bars": lambda: bar_chart([], title="Models by country", value_label="Models"),
    "no tiers": lambda: tier_chart({}, title="Usages by tier"),
    "tier trend": lambda: charts.tier_trend_chart(
        [("2026-01-01", {"low": 2}), ("2026-02-01", {"low": 1, "high": 2, "critical": 1})], title="Tiers over time"
    ),
    "no tier trend": lambda: charts.tier_trend_chart([("2026-01-01", {})], title="Tiers over time"),
    "score trend": lambda: charts.score_trend_chart(
        [("2026-01-01", None), ("2026-02-01", 40), ("2026-03-01", 85)], title="<b>Score</b> over time"
    ),
    "no score trend": lambda: charts.score_trend_chart([("2026-01-01", None)], title="Score over time"),
}
HREFS = {
    "bars": {"/exposure/?country=CN", "/exposure/?country=US&tier=high"},
    "bars with other": {f"/models/{i}/" for i in range(6, 15)},
    "hostile bars": {f"/h/{index}/" for index in range(len(HOSTILE))},
    "tiers": {"/usages/?tier=high"},
}


@no_glyph_warnings
@pytest.mark.parametrize("name", CHARTS)
def test_every_chart_is_safe_to_inline(name):
    assert_safe(CHARTS[name](), HREFS.get(name, set()))


@no_glyph_warnings
@pytest.mark.parametrize("name", CHARTS)
def test_same_input_gives_byte_identical_svg(name):
    assert CHARTS[name]() == CHARTS[name]()


@no_glyph_warnings
@pytest.mark.parametrize("name", CHARTS)
def test_svg_is_ready_to_put_in_a_page(name):
    svg = CHARTS[name]()
    root = parse(svg)
    assert svg.startswith("<svg ")
    assert "<?xml" not in svg
    assert "<!DOCTYPE" not in svg
    assert "<metadata" not in svg  # matplotlib's RDF block names the creator, the date and external vocabularies
    assert re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox"))
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert root.get("role") == "img"
    title = root[0]
    assert title.tag == f"{SVG}title"
    assert title.text == root.get("aria-label")
    assert title.text
    # matplotlib's own group ids would repeat in every chart on a page; only referenced (hashed) ids remain.
    ids = [element.get("id") for element in root.iter() if element.get("id")]
    assert len(ids) == len(set(ids))
    assert not [i for i in ids if re.fullmatch(r"(figure|axes|patch|text|line2d|xtick|ytick)_\d+", i)]


def test_charts_on_one_page_do_not_share_ids():
    first, second = CHARTS["bars"](), CHARTS["tiers"]()
    ids = [set(re.findall(r' id="([^"]+)"', svg)) for svg in (first, second)]
    assert ids[0]
    assert ids[1]
    assert not ids[0] & ids[1]


@no_glyph_warnings
@pytest.mark.parametrize(("raw", "shown"), HOSTILE)
def test_a_hostile_label_is_shown_as_plain_escaped_text(raw, shown):
    svg = bar_chart([Bar(raw, 2, href="/x/"), Bar("plain", 1)], title="t", value_label="n")
    assert_safe(svg, {"/x/"})
    assert shown in texts(svg)
    assert ("/x/", ["text"], shown) in links(svg)
    if raw != shown:
        assert raw not in svg
    for markup in ("<script", "<b>", "<!--"):
        if markup in shown:
            assert markup not in svg
            assert markup.replace("<", "&lt;").replace(">", "&gt;") in svg


def test_mathtext_is_off_so_dollars_stay_dollars():
    svg = bar_chart([Bar(r"$\alpha$ and $", 1)], title=r"$\sqrt{x}$", value_label="$")
    assert r"$\alpha$ and $" in texts(svg)
    assert r"$\sqrt{x}$" in texts(svg)
    assert "\N{GREEK SMALL LETTER ALPHA}" not in svg


def test_the_ampersand_entity_is_escaped_not_passed_through():
    svg = bar_chart([Bar("&amp; &lt;", 1)], title="&", value_label="n")
    assert "&amp;amp; &amp;lt;" in svg
    assert "&amp; &lt;" in texts(svg)


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ('Models "by" country\nper\ttier', 'Models "by" country per tier'),
        ("$x$ & <y>", "$x$ & <y>"),
        ("t" * 200, "t" * 79 + "…"),
    ],
)
@pytest.mark.parametrize("chart", ["bars", "tiers", "empty"])
def test_the_title_is_cleaned_everywhere_it_appears(title, shown, chart):
    svg = {
        "bars": lambda: bar_chart([Bar("a", 1)], title=title, value_label="n"),
        "tiers": lambda: tier_chart({"low": 1}, title=title),
        "empty": lambda: bar_chart([], title=title, value_label="n"),
    }[chart]()
    assert_safe(svg)
    root = parse(svg)
    assert root.get("aria-label") == shown
    assert root[0].text == shown
    assert shown in texts(svg)
    assert "<script" not in svg


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "http://evil.example/",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "data:text/html,<script>alert(1)</script>",
        "exposure/?country=CN",
        " /exposure/",
        "/exposure/\n",
        "/a b/",
        '/x" onload="alert(1)',
        "/x'",
        "/<script>",
        "mailto:a@example.com",
    ],
)
def test_a_link_that_is_not_a_relative_url_is_refused(href):
    with pytest.raises(ValueError, match="chart link"):
        Bar("China (CN)", 1, href=href)
    with pytest.raises(ValueError, match="chart link"):
        tier_chart({"high": 1}, title="t", hrefs={"high": href})


@pytest.mark.parametrize("href", ["/", "/exposure/?country=CN&tier=high", "/models/Qwen%2FQwen2.5-7B/", "#tiers"])
def test_relative_links_are_accepted_and_written_exactly(href):
    svg = bar_chart([Bar("a", 1, href=href)], title="t", value_label="n")
    assert_safe(svg, {href})
    assert {link[0] for link in links(svg)} == {href}


def test_a_linked_bar_and_its_label_are_links_and_open_in_the_same_tab():
    svg = CHARTS["bars"]()
    assert sorted(links(svg)) == sorted(
        [
            ("/exposure/?country=CN", ["path"], ""),
            ("/exposure/?country=CN", ["text"], "China (CN)"),
            ("/exposure/?country=US&tier=high", ["path"], ""),
            ("/exposure/?country=US&tier=high", ["text"], "United States (US)"),
        ]
    )
    assert 'xlink:href="/exposure/?country=US&amp;tier=high"' in svg
    assert "target=" not in svg  # matplotlib writes target="_blank"; in-app links stay in the tab
    assert "France (FR)" not in [text for _, _, text in links(svg)]


@pytest.mark.parametrize(
    ("bars", "max_bars", "expected"),
    [
        pytest.param([], 10, [], id="none"),
        pytest.param(
            [Bar("b", 1), Bar("a", 1), Bar("c", 5)], 10, [("c", 5), ("a", 1), ("b", 1)], id="value-then-label"
        ),
        pytest.param([Bar("x", 2), Bar("x", 2)], 10, [("x", 2), ("x", 2)], id="duplicate-labels-both-kept"),
        pytest.param(
            [Bar(str(i), i) for i in range(1, 4)], 3, [("3", 3), ("2", 2), ("1", 1)], id="exactly-max-no-other"
        ),
        pytest.param(
            [Bar(str(i), i) for i in range(1, 5)], 3, [("4", 4), ("3", 3), ("Other", 3)], id="over-max-lumped"
        ),
        pytest.param(
            [Bar("big", 9), *[Bar(f"s{i}", 5) for i in range(4)]],
            2,
            [("big", 9), ("Other", 20)],
            id="other-last-even-when-largest",
        ),
        pytest.param([Bar("a", 3), Bar("b", 0), Bar("c", 0)], 2, [("a", 3), ("Other", 0)], id="zero-remainder"),
    ],
)
def test_bars_are_sorted_and_the_rest_lumped_into_other(bars, max_bars, expected):
    rows = charts._rows(bars, max_bars=max_bars, other_label="Other")
    assert [(row.label, row.value) for row in rows] == expected
    if len(bars) > max_bars:
        assert rows[-1].href == ""


def test_bars_are_drawn_top_down_with_their_values_and_other_unlinked():
    bars = [Bar(f"model-{i}", i, href=f"/models/{i}/") for i in range(1, 15)]
    svg = bar_chart(bars, title="Models", value_label="Usages", max_bars=4, other_label="Everything else")
    shown = ["model-14", "model-13", "model-12", "Everything else"]
    assert [y_of(svg, label) for label in shown] == sorted(y_of(svg, label) for label in shown)
    assert {text for _, _, text in links(svg) if text} == {"model-14", "model-13", "model-12"}
    assert str(sum(range(1, 12))) in texts(svg)  # 66, printed at the end of the "other" bar
    assert "Usages" in texts(svg)
    assert "#6c757d" in svg  # the remainder is grey, not a real bar's colour


def test_bar_colours_default_and_override():
    svg = bar_chart([Bar("a", 2, color="#AbCdEf"), Bar("b", 1)], title="t", value_label="n")
    assert 'fill="#abcdef"' in svg
    assert 'fill="#0d6efd"' in svg


def test_value_axis_has_integer_ticks_only():
    svg = bar_chart([Bar("a", 1), Bar("b", 2)], title="t", value_label="n")
    numbers = [text for text in texts(svg) if re.fullmatch("[\\d.,\u2212-]+", text)]
    assert numbers
    assert all(re.fullmatch(r"\d+", number) for number in numbers), numbers


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"value": -1}, "count"),
        ({"value": True}, "count"),
        ({"value": 1.5}, "count"),
        ({"value": 1, "color": "red"}, "colour"),
        ({"value": 1, "color": "#fff"}, "colour"),
        ({"value": 1, "color": "#12345g"}, "colour"),
        ({"value": 1, "color": "#1234567"}, "colour"),
        ({"value": 1, "color": "url(#x)"}, "colour"),
    ],
)
def test_a_bar_refuses_bad_values_and_colours(kwargs, error):
    with pytest.raises(ValueError, match=error):
        Bar("a", **kwargs)


def test_max_bars_must_leave_room_for_a_bar_and_other():
    with pytest.raises(ValueError, match="max_bars"):
        bar_chart([Bar("a", 1)], title="t", value_label="n", max_bars=1)


def test_tiers_are_all_shown_in_order_in_their_colours():
    svg = tier_chart({"critical": 4, "low": 2}, title="t")
    assert_safe(svg)
    names = ["Low", "Moderate", "High", "Critical"]
    assert [x_of(svg, name) for name in names] == sorted(x_of(svg, name) for name in names)
    for color in TIER_COLORS.values():
        assert f'fill="{color}"' in svg
    assert texts(svg).count("0") >= 2  # moderate and high are drawn, with their zero on top


def test_tier_colours_match_the_bootstrap_badges():
    assert dict(TIER_COLORS) == {"low": "#198754", "moderate": "#0dcaf0", "high": "#ffc107", "critical": "#dc3545"}


def test_tier_links_wrap_the_bar_and_its_label():
    svg = tier_chart({"low": 1, "high": 2}, title="t", hrefs={"high": "/u/?tier=high", "low": "#low"})
    assert sorted(links(svg)) == sorted(
        [
            ("#low", ["path"], ""),
            ("#low", ["text"], "Low"),
            ("/u/?tier=high", ["path"], ""),
            ("/u/?tier=high", ["text"], "High"),
        ]
    )


@pytest.mark.parametrize(
    ("counts", "hrefs"),
    [
        ({"severe": 1}, None),
        ({"Low": 1}, None),
        ({"low": 1, "": 0}, None),
        ({"low": 1}, {"urgent": "/x/"}),
    ],
)
def test_unknown_tiers_are_refused(counts, hrefs):
    with pytest.raises(ValueError, match="unknown tier"):
        tier_chart(counts, title="t", hrefs=hrefs)


@pytest.mark.parametrize("value", [-1, 2.0, None])
def test_tier_counts_must_be_counts(value):
    with pytest.raises(ValueError, match="count"):
        tier_chart({"low": value}, title="t")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: bar_chart([], title="Models by country", value_label="n"), id="no-bars"),
        pytest.param(
            lambda: bar_chart([Bar("a", 0), Bar("b", 0)], title="Models by country", value_label="n"), id="all-zero"
        ),
        pytest.param(lambda: tier_chart({}, title="Models by country"), id="no-tiers"),
        pytest.param(lambda: tier_chart(dict.fromkeys(TIER_COLORS, 0), title="Models by country"), id="all-zero-tiers"),
    ],
)
def test_no_data_is_a_small_valid_svg_that_says_so(make):
    svg = make()
    assert_safe(svg)
    assert "No data yet" in texts(svg)
    assert "Models by country" in texts(svg)
    assert parse(svg)[0].text == "Models by country"
    assert len(svg) < 2_000


@no_glyph_warnings
def test_text_stays_text_in_a_generic_font_family():
    svg = CHARTS["hostile bars"]()
    assert "font-family=\"'DejaVu Sans', sans-serif\"" in svg
    assert "<path d" in svg
    assert "<text" in svg
    assert "@font-face" not in svg


def test_drawing_leaves_global_settings_alone():
    before = dict(matplotlib.rcParams)
    CHARTS["bars"]()
    CHARTS["no tiers"]()
    assert dict(matplotlib.rcParams) == before


def test_charts_drawn_in_parallel_threads_are_the_same_as_drawn_alone():
    expected = {name: CHARTS[name]() for name in ("bars", "tiers", "bars with other")}
    names = list(expected) * 6
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda name: CHARTS[name](), names))
    assert results == [expected[name] for name in names]


def test_the_module_is_pure_and_its_output_does_not_depend_on_the_process():
    """A fresh interpreter: no Django or pyplot imported, and the same bytes as here (no clock, no random salt)."""
    script = (
        "import hashlib, sys\n"
        "from assessments.charts import Bar, bar_chart\n"
        "svg = bar_chart([Bar('China (CN)', 42, href='/exposure/?country=CN'), Bar('United States (US)', 17, "
        "href='/exposure/?country=US&tier=high'), Bar('France (FR)', 3)], title='Models by country', "
        "value_label='Models')\n"
        "print(hashlib.sha256(svg.encode()).hexdigest())\n"
        "print(sorted(m for m in ('django', 'matplotlib.pyplot') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=60,
    )
    digest, imported = result.stdout.split()
    assert digest == hashlib.sha256(CHARTS["bars"]().encode()).hexdigest()
    assert imported == "[]"


def test_a_long_title_wraps_on_the_chart_but_stays_one_line_for_screen_readers():
    title = " ".join(["publisher"] * 12)  # 119 characters, cut to 80
    svg = bar_chart([Bar("a", 1)], title=title, value_label="n")
    shown = " ".join(["publisher"] * 8) + "…"
    assert parse(svg).get("aria-label") == shown
    assert parse(svg)[0].text == shown
    lines = [text for text in texts(svg) if text.startswith("publ")]
    assert len(lines) == 2
    assert " ".join(lines) == shown


def test_charts_render_into_a_pdf_without_fetching_anything():
    """The quarterly PDF reports embed the same SVG: WeasyPrint draws it and asks for no outside resource."""
    import weasyprint
    from weasyprint.urls import URLFetcher

    asked: list[str] = []

    class Refusing(URLFetcher):
        def fetch(self, url, headers=None):
            asked.append(url)
            raise OSError("reports fetch nothing")

    svgs = [
        charts.tier_chart({"low": 3, "critical": 1}, title="By tier", hrefs={"low": "/exposure/?tier=low"}),
        charts.bar_chart([charts.Bar("China (CN)", 4, "/exposure/?country=CN")], title="By country", value_label="n"),
    ]
    html = f"<html><body><h1>Quarterly report</h1>{''.join(svgs)}</body></html>"
    document = weasyprint.HTML(string=html, url_fetcher=Refusing()).render()

    assert asked == []
    assert len(document.pages) >= 1
    assert document.write_pdf().startswith(b"%PDF")


def test_tier_trend_stacks_each_moment_in_the_tiers_colours_with_a_legend():
    svg = CHARTS["tier trend"]()
    fills = [element.get("fill") for element in parse(svg).iter(f"{SVG}path")]
    for tier in ("low", "high", "critical"):
        assert TIER_COLORS[tier] in fills
    texts = {element.text for element in parse(svg).iter(f"{SVG}text")}
    assert {"2026-01-01", "2026-02-01", "Low", "Moderate", "High", "Critical", "products"} <= texts
    assert NO_DATA not in texts


def test_score_trend_draws_one_line_and_leaves_out_the_moments_before_a_score():
    svg = CHARTS["score trend"]()
    lines = [e for e in parse(svg).iter(f"{SVG}path") if e.get("stroke") == charts._DEFAULT_COLOR]
    assert len(lines) == 1
    texts = {element.text for element in parse(svg).iter(f"{SVG}text")}
    assert {"2026-01-01", "2026-03-01", "100", "score"} <= texts


@pytest.mark.parametrize("name", ["no tier trend", "no score trend"])
def test_a_trend_with_nothing_rated_says_so(name):
    assert NO_DATA in {element.text for element in parse(CHARTS[name]()).iter(f"{SVG}text")}


@pytest.mark.parametrize(
    "call",
    [
        lambda: charts.tier_trend_chart([("a", {"severe": 1})], title="t"),
        lambda: charts.tier_trend_chart([("a", {"low": -1})], title="t"),
        lambda: charts.score_trend_chart([("a", 101)], title="t"),
        lambda: charts.score_trend_chart([("a", 1.5)], title="t"),
    ],
)
def test_a_trend_refuses_values_that_are_not_tiers_counts_or_scores(call):
    with pytest.raises(ValueError):
        call()
