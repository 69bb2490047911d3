"""Writes for assessments: rescoring (rating snapshots, exposure rows and findings kept in step with the lineage),
policy versions, and the findings' workflow (ownership, risk acceptance, resolution)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from assessments import selectors
from assessments.models import Exposure, Finding, RiskRating, ScoringPolicy
from assessments.scoring import DISCREPANCY, Policy, PolicyError, Rating, score
from vendors.models import AIModel, ModelUsage
from vendors.selectors import LineageReport, lineage_reports, model_usage_queryset

_BATCH = 500
_FINDING_SYNC_FIELDS = ["status", "title", "points", "evidence", "resolution", "resolved_at", "updated_at"]


def _factor_rows(rating: Rating) -> list[dict]:
    rows = [
        {"code": f.code, "points": f.points, "reason": f.reason, "evidence": list(f.evidence)} for f in rating.factors
    ]
    for accepted in rating.accepted:
        f, acceptance = accepted.factor, accepted.acceptance
        last_day = (acceptance.until - timedelta(microseconds=1)).astimezone(UTC).date()
        rows.append(
            {
                "code": f.code,
                "points": f.points,
                "reason": f.reason,
                "evidence": list(f.evidence),
                "accepted": {
                    "until": last_day.isoformat(),
                    "by": acceptance.by,
                    "justification": acceptance.justification,
                },
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------------------------
# Rescoring
# ---------------------------------------------------------------------------------------------------------------
def ratings_refresh(*, usage_ids: Iterable[int] | None = None, policy: Policy | None = None) -> int:
    """Score every usage (or the given ones) under the policy in force and store a snapshot where the rating
    changed; keep each usage's exposure rows and findings in step. Returns how many snapshots were stored.

    Works in batches with a fixed number of queries per batch: the lineage subgraph, the change events, the live
    findings, the current ratings and the exposure rows are each loaded once per batch, never per usage, and
    written with bulk statements. Each batch locks its usages' rows first, so two rescorings of the same usages
    (a nightly refresh and a risk acceptance, say) take turns instead of both writing a "current" rating.
    """
    policy = policy or selectors.policy_current()
    now = timezone.now()
    ids = ModelUsage.objects.order_by("pk")
    if usage_ids is not None:
        ids = ids.filter(pk__in=list(usage_ids))
    stored = 0
    batch: list[int] = []
    for pk in ids.values_list("pk", flat=True).iterator(chunk_size=_BATCH):
        batch.append(pk)
        if len(batch) == _BATCH:
            stored += _batch_rate(batch, policy, now)
            batch = []
    if batch:
        stored += _batch_rate(batch, policy, now)
    return stored


@transaction.atomic
def _batch_rate(usage_ids: Sequence[int], policy: Policy, now: datetime) -> int:
    # Read under the lock: a usage removed or changed since the ids were listed is seen as it now is.
    usages = list(model_usage_queryset().select_for_update(of=("self",)).filter(pk__in=usage_ids).order_by("pk"))
    latest = selectors.latest_ratings(u.pk for u in usages)
    # A new usage of a hub model whose lineage has not been fetched yet is rated once the refresh lands (which
    # rescores it): a rating of "nothing known yet" would only add noise to its history and maybe a finding.
    usages = [u for u in usages if u.pk in latest or not _awaiting_lineage(u.model)]
    ids = [u.pk for u in usages]
    findings = selectors.live_findings(ids)
    reports = lineage_reports([u.model for u in usages])
    facts = selectors.usage_facts_for(usages, now=now, findings=findings, reports=reports)
    ratings = {usage.pk: score(facts[usage.pk], policy) for usage in usages}
    snapshots = []
    for usage in usages:
        rating = ratings[usage.pk]
        rows = _factor_rows(rating)
        current = latest.get(usage.pk)
        if current is not None and (current.score, current.tier, current.factors, current.policy_version) == (
            rating.score,
            rating.tier,
            rows,
            rating.policy_version,
        ):
            continue  # nothing changed: no new snapshot
        snapshots.append(
            RiskRating(
                usage=usage,
                score=rating.score,
                tier=rating.tier,
                factors=rows,
                policy_version=rating.policy_version,
                inputs_as_of=rating.inputs_as_of,
                is_current=True,
            )
        )
    if snapshots:
        RiskRating.objects.filter(usage_id__in=[s.usage_id for s in snapshots], is_current=True).update(
            is_current=False
        )
        RiskRating.objects.bulk_create(snapshots)
    _findings_sync(usages, ratings, findings, policy, now)
    _exposures_sync(usages, reports)
    return len(snapshots)


def _awaiting_lineage(model: AIModel) -> bool:
    return model.kind == AIModel.Kind.HUB and model.status == AIModel.Status.PENDING and model.fetched_at is None


def _wanted_findings(rating: Rating, policy: Policy) -> dict[str, str]:
    """Factor code → why it needs a finding: a discrepancy, a critical factor, or the top of a critical rating."""
    wanted = {}
    for factor in (*rating.factors, *(a.factor for a in rating.accepted)):
        if factor.code == DISCREPANCY:
            wanted[factor.code] = Finding.Trigger.DISCREPANCY
        elif policy.opens_finding(factor.code):
            wanted[factor.code] = Finding.Trigger.CRITICAL_FACTOR
    if rating.tier == "critical" and rating.factors:
        wanted.setdefault(rating.factors[0].code, Finding.Trigger.CRITICAL_TIER)
    return wanted


def _findings_sync(
    usages: Sequence[ModelUsage],
    ratings: Mapping[int, Rating],
    live: Mapping[int, Mapping[str, Finding]],
    policy: Policy,
    now: datetime,
) -> None:
    """Open a finding for each factor that needs one and has none; remediate findings whose factor has left the
    rating; reopen accepted findings whose acceptance has expired; keep the rest's evidence current."""
    today = now.astimezone(UTC).date()
    opened, changed = [], []
    for usage in usages:
        rating, findings = ratings[usage.pk], live.get(usage.pk, {})
        present = {f.code: f for f in rating.factors} | {a.factor.code: a.factor for a in rating.accepted}
        for code, trigger in _wanted_findings(rating, policy).items():
            if code not in findings:
                factor = present[code]
                opened.append(
                    Finding(
                        usage=usage,
                        code=code,
                        trigger=trigger,
                        title=factor.reason[:500],
                        evidence=list(factor.evidence),
                        points=factor.points,
                        due_date=today + timedelta(days=policy.finding_due_days),
                    )
                )
        for code, finding in findings.items():
            factor = present.get(code)
            if factor is None:
                finding.status, finding.resolved_at = Finding.Status.REMEDIATED, now
                finding.resolution = f"The factor left the usage's rating when it was rescored on {today:%Y-%m-%d}."
                finding._change_reason = "Remediated: the factor left the rating"
            else:
                refreshed = (factor.reason[:500], factor.points, list(factor.evidence))
                expired = finding.status == Finding.Status.ACCEPTED and finding.accepted_until < today
                if not expired and refreshed == (finding.title, finding.points, finding.evidence):
                    continue
                finding.title, finding.points, finding.evidence = refreshed
                if expired:
                    finding.status = Finding.Status.OPEN
                    finding._change_reason = f"Risk acceptance expired after {finding.accepted_until:%Y-%m-%d}"
                else:
                    finding._change_reason = "Evidence updated by rescoring"
            finding.updated_at = now
            changed.append(finding)
    if opened:
        bulk_create_with_history(opened, Finding, default_change_reason="Opened by rescoring", default_date=now)
    if changed:
        bulk_update_with_history(changed, Finding, fields=_FINDING_SYNC_FIELDS, default_date=now)


