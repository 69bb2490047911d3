"""Links into the vendor portal: a random token sent by email, of which only the SHA-256 is stored.

``PortalLink`` is abstract so that every kind of portal page (an assessment, an attestation request) keeps its
links in its own table with a real foreign key to what the link opens; the services in
``assessments.services.portal`` mint, verify, supersede and revoke links of any kind.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from vendors.models.base import choices_check


class PortalLinkReason(models.TextChoices):
    SEND = "send", "Sent"
    REMINDER = "reminder", "Reminder"
    REISSUE = "reissue", "Reissued"


def live_link_constraint(subject_field: str, name: str) -> models.UniqueConstraint:
    """At most one live link (neither superseded nor revoked) per subject: a new one supersedes the old."""
    return models.UniqueConstraint(
        fields=[subject_field], condition=Q(superseded_at__isnull=True, revoked_at__isnull=True), name=name
    )


class PortalLink(models.Model):
    """A link into the vendor portal for one subject (set by the concrete model as ``SUBJECT_FIELD``).

    The token itself is never stored: ``token_hash`` is its SHA-256 (hex). A link is live until it expires, a
    newer link for the same subject supersedes it (reminder, reissue) or an analyst revokes it; a dead link
    answers 410. Concrete models add the subject's foreign key and ``live_link_constraint``.
    """

    Reason = PortalLinkReason
    SUBJECT_FIELD = ""

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    reason = models.CharField(max_length=16, choices=Reason.choices, default=Reason.SEND)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-issued_at", "-id"]
        constraints = [
            choices_check("reason", PortalLinkReason, "%(app_label)s_%(class)s_reason_valid"),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("issued_at")), name="%(app_label)s_%(class)s_expires_after_issue"
            ),
        ]

    @property
    def subject(self):
        return getattr(self, self.SUBJECT_FIELD)

    @property
    def subject_id(self) -> int:
        return getattr(self, f"{self.SUBJECT_FIELD}_id")

    def state(self, now) -> str:
        """``live``, ``superseded``, ``revoked`` or ``expired``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.superseded_at is not None:
            return "superseded"
        if self.expires_at <= now:
            return "expired"
        return "live"
