"""The findings' workflow: ownership, risk acceptance, resolution, and expiring acceptances."""

from __future__ import annotations

from datetime import UTC, date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from assessments import selectors
from assessments.models import Finding, FindingComment
from assessments.reminders import OVERDUE, reminder_stamp
from assessments.services import notify
from assessments.services.rescoring import ratings_refresh, ratings_refresh_request
from assessments.signals import findings_updated_announce
from riskregistry.versions import version_check
from vendors.models import ModelUsage


def _lock(finding: Finding, based_on: str | None = None) -> None:
    """Take turns with rescoring (which writes the usage's findings), refuse a change based on another version of
    the finding than its current one (riskregistry.versions; None: no check), and see its stored status."""
    list(ModelUsage.objects.select_for_update().filter(pk=finding.usage_id).values_list("pk", flat=True))
    version_check(instance=finding, based_on=based_on)
    finding.status = Finding.objects.values_list("status", flat=True).get(pk=finding.pk)


def _current_codes(finding: Finding) -> set[str]:
    rating = selectors.latest_ratings([finding.usage_id]).get(finding.usage_id)
    return {f["code"] for f in rating.factors} if rating else set()


@transaction.atomic
def finding_update(*, finding: Finding, owner, due_date: date | None, by=None, based_on: str | None = None) -> Finding:
    """Assign an owner (someone who can work findings) and a due date. ``based_on``: the finding's version the
    editor started from (every action takes it; a stale one is refused with what changed meanwhile)."""
    if owner is not None and not selectors.finding_workers().filter(pk=owner.pk).exists():
        raise ValidationError({"owner": f"{owner} cannot work findings: choose an analyst or an admin."})
    _lock(finding, based_on)
    finding.owner, finding.due_date = owner, due_date
    finding._change_reason = "Owner or due date changed"
    finding.full_clean()
    finding.save(update_fields=["owner", "due_date", "updated_at"])
    findings_updated_announce([finding])
    return finding


@transaction.atomic
def finding_accept(
    *,
    finding: Finding,
    justification: str,
    accepted_until: date,
    by,
    today: date | None = None,
    based_on: str | None = None,
) -> Finding:
    """Accept the risk until a date (at most the policy's longest acceptance away), with a justification at least
    as long as the policy asks: while valid, the factor's points are not counted. For a factor the policy marks
    critical (and a policy that asks for it) the acceptance is only requested: it waits, the factor counting, for
    a second approver (``finding_acceptance_approve``). The usage is rescored after commit."""
    today = today or timezone.now().astimezone(UTC).date()
    _lock(finding, based_on)
    policy = selectors.policy_current()
    errors = {}
    if not finding.is_live:
        errors["__all__"] = f"A {finding.get_status_display().lower()} finding cannot be accepted."
    written = len(justification.strip())
    if not written:
        errors["justification"] = "Say why the risk is acceptable: auditors read this."
    elif written < policy.min_justification_chars:
        errors["justification"] = (
            f"The policy asks for a justification of at least {policy.min_justification_chars} characters "
            f"({written} written): say why the risk is acceptable, auditors read this."
        )
    latest = today + timedelta(days=policy.max_acceptance_days)
    if accepted_until < today:
        errors["accepted_until"] = "The acceptance must end today or later."
    elif accepted_until > latest:
        errors["accepted_until"] = (
            f"The policy allows accepting a risk for at most {policy.max_acceptance_days} days "
            f"(until {latest:%Y-%m-%d})."
        )
    if errors:
        raise ValidationError(errors)
    was_accepted = finding.status == Finding.Status.ACCEPTED
    finding.justification, finding.accepted_until = justification.strip(), accepted_until
    finding.approved_by = finding.approved_at = None
    if policy.needs_second_approver(finding.code):
        finding.status = Finding.Status.OPEN
        finding.accepted_by = finding.accepted_at = None
        finding.acceptance_requested_by, finding.acceptance_requested_at = by, timezone.now()
        finding._change_reason = f"Risk acceptance until {accepted_until:%Y-%m-%d} asked: waiting for a second approver"
    else:
        finding.status = Finding.Status.ACCEPTED
        finding.accepted_by, finding.accepted_at = by, timezone.now()
        finding.acceptance_requested_by = finding.acceptance_requested_at = None
        finding._change_reason = f"Risk accepted until {accepted_until:%Y-%m-%d}"
    finding.full_clean()
    finding.save(update_fields=[*_ACCEPTANCE_FIELDS, "updated_at"])
    if finding.status == Finding.Status.ACCEPTED or was_accepted:
        ratings_refresh_request(usage_ids=[finding.usage_id])
    findings_updated_announce([finding])
    return finding


