"""The body of a webhook, as the Standard Webhooks specification shapes it: ``{"type", "timestamp", "data"}``.

``data`` names the objects concerned by id with their API URL (``url``, null where the API has no such resource)
and their page in the web UI (``page``), plus a few facts a receiver routes on (a tier, a status); a receiver
fetches the rest from the API. Pure: plain values in, JSON text out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class Event:
    """Something that happened, for the endpoints subscribed to ``type``."""

    type: str
    occurred_at: datetime
    data: dict = field(default_factory=dict)


def body(event: Event) -> str:
    """The JSON text sent (and signed) for ``event``: compact, keys in a stable order."""
    timestamp = event.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(
        {"type": event.type, "timestamp": timestamp, "data": event.data},
        separators=(",", ":"),
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
