"""Lineage as people read it: ``{{ chain|join:" → "|plain_ids }}`` drops the internal prefixes of node ids."""

from django import template

from vendors.lineage.display import plain_ids as _plain_ids

register = template.Library()


@register.filter
def plain_ids(text) -> str:
    return _plain_ids(text)
