"""Text search over a queryset: PostgreSQL full-text search where the database is PostgreSQL, a plain
``icontains`` on SQLite. Shared by the selectors behind the navigation's search box.

The terms are the words of the box (letters, digits and underscores; at most ``MAX_WORDS``), so nothing the user
typed reaches a tsquery's syntax. On PostgreSQL every word must start a word of one of the fields (prefix match,
the ``simple`` configuration: names are not English prose), ranked by ``SearchRank``; a row whose first field (its
name) contains the whole text as typed also matches, so a hub id such as ``qwen2.5-7b`` is found however the
parser splits it (the whole text is also looked for in every field). On SQLite every word must occur somewhere
in the fields.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

MAX_WORDS = 8
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Hit:
    """One search result: what it is, how it is shown, and where it leads."""

    label: str
    detail: str
    url: str


@dataclass(frozen=True)
class HitGroup:
    """The hits of one kind (vendors, products...), at most ``limit``; ``more`` when there were more, with the
    list page that shows them all."""

    kind: str
    title: str
    hits: list[Hit]
    more: bool
    more_url: str


def search_words(text: str) -> list[str]:
    """The words searched for: runs of letters, digits and underscores, lowercased, at most ``MAX_WORDS``."""
    return [word.lower() for word in _WORD.findall(text)][:MAX_WORDS]


def text_search(queryset: QuerySet, *, fields: Sequence[str], text: str, related: Sequence[str] = ()) -> QuerySet:
    """``queryset`` narrowed to the rows matching ``text`` in ``fields`` (the first one is the row's name), the
    best first: a name equal to the text, then by rank, then by name. Empty when ``text`` has no word.

    ``related`` fields (names on joined rows) are only looked for as typed on PostgreSQL: building a text vector
    for every joined row costs ten times more than the rest of the search."""
    words = search_words(text)
    if not words:
        return queryset.none()
    text = text.strip()
    exact = Case(When(**{f"{fields[0]}__iexact": text}, then=Value(1)), default=Value(0), output_field=IntegerField())
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector(*fields, config="simple")
        query = SearchQuery(" & ".join(f"{word}:*" for word in words), search_type="raw", config="simple")
        as_typed = Q()
        for field in (*fields, *related):
            as_typed |= Q(**{f"{field}__icontains": text})
        return (
            queryset.annotate(search_exact=exact, search_rank=SearchRank(vector, query), search_vector=vector)
            .filter(Q(search_vector=query) | as_typed)
            .order_by("-search_exact", F("search_rank").desc(nulls_last=True), fields[0])
        )
    for word in words:
        matches = Q()
        for field in (*fields, *related):
            matches |= Q(**{f"{field}__icontains": word})
        queryset = queryset.filter(matches)
    return queryset.annotate(search_exact=exact).order_by("-search_exact", fields[0])
