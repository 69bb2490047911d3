"""One PDF from the parts of a long document (``riskregistry.pdf.render_pdf_part``), as if it had been laid out
whole. WeasyPrint keeps every laid-out page of a document until it is written, so a report of hundreds of pages is
laid out in parts, each written and freed before the next; the join (pikepdf, i.e. qpdf: objects copied in native
code, nothing laid out or drawn again) then keeps what readers and auditors rely on:

- the pages in order, with their links and every ``id`` as a named destination;
- links across parts: WeasyPrint drops a link to an ``#id`` it cannot find in the part it lays out, so a part
  links to an ``id`` of another part with ``href="{PART_LINK}id"`` (``part_link``), and the join makes it a link
  to that destination;
- the tagged PDF: one ``Document`` structure element holding every part's elements in order, the parent tree
  renumbered (pages' ``/StructParents``, annotations' ``/StructParent``);
- the outline (bookmarks) of every part, a part's top entries optionally under an earlier part's entry;
- "Page n of m": a layer the caller lays out once the total is known, each of its pages drawn over the page of the
  same number as a form XObject marked as an artifact (pagination, not content);
- the first part's document information (title, authors, dates) and language.

Parts are read one at a time and closed once copied, so the join holds one part and the output. The output is
written with object streams (the structure is most of its objects: about 400 a page). The same parts give the same
bytes (the file identifier is derived from the content; no date is added).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name, String

#: The scheme of links from one part to an ``id`` laid out in another.
PART_LINK = "pdf-part:"
_CATALOG_KEYS = ("/Lang", "/ViewerPreferences", "/MarkInfo")
#: Operators of a layer page that draw nothing (WeasyPrint's page set-up on an unnumbered page).
_SET_UP = frozenset({"q", "Q", "cm"})


def part_link(anchor: str) -> str:
    """The ``href`` of a link to ``anchor`` when it may be in another part."""
    return f"{PART_LINK}{anchor}"


@dataclass(frozen=True)
class JoinedPart:
    """A part's PDF; ``outline_under`` names a top-level outline entry of an earlier part under which this
    part's top-level entries go (a report's appendix laid out in batches)."""

    pdf: bytes
    outline_under: str | None = None


class PdfJoinError(ValueError):
    """The parts do not make one document (a link to an ``id`` no part has, a layer of another length)."""


@dataclass
class _Outline:
    """An outline entry being joined: the copied entry's title, destination and state, and its children."""

    title: str
    destination: object
    action: object
    closed: bool
    children: list[_Outline]


class _Joined:
    """The output document and what the parts contribute to its catalog, filled part by part."""

    def __init__(self) -> None:
        self.pdf = pikepdf.new()
        self.document = self.pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, K=Array()))
        self.nums = Array()
        self.next_key = 0
        self.namespaces: dict[str, object] = {}
        self.dests: dict[str, object] = {}
        self.outline: list[_Outline] = []
        self.top: dict[str, _Outline] = {}
        self.tagged = False
        self.version = ""  # the first part's PDF version, the least the output declares

    def add(self, part: JoinedPart) -> None:
        with pikepdf.open(io.BytesIO(part.pdf)) as source:
            first = len(self.pdf.pages)
            self.pdf.pages.extend(source.pages)  # qpdf copies each page and what it uses, once per source
            if not first:
                self._describe(source)
            if "/StructTreeRoot" in source.Root:
                self._add_structure(source, first)
            if "/Names" in source.Root and "/Dests" in source.Root.Names:
                dests = self.pdf.copy_foreign(_indirect(source, source.Root.Names.Dests))
                for name, destination in pikepdf.NameTree(dests).items():
                    self.dests.setdefault(name, destination)
            if "/Outlines" in source.Root:
                self._add_outline(part, self.pdf.copy_foreign(_indirect(source, source.Root.Outlines)))

    def _describe(self, source: pikepdf.Pdf) -> None:
        self.pdf.docinfo = self.pdf.copy_foreign(_indirect(source, source.trailer.Info))
        for key in _CATALOG_KEYS:
            if key in source.Root:
                self.pdf.Root[key] = self.pdf.copy_foreign(_indirect(source, source.Root[key]))
        self.version = source.pdf_version

    # ---- structure -------------------------------------------------------------------------------------------
    def _add_structure(self, source: pikepdf.Pdf, first: int) -> None:
        """The part's elements under the joined ``Document``; its parent tree renumbered after the others'.
        Copying the part's tree root copies every element once, with its pages (``/Pg``) already the copies."""
        self.tagged = True
        tree = self.pdf.copy_foreign(source.Root.StructTreeRoot)
        for element in _top_elements(tree):
            element.P = self.document
            self.document.K.append(element)
        offset, keys = self.next_key, []
        for key, value in _number_tree(tree.ParentTree):
            keys.append(key)
            self.nums.extend([key + offset, value])
        for namespace in tree.get("/Namespaces", Array()):
            self.namespaces.setdefault(str(namespace.get("/NS", "")), namespace)
        for page in self.pdf.pages[first:]:
            if "/StructParents" in page.obj:
                page.obj.StructParents = int(page.obj.StructParents) + offset
            for annotation in page.obj.get("/Annots", Array()):
                if "/StructParent" in annotation:
                    annotation.StructParent = int(annotation.StructParent) + offset
        self.next_key += max(int(tree.get("/ParentTreeNextKey", 0)), max(keys, default=-1) + 1)

    # ---- outline ---------------------------------------------------------------------------------------------
    def _add_outline(self, part: JoinedPart, outlines: Dictionary) -> None:
        entries = list(_outline_entries(outlines))
        if part.outline_under:
            parent = self.top.get(part.outline_under)
            if parent is None:
                raise PdfJoinError(f"no outline entry {part.outline_under!r} before this part")
            parent.children.extend(entries)
            return
        self.outline.extend(entries)
        for entry in entries:
            self.top.setdefault(entry.title, entry)

    def write(self, page_numbers: bytes | None) -> bytes:
        pdf = self.pdf
        if self.tagged:
            root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=Array([self.document])))
            self.document.P = root
            root.ParentTree = pdf.make_indirect(Dictionary(Nums=self.nums))
            root.ParentTreeNextKey = self.next_key
            if self.namespaces:
                root.Namespaces = Array(self.namespaces.values())
            pdf.Root.StructTreeRoot = root
        if self.dests:
            tree = pikepdf.NameTree.new(pdf)
            for name in sorted(self.dests):
                tree[name] = self.dests[name]
            pdf.Root.Names = Dictionary(Dests=tree.obj)
        _resolve_part_links(pdf, self.dests)
        if self.outline:
            with pdf.open_outline() as outline:
                outline.root.extend(_outline_item(entry) for entry in self.outline)
        if page_numbers is not None:
            _draw_layer(pdf, page_numbers)
        out = io.BytesIO()
        pdf.save(
            out,
            min_version=self.version,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
            compress_streams=True,
            deterministic_id=True,
        )
        pdf.close()
        return out.getvalue()


