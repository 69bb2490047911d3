"""Reading a portfolio spreadsheet: bytes in, checked rows out. Pure: no database, so every rule is tested
table-driven. What needs the portfolio (does the vendor exist, is the host known) is the plan's job."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django_countries import countries

from vendors.csv_import.columns import EXPORT_ONLY, NAMES, PRODUCT_FIELDS, USAGE_FIELDS
from vendors.models.lineage import AIModelKind
from vendors.models.portfolio import DATA_CATEGORIES, Criticality, UsageRole
from vendors.validators import validate_hub_repo_id

#: A cell that starts with one of these would run as a formula in a spreadsheet (OWASP "CSV Injection").
FORMULA_START = ("=", "+", "-", "@")
NAME_MAX = 200
KEY_MAX = 100
_DATA_CATEGORY_CODES = tuple(code for code, *_ in DATA_CATEGORIES)
_url = URLValidator(schemes=("http", "https"))
#: Names spreadsheets use that are neither ISO codes nor the ISO short names django-countries knows.
_COUNTRY_ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "united states": "US",
    "united states of america": "US",
}


class CsvFileError(Exception):
    """The file as a whole cannot be read (size, encoding, header, too many rows): nothing is imported."""

    def __init__(self, messages: list[str] | str):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(" ".join(self.messages))


@dataclass(frozen=True)
class Row:
    """One data row, normalised (codes lower-case, the country as ISO alpha-2); blank means "not given"."""

    line: int
    vendor: str = ""
    vendor_country: str = ""
    vendor_website: str = ""
    vendor_tier: str = ""
    product: str = ""
    product_criticality: str = ""
    product_data_categories: tuple[str, ...] | None = None
    product_business_owner: str = ""
    model_kind: str = ""
    model: str = ""
    role: str = ""
    share: int | None = None
    host: str = ""
    region: str = ""
    ended: bool = False  # an exported usage that ended (``retired_at``): left alone
    errors: tuple[str, ...] = field(default=(), compare=False)

    def key(self) -> tuple:
        """Everything but the line and the errors: two rows with the same key say the same thing."""
        return tuple(getattr(self, name) for name in NAMES)


def parse_csv(data: bytes, *, max_bytes: int, max_rows: int) -> list[Row]:
    """The rows of an uploaded file, each with its errors; ``CsvFileError`` when the file cannot be read."""
    if len(data) > max_bytes:
        raise CsvFileError(f"The file is {_size(len(data))}; at most {_size(max_bytes)} can be imported at once.")
    text = _decode(data)
    try:
        records = [(reader_line, cells) for reader_line, cells in _records(text)]
    except csv.Error as error:
        raise CsvFileError(f"The file is not valid CSV: {error}.") from None
    if not records:
        raise CsvFileError("The file is empty: it needs a header row naming the columns, then one row per line.")
    (_, header), body = records[0], records[1:]
    columns = _header(header)
    body = [(line, cells) for line, cells in body if any(c.strip() for c in cells)]
    if len(body) > max_rows:
        raise CsvFileError(f"The file has {len(body)} rows; at most {max_rows} can be imported at once.")
    if not body:
        raise CsvFileError("The file has a header but no rows.")
    rows, seen = [], {}
    for line, cells in body:
        row = _row(line, columns, cells)
        if not row.errors:
            first = seen.setdefault(row.key(), line)
            if first != line:
                row = _with_errors(row, [f"Duplicates row {first}."])
        rows.append(row)
    return rows


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n:,} bytes"


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CsvFileError('The file is UTF-16; save it as "CSV UTF-8" and upload it again.')
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvFileError(
            f"The file is not UTF-8 (byte 0x{data[error.start]:02x} at position {error.start}): save it as "
            '"CSV UTF-8 (comma delimited)" and upload it again.'
        ) from None
    if "\x00" in text:
        raise CsvFileError("The file holds binary data, not CSV text.")
    return text


def _records(text: str):
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    for cells in reader:
        yield reader.line_num, cells


def _header(cells: list[str]) -> list[str]:
    names = [c.strip().lower() for c in cells]
    while names and not names[-1]:
        names.pop()
    errors = [f"Column {i} of the header has no name." for i, n in enumerate(names, start=1) if not n]
    unknown = [n for n in names if n and n not in NAMES and n not in EXPORT_ONLY]
    if unknown:
        errors.append(
            f"Unknown column{'s' if len(unknown) > 1 else ''} {', '.join(repr(n) for n in unknown)}; the columns "
            f"are {', '.join(NAMES)}."
        )
    doubled = sorted({n for n in names if names.count(n) > 1 and n})
    if doubled:
        errors.append(f"Column{'s' if len(doubled) > 1 else ''} {', '.join(doubled)} appear more than once.")
    if "vendor" not in names:
        errors.append("The header has no 'vendor' column (the vendor's legal name).")
    if errors:
        raise CsvFileError(errors)
    return names


def _with_errors(row: Row, errors: list[str]) -> Row:
    kept = {name: getattr(row, name) for name in ("line", "ended", *NAMES)}
    return Row(**kept, errors=(*row.errors, *errors))


def _cell(column: str, raw: str, errors: list[str]) -> str:
    """The cell's text; one that would run as a formula is refused. A quote before a formula character is how
    exports keep such text harmless: it is read back as the text after the quote."""
    if raw.startswith(("\t", "\r")):
        errors.append(f"{column}: starts with a tab or a carriage return, which spreadsheets run as a formula.")
        return ""
    value = raw.strip()
    if value.startswith("'") and value[1:2] in FORMULA_START:
        return value[1:]
    if value.startswith(FORMULA_START):
        errors.append(f"{column}: “{value[:40]}” looks like a spreadsheet formula; remove the leading “{value[0]}”.")
        return ""
    return value


def _row(line: int, columns: list[str], cells: list[str]) -> Row:
    errors: list[str] = []
    if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
        errors.append(f"Has {len(cells)} cells but the header names {len(columns)} columns.")
    raw = dict(zip(columns, cells, strict=False))
    given = {name: _cell(name, raw.get(name, ""), errors) for name in NAMES}
    values: dict = {"line": line, "ended": bool(raw.get("retired_at", "").strip())}

    values["vendor"] = _name("vendor", given["vendor"], errors, required=True)
    values["vendor_country"] = _country(given["vendor_country"], errors)
    values["vendor_website"] = _website(given["vendor_website"], errors)
    values["vendor_tier"] = _choice("vendor_tier", given["vendor_tier"], Criticality.values, errors)
    values["product"] = _name("product", given["product"], errors)
    values["product_criticality"] = _choice(
        "product_criticality", given["product_criticality"], Criticality.values, errors
    )
    values["product_data_categories"] = _categories(given["product_data_categories"], errors)
    values["product_business_owner"] = _name("product_business_owner", given["product_business_owner"], errors)

    usage_given = any(given[name] for name in USAGE_FIELDS)
    values["model_kind"] = _choice("model_kind", given["model_kind"], AIModelKind.values, errors)
    values["model"] = given["model"]
    values["role"] = _choice("role", given["role"], UsageRole.values, errors)
    values["share"] = _share(given["share"], errors)
    values["host"] = _key("host", given["host"], errors)
    values["region"] = _key("region", given["region"], errors)
    if usage_given:
        values["model_kind"] = values["model_kind"] or AIModelKind.HUB
        values["role"] = values["role"] or UsageRole.PRIMARY
        _usage_rules(values, errors)
    if any(given[name] for name in PRODUCT_FIELDS) and not values["product"]:
        errors.append("Product details are given without a product name.")
    if usage_given and not values["product"]:
        errors.append("A model is given without the product that uses it.")
    return Row(**values, errors=tuple(errors))


def _name(column: str, value: str, errors: list[str], required: bool = False) -> str:
    if required and not value:
        errors.append(f"{column}: required.")
    if len(value) > NAME_MAX:
        errors.append(f"{column}: longer than {NAME_MAX} characters.")
    return value


def _key(column: str, value: str, errors: list[str]) -> str:
    if len(value) > KEY_MAX:
        errors.append(f"{column}: longer than {KEY_MAX} characters.")
    return value.lower()


def _choice(column: str, value: str, choices, errors: list[str]) -> str:
    value = value.lower()
    if value and value not in choices:
        errors.append(f"{column}: “{value[:40]}” is not one of {', '.join(choices)}.")
        return ""
    return value


def _country(value: str, errors: list[str]) -> str:
    if not value:
        return ""
    code = _COUNTRY_ALIASES.get(value.lower()) or countries.alpha2(value) or countries.by_name(value)
    if not code:
        errors.append(f"vendor_country: unknown country “{value[:40]}”; use an ISO 3166 code such as US, DE or CN.")
        return ""
    return code


def _website(value: str, errors: list[str]) -> str:
    if not value:
        return ""
    try:
        _url(value)
    except ValidationError:
        errors.append(f"vendor_website: “{value[:60]}” is not a web address (https://...).")
        return ""
    if len(value) > NAME_MAX:
        errors.append(f"vendor_website: longer than {NAME_MAX} characters.")
    return value


def _categories(value: str, errors: list[str]) -> tuple[str, ...] | None:
    if not value:
        return None
    codes = tuple(sorted({c.strip().lower() for c in value.replace(",", ";").split(";") if c.strip()}))
    unknown = [c for c in codes if c not in _DATA_CATEGORY_CODES]
    if unknown:
        errors.append(
            f"product_data_categories: unknown {', '.join(unknown)}; the codes are {', '.join(_DATA_CATEGORY_CODES)}."
        )
    return codes


def _share(value: str, errors: list[str]) -> int | None:
    if not value:
        return None
    try:
        share = int(value.rstrip("%").strip())
    except ValueError:
        errors.append(f"share: “{value[:20]}” is not a whole number of percent.")
        return None
    if not 1 <= share <= 100:
        errors.append("share: a percent from 1 to 100.")
        return None
    return share


def _usage_rules(values: dict, errors: list[str]) -> None:
    if not values["model"]:
        errors.append("model: required when a role, host or region is given.")
    elif len(values["model"]) > NAME_MAX:
        errors.append(f"model: longer than {NAME_MAX} characters.")
    elif values["model_kind"] == AIModelKind.HUB:
        try:
            validate_hub_repo_id(values["model"])
        except ValidationError as error:
            errors.append(f"model: {' '.join(error.messages)}")
    if values["share"] is not None and values["role"] != UsageRole.ROUTED:
        errors.append("share: a traffic share applies only to the routed role.")
    if values["region"] and not values["host"]:
        errors.append("region: give the host that serves this region.")
