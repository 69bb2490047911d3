"""How an app announces a fact to the apps above it: a documented signal, sent in the transaction that records it.

The apps stack one way (riskregistry ← vendors ← assessments ← reports ← webhooks); a lower app never imports an
upper one, so it tells them through a signal of its own (``vendors.signals``, ``assessments.signals``,
``reports.signals``) that an upper app subscribes to in its ``AppConfig.ready()``.

``announce`` sends the signal inside the current transaction, under a savepoint. So what the subscribers record
in the database commits with the fact or not at all: webhook messages are an outbox that a crash right after the
commit cannot lose, and a rolled-back write leaves nothing behind. A subscriber that fails is logged and what the
subscribers recorded is rolled back to the savepoint, without undoing or failing the write itself. Work outside
the database (a task, an HTTP call) a subscriber defers with ``transaction.on_commit``.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)


class _SubscriberFailed(Exception):
    pass


def announce(signal: Signal, sender, **facts) -> None:
    """Send ``signal`` with ``facts`` (ids, plain values) to its subscribers, in the current transaction."""
    try:
        with transaction.atomic():
            failed = False
            for receiver, result in signal.send_robust(sender=sender, **facts):
                if isinstance(result, Exception):
                    failed = True
                    name = getattr(receiver, "__qualname__", receiver)
                    logger.error("%s failed on %s", name, sender, exc_info=result)
            if failed:  # what the subscribers recorded goes, the write that announced stays
                raise _SubscriberFailed
    except _SubscriberFailed:
        pass
