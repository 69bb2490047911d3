"""The facts the other apps announce, turned into webhook events (connected in ``WebhooksConfig.ready()``).

Each receiver runs inside the announcing transaction, so the messages it records commit with the fact (an outbox:
the workers deliver them after the commit, and the beat sweep any whose task was lost). It skips the work when no
enabled endpoint subscribes to the event type.
"""

from __future__ import annotations

from assessments import signals as assessment_signals
from reports import signals as report_signals
from vendors import signals as vendor_signals
from webhooks import selectors, services
from webhooks.models import EventType


def _publish(event_type: str, build) -> None:
    if event_type in selectors.event_types_subscribed():
        services.events_publish(events=build())


def on_change_events(sender, change_event_ids, **kwargs) -> None:
    _publish(EventType.LINEAGE_CHANGED, lambda: selectors.change_events(change_event_ids))


def on_ratings_changed(sender, rating_ids, **kwargs) -> None:
    _publish(EventType.RATING_CHANGED, lambda: selectors.rating_events(rating_ids))


def on_findings_opened(sender, finding_ids, **kwargs) -> None:
    _publish(EventType.FINDING_OPENED, lambda: selectors.finding_events(finding_ids, EventType.FINDING_OPENED))


def on_findings_updated(sender, finding_ids, **kwargs) -> None:
    _publish(EventType.FINDING_UPDATED, lambda: selectors.finding_events(finding_ids, EventType.FINDING_UPDATED))


def on_assessment_submitted(sender, assessment_id, **kwargs) -> None:
    _publish(EventType.ASSESSMENT_SUBMITTED, lambda: selectors.assessment_events(assessment_id))


def on_attestation_signed(sender, attestation_id, **kwargs) -> None:
    _publish(EventType.ATTESTATION_SIGNED, lambda: selectors.attestation_events(attestation_id))


def on_report_ready(sender, report_id, **kwargs) -> None:
    _publish(EventType.REPORT_READY, lambda: selectors.report_events(report_id))


def connect() -> None:
    for signal, receiver in (
        (vendor_signals.change_events_recorded, on_change_events),
        (assessment_signals.ratings_changed, on_ratings_changed),
        (assessment_signals.findings_opened, on_findings_opened),
        (assessment_signals.findings_updated, on_findings_updated),
        (assessment_signals.assessment_submitted, on_assessment_submitted),
        (assessment_signals.attestation_signed, on_attestation_signed),
        (report_signals.report_ready, on_report_ready),
    ):
        signal.connect(receiver, dispatch_uid=f"webhooks.{receiver.__name__}")
