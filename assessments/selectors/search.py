"""What the navigation's search box finds among findings: their title, factor code, product, vendor and model."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from assessments.models import Finding
from riskregistry.search import Hit, HitGroup, text_search

SEARCH_LIMIT = 10


def finding_search(text: str, *, limit: int = SEARCH_LIMIT) -> HitGroup:
    queryset = Finding.objects.select_related("usage__product__vendor", "usage__model")
    related = ("usage__product__name", "usage__product__vendor__name", "usage__model__name")
    rows = list(text_search(queryset, fields=("title", "code"), related=related, text=text)[: limit + 1])
    return HitGroup(
        kind="findings",
        title="Findings",
        hits=[
            Hit(
                f.title,
                f"{f.usage.product.name} · {f.usage.model.name} · {f.get_status_display()}",
                f.get_absolute_url(),
            )
            for f in rows[:limit]
        ],
        more=len(rows) > limit,
        more_url=f"{reverse('assessments:finding_list')}?{urlencode({'q': text})}",
    )
