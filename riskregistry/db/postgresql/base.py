"""Django's PostgreSQL backend, reading ``timestamp with time zone`` columns with psycopg's C loader.

Django reads every ``timestamptz`` value through a loader of its own: a Python subclass of psycopg's pure-Python
loader, which parses the text in Python and then sets the connection's time zone. With psycopg's C extension
installed (``psycopg[binary]``, as this project pins it), that costs about six times what psycopg's own optimised
loader does, and rescoring at 100,000 usages reads about eight timestamps a usage: about a fifth of its time went
there.

This backend registers a loader that parses with psycopg's optimised loader and then sets the time zone exactly as
Django's does, so every value read is the same (same instant, same ``tzinfo`` object). Without the C extension it
changes nothing. Settings select it in place of ``django.db.backends.postgresql``; ``connection.vendor`` is still
``"postgresql"``.
"""

from __future__ import annotations

from datetime import tzinfo
from functools import lru_cache

from django.db.backends.postgresql import base
from psycopg import adapt, adapters, postgres
from psycopg.pq import Format

TIMESTAMPTZ_OID = postgres.types["timestamptz"].oid


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        params["context"] = adapters_fast(params["context"], self.timezone)
        return params


def optimised_loader() -> type[adapt.Loader] | None:
    """psycopg's own text loader for ``timestamptz`` when it is the C extension's, else None."""
    loader = adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    return loader if loader is not None and not loader.__module__.startswith("psycopg.") else None


@lru_cache
def adapters_fast(template: adapt.AdaptersMap, timezone: tzinfo | None) -> adapt.AdaptersMap:
    """``template`` (the adapters Django sets up for a connection) with ``timestamptz`` read by psycopg's C loader
    and given ``timezone`` as Django's loader gives it (None: naive, as Django reads them without time zone
    support). Built once per template and time zone, like Django's own."""
    fast = optimised_loader()
    if fast is None:
        return template

    class TimestamptzLoader(adapt.Loader):
        # Django's cursor checks the connection's timestamptz loader's ``timezone`` and registers its own on the
        # cursor when it differs: keeping the attribute keeps that working.
        def __init__(self, oid: int, context: adapt.AdaptContext | None = None):
            super().__init__(oid, context)
            self._parse = fast(oid, context).load

        def load(self, data):
            value = self._parse(data)  # in the connection's time zone, which Django sets to its own
            return value if value.tzinfo is timezone else value.replace(tzinfo=timezone)

    TimestamptzLoader.timezone = timezone
    context = adapt.AdaptersMap(template)
    context.register_loader("timestamptz", TimestamptzLoader)
    return context
