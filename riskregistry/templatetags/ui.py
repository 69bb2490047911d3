"""Small presentation helpers shared by the templates."""

import re
from dataclasses import replace

from django import template
from django.http import QueryDict

from vendors.knowledge.provenance import Source, source_from_dict

register = template.Library()

#: Links a source may carry: the web, or a page of this site (a vendor-publisher cites its vendor record).
_WEB_LINK = re.compile(r"https?://|/(?![/\\])", re.IGNORECASE)

_LEVEL_CLASSES = {
    "critical": "text-bg-danger",
    "high": "text-bg-warning",
    "medium": "text-bg-info",
    "moderate": "text-bg-info",
    "low": "text-bg-success",
}
_STATUS_CLASSES = {
    "active": "text-bg-success",
    "onboarding": "text-bg-info",
    "archived": "text-bg-secondary",
    "retired": "text-bg-secondary",
    "resolved": "text-bg-success",
    "pending": "text-bg-light border",
    "not_found": "text-bg-danger",
    "gated": "text-bg-warning",
    "disabled": "text-bg-danger",
    "error": "text-bg-danger",
    "cycle": "text-bg-danger",
    "depth_limit": "text-bg-warning",
    # findings: open needs work, accepted is tolerated for a while, the rest are done
    "open": "text-bg-warning",
    "accepted": "text-bg-info",
    "remediated": "text-bg-success",
    "closed": "text-bg-secondary",
    # spreadsheet imports: what a row does, and the import's state
    "create": "text-bg-success",
    "change": "text-bg-info",
    "unchanged": "text-bg-light border",
    "refused": "text-bg-danger",
    "previewed": "text-bg-info",
    "applied": "text-bg-success",
}


@register.filter
def level_class(value: str) -> str:
    """Badge colours for tiers and criticality (critical, high, medium, low)."""
    return _LEVEL_CLASSES.get(str(value), "text-bg-secondary")


@register.filter
def status_class(value: str) -> str:
    return _STATUS_CLASSES.get(str(value), "text-bg-secondary")


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (pagination keeps the filters)."""
    query: QueryDict = context["request"].GET.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template (None when absent or not a mapping)."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def overdue(assessment, today) -> bool:
    """An open assessment past its due date."""
    return assessment.is_overdue(today)


@register.filter
def link_state(link, now) -> str:
    """A portal link's state: live, superseded, revoked or expired."""
    return link.state(now)


@register.filter
def as_sources(value) -> list[Source]:
    """A fact's sources (stored dicts or parsed records) for ``includes/sources.html``; a link that is neither http(s)
    nor a path on this site (an edited row's ``javascript:``) is dropped, so only the title shows."""
    sources = [item if isinstance(item, Source) else source_from_dict(item) for item in value or ()]
    return [
        replace(
            source,
            url=source.url if _WEB_LINK.match(source.url) else "",
            reports_on_url=source.reports_on_url if _WEB_LINK.match(source.reports_on_url) else "",
        )
        for source in sources
        if isinstance(source, Source)
    ]
