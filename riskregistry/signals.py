"""How an app announces a fact to the apps above it: a documented signal, sent once the transaction commits.

The apps stack one way (riskregistry ← vendors ← assessments ← reports ← webhooks); a lower app never imports an
upper one, so it tells them through a signal of its own (``vendors.signals``, ``assessments.signals``,
``reports.signals``) that an upper app subscribes to in its ``AppConfig.ready()``. ``announce`` sends it after
the commit (right away outside a transaction), so a rolled-back write announces nothing, and a subscriber that
fails is logged without undoing or failing the write that was already committed.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)


def announce(signal: Signal, sender, **facts) -> None:
    """Send ``signal`` with ``facts`` (ids, plain values) once the current transaction commits."""

    def send() -> None:
        for receiver, result in signal.send_robust(sender=sender, **facts):
            if isinstance(result, Exception):
                logger.error("%s failed on %s", getattr(receiver, "__qualname__", receiver), sender, exc_info=result)

    transaction.on_commit(send)
