"""The quarterly report as a PDF, laid out in parts so its memory stays bounded however large the portfolio.

WeasyPrint keeps every laid-out page of a document until the document is written: 266 pages of a 200-vendor
portfolio held 1.4 GiB. So the report is laid out as separate documents, each written and freed before the next
one is laid out (``riskregistry.pdf.render_pdf_part``), then joined (``riskregistry.pdf_join.join_pdf``):

1. the chapters (``quarterly.html``: executive summary to the appendix's introduction);
2. the vendors appendix, ``VENDORS_PER_PART`` vendors at a time (``quarterly_vendors.html``), each batch
   starting on a new page;
3. the front (``quarterly_front.html``: cover and contents) last, because its contents print the page of every
   chapter and vendor: the parts after it are laid out, so those pages are known once the front's own length is.
   That length is foreseen from the contents' rows (``front_pages_expected``, the contents' layout in
   ``base.html``), so the front is laid out once; should a long title wrap otherwise than foreseen, it is laid
   out again with the length it took;
4. "Page n of m" (``page_numbers.html``), laid out once m is known and drawn over every page but the cover.

Links of the contents are ``part_link``s, made into links to the chapters and vendors by the join, which also
keeps the tagged structure, the outline (vendors under "Appendix: vendors") and the metadata.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.template.loader import render_to_string

from reports import render
from reports.selectors import PortfolioReport

if TYPE_CHECKING:
    from riskregistry.pdf import PdfMetadata, PdfPart

BODY_TEMPLATE = "reports/pdf/quarterly.html"
FRONT_TEMPLATE = "reports/pdf/quarterly_front.html"
VENDORS_TEMPLATE = "reports/pdf/quarterly_vendors.html"
PAGE_NUMBERS_TEMPLATE = "reports/pdf/page_numbers.html"
#: Vendors laid out together: a batch of 25 vendors is about 25 pages and 100 MiB while laid out.
VENDORS_PER_PART = 25
APPENDIX_TITLE = "Appendix: vendors"
#: The chapters the contents list, in order: the id of each chapter's section and its title.
CHAPTERS = (
    ("summary", "Executive summary"),
    ("exposure", "Exposure by origin country and root model"),
    ("high-risk", "Products rated high or critical"),
    ("changes", "Supply-chain changes in the quarter"),
    ("findings", "Findings"),
    ("questionnaires", "Questionnaires and attestations"),
    ("method", "Scoring policy and methodology"),
    ("appendix", APPENDIX_TITLE),
)
_FRONT_ATTEMPTS = 4
# The contents' layout (base.html): an A4 page less its margins holds the "Contents" heading then rows of one line
# (longer titles wrap), a chapter's at 9.5pt, a vendor's at 8pt, each line 1.45 times its font size, plus margins.
_PT = 25.4 / 72  # mm
_PAGE_MM = 297 - 22 - 20
_HEADING_MM = 16 * 1.45 * _PT + 2 + 1.5 * _PT + 4
_ROW_MM = 9.5 * 1.45 * _PT + 2.2
_SUB_ROW_MM, _SUB_LINE_MM = 8 * 1.45 * _PT + 0.6, 8 * 1.45 * _PT
_SUB_LINE_CHARS = 90  # a vendor's row: 172 mm of 8pt DejaVu Sans, less the leader and the page number


@dataclass(frozen=True)
class ContentsRow:
    title: str
    href: str
    page: int
    sub: bool = False


@dataclass(frozen=True)
class QuarterlyHtml:
    """The quarterly report's HTML but the front's (which needs the others' page numbers)."""

    context: dict
    body: str
    vendors: list[str]


def quarterly_html(report: PortfolioReport, *, generated_at: datetime) -> QuarterlyHtml:
    """The chapters' HTML and the appendix's, ``VENDORS_PER_PART`` vendors a part."""
    context = render.report_context(report, generated_at=generated_at)
    blocks = context["vendor_blocks"]
    batches = [blocks[start : start + VENDORS_PER_PART] for start in range(0, len(blocks), VENDORS_PER_PART)]
    vendors = [
        render_to_string(VENDORS_TEMPLATE, {**context, "vendor_blocks": batch, "appendix_title": APPENDIX_TITLE})
        for batch in batches
    ]
    return QuarterlyHtml(context=context, body=render_to_string(BODY_TEMPLATE, context), vendors=vendors)


def _contents(report: PortfolioReport, located: dict[str, int], front_pages: int) -> list[ContentsRow]:
    from riskregistry.pdf_join import part_link

    rows = [ContentsRow(title, part_link(anchor), front_pages + located[anchor] + 1) for anchor, title in CHAPTERS]
    for section in report.vendors:
        if section.vendor is not None:
            anchor = f"vendor-{section.vendor.id}"
            rows.append(ContentsRow(section.vendor.name, part_link(anchor), front_pages + located[anchor] + 1, True))
    return rows


def front_pages_expected(contents: list[ContentsRow]) -> int:
    """How many pages the front will take: the cover, then the contents' rows filling pages one after another."""
    pages, used = 2, _HEADING_MM
    for row in contents:
        wrapped = (len(row.title) - 1) // _SUB_LINE_CHARS if row.sub else 0
        height = _SUB_ROW_MM + wrapped * _SUB_LINE_MM if row.sub else _ROW_MM
        if used + height > _PAGE_MM:
            pages, used = pages + 1, 0.0
        used += height
    return pages


def quarterly_pdf(
    report: PortfolioReport,
    *,
    generated_at: datetime,
    metadata: PdfMetadata,
    progress: Callable[[int, str], object] = lambda percent, step: None,
    html: QuarterlyHtml | None = None,
    parts_html: list[tuple[str, bool]] | None = None,
) -> bytes:
    """The quarterly report's PDF. ``progress(percent, step)`` hears of each part (60 to 90 %); ``parts_html``,
    if given, receives the final HTML of every part and whether it was tagged (the benchmark lays them out
    again with WeasyPrint alone); ``html`` is ``quarterly_html``'s, when the caller made it already."""
    from riskregistry.pdf import render_pdf_part
    from riskregistry.pdf_join import JoinedPart, join_pdf

    html = html or quarterly_html(report, generated_at=generated_at)
    count = len(html.vendors) + 3  # the chapters, the vendor batches, the front, the page numbers
    final: list[tuple[str, bool]] = []

    def part(source: str, *, tagged: bool = True, again: bool = False) -> PdfPart:
        if again:  # the front laid out again: its final HTML replaces the first attempt's
            final.pop()
        else:
            progress(60 + 30 * len(final) // count, f"Laying out the pages (part {len(final) + 1} of {count})")
        final.append((source, tagged))
        return render_pdf_part(source, metadata=metadata, tagged=tagged)

    body = part(html.body)
    appendix = [part(source) for source in html.vendors]
    located, offset = {}, 0
    for laid in (body, *appendix):
        for anchor, page in laid.anchors.items():
            located.setdefault(anchor, offset + page)
        offset += laid.pages
    front_pages = front_pages_expected(_contents(report, located, 0))
    for attempt in range(_FRONT_ATTEMPTS):
        contents = _contents(report, located, front_pages)
        front = part(render_to_string(FRONT_TEMPLATE, {**html.context, "contents": contents}), again=attempt > 0)
        if front.pages == front_pages:
            break
        front_pages = front.pages
    else:
        raise RuntimeError(f"the contents did not settle at a length in {_FRONT_ATTEMPTS} layouts")
    total = front.pages + offset
    numbers = part(render_to_string(PAGE_NUMBERS_TEMPLATE, {"pages": [n > 0 for n in range(total)]}), tagged=False)
    if parts_html is not None:
        parts_html.extend(final)
    return join_pdf(
        [
            JoinedPart(front.pdf),
            JoinedPart(body.pdf),
            *(JoinedPart(laid.pdf, outline_under=APPENDIX_TITLE) for laid in appendix),
        ],
        page_numbers=numbers.pdf,
    )
