"""CSV for spreadsheets, shared by the pages and the API: cells a spreadsheet program will not run as formulas,
UTF-8 with a byte-order mark (so Excel reads accents right), streamed in chunks read through the selectors, and
serializer output flattened into columns (``vendor.name``)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator

from django.http import StreamingHttpResponse
from rest_framework import serializers

#: A cell that starts with one of these is run as a formula by Excel, LibreOffice or Google Sheets (OWASP, "CSV
#: Injection"): exports prefix it with a single quote, imports refuse it.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
#: Rows read from the database per query (with their prefetches): a fixed number of queries per chunk.
CHUNK_SIZE = 500
#: How several values share one cell (a product's data categories, a model's datasets).
LIST_SEPARATOR = "; "


def safe_cell(value) -> str:
    """The text of a cell; one a spreadsheet would run as a formula is prefixed with ``'`` (shown, not run)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


class _Echo:
    """A file-like object whose ``write`` returns the line, for ``csv.writer`` feeding a streaming response."""

    def write(self, value):
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The BOM and header, then one line per row, every cell made safe."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def csv_response(header: list[str], rows: Iterable[Iterable], filename: str) -> StreamingHttpResponse:
    """A streamed CSV download; ``rows`` is consumed as the client reads."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def chunked(queryset, size: int = CHUNK_SIZE) -> Iterator[list]:
    """The queryset's rows in lists of ``size``, each read with one query plus one per prefetch."""
    batch = []
    for row in queryset.iterator(chunk_size=size):
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# ---------------------------------------------------------------------------------------------------------------
# Serializer output as columns
# ---------------------------------------------------------------------------------------------------------------
def _nested(field) -> serializers.Serializer | None:
    """The serializer whose fields become sub-columns: a nested one, or what a method field declares it returns."""
    if isinstance(field, serializers.ListSerializer):
        return None
    if isinstance(field, serializers.Serializer):
        return field
    if isinstance(field, serializers.SerializerMethodField):
        method = getattr(field.parent, field.method_name, None)
        declared = getattr(method, "__annotations__", {}).get("return")
        if isinstance(declared, serializers.Serializer) and not isinstance(declared, serializers.ListSerializer):
            return declared
    return None


def serializer_columns(serializer: serializers.Serializer, prefix: str = "") -> list[str]:
    """Dotted column names of a serializer's fields, nested serializers spread out (``product.vendor.name``)."""
    columns = []
    for name, field in serializer.fields.items():
        if not getattr(field, "csv_column", True):  # e.g. a record's version: for a change, not a spreadsheet
            continue
        nested = _nested(field)
        if nested is not None:
            columns += serializer_columns(nested, f"{prefix}{name}.")
        else:
            columns.append(f"{prefix}{name}")
    return columns


def _cell(value):
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return LIST_SEPARATOR.join("" if v is None else str(v) for v in value)
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def flat_row(data: dict, columns: list[str]) -> list:
    """One serialized object as the cells of ``columns`` (a null nested object gives empty cells)."""
    row = []
    for column in columns:
        value = data
        for part in column.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        row.append(_cell(value))
    return row


def serialized_rows(
    queryset, serializer_factory: Callable[[list], serializers.Serializer], columns: list[str]
) -> Iterator[list]:
    """Rows of a queryset read in chunks, each chunk serialized at once (``serializer_factory(chunk)`` returns a
    ``many=True`` serializer), so the number of queries grows with the chunks, not the rows."""
    for chunk in chunked(queryset):
        serializer = serializer_factory(chunk)
        fields = getattr(serializer, "child", serializer).fields
        for name in [name for name, field in fields.items() if not getattr(field, "csv_column", True)]:
            del fields[name]  # not a column, so not worth a query per row either
        for data in serializer.data:
            yield flat_row(data, columns)
