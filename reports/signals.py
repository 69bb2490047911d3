"""What the reports app announces to the apps above it, inside the transaction that records it (sent through
``riskregistry.signals.announce``: what a subscriber records commits with the fact). Subscribe in your
``AppConfig.ready()``.

``report_ready(report_id: int)``
    A ``Report`` was generated: its file and SHA-256 are stored, and the API serves it for download.
"""

from __future__ import annotations

from django.dispatch import Signal

from riskregistry.signals import announce

report_ready = Signal()


def report_ready_announce(report) -> None:
    announce(report_ready, sender="reports", report_id=report.pk)
