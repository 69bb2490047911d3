"""The PostgreSQL backend reads timestamps with psycopg's C loader and gets exactly what Django's own loader gets."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import get_adapters_template
from psycopg.pq import Format

from riskregistry.db.postgresql import base
from vendors.models import Vendor

#: Text PostgreSQL turns into timestamptz values: fractions or none, offsets of all kinds, the range's ends.
LITERALS = [
    "2026-12-06 03:21:21.491234+00",
    "2026-12-06 03:21:21+00",
    "2026-06-30 23:59:59.999999-07:30",
    "2024-02-29 12:00:00.5+05:45",
    "1970-01-01 00:00:00+00",
    "2026-03-29 01:30:00+00",  # Paris skips 02:00-03:00 that night
    "2026-10-25 00:30:00+00",  # and repeats 02:00-03:00 on this one
    "0002-01-01 00:00:00+00",  # near the ends of what Python holds, in any of the session's time zones
    "9998-12-31 23:59:59.999999+00",
    None,
]


def _read(context, session_timezone: str, literals) -> list:
    params = {**connection.get_connection_params(), "context": context}
    with psycopg.connect(**params) as raw:
        raw.execute("SELECT set_config('TimeZone', %s, false)", [session_timezone])
        query = "SELECT v::timestamptz FROM unnest(%s::text[]) WITH ORDINALITY AS t(v, i) ORDER BY i"
        return [value for (value,) in raw.execute(query, [literals])]


FIRST_AWARE = datetime(2026, 12, 6, 3, 21, 21, 491234, tzinfo=UTC)


@pytest.mark.parametrize(
    ("use_tz", "timezone", "session", "first"),
    [
        (True, UTC, "UTC", FIRST_AWARE),  # the deployed settings
        (True, ZoneInfo("Europe/Paris"), "Europe/Paris", FIRST_AWARE),  # DATABASES["default"]["TIME_ZONE"] set
        (False, None, "America/New_York", datetime(2026, 12, 5, 22, 21, 21, 491234)),  # USE_TZ off: naive, local
    ],
)
def test_timestamps_read_are_the_ones_djangos_loader_reads(postgres, use_tz, timezone, session, first):
    django = get_adapters_template(use_tz, timezone)
    fast = base.adapters_fast(django, timezone)
    assert fast is not django
    theirs, ours = _read(django, session, LITERALS), _read(fast, session, LITERALS)
    assert ours == theirs
    assert [v.tzinfo if v else None for v in ours] == [v.tzinfo if v else None for v in theirs]
    assert all(v is None or v.tzinfo is timezone for v in ours)
    assert ours[0] == first


@pytest.mark.parametrize("literal", ["infinity", "-infinity", "0044-03-15 12:00:00+00 BC"])
def test_a_timestamp_python_cannot_hold_fails_as_it_does_with_djangos_loader(postgres, literal):
    django = get_adapters_template(True, UTC)
    for context in (django, base.adapters_fast(django, UTC)):
        with pytest.raises(psycopg.DataError):
            _read(context, "UTC", [literal])


def test_the_connection_reads_timestamps_with_the_c_loader(postgres):
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(base.TIMESTAMPTZ_OID, Format.TEXT)
    assert loader.__module__ == base.__name__
    # Django's cursor compares it with the connection's time zone, and registers its own loader if they differ.
    assert loader.timezone is connection.timezone
    with connection.cursor() as cursor:
        assert type(cursor.cursor.adapters.get_loader(base.TIMESTAMPTZ_OID, Format.TEXT)) is type(loader)


def test_rows_read_through_the_orm_keep_their_time(postgres):
    created = Vendor.objects.create(name="Timely")
    read = Vendor.objects.get(pk=created.pk)
    assert read.created_at == created.created_at
    assert read.created_at.tzinfo is UTC


def test_without_the_c_extension_the_adapters_are_djangos(monkeypatch):
    monkeypatch.setattr(base, "optimised_loader", lambda: None)
    django = get_adapters_template(True, UTC)
    assert base.adapters_fast.__wrapped__(django, UTC) is django


def test_the_c_loader_is_psycopgs_own():
    loader = base.optimised_loader()
    assert loader is not None, "psycopg[binary] is pinned: its C loader should be there"
    assert loader.__module__.startswith("psycopg_")
