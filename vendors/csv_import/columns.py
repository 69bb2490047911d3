"""The documented column set of a portfolio spreadsheet: one row per model usage (or per product, or per vendor,
when the model or product cells are left blank). The README documents it; the template download shows it."""

from __future__ import annotations

from dataclasses import dataclass

from riskregistry.spreadsheets import chunked


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str
    example: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("vendor", "Vendor's legal name (required; matched without regard to case).", "Acme AI, Inc."),
    Column("vendor_country", "ISO 3166 country code or English name (required for a new vendor).", "US"),
    Column("vendor_website", "The vendor's website, a URL.", "https://acme.example"),
    Column("vendor_tier", "critical, high, medium or low (a new vendor: medium).", "high"),
    Column("product", "Product name (required when a model is given; matched per vendor).", "Acme Copilot"),
    Column("product_criticality", "critical, high, medium or low (a new product: medium).", "high"),
    Column(
        "product_data_categories",
        "Data category codes separated by ';' (personal, source_code, ...); replaces the product's set.",
        "personal; source_code",
    ),
    Column("product_business_owner", "Who owns the product in the business.", "Head of Legal"),
    Column("model_kind", "hub (default), closed or declared.", "hub"),
    Column(
        "model",
        "Hub repo id (ORG/NAME), a closed API model of the catalogue (gpt-4o), or a declared model's name.",
        "Qwen/Qwen2.5-7B-Instruct",
    ),
    Column("role", "primary (default), fallback, embedding, reranker or routed.", "primary"),
    Column("share", "Percent of traffic, 1 to 100: routed role only.", ""),
    Column("host", "Host key from the knowledge base (who serves the model).", "groq"),
    Column("region", "Region code of that host.", ""),
)
NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)

#: Columns the model-usage export adds for people; an import reads past them (a row whose usage ended, with a
#: ``retired_at``, is left alone: an import never revives an ended usage).
EXPORT_ONLY: tuple[str, ...] = ("usage_id", "rating_tier", "rating_score", "retired_at")

#: The parts of a row that name a vendor, a product and a model usage.
VENDOR_FIELDS = ("vendor_country", "vendor_website", "vendor_tier")
PRODUCT_FIELDS = ("product_criticality", "product_data_categories", "product_business_owner")
USAGE_FIELDS = ("model_kind", "model", "role", "share", "host", "region")


def template_rows() -> list[list[str]]:
    """The header and example rows of the template download."""
    return [
        list(NAMES),
        [c.example for c in COLUMNS],
        ["Acme AI, Inc.", "", "", "", "Acme Copilot", "", "", "", "closed", "gpt-4o", "fallback", "", "", ""],
        ["Mistral AI", "FR", "https://mistral.ai", "medium", "", "", "", "", "", "", "", "", "", ""],
    ]


def usage_row(usage, rating=None) -> list:
    """A model usage as a row of this column set and the export-only columns (``usage`` with its product,
    vendor, the product's data categories, model, host and region loaded): what the import reads back unchanged."""
    product, vendor = usage.product, usage.product.vendor
    return [
        vendor.name,
        vendor.country.code if vendor.country else "",
        vendor.website,
        vendor.tier,
        product.name,
        product.criticality,
        "; ".join(sorted(c.code for c in product.data_categories.all())),
        product.business_owner,
        usage.model.kind,
        usage.model.name,
        usage.role,
        usage.share if usage.share is not None else "",
        usage.host.key if usage.host else "",
        usage.region.code if usage.region else "",
        usage.pk,
        rating.tier if rating else "",
        rating.score if rating else "",
        usage.retired_at.isoformat() if usage.retired_at else "",
    ]


def usage_export_header() -> list[str]:
    return [*NAMES, *EXPORT_ONLY]


def usage_export_rows(queryset):
    """Rows of ``usage_row`` for a queryset of usages, read in chunks: the product's data categories are
    prefetched and the current rating read from ``current_ratings`` (the API's usage selector prefetches it)."""
    for chunk in chunked(queryset.prefetch_related("product__data_categories")):
        for usage in chunk:
            current = getattr(usage, "current_ratings", None) or [None]
            yield usage_row(usage, current[0])
