"""What the findings pages read beyond the rows: each finding's severity and label, its comment thread, and its
history with the comments in it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from assessments.models import Finding, FindingComment
from assessments.scoring.labels import factor_label, finding_severity
from assessments.selectors.policy import policy_current


def findings_describe(findings: Iterable[Finding]) -> list[Finding]:
    """The findings with ``severity`` (a tier name, under the policy in force) and ``label`` (the factor's human
    name) set on each, for lists and pages."""
    policy = policy_current()
    described = list(findings)
    for finding in described:
        finding.severity = finding_severity(
            code=finding.code,
            points=finding.points,
            critical_tier=finding.trigger == Finding.Trigger.CRITICAL_TIER,
            policy=policy,
        )
        finding.label = factor_label(finding.code)
    return described


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a finding's history: a change to the finding, or a comment."""

    when: datetime
    who: object
    status: str
    what: str
    comment: FindingComment | None = None


def finding_history(finding: Finding) -> list[HistoryEntry]:
    """Changes and comments together, newest first."""
    entries = [
        HistoryEntry(
            when=record.history_date,
            who=record.history_user,
            status=record.get_status_display(),
            what=record.history_change_reason or record.get_history_type_display(),
        )
        for record in finding.history.select_related("history_user").order_by("-history_date", "-history_id")
    ]
    entries += [
        HistoryEntry(when=comment.created_at, who=comment.author, status="", what="Commented", comment=comment)
        for comment in finding_comments(finding)
    ]
    return sorted(entries, key=lambda entry: entry.when, reverse=True)


def finding_comments(finding: Finding) -> list[FindingComment]:
    return list(FindingComment.objects.filter(finding=finding).select_related("author").order_by("created_at", "id"))