def _exposures_sync(usages: Sequence[ModelUsage], reports: Sequence[LineageReport]) -> None:
    """Make each usage's exposure rows match its lineage: one row per node (the model itself and every
    ancestor) with the shortest path to it; rows only written where something differs."""
    ids = [u.pk for u in usages]
    existing = {(e.usage_id, e.model_id): e for e in Exposure.objects.filter(usage_id__in=ids)}
    wanted: dict[tuple[int, int], Exposure] = {}
    for usage, report in zip(usages, reports, strict=True):
        roots = set(report.roots)
        for node_id, path in selectors.exposure_paths(report).items():
            model = report.models.get(node_id)
            if model is None:
                continue
            wanted.setdefault(
                (usage.pk, model.pk),
                Exposure(usage=usage, model=model, depth=len(path) - 1, is_root=node_id in roots, path=list(path)),
            )
    create, update = [], []
    for key, row in wanted.items():
        old = existing.get(key)
        if old is None:
            create.append(row)
        elif (old.depth, old.is_root, old.path) != (row.depth, row.is_root, row.path):
            old.depth, old.is_root, old.path = row.depth, row.is_root, row.path
            update.append(old)
    gone = [old.pk for key, old in existing.items() if key not in wanted]
    if gone:
        Exposure.objects.filter(pk__in=gone).delete()
    if create:
        Exposure.objects.bulk_create(create)
    if update:
        Exposure.objects.bulk_update(update, ["depth", "is_root", "path"])


def ratings_refresh_request(*, usage_ids: Iterable[int] | None = None) -> None:
    """Rescore after the current transaction commits (in-process without Redis)."""
    from assessments import tasks

    tasks.ratings_refresh.delay_on_commit(list(usage_ids) if usage_ids is not None else None)


