"""One PDF from the parts of a long document (``riskregistry.pdf.render_pdf_part``), as if it had been laid out
whole. WeasyPrint keeps every laid-out page of a document until it is written, so a report of hundreds of pages is
laid out in parts, each written and freed before the next; the join (pypdf, objects copied, nothing laid out or
drawn again) then keeps what readers and auditors rely on:

- the pages in order, with their links and every ``id`` as a named destination;
- links across parts: WeasyPrint drops a link to an ``#id`` it cannot find in the part it lays out, so a part
  links to an ``id`` of another part with ``href="{PART_LINK}id"`` (``part_link``), and the join makes it a link
  to that destination;
- the tagged PDF: one ``Document`` structure element holding every part's elements in order, the parent tree
  renumbered (pages' ``/StructParents``, annotations' ``/StructParent``);
- the outline (bookmarks) of every part, a part's top entries optionally under an earlier part's entry;
- "Page n of m": a layer the caller lays out once the total is known, drawn over each page and marked as an
  artifact (pagination, not content);
- the first part's document information (title, authors, dates) and language.

The same parts give the same bytes (no file identifier or date is added).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DecodedStreamObject,
    DictionaryObject,
    Fit,
    IndirectObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

#: The scheme of links from one part to an ``id`` laid out in another.
PART_LINK = "pdf-part:"
_CATALOG_KEYS = ("/Lang", "/ViewerPreferences", "/MarkInfo")


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


def join_pdf(parts: Sequence[JoinedPart], *, page_numbers: bytes | None = None) -> bytes:
    """The parts as one PDF; ``page_numbers`` is a PDF of as many pages, each drawn over the page of the same
    number (the "Page n of m" layer)."""
    readers = [PdfReader(io.BytesIO(part.pdf)) for part in parts]
    writer = PdfWriter()
    firsts = []
    for reader in readers:
        firsts.append(len(writer.pages))
        writer.append(reader, import_outline=False)
    _join_structure(writer, readers, firsts)
    _join_outline(writer, parts, readers, firsts)
    _resolve_part_links(writer)
    if page_numbers is not None:
        _draw_layer(writer, PdfReader(io.BytesIO(page_numbers)))
    first = readers[0]
    writer.add_metadata(dict(first.metadata or {}))
    for key in _CATALOG_KEYS:
        if key in first.root_object:
            writer.root_object[NameObject(key)] = first.root_object[key].clone(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ---- structure ---------------------------------------------------------------------------------------------------
def _join_structure(writer: PdfWriter, readers: Sequence[PdfReader], firsts: Sequence[int]) -> None:
    trees = [reader.root_object.get("/StructTreeRoot") for reader in readers]
    if not any(tree is not None for tree in trees):
        return
    root = DictionaryObject({NameObject("/Type"): NameObject("/StructTreeRoot")})
    root_ref = writer._add_object(root)
    document = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/StructElem"),
            NameObject("/S"): NameObject("/Document"),
            NameObject("/P"): root_ref,
            NameObject("/K"): ArrayObject(),
        }
    )
    document_ref = writer._add_object(document)
    nums, namespaces, next_key = ArrayObject(), ArrayObject(), 0
    for reader, first, tree in zip(readers, firsts, trees, strict=True):
        if tree is None:
            continue
        tree = tree.get_object()
        # The elements first: the parent tree then refers to their copies (pypdf copies an object once).
        for element in _top_elements(tree):
            copy = element.clone(writer, ignore_fields=("/P",))
            copy[NameObject("/P")] = document_ref
            _set_parents(copy, copy.indirect_reference)
            document["/K"].append(copy.indirect_reference)
        keys = []
        for key, value in _number_tree(tree["/ParentTree"].get_object()):
            keys.append(key)
            nums.extend([NumberObject(key + next_key), value.clone(writer, ignore_fields=("/P",))])
        for namespace in tree.get("/Namespaces", ArrayObject()):
            copied = namespace.clone(writer)
            if copied not in namespaces:
                namespaces.append(copied)
        for index, source in enumerate(reader.pages):
            page = writer.pages[first + index]
            if "/StructParents" in source:
                page[NameObject("/StructParents")] = NumberObject(source["/StructParents"] + next_key)
            for annotation in page.get("/Annots", ArrayObject()):
                annotation = annotation.get_object()
                if "/StructParent" in annotation:
                    annotation[NameObject("/StructParent")] = NumberObject(annotation["/StructParent"] + next_key)
        next_key += max(int(tree.get("/ParentTreeNextKey", 0)), max(keys, default=-1) + 1)
    root[NameObject("/K")] = ArrayObject([document_ref])
    root[NameObject("/ParentTree")] = writer._add_object(DictionaryObject({NameObject("/Nums"): nums}))
    root[NameObject("/ParentTreeNextKey")] = NumberObject(next_key)
    if namespaces:
        root[NameObject("/Namespaces")] = namespaces
    writer.root_object[NameObject("/StructTreeRoot")] = root_ref


def _kids(element: DictionaryObject) -> list:
    kids = element.get("/K")
    if kids is None:
        return []
    kids = kids.get_object() if isinstance(kids, IndirectObject) else kids
    return list(kids) if isinstance(kids, ArrayObject) else [kids]


def _top_elements(tree: DictionaryObject) -> Iterator[DictionaryObject]:
    """A part's elements under its ``Document`` element (the joined document has one)."""
    for kid in _kids(tree):
        element = kid.get_object()
        if not isinstance(element, DictionaryObject):
            continue
        if element.get("/S") == "/Document":
            yield from (k.get_object() for k in _kids(element) if isinstance(k.get_object(), DictionaryObject))
        else:
            yield element


