"""What the assessments app announces to the apps above it, inside the transaction that records it (sent through
``riskregistry.signals.announce``: what a subscriber records commits with the fact). Subscribe in your
``AppConfig.ready()``.

``ratings_changed(rating_ids: list[int])``
    Rescoring stored new current ``RiskRating`` snapshots (a usage's score, tier, factors or policy changed).
``findings_opened(finding_ids: list[int])``
    Rescoring opened ``Finding`` rows.
``findings_updated(finding_ids: list[int])``
    Findings changed: an owner or due date, a risk accepted or its acceptance revoked or expired, a finding
    resolved, or rescoring remediated, closed, reopened or refreshed them.
``assessment_submitted(assessment_id: int)``
    A vendor (or an analyst on its behalf) submitted an ``Assessment``.
``attestation_signed(attestation_id: int)``
    A vendor signed an ``Attestation``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import Signal

from riskregistry.signals import announce

ratings_changed = Signal()
findings_opened = Signal()
findings_updated = Signal()
assessment_submitted = Signal()
attestation_signed = Signal()


def _ids(rows: Iterable) -> list[int]:
    return [row.pk for row in rows if row.pk is not None]


def ratings_changed_announce(rating_ids: Iterable[int]) -> None:
    if ids := list(rating_ids):
        announce(ratings_changed, sender="assessments", rating_ids=ids)


def findings_opened_announce(finding_ids: Iterable[int]) -> None:
    if ids := list(finding_ids):
        announce(findings_opened, sender="assessments", finding_ids=ids)


def findings_updated_announce(findings: Iterable) -> None:
    if ids := _ids(findings):
        announce(findings_updated, sender="assessments", finding_ids=ids)


def assessment_submitted_announce(assessment) -> None:
    announce(assessment_submitted, sender="assessments", assessment_id=assessment.pk)


def attestation_signed_announce(attestation) -> None:
    announce(attestation_signed, sender="assessments", attestation_id=attestation.pk)