# ---------------------------------------------------------------------------------------------------------------
# Policy versions
# ---------------------------------------------------------------------------------------------------------------
@transaction.atomic
def policy_version_create(*, policy: Policy, note: str, based_on: int, created_by=None) -> ScoringPolicy:
    """Store ``policy``'s editable fields as the next version and rescore the whole portfolio under it.

    ``based_on`` is the version the editor started from: if someone saved another version meanwhile the change
    is refused (the preview the editor saw would be out of date).
    """
    current = selectors.policy_current()
    if based_on != current.version:
        raise ValidationError(
            f"The policy changed to version {current.version} while you were editing version {based_on}: "
            "review your change against it and preview again."
        )
    if not note.strip():
        raise ValidationError({"note": "Say why the policy changes: it is shown with every rating under it."})
    version = current.version + 1
    document = policy.to_document()
    try:
        Policy.from_document(version, document)
    except PolicyError as error:
        raise ValidationError(str(error)) from error
    if document == current.to_document():
        raise ValidationError(
            "Nothing changed: the policy is the same as version %(v)s.", params={"v": current.version}
        )
    row = ScoringPolicy(version=version, document=document, note=note.strip(), created_by=created_by)
    row.full_clean()
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise ValidationError("Someone saved this version number a moment ago: preview again.") from None
    ratings_refresh_request()
    return row


def policy_default_ensure(using: str = "default") -> None:
    """Version 1, the shipped default, is stored after every migrate, so every rating's version has a row."""
    if not ScoringPolicy.objects.using(using).exists():
        ScoringPolicy.objects.using(using).create(
            version=1, document=Policy.default().to_document(), note="The default policy shipped with riskregistry."
        )


# ---------------------------------------------------------------------------------------------------------------
# Findings
# ---------------------------------------------------------------------------------------------------------------
def _lock(finding: Finding) -> None:
    """Take turns with rescoring (which writes the usage's findings) and see the finding's stored status."""
    list(ModelUsage.objects.select_for_update().filter(pk=finding.usage_id).values_list("pk", flat=True))
    finding.status = Finding.objects.values_list("status", flat=True).get(pk=finding.pk)


def _current_codes(finding: Finding) -> set[str]:
    rating = selectors.latest_ratings([finding.usage_id]).get(finding.usage_id)
    return {f["code"] for f in rating.factors} if rating else set()


@transaction.atomic
def finding_update(*, finding: Finding, owner, due_date: date | None, by=None) -> Finding:
    """Assign an owner and a due date."""
    _lock(finding)
    finding.owner, finding.due_date = owner, due_date
    finding._change_reason = "Owner or due date changed"
    finding.full_clean()
    finding.save(update_fields=["owner", "due_date", "updated_at"])
    return finding


@transaction.atomic
def finding_accept(
    *, finding: Finding, justification: str, accepted_until: date, by, today: date | None = None
) -> Finding:
    """Accept the risk until a date (at most the policy's longest acceptance away): while valid, the factor's
    points are not counted. The usage is rescored after commit."""
    today = today or timezone.now().astimezone(UTC).date()
    _lock(finding)
    policy = selectors.policy_current()
    errors = {}
    if not finding.is_live:
        errors["__all__"] = f"A {finding.get_status_display().lower()} finding cannot be accepted."
    if not justification.strip():
        errors["justification"] = "Say why the risk is acceptable: auditors read this."
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
    finding.status, finding.justification, finding.accepted_until = (
        Finding.Status.ACCEPTED,
        justification.strip(),
        accepted_until,
    )
    finding.accepted_by, finding.accepted_at = by, timezone.now()
    finding._change_reason = f"Risk accepted until {accepted_until:%Y-%m-%d}"
    finding.full_clean()
    finding.save(
        update_fields=["status", "justification", "accepted_until", "accepted_by", "accepted_at", "updated_at"]
    )
    ratings_refresh_request(usage_ids=[finding.usage_id])
    return finding


@transaction.atomic
def finding_acceptance_revoke(*, finding: Finding, by=None) -> Finding:
    """Withdraw a risk acceptance: the finding is open again and its factor counts from the next rescoring."""
    _lock(finding)
    if finding.status != Finding.Status.ACCEPTED:
        raise ValidationError("Only an accepted finding has an acceptance to revoke.")
    finding.status = Finding.Status.OPEN
    finding._change_reason = "Risk acceptance revoked"
    finding.save(update_fields=["status", "updated_at"])
    ratings_refresh_request(usage_ids=[finding.usage_id])
    return finding


@transaction.atomic
def finding_resolve(*, finding: Finding, status: str, resolution: str, by=None) -> Finding:
    """Mark remediated or closed. Only once the factor has left the usage's current rating: a risk still there
    is remediated by fixing it (and refreshing the lineage) or accepted with a justification, never closed."""
    if status not in (Finding.Status.REMEDIATED, Finding.Status.CLOSED):
        raise ValidationError({"status": "A finding is resolved as remediated or closed."})
    _lock(finding)
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
