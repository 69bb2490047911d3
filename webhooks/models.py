"""Webhook endpoints, the messages sent to them and every delivery attempt (the delivery log)."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from vendors.models.base import choices_check
from webhooks.sealing import SealedCharField


class EventType(models.TextChoices):
    """What an endpoint can subscribe to (see the README for each payload)."""

    RATING_CHANGED = "rating.changed", "rating.changed: a rating changed"
    LINEAGE_CHANGED = "lineage.changed", "lineage.changed: a supply-chain change was recorded"
    FINDING_OPENED = "finding.opened", "finding.opened: a finding was opened"
    FINDING_UPDATED = "finding.updated", "finding.updated: a finding changed"
    ASSESSMENT_SUBMITTED = "assessment.submitted", "assessment.submitted: a vendor submitted a questionnaire"
    ATTESTATION_SIGNED = "attestation.signed", "attestation.signed: a vendor signed an attestation"
    REPORT_READY = "report.ready", "report.ready: a report was generated"


#: Sent by the "send a test event" action only; endpoints do not subscribe to it.
TEST_EVENT = "webhook.test"
MESSAGE_TYPES = [*EventType.values, TEST_EVENT]


class DisabledReason(models.TextChoices):
    NONE = "", "Enabled"
    ADMIN = "admin", "Disabled by an administrator"
    FAILURES = "failures", "Disabled after repeated failed deliveries"


class WebhookEndpoint(models.Model):
    """A URL that receives signed webhooks for the event types it subscribes to.

    The secret signs every message (Standard Webhooks). Rotating it keeps the previous secret in force until
    ``previous_secret_expires_at``, during which messages carry both signatures. ``failure_streak`` counts the
    failed attempts since the last success (``failing_since`` is the first of them); a long enough streak
    disables the endpoint (``disabled_reason`` = failures) and the admins are told.
    """

    DisabledReason = DisabledReason

    url = models.URLField("target URL", max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list, help_text="The event types it receives.")
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=16, choices=DisabledReason.choices, blank=True, default="")
    disabled_at = models.DateTimeField(null=True, blank=True)
    secret = SealedCharField(help_text="Stored sealed (webhooks.sealing); in clear only to sign and to show once.")
    previous_secret = SealedCharField(blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    failure_streak = models.PositiveIntegerField(default=0, help_text="Failed attempts since the last success.")
    failing_since = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["url", "id"]
        constraints = [
            choices_check("disabled_reason", DisabledReason, "webhookendpoint_disabled_reason_valid"),
            models.CheckConstraint(
                condition=Q(enabled=True, disabled_reason="") | Q(enabled=False) & ~Q(disabled_reason=""),
                name="webhookendpoint_disabled_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(previous_secret="", previous_secret_expires_at__isnull=True)
                | (~Q(previous_secret="") & Q(previous_secret_expires_at__isnull=False)),
                name="webhookendpoint_previous_secret_expires",
            ),
        ]

    def __str__(self) -> str:
        return self.description or self.url

    def get_absolute_url(self) -> str:
        return reverse("webhooks:endpoint_detail", args=[self.pk])

    def clean(self) -> None:
        types = self.event_types
        if not isinstance(types, list) or not types:
            raise ValidationError({"event_types": "Choose at least one event type."})
        unknown = [t for t in types if t not in EventType.values]
        if unknown:
            raise ValidationError({"event_types": f"Unknown event type(s): {', '.join(map(str, unknown))}."})
        for name in ("secret", "previous_secret"):
            value = getattr(self, name)
            if value and not value.startswith("whsec_"):
                raise ValidationError({name: "A webhook secret starts with whsec_ (Standard Webhooks)."})

    @property
    def disabled_by_failures(self) -> bool:
        return self.disabled_reason == DisabledReason.FAILURES


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookMessage(models.Model):
    """One event for one endpoint: the exact body that is signed and sent, the same ``webhook-id`` on every
    attempt, and where delivery stands (pending with the time of the next attempt, delivered, or failed for
    good with the reason)."""

    Status = MessageStatus

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="messages")
    message_id = models.CharField("webhook-id", max_length=40, unique=True)
    event_type = models.CharField(max_length=40)
    body = models.TextField(help_text="The JSON payload exactly as signed and sent.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Attempts since it was (last) queued.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True, help_text="Handed to a worker (not yet attempted).")
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["endpoint", "-created_at"]),
        ]
        constraints = [
            choices_check("status", MessageStatus, "webhookmessage_status_valid"),
            models.CheckConstraint(condition=Q(event_type__in=MESSAGE_TYPES), name="webhookmessage_type_valid"),
            models.CheckConstraint(
                condition=~Q(status=MessageStatus.PENDING) | Q(next_attempt_at__isnull=False),
                name="webhookmessage_pending_has_next_attempt",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"

    @property
    def payload_json(self) -> dict:
        return json.loads(self.body)


class WebhookAttempt(models.Model):
    """One try at delivering a message: when, how long it took, what the receiver answered (status and the
    start of its body) or what went wrong."""

    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField(help_text="1, 2, ... across every round of sending.")
    attempted_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="The start of the receiver's answer.")
    error = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField()

    class Meta:
        ordering = ["-attempted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["message", "number"], name="webhookattempt_number_unique"),
            models.CheckConstraint(
                condition=Q(succeeded=False) | Q(response_status__gte=200, response_status__lt=300),
                name="webhookattempt_success_is_2xx",
            ),
        ]

    def __str__(self) -> str:
        outcome = self.response_status or self.error or "?"
        return f"attempt {self.number} of {self.message}: {outcome}"
