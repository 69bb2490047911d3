"""Factor codes as people read them: ``{{ code|factor_label }}``."""

from django import template

from assessments.scoring.labels import factor_label as _factor_label

register = template.Library()


@register.filter
def factor_label(code: str) -> str:
    return _factor_label(code)
