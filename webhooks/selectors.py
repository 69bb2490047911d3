"""Reads of the webhooks app: the endpoints and their delivery log, and the events (type, time, payload data)
that the facts announced by the other apps' signals become."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import NoReverseMatch, reverse

from assessments.models import Assessment, Attestation, Finding, RiskRating
from reports.models import Report
from vendors.models import ChangeEvent
from webhooks.models import EventType, WebhookAttempt, WebhookEndpoint, WebhookMessage
from webhooks.payloads import Event


# ---------------------------------------------------------------------------------------------------------------
# Endpoints and the delivery log
# ---------------------------------------------------------------------------------------------------------------
def endpoint_queryset() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.select_related("created_by")


def message_queryset() -> QuerySet[WebhookMessage]:
    return WebhookMessage.objects.select_related("endpoint")


def message_log_queryset() -> QuerySet[WebhookMessage]:
    """Messages with their attempts, newest first (the delivery log)."""
    return message_queryset().prefetch_related(
        Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("number"))
    )


def endpoints_subscribed(event_type: str) -> list[WebhookEndpoint]:
    """Enabled endpoints that receive ``event_type`` (the list is short: filtered here, portable to SQLite)."""
    return [e for e in WebhookEndpoint.objects.filter(enabled=True).order_by("pk") if event_type in e.event_types]


def event_types_subscribed() -> set[str]:
    types: set[str] = set()
    for event_types in WebhookEndpoint.objects.filter(enabled=True).values_list("event_types", flat=True):
        types.update(event_types)
    return types


# ---------------------------------------------------------------------------------------------------------------
# Events: what each announced fact becomes
# ---------------------------------------------------------------------------------------------------------------
def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def api_url(basename: str, pk, action: str = "detail") -> str | None:
    try:
        return _absolute(reverse(f"{basename}-{action}", args=[pk]))
    except NoReverseMatch:
        return None


#: Pages of objects whose model has no ``get_absolute_url``: (the page's URL name, the attribute giving its id).
_PAGES = {
    "model": ("vendors:model_detail", "pk"),
    "model-usage": ("assessments:usage_detail", "pk"),
    "rating": ("assessments:usage_detail", "usage_id"),
}


def _page(obj, basename: str) -> str | None:
    if basename in _PAGES:
        name, attribute = _PAGES[basename]
        return reverse(name, args=[getattr(obj, attribute)])
    return obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else None


def ref(obj, basename: str, **extra) -> dict | None:
    """An object as a payload names it: id, API URL, page in the web UI."""
    if obj is None:
        return None
    page = _page(obj, basename)
    return {"id": obj.pk, "url": api_url(basename, obj.pk), "page": _absolute(page) if page else None, **extra}


def _usage_refs(usage) -> dict:
    product = usage.product
    return {
        "usage": ref(usage, "model-usage"),
        "product": ref(product, "product", name=product.name),
        "vendor": ref(product.vendor, "vendor", name=product.vendor.name),
    }


def rating_events(rating_ids: Iterable[int]) -> list[Event]:
    ratings = RiskRating.objects.select_related("usage__product__vendor", "usage__model").filter(pk__in=rating_ids)
    return [
        Event(
            EventType.RATING_CHANGED,
            rating.created_at,
            {
                "rating": ref(rating, "rating"),
                "score": rating.score,
                "tier": rating.tier,
                "policy_version": rating.policy_version,
                "model": ref(rating.usage.model, "model", name=rating.usage.model.name),
                **_usage_refs(rating.usage),
            },
        )
        for rating in ratings.order_by("pk")
    ]


def change_events(change_event_ids: Iterable[int]) -> list[Event]:
    changes = ChangeEvent.objects.select_related("model", "product__vendor").filter(pk__in=change_event_ids)
    events = []
    for change in changes.order_by("pk"):
        product = change.product
        events.append(
            Event(
                EventType.LINEAGE_CHANGED,
                change.occurred_at,
                {
                    "change": ref(change, "change"),
                    "kind": change.kind,
                    "summary": change.summary,
                    "model": ref(change.model, "model", name=change.model.name) if change.model else None,
                    "product": ref(product, "product", name=product.name) if product else None,
                    "vendor": ref(product.vendor, "vendor", name=product.vendor.name) if product else None,
                },
            )
        )
    return events


def finding_events(finding_ids: Iterable[int], event_type: str) -> list[Event]:
    findings = Finding.objects.select_related("usage__product__vendor").filter(pk__in=finding_ids)
    return [
        Event(
            event_type,
            finding.updated_at,
            {
                "finding": ref(finding, "finding"),
                "code": finding.code,
                "status": finding.status,
                "due_date": finding.due_date.isoformat() if finding.due_date else None,
                **_usage_refs(finding.usage),
            },
        )
        for finding in findings.order_by("pk")
    ]


def assessment_events(assessment_id: int) -> list[Event]:
    assessment = Assessment.objects.select_related("product__vendor", "questionnaire").filter(pk=assessment_id).first()
    if assessment is None:
        return []
    product = assessment.product
    return [
        Event(
            EventType.ASSESSMENT_SUBMITTED,
            assessment.submitted_at or assessment.updated_at,
            {
                "assessment": ref(assessment, "assessment"),
                "questionnaire": assessment.questionnaire.key,
                "questionnaire_version": assessment.questionnaire.version,
                "round": assessment.round,
                "score": assessment.score,
                "product": ref(product, "product", name=product.name),
                "vendor": ref(product.vendor, "vendor", name=product.vendor.name),
            },
        )
    ]


def attestation_events(attestation_id: int) -> list[Event]:
    attestation = (
        Attestation.objects.select_related("request__vendor", "request__product").filter(pk=attestation_id).first()
    )
    if attestation is None:
        return []
    request = attestation.request
    return [
        Event(
            EventType.ATTESTATION_SIGNED,
            attestation.signed_at,
            {
                "attestation": {"id": attestation.pk, "statement_sha256": attestation.statement_sha256},
                "attestation_request": ref(request, "attestation-request", reference=request.reference),
                "corrected_claims": attestation.corrected_count,
                "product": ref(request.product, "product", name=request.product.name) if request.product else None,
                "vendor": ref(request.vendor, "vendor", name=request.vendor.name),
            },
        )
    ]


def report_events(report_id: int) -> list[Event]:
    report = Report.objects.select_related("vendor").filter(pk=report_id, status=Report.Status.READY).first()
    if report is None:
        return []
    return [
        Event(
            EventType.REPORT_READY,
            report.finished_at or report.created_at,
            {
                "report": ref(report, "report", download_url=api_url("report", report.pk, "download")),
                "kind": report.kind,
                "period": report.period,
                "as_of": report.as_of.isoformat(),
                "to_date": report.to_date,
                "sha256": report.sha256,
                "vendor": ref(report.vendor, "vendor", name=report.vendor.name) if report.vendor else None,
            },
        )
    ]