def _set_parents(element: DictionaryObject, reference: IndirectObject) -> None:
    stack = [(element, reference)]
    while stack:
        parent, parent_ref = stack.pop()
        for kid in _kids(parent):
            if not isinstance(kid, IndirectObject):
                continue  # a marked-content id, or a reference to marked content or an annotation
            child = kid.get_object()
            if isinstance(child, DictionaryObject) and "/S" in child:
                child[NameObject("/P")] = parent_ref
                stack.append((child, kid))


def _number_tree(node: DictionaryObject) -> Iterator[tuple[int, object]]:
    nums = node.get("/Nums", ArrayObject())
    for index in range(0, len(nums), 2):
        yield int(nums[index]), nums[index + 1]
    for kid in node.get("/Kids", ArrayObject()):
        yield from _number_tree(kid.get_object())


# ---- outline and links ---------------------------------------------------------------------------------------------
def _join_outline(
    writer: PdfWriter, parts: Sequence[JoinedPart], readers: Sequence[PdfReader], firsts: Sequence[int]
) -> None:
    top: dict[str, object] = {}
    for part, reader, first in zip(parts, readers, firsts, strict=True):
        parent = top.get(part.outline_under) if part.outline_under else None
        if part.outline_under and parent is None:
            raise PdfJoinError(f"no outline entry {part.outline_under!r} before this part")
        _add_outline(writer, reader, reader.outline, first, parent, top if parent is None else None)


def _add_outline(writer, reader, items, first: int, parent, top: dict | None) -> None:
    last = None
    for item in items:
        if isinstance(item, list):  # the children of the entry before
            _add_outline(writer, reader, item, first, last, None)
            continue
        page = first + reader.get_destination_page_number(item)
        fit = Fit.xyz(left=item.left, top=item.top, zoom=item.zoom)
        last = writer.add_outline_item(title=str(item.title), page_number=page, parent=parent, fit=fit)
        if top is not None:
            top.setdefault(str(item.title), last)


def _resolve_part_links(writer: PdfWriter) -> None:
    root = writer.get_named_dest_root()
    names = {str(root[index]) for index in range(0, len(root), 2)}
    for page in writer.pages:
        for annotation in page.get("/Annots", ArrayObject()):
            annotation = annotation.get_object()
            action = annotation.get("/A")
            uri = str(action.get_object().get("/URI", "")) if action is not None else ""
            if not uri.startswith(PART_LINK):
                continue
            name = uri[len(PART_LINK) :]
            if name not in names:
                raise PdfJoinError(f"a link to #{name[:80]}, which no part has")
            del annotation["/A"]
            annotation[NameObject("/Dest")] = TextStringObject(name)
            annotation[NameObject("/Contents")] = TextStringObject(name)  # as WeasyPrint describes its own links


# ---- the page-number layer -----------------------------------------------------------------------------------------
_LAYER_RESOURCES = ("/Font", "/ExtGState", "/XObject", "/Pattern", "/Shading", "/ColorSpace")


def _stream(writer: PdfWriter, data: bytes) -> IndirectObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return writer._add_object(stream.flate_encode())


def _draw_layer(writer: PdfWriter, layer: PdfReader) -> None:
    """Each layer page drawn over the page of the same number. The pages' own content streams are referenced as
    they are (never decoded or parsed: hundreds of pages of text), between ``q`` and ``Q`` so the layer starts
    from the default graphics state; the layer's resources join the page's under names of their own."""
    if len(layer.pages) != len(writer.pages):
        raise PdfJoinError(f"a layer of {len(layer.pages)} pages over {len(writer.pages)}")
    push, pop = _stream(writer, b"q\n"), _stream(writer, b"\nQ\n")
    for page, over in zip(writer.pages, layer.pages, strict=True):
        source = over.get("/Contents")
        if source is None:
            continue
        content = ContentStream(source.get_object(), layer)
        if not content.operations:
            continue  # an unnumbered page (the cover)
        rename = _merge_resources(writer, page, over)
        for operands, _ in content.operations:
            operands[:] = [
                rename.get(operand, operand) if isinstance(operand, NameObject) else operand for operand in operands
            ]
        # Pagination is an artifact: outside the structure, skipped by screen readers.
        drawn = _stream(writer, b"/Artifact BMC\n" + content.get_data() + b"\nEMC\n")
        own = page["/Contents"]
        own = own.get_object() if isinstance(own.get_object(), ArrayObject) else [own]
        page[NameObject("/Contents")] = ArrayObject([push, *own, pop, drawn])


def _merge_resources(writer: PdfWriter, page, over) -> dict[NameObject, NameObject]:
    resources = page["/Resources"].get_object()
    theirs = over["/Resources"].get_object()
    rename = {}
    for kind in _LAYER_RESOURCES:
        if kind not in theirs:
            continue
        if kind not in resources:
            resources[NameObject(kind)] = DictionaryObject()
        ours = resources[kind].get_object()
        for name, value in theirs[kind].get_object().items():
            copy = value.clone(writer)  # once: pypdf keeps what it copied from the layer
            new = NameObject(f"/PageNumber{name[1:]}")
            if new in ours and ours.raw_get(new) != copy:
                raise PdfJoinError(f"the page already has a resource named {new}")
            ours[new] = copy
            rename[NameObject(name)] = new
    return rename
