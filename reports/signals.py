"""What the reports app announces to the apps above it, once the transaction that recorded it commits (sent
through ``riskregistry.signals.announce``). Subscribe in your ``AppConfig.ready()``.

``report_ready(report_id: int)``
    A ``Report`` was generated: its file and SHA-256 are stored, and the API serves it for download.
"""

from __future__ import annotations

from django.dispatch import Signal

from riskregistry.signals import announce

report_ready = Signal()


def report_ready_announce(report) -> None:
    announce(report_ready, sender="reports", report_id=report.pk)
