"""The quarterly report laid out in parts (reports.document) reads as one document: "Page n of m" continuous over
every part, the contents' page numbers and links leading to the chapters and to every vendor of the appendix
batches, running headers in the appendix, the outline with the vendors under the appendix, one tagged structure."""

from __future__ import annotations

import io
import re

import pytest
from django.utils import timezone
from pypdf import PdfReader

from reports import document, services
from reports.models import Report
from reports.periods import Quarter
from riskregistry import pdf as pdf_module
from tests.test_reports import portfolio  # noqa: F401  (a fixture)


@pytest.mark.django_db
def test_a_report_laid_out_in_parts_reads_as_one_document(portfolio, monkeypatch, caplog):  # noqa: F811
    caplog.set_level("WARNING", logger="weasyprint")
    monkeypatch.setattr(document, "VENDORS_PER_PART", 1)  # each vendor of the appendix in a part of its own
    laid_out = []
    lay_out = pdf_module.render_pdf_part
    monkeypatch.setattr(pdf_module, "render_pdf_part", lambda html, **kw: laid_out.append(kw) or lay_out(html, **kw))
    now = timezone.now()
    steps = []
    pdf = services.report_pdf(
        kind=Report.Kind.QUARTERLY,
        period=services.Period(Quarter.containing(now), now, True),
        generated_at=now,
        progress=lambda percent, step: steps.append(step),
    )
    reader = PdfReader(io.BytesIO(pdf))
    pages = [page.extract_text() for page in reader.pages]
    total = len(pages)

    assert "Laying out the pages (part 5 of 5)" in steps  # chapters, two vendors, front, page numbers
    assert len(laid_out) == 5  # the front's length was foreseen: its contents were laid out once
    assert "Page 1 of" not in pages[0]  # the cover
    assert [f"Page {n} of {total}" in text for n, text in enumerate(pages[1:], start=2)] == [True] * (total - 1)
    # The contents: every chapter and vendor, each on the page its number says, and its link goes there too.
    rows = re.findall(r"^(.+?) \.{5,}\s*(\d+)$", pages[1], re.MULTILINE)
    titles = [title.strip() for title, _ in rows]
    assert titles[-3] == "Appendix: vendors" and sorted(titles[-2:]) == ["Helio Health", "Northwind Legal AI"]
    numbers = [int(number) for _, number in rows]
    assert numbers == sorted(numbers) and numbers[-1] > numbers[-2] > numbers[-3]  # a page per batch at least
    for title, number in zip(titles, numbers, strict=True):
        assert title in pages[number - 1], title
    destinations = reader.named_destinations
    targets = [str(annotation.get_object()["/Dest"]) for annotation in reader.pages[1]["/Annots"]]
    targets = list(dict.fromkeys(targets))  # a row's link is drawn in a few boxes (title, leader, number)
    assert len(targets) == len(rows)
    for target, number in zip(targets, numbers, strict=True):
        assert reader.get_destination_page_number(destinations[target]) == number - 1, target
    # The running header names the appendix on its batches' pages (the chapter's own title is in another part).
    for number in numbers[-2:]:
        assert "Appendix: vendors" in pages[number - 1] and "AI supply-chain risk report" in pages[number - 1]
    # The outline: the chapters, and the vendors under the appendix.
    outline = reader.outline
    top = [item.title for item in outline if not isinstance(item, list)]
    assert top == ["Contents", *(title for _, title in document.CHAPTERS)]
    assert [item.title for item in outline[-1]] == titles[-2:]
    # One tagged structure and the report's metadata.
    tree = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
    keys = [int(key) for key in tree["/ParentTree"].get_object()["/Nums"][::2]]
    structured = [page["/StructParents"] for page in reader.pages]
    assert len(keys) == len(set(keys)) and len(structured) == len(set(structured)) and set(structured) <= set(keys)
    assert reader.metadata.title == f"AI supply-chain risk report, {Quarter.containing(now).label}"
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert not [r for r in caplog.records if r.name.startswith("weasyprint") and r.levelname in ("WARNING", "ERROR")]