_ACCEPTANCE_FIELDS = (
    "status",
    "justification",
    "accepted_until",
    "accepted_by",
    "accepted_at",
    "acceptance_requested_by",
    "acceptance_requested_at",
    "approved_by",
    "approved_at",
)


def _may_approve(user, roles) -> bool:
    return user.is_superuser or user.groups.filter(name__in=list(roles)).exists()


@transaction.atomic
def finding_acceptance_approve(
    *, finding: Finding, by, today: date | None = None, based_on: str | None = None
) -> Finding:
    """Approve a requested risk acceptance as its second approver: someone other than who asked, whose role the
    policy allows to approve. From then on the factor's points are not counted (the usage is rescored).
    ``based_on``: the version the approver read; if the request was withdrawn and asked again meanwhile (another
    justification or date), the approval is refused with what changed rather than approving unread text."""
    today = today or timezone.now().astimezone(UTC).date()
    _lock(finding, based_on)
    finding.refresh_from_db(fields=[*_ACCEPTANCE_FIELDS])
    policy = selectors.policy_current()
    if not finding.acceptance_pending:
        raise ValidationError("No risk acceptance waits for approval on this finding.")
    if finding.acceptance_requested_by_id is not None and finding.acceptance_requested_by_id == by.pk:
        raise ValidationError("A second approver must be someone other than who asked for the acceptance.")
    if not _may_approve(by, policy.approver_roles):
        roles = ", ".join(sorted(policy.approver_roles))
        raise ValidationError(f"Under the policy in force only these roles may approve a risk acceptance: {roles}.")
    if finding.accepted_until < today:
        raise ValidationError("The acceptance asked for has already ended: ask for a new one.")
    finding.status = Finding.Status.ACCEPTED
    finding.accepted_by, finding.accepted_at = finding.acceptance_requested_by, timezone.now()
    finding.approved_by, finding.approved_at = by, timezone.now()
    finding.acceptance_requested_at = None
    finding._change_reason = f"Risk acceptance until {finding.accepted_until:%Y-%m-%d} approved"
    finding.full_clean()
    finding.save(update_fields=[*_ACCEPTANCE_FIELDS, "updated_at"])
    ratings_refresh_request(usage_ids=[finding.usage_id])
    findings_updated_announce([finding])
    return finding


@transaction.atomic
def finding_acceptance_revoke(*, finding: Finding, by=None, based_on: str | None = None) -> Finding:
    """Withdraw a risk acceptance, in force or waiting for approval: the finding is open and its factor counts
    (from the next rescoring, for one that was in force)."""
    _lock(finding, based_on)
    finding.refresh_from_db(fields=["acceptance_requested_at"])
    if finding.acceptance_pending:
        finding.acceptance_requested_at = None
        finding._change_reason = "Risk acceptance request withdrawn"
        finding.save(update_fields=["acceptance_requested_at", "updated_at"])
        findings_updated_announce([finding])
        return finding
    if finding.status != Finding.Status.ACCEPTED:
        raise ValidationError("Only an accepted finding has an acceptance to revoke.")
    finding.status = Finding.Status.OPEN
    finding._change_reason = "Risk acceptance revoked"
    finding.save(update_fields=["status", "updated_at"])
    ratings_refresh_request(usage_ids=[finding.usage_id])
    findings_updated_announce([finding])
    return finding


@transaction.atomic
def finding_resolve(*, finding: Finding, status: str, resolution: str, by=None, based_on: str | None = None) -> Finding:
    """Mark remediated or closed. Only once the factor has left the usage's current rating: a risk still there
    is remediated by fixing it (and refreshing the lineage) or accepted with a justification, never closed."""
    if status not in (Finding.Status.REMEDIATED, Finding.Status.CLOSED):
        raise ValidationError({"status": "A finding is resolved as remediated or closed."})
    _lock(finding, based_on)
    if finding.status == Finding.Status.CLOSED:
        raise ValidationError("The finding is already closed.")
    if finding.is_live and finding.code in _current_codes(finding):
        raise ValidationError(
            "The factor is still in the usage's current rating. Fix it and refresh the lineage, or accept the risk "
            "with a justification and an expiry."
        )
    if status == Finding.Status.CLOSED and not resolution.strip():
        raise ValidationError({"resolution": "Say why the finding is closed."})
    finding.status, finding.resolution = status, resolution.strip() or finding.resolution
    finding.resolved_at = finding.resolved_at or timezone.now()
    finding._change_reason = f"Marked {finding.get_status_display().lower()}"
    finding.full_clean()
    finding.save(update_fields=["status", "resolution", "resolved_at", "updated_at"])
    findings_updated_announce([finding])
    return finding


