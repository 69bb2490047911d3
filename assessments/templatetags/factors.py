"""Factor codes as people read them: ``{{ code|factor_label }}``."""

from django import template

from assessments.scoring.labels import factor_label as _factor_label
from assessments.scoring.labels import plain_ids as _plain_ids

register = template.Library()


@register.filter
def factor_label(code: str) -> str:
    return _factor_label(code)


@register.filter
def plain_ids(text) -> str:
    """Reasons, titles and chains without the internal prefixes of node ids (``closed:``, ``declared:``)."""
    return _plain_ids(text)