def join_pdf(parts: Sequence[JoinedPart], *, page_numbers: bytes | None = None) -> bytes:
    """The parts as one PDF; ``page_numbers`` is a PDF of as many pages, each drawn over the page of the same
    number (the "Page n of m" layer)."""
    joined = _Joined()
    for part in parts:
        joined.add(part)
    return joined.write(page_numbers)


def _indirect(source: pikepdf.Pdf, obj):
    """``obj`` as an indirect object of ``source``, which qpdf can copy to another document with what it uses."""
    return obj if obj.is_indirect else source.make_indirect(obj)


def _kids(element: Dictionary) -> list:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, Array) else [kids]


def _top_elements(tree: Dictionary) -> Iterator[Dictionary]:
    """A part's elements under its ``Document`` element (the joined document has one)."""
    for element in _kids(tree):
        if not isinstance(element, Dictionary):
            continue
        if element.get("/S") == Name.Document:
            yield from (kid for kid in _kids(element) if isinstance(kid, Dictionary) and "/S" in kid)
        else:
            yield element


def _number_tree(node: Dictionary) -> Iterator[tuple[int, object]]:
    nums = node.get("/Nums", Array())
    for index in range(0, len(nums), 2):
        yield int(nums[index]), nums[index + 1]
    for kid in node.get("/Kids", Array()):
        yield from _number_tree(kid)


def _outline_entries(parent: Dictionary) -> Iterator[_Outline]:
    entry = parent.get("/First")
    while entry is not None:
        yield _Outline(
            title=str(entry.get("/Title", "")),
            destination=entry.get("/Dest"),
            action=entry.get("/A"),
            closed=int(entry.get("/Count", 0)) < 0,
            children=list(_outline_entries(entry)),
        )
        entry = entry.get("/Next")


def _outline_item(entry: _Outline) -> pikepdf.OutlineItem:
    item = pikepdf.OutlineItem(entry.title, destination=entry.destination, action=entry.action)
    item.is_closed = entry.closed
    item.children.extend(_outline_item(child) for child in entry.children)
    return item


def _resolve_part_links(pdf: pikepdf.Pdf, dests: dict[str, object]) -> None:
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", Array()):
            action = annotation.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if not uri.startswith(PART_LINK):
                continue
            name = uri[len(PART_LINK) :]
            if name not in dests:
                raise PdfJoinError(f"a link to #{name[:80]}, which no part has")
            del annotation["/A"]
            annotation.Dest = String(name)
            annotation.Contents = String(name)  # as WeasyPrint describes its own links


# ---- the page-number layer -------------------------------------------------------------------------------------
def _draw_layer(pdf: pikepdf.Pdf, layer_pdf: bytes) -> None:
    """Each layer page drawn over the page of the same number, as a form XObject: the page's own content streams
    are referenced as they are (never decoded: hundreds of pages of text), between ``q`` and ``Q`` so the layer
    starts from the default graphics state, and the layer is an artifact, outside the structure."""
    with pikepdf.open(io.BytesIO(layer_pdf)) as layer:
        if len(layer.pages) != len(pdf.pages):
            raise PdfJoinError(f"a layer of {len(layer.pages)} pages over {len(pdf.pages)}")
        push = pdf.make_stream(b"q\n")
        for number, (page, over) in enumerate(zip(pdf.pages, layer.pages, strict=True), start=1):
            if all(str(operator) in _SET_UP for _, operator in pikepdf.parse_content_stream(over)):
                continue  # an unnumbered page (the cover)
            if [float(n) for n in over.mediabox] != [float(n) for n in page.mediabox]:
                raise PdfJoinError("a layer page of another size than the page under it")
            form = pdf.copy_foreign(over.as_form_xobject())
            # Named after the page, not at random (the same bytes run after run), in resources pages may share.
            name = Name(f"/PageNumber{number}")
            if name in page.resources.get("/XObject", Dictionary()):
                raise PdfJoinError(f"the page already has a resource named {name}")
            page.add_resource(form, Name.XObject, name)
            page.contents_add(push, prepend=True)
            page.contents_add(pdf.make_stream(b"Q\n/Artifact BMC\nq\n" + str(name).encode() + b" Do\nQ\nEMC\n"))
