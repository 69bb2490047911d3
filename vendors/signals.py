"""What the vendors app announces to the apps above it, inside the transaction that records it (sent through
``riskregistry.signals.announce``: what a subscriber records commits with the fact). Subscribe in your
``AppConfig.ready()``.

``change_events_recorded(change_event_ids: list[int])``
    Supply-chain changes were recorded as ``ChangeEvent`` rows: a lineage refresh saw a new revision, parent,
    licence or status; a parent was declared or removed; a usage was added, swapped or ended.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import Signal

from riskregistry.signals import announce

change_events_recorded = Signal()


def change_events_announce(events: Iterable) -> None:
    """Announce these stored ``ChangeEvent`` rows in the transaction that recorded them (nothing when none)."""
    ids = [event.pk for event in events if event.pk is not None]
    if ids:
        announce(change_events_recorded, sender="vendors", change_event_ids=ids)
