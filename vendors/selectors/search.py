"""What the navigation's search box finds among vendors, products, models and publishers (findings are
``assessments.selectors.search``). One query per kind, whatever the size of the portfolio."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from riskregistry.search import Hit, HitGroup, text_search
from vendors.models import AIModel, Product, Publisher, Vendor

SEARCH_LIMIT = 10


def _group(kind: str, title: str, rows: list, hit, list_url: str, text: str, limit: int) -> HitGroup:
    return HitGroup(
        kind=kind,
        title=title,
        hits=[hit(row) for row in rows[:limit]],
        more=len(rows) > limit,
        more_url=f"{list_url}?{urlencode({'q': text})}",
    )


def vendor_search(text: str, *, limit: int = SEARCH_LIMIT) -> HitGroup:
    rows = list(text_search(Vendor.objects.all(), fields=("name", "description", "website"), text=text)[: limit + 1])
    return _group(
        "vendors", "Vendors", rows,
        lambda v: Hit(v.name, f"{v.country.name or '—'} · {v.get_status_display()}", v.get_absolute_url()),
        reverse("vendors:vendor_list"), text, limit,
    )  # fmt: skip


def product_search(text: str, *, limit: int = SEARCH_LIMIT) -> HitGroup:
    queryset = Product.objects.select_related("vendor")
    rows = list(text_search(queryset, fields=("name", "description", "vendor__name"), text=text)[: limit + 1])
    return _group(
        "products", "Products", rows,
        lambda p: Hit(p.name, f"{p.vendor.name} · {p.get_status_display()}", p.get_absolute_url()),
        reverse("vendors:product_list"), text, limit,
    )  # fmt: skip


def model_search(text: str, *, limit: int = SEARCH_LIMIT) -> HitGroup:
    queryset = AIModel.objects.select_related("publisher")
    rows = list(text_search(queryset, fields=("name", "publisher__name"), text=text)[: limit + 1])
    return _group(
        "models", "Models", rows,
        lambda m: Hit(
            m.name,
            f"{m.get_kind_display()}{f' · {m.publisher.name}' if m.publisher else ''}",
            reverse("vendors:model_detail", args=[m.pk]),
        ),
        reverse("vendors:model_list"), text, limit,
    )  # fmt: skip


def publisher_search(text: str, *, limit: int = SEARCH_LIMIT) -> HitGroup:
    """Publishers have no page of their own: a hit leads to the models they published."""
    fields = ("name", "key", "legal_entity", "parent_company")
    rows = list(text_search(Publisher.objects.all(), fields=fields, text=text)[: limit + 1])
    models = reverse("vendors:model_list")
    return HitGroup(
        kind="publishers",
        title="Publishers",
        hits=[
            Hit(
                p.name,
                " · ".join(filter(None, (p.legal_entity, p.country.name if p.country else ""))),
                f"{models}?{urlencode({'publisher': p.name})}",
            )
            for p in rows[:limit]
        ],
        more=len(rows) > limit,
        more_url="",
    )
