"""What vendors have told us, as it stood at a moment: questionnaires (assessments) by status, overdue ones, and
attestations requested, signed, valid and expired. Read from the assessment trail and the attestations' own
times, so a past quarter's figures stay what they were whatever happens later."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from assessments.models import Assessment, AssessmentEvent, Attestation, AttestationRequest
from assessments.models.assessments import OPEN_STATUSES, AssessmentStatus


@dataclass(frozen=True)
class CollectionFigures:
    """Questionnaires and attestations over a period (``start`` to ``as_of``) and at its end."""

    as_of: datetime
    # Questionnaires
    sent: int  # sent during the period
    submitted: int  # submitted by the vendor during the period (each round counts)
    accepted: int  # accepted during the period
    by_status: tuple[tuple[str, str, int], ...]  # (status, label, assessments) at as_of, cancelled left out
    overdue: int  # still with the vendor at as_of, past their due date
    products_assessed: int  # products with an accepted assessment at as_of
    # Attestations
    requested: int  # requests made during the period
    signed: int  # signed during the period
    valid: int  # signed and not expired at as_of
    expired: int  # signed, expired by as_of, and not replaced by a valid one for the same scope
    awaiting: int  # open requests at as_of
    awaiting_overdue: int  # open requests past their deadline at as_of
    corrected: int  # valid attestations in which the vendor corrected at least one claim
    vendors_attested: int  # vendors with a valid attestation at as_of

    @property
    def collected(self) -> bool:
        """Whether anything was ever asked of a vendor by then."""
        return bool(sum(n for _, _, n in self.by_status) or self.valid or self.expired or self.awaiting)


def _status_at(assessments: list[Assessment], as_of: datetime) -> dict[int, str]:
    """Each assessment's status at ``as_of``: its last status change by then, else "sent"."""
    status = {a.pk: AssessmentStatus.SENT.value for a in assessments}
    changes = (
        AssessmentEvent.objects.filter(assessment_id__in=list(status), at__lte=as_of)
        .exclude(to_status="")
        .order_by("assessment_id", "at", "pk")
        .values_list("assessment_id", "to_status")
    )
    for assessment_id, to_status in changes:
        status[assessment_id] = to_status
    return status


def collection_as_of(
    start: datetime,
    as_of: datetime,
    *,
    product_ids: Iterable[int] | None = None,
    vendor_ids: Iterable[int] | None = None,
) -> CollectionFigures:
    """The figures for the period from ``start`` to ``as_of``, for every product (or only ``product_ids`` and the
    attestations of ``vendor_ids``, for a vendor report)."""
    assessments_q = Assessment.objects.filter(sent_at__lte=as_of)
    requests_q = AttestationRequest.objects.filter(created_at__lte=as_of)
    if product_ids is not None:
        product_ids = list(product_ids)
        assessments_q = assessments_q.filter(product_id__in=product_ids)
    if vendor_ids is not None:
        requests_q = requests_q.filter(vendor_id__in=list(vendor_ids))

    assessments = list(assessments_q.only("pk", "product_id", "due_date", "sent_at"))
    status = _status_at(assessments, as_of)
    counts = Counter(value for value in status.values() if value != AssessmentStatus.CANCELLED)
    today = as_of.date()
    overdue = sum(1 for a in assessments if status[a.pk] in OPEN_STATUSES and a.due_date < today)
    products_assessed = len({a.product_id for a in assessments if status[a.pk] == AssessmentStatus.ACCEPTED})
    period_events = AssessmentEvent.objects.filter(
        assessment_id__in=list(status), at__gte=start, at__lte=as_of
    ).values_list("to_status", flat=True)
    period = Counter(period_events)

    requests = list(requests_q.only("pk", "vendor_id", "product_id", "scope", "deadline", "created_at", "cancelled_at"))
    signatures = {
        a.request_id: a
        for a in Attestation.objects.filter(request_id__in=[r.pk for r in requests], signed_at__lte=as_of).only(
            "request_id", "signed_at", "expires_at", "corrected_count"
        )
    }
    valid, expired_scopes, awaiting, awaiting_overdue, corrected = set(), set(), 0, 0, 0
    vendors_attested = set()
    for request in requests:
        scope = (request.vendor_id, request.product_id)
        signature = signatures.get(request.pk)
        if signature is not None:
            if signature.expires_at > as_of:
                valid.add(request.pk)
                vendors_attested.add(request.vendor_id)
                corrected += bool(signature.corrected_count)
            else:
                expired_scopes.add(scope)
        elif request.cancelled_at is None or request.cancelled_at > as_of:
            awaiting += 1
            awaiting_overdue += request.deadline < today
    valid_scopes = {(r.vendor_id, r.product_id) for r in requests if r.pk in valid}
    return CollectionFigures(
        as_of=as_of,
        sent=sum(1 for a in assessments if a.sent_at >= start),
        submitted=period[AssessmentStatus.SUBMITTED],
        accepted=period[AssessmentStatus.ACCEPTED],
        by_status=tuple(
            (value, label, counts[value])
            for value, label in AssessmentStatus.choices
            if value != AssessmentStatus.CANCELLED
        ),
        overdue=overdue,
        products_assessed=products_assessed,
        requested=sum(1 for r in requests if r.created_at >= start),
        signed=sum(1 for s in signatures.values() if s.signed_at >= start),
        valid=len(valid),
        expired=len(expired_scopes - valid_scopes),
        awaiting=awaiting,
        awaiting_overdue=awaiting_overdue,
        corrected=corrected,
        vendors_attested=len(vendors_attested),
    )
