"""From a report's figures to its HTML: the charts (the dashboard's chart code), the lineage diagrams, the actions
and the templates. The HTML is what WeasyPrint lays out (``riskregistry.pdf``; the quarterly report in parts, by
``reports.document``)."""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from django.template.loader import render_to_string

from assessments import charts
from reports import layout
from reports.diagram_html import diagram_html
from reports.selectors import PortfolioReport
from vendors.diagrams import DiagramUnavailable, lineage_svg

#: Most supply-chain changes listed one by one; all are counted.
CHANGE_ROWS = 200
#: The riskiest products shown with every reason and chain in the quarterly report; the other high and critical
#: ones get a row each (product, vendor, rating, main reason), so the report stays readable, and fast to lay out,
#: however large the portfolio. A vendor report shows all of its products in full.
DETAILED_PRODUCTS = 25
#: The room a lineage diagram has on the page (base.html): A4 less the side margins, and at most this tall (a
#: vendor's diagram in the quarterly report's appendix; the vendor report gives its diagram more of a page).
DIAGRAM_WIDTH_MM = 210 - 2 * 16
DIAGRAM_HEIGHT_MM = 65
VENDOR_REPORT_DIAGRAM_HEIGHT_MM = 150
_CONCERN_CODES = ("origin.country_of_concern", "origin.sanctioned_publisher", "hosting.country_of_concern")


def report_charts(report: PortfolioReport) -> dict[str, str]:
    """The dashboard's three charts for the report's figures (no links: a PDF reader cannot follow them)."""
    tiers = {row.tier: row.count for row in report.tiers}
    return {
        "tiers": charts.tier_chart(
            {tier: tiers.get(tier, 0) for tier in charts.TIER_COLORS},
            title="Active products by their riskiest model usage",
        ),
        "countries": charts.bar_chart(
            [charts.Bar(f"{name} ({code})", n) for code, name, n in report.by_country],
            title="Products by origin country of their models",
            value_label="products",
        ),
        "roots": charts.bar_chart(
            [charts.Bar(name, n) for name, n in report.by_root],
            title="Products by root model",
            value_label="products",
        ),
        # Apart from the declared origins, and said so in its title: never one bar of both.
        "inferred_countries": charts.bar_chart(
            [charts.Bar(f"{row.name} ({row.code})", row.products) for row in report.inferred_by_country],
            title="Products by origin country inferred, not declared",
            value_label="products",
        )
        if report.inferred_by_country
        else "",
    }  # charts already writes paint as presentation attributes (the page's CSP), so WeasyPrint lays them out silently


_ID_ATTR = re.compile(r'\sid="[^"]*"')


def _with_title(svg: str, title: str) -> str:
    """An SVG whose root carries a direct <title> (the tagged PDF's alternative text for the picture), without the
    ids Graphviz repeats in every diagram."""
    svg = _ID_ATTR.sub("", svg)  # Graphviz names every graph and node the same way; nothing refers to them
    start = svg.index(">", svg.index("<svg")) + 1
    return f"{svg[:start]}<title>{_escape(title)}</title>{svg[start:]}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _draw(graph) -> str | None:
    try:
        return lineage_svg(graph)
    except DiagramUnavailable:
        return None


def vendor_diagrams(report: PortfolioReport) -> dict[int, str]:
    """Each vendor's lineage diagram (Graphviz) as the PDF prints it (``diagram_html``: its labels as HTML text),
    by vendor id; a vendor whose graph cannot be drawn has none. Each distinct graph is drawn once, by as many
    ``dot`` processes at a time as there are CPUs."""
    height = VENDOR_REPORT_DIAGRAM_HEIGHT_MM if report.vendor is not None else DIAGRAM_HEIGHT_MM
    sections = [s for s in report.vendors if s.graph is not None and s.vendor is not None]
    graphs = {_graph_key(s.graph): s.graph for s in sections}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        svgs = dict(zip(graphs, pool.map(_draw, graphs.values()), strict=True))
    drawn = {}
    for section in sections:
        svg = svgs[_graph_key(section.graph)]
        if svg:
            title = f"Lineage of the models behind {section.vendor.name}'s products"
            drawn[section.vendor.id] = diagram_html(
                _with_title(svg, title), max_width_mm=DIAGRAM_WIDTH_MM, max_height_mm=height
            )
    return drawn


def _graph_key(graph) -> tuple:
    return (
        tuple(tuple(sorted(n.items())) for n in graph.nodes),
        tuple(tuple(sorted(e.items())) for e in graph.edges),
        tuple(tuple(sorted(e.items())) for e in getattr(graph, "inferred_edges", ())),
    )


def report_actions(report: PortfolioReport) -> list[layout.Action]:
    concern = sorted(
        {
            section.risk.name
            for vendor in report.vendors
            for section in vendor.products
            if any(f["code"] in _CONCERN_CODES for row in section.usages for f in row.factors)
        }
    )
    by_tier = {row.tier: row for row in report.tiers}
    unacknowledged = sum(
        1 for event in report.changes if event.acknowledged_at is None or event.acknowledged_at > report.as_of
    )
    return layout.actions(
        layout.Signals(
            critical=[r.name for r in report.state.riskiest(at_least="critical")],
            high=by_tier["high"].count,
            high_previous=by_tier["high"].previous,
            critical_previous=by_tier["critical"].previous,
            overdue=report.findings.overdue_at_end,
            open=report.findings.open_at_end,
            concern_products=concern,
            unacknowledged_changes=unacknowledged,
            unrated=report.unrated,
        )
    )


def report_context(report: PortfolioReport, *, generated_at: datetime) -> dict:
    """What the report's templates print: the figures, the charts, the diagrams and the actions."""
    diagrams = vendor_diagrams(report)
    return {
        "report": report,
        "generated_at": generated_at,
        "charts": report_charts(report),
        "vendor_blocks": [
            (section, diagrams.get(section.vendor.id) if section.vendor else None) for section in report.vendors
        ],
        "actions": report_actions(report),
        "change_rows": CHANGE_ROWS,
        "change_slice": f":{CHANGE_ROWS}",
        "detailed_products": DETAILED_PRODUCTS,
        "detailed": report.high_critical[:DETAILED_PRODUCTS],
        "summarised": report.high_critical[DETAILED_PRODUCTS:],
        "unrated_delta": layout.signed(report.unrated - report.unrated_previous),
    }


def report_html(report: PortfolioReport, *, generated_at: datetime, template: str) -> str:
    """One template's HTML for the report (a vendor's report whole, or the quarterly report's chapters), ready for
    ``render_pdf``; the quarterly report is laid out in parts by ``reports.document``."""
    return render_to_string(template, report_context(report, generated_at=generated_at))