def findings_expire(*, today: date | None = None) -> int:
    """Rescore the usages whose risk acceptances have expired (which reopens those findings); returns how many."""
    today = today or timezone.now().astimezone(UTC).date()
    ids = sorted(
        set(
            Finding.objects.filter(status=Finding.Status.ACCEPTED, accepted_until__lt=today).values_list(
                "usage_id", flat=True
            )
        )
    )
    if ids:
        ratings_refresh(usage_ids=ids)
    return len(ids)


@transaction.atomic
def finding_comment_add(*, finding: Finding, body: str, author) -> FindingComment:
    """Add a remark to the finding's thread (kept for good: comments are never edited nor deleted)."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write the comment first."})
    comment = FindingComment(finding=finding, author=author, body=body)
    comment.full_clean()
    comment.save()
    findings_updated_announce([finding])
    return comment


#: Days before a finding's due date, and before a risk acceptance ends, when its people hear about it.
DUE_NOTICE_DAYS = (7, 1)
ACCEPTANCE_NOTICE_DAYS = (14, 3)


def _notice_due(finding: Finding, today: date) -> tuple[str, str] | None:
    """(kind, stamp) of the notice due today for this finding, or None. Stamps carry the date they are about, so
    a new due date or a new acceptance is announced afresh, and a rerun the same day sends nothing."""
    if finding.status == Finding.Status.OPEN and finding.due_date:
        prefix = f"due:{finding.due_date.isoformat()}:"
        sent = [s.removeprefix(prefix) for s in finding.notices_sent if s.startswith(prefix)]
        stamp = reminder_stamp(days_left=(finding.due_date - today).days, days=DUE_NOTICE_DAYS, sent=sent)
        if stamp:
            return ("overdue" if stamp == OVERDUE else "due"), prefix + stamp
    if finding.status == Finding.Status.ACCEPTED and finding.accepted_until:
        days_left = (finding.accepted_until - today).days
        prefix = f"acceptance:{finding.accepted_until.isoformat()}:"
        sent = [s.removeprefix(prefix) for s in finding.notices_sent if s.startswith(prefix)]
        stamp = reminder_stamp(days_left=days_left, days=ACCEPTANCE_NOTICE_DAYS, sent=sent)
        if stamp and stamp != OVERDUE:  # an expired acceptance reopens the finding: that is the next notice
            return "acceptance", prefix + stamp
    return None


def findings_notify(*, today: date | None = None) -> int:
    """Daily: email a finding's owner before its due date and once overdue, and its owner and whoever accepted
    the risk before an acceptance runs out. Each notice is stamped on the finding in the same transaction as the
    email is queued, so a rerun (or a second beat) sends nothing twice. Returns how many findings were noticed."""
    today = today or timezone.now().astimezone(UTC).date()
    horizon = today + timedelta(days=max(*DUE_NOTICE_DAYS, *ACCEPTANCE_NOTICE_DAYS))
    candidates = Finding.objects.filter(
        Q(status=Finding.Status.OPEN, due_date__lte=horizon)
        | Q(status=Finding.Status.ACCEPTED, accepted_until__lte=horizon, accepted_until__gte=today)
    ).values_list("pk", flat=True)
    sent = 0
    for pk in list(candidates):
        sent += _finding_notify_one(pk=pk, today=today)
    return sent


@transaction.atomic
def _finding_notify_one(*, pk: int, today: date) -> int:
    finding = selectors.finding_queryset().select_for_update(of=("self",)).filter(pk=pk).first()
    if finding is None:
        return 0
    due = _notice_due(finding, today)
    if due is None:
        return 0
    kind, stamp = due
    finding.notices_sent = [*finding.notices_sent, stamp]
    finding._change_reason = {
        "due": "Due-date notice emailed",
        "overdue": "Overdue notice emailed",
        "acceptance": "Expiring-acceptance notice emailed",
    }[kind]
    finding.save(update_fields=["notices_sent", "updated_at"])
    notify.finding_notice(finding=finding, kind=kind, today=today)
    return 1
