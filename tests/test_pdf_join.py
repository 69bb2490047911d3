"""Parts of a long PDF joined into one (riskregistry.pdf_join): the pages in order with "Page n of m" over them,
links from one part to another, the outline nested across parts, one tagged structure renumbered, the first part's
metadata, the same bytes for the same parts; a link to nothing or a layer of another length is refused. Real
WeasyPrint parts, joined by qpdf (pikepdf), read back with pypdf."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from riskregistry.pdf import PdfMetadata, render_pdf_part
from riskregistry.pdf_join import JoinedPart, PdfJoinError, join_pdf, part_link

METADATA = PdfMetadata(title="Joined report", created=datetime(2026, 12, 31, tzinfo=UTC), lang="en")
STYLE = "<style>@page { size: A4; @bottom-left { content: 'Confidential' } } h2 { break-before: page }</style>"


def part(body: str, *, tagged: bool = True):
    return render_pdf_part(
        f"<html lang='en'><head>{STYLE}</head><body>{body}</body></html>", metadata=METADATA, tagged=tagged
    )


def numbers(total: int):
    pages = "".join("<div style='break-after: page'></div>" for _ in range(total))
    style = "<style>@page { size: A4; @bottom-right { content: 'Page ' counter(page) ' of ' counter(pages) } }</style>"
    return render_pdf_part(f"<html><head>{style}</head><body>{pages}</body></html>", metadata=METADATA, tagged=False)


@pytest.fixture(scope="module")
def parts():
    front = part(f"<nav><a href='{part_link('beta')}'>To Beta</a> <a href='{part_link('alpha')}'>To Alpha</a></nav>")
    body = part("<h2 id='alpha'>Alpha</h2><p>First chapter.</p><h2 id='appendix'>Appendix</h2><p>Intro.</p>")
    appendix = part("<h3 id='beta'>Beta</h3><table><tr><td>Row</td></tr></table><h3 id='gamma'>Gamma</h3>")
    return front, body, appendix


def _join(parts, **kwargs) -> bytes:
    front, body, appendix = parts
    joined = [JoinedPart(front.pdf), JoinedPart(body.pdf), JoinedPart(appendix.pdf, outline_under="Appendix")]
    total = sum(p.pages for p in parts)
    return join_pdf(joined, page_numbers=numbers(total).pdf, **kwargs)


def test_parts_join_into_one_document_readers_and_auditors_can_rely_on(parts):
    front, body, appendix = parts
    assert (front.pages, body.pages, appendix.pages) == (1, 2, 1)
    assert body.anchors == {"alpha": 0, "appendix": 1} and appendix.anchors == {"beta": 0, "gamma": 0}
    pdf = _join(parts)
    total = sum(p.pages for p in parts)
    reader = PdfReader(io.BytesIO(pdf))
    texts = [page.extract_text() for page in reader.pages]

    assert [f"Page {n} of 4" in text for n, text in enumerate(texts, start=1)] == [True] * 4
    assert "Alpha" in texts[1] and "Beta" in texts[3] and all("Confidential" in text for text in texts)
    # The front's links lead to the other parts' destinations.
    links = [a.get_object() for a in reader.pages[0]["/Annots"]]
    assert [str(link["/Dest"]) for link in links] == ["beta", "alpha"] and not any("/A" in link for link in links)
    destinations = reader.named_destinations
    assert [reader.get_destination_page_number(destinations[name]) for name in ("beta", "alpha")] == [3, 1]
    # The outline: the appendix part's entries under the body's "Appendix".
    outline = reader.outline
    assert [item.title for item in outline if not isinstance(item, list)] == ["Alpha", "Appendix"]
    assert [(item.title, reader.get_destination_page_number(item)) for item in outline[2]] == [
        ("Beta", 3),
        ("Gamma", 3),
    ]
    # One structure: a Document holding every part's elements; each page's marked content in the parent tree.
    tree = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
    [document] = [kid.get_object() for kid in tree["/K"]]
    assert document["/S"] == "/Document" and len(document["/K"]) >= 5
    nums = tree["/ParentTree"].get_object()["/Nums"]
    keys = [int(key) for key in nums[::2]]
    assert len(keys) == len(set(keys)) and tree["/ParentTreeNextKey"] == max(keys) + 1
    used = [page["/StructParents"] for page in reader.pages] + [link["/StructParent"] for link in links]
    assert len(used) == len(set(used)) and set(used) <= set(keys)
    # Every marked content of the structure is on a page of the document (the parts' pages were copied once).
    pages = {page.indirect_reference.idnum for page in reader.pages}
    elements, on_pages = [document], set()
    while elements:
        element = elements.pop()
        if "/Pg" in element:
            on_pages.add(element.raw_get("/Pg").idnum)
        kids = element.get("/K", [])
        kids = [kid.get_object() for kid in (kids if isinstance(kids, list) else [kids])]
        elements.extend(kid for kid in kids if isinstance(kid, DictionaryObject) and "/S" in kid)
    assert on_pages == pages
    # "Page n of m" is drawn over the page's own content, untouched, as an artifact outside the structure.
    own = PdfReader(io.BytesIO(body.pdf)).pages[0]["/Contents"].get_object().get_data()
    contents = reader.pages[1]["/Contents"]
    assert [c.get_object().get_data() for c in contents][1] == own
    assert contents[-1].get_object().get_data().startswith(b"Q\n/Artifact BMC\n")
    # The metadata and the language of the first part; the same parts give the same bytes.
    assert reader.metadata.title == "Joined report" and reader.trailer["/Root"]["/Lang"] == "en"
    assert _join(parts) == pdf
    # The structure (most of the objects of a long report) is written in object streams, as WeasyPrint writes it.
    assert b"/ObjStm" in pdf and len(pdf) < 1.2 * sum(len(p.pdf) for p in (*parts, numbers(total)))


def test_a_link_to_nothing_or_a_layer_of_another_length_is_refused(parts):
    _, body, appendix = parts
    stray = part(f"<p><a href='{part_link('nowhere')}'>Lost</a></p>")
    with pytest.raises(PdfJoinError, match="#nowhere"):
        join_pdf([JoinedPart(stray.pdf), JoinedPart(body.pdf)])
    with pytest.raises(PdfJoinError, match="layer of 3 pages over 4"):
        join_pdf([JoinedPart(p.pdf) for p in parts], page_numbers=numbers(3).pdf)
    with pytest.raises(PdfJoinError, match="no outline entry 'Annex'"):
        join_pdf([JoinedPart(body.pdf), JoinedPart(appendix.pdf, outline_under="Annex")])
