"""Operational state shared by the whole service, and the API keys of integrations."""

from django.conf import settings
from django.db import connections, models
from django.db.models import OuterRef
from rest_framework_api_key.models import AbstractAPIKey, APIKeyManager


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker ran the heartbeat task: shows that workers are alive and reach the
    database, on the health check and the dashboard."""

    hostname = models.CharField(max_length=255, unique=True)
    seen_at = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return f"{self.hostname} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class ApiKeyScope(models.TextChoices):
    READ = "read", "Read"
    READ_WRITE = "read-write", "Read and write"


class ApiKeyManager(APIKeyManager):
    _usable_keys: dict = {}  # the built querysets, by database alias (shared by every copy of the manager)

    def get_usable_keys(self):
        """Keys not revoked, with their owner and, on PostgreSQL, the owner's permission names
        (``owner_permissions``): a request with a key needs one query to know who calls and what they may do."""
        built = self._usable_keys.get(self.db)
        if built is None:  # built once per database (it takes nothing from the moment) and copied for each request
            built = super().get_usable_keys().select_related("owner")
            if connections[self.db].vendor == "postgresql":
                from riskregistry.auth_backends import permission_names

                built = built.annotate(owner_permissions=permission_names(OuterRef("owner")))
            self._usable_keys[self.db] = built
        return built.all()


class ApiKey(AbstractAPIKey):
    """A key an integration (a GRC tool) sends as ``Authorization: Bearer <key>``. Stored hashed: only its
    prefix is visible after creation. It acts as its owner (the owner's role applies), within its scope, until it
    expires or is revoked (revocation cannot be undone)."""

    Scope = ApiKeyScope

    objects = ApiKeyManager()

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.READ)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(AbstractAPIKey.Meta):
        abstract = False
        verbose_name = "API key"
        verbose_name_plural = "API keys"
        constraints = [
            models.CheckConstraint(condition=models.Q(scope__in=ApiKeyScope.values), name="apikey_scope_valid"),
        ]

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.READ_WRITE


class SecurityEventKind(models.TextChoices):
    SSO_SIGN_IN = "sso.sign_in", "Signed in with single sign-on"
    SSO_SIGN_IN_FAILED = "sso.sign_in_failed", "Single sign-on refused"
    TWO_FACTOR_ENROLLED = "2fa.enrolled", "Two-factor device enrolled"
    TWO_FACTOR_VERIFIED = "2fa.verified", "Two-factor code accepted"
    TWO_FACTOR_FAILED = "2fa.failed", "Two-factor code refused"
    BACKUP_CODE_USED = "2fa.backup_code_used", "Backup code used"
    BACKUP_CODES_GENERATED = "2fa.backup_codes_generated", "Backup codes generated"
    TWO_FACTOR_REMOVED = "2fa.removed", "Two-factor device removed"


class SecurityEvent(models.Model):
    """One sign-in or two-factor event for the audit trail, beside django-axes' records of password sign-ins.

    Kept for good: ``user`` is the account concerned (kept by name too, so the row outlives the account) and
    ``actor`` who acted when it is someone else (an admin who removed another's device)."""

    Kind = SecurityEventKind

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="security_events"
    )
    username = models.CharField(max_length=150, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=SecurityEventKind.values), name="securityevent_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.username or '-'} at {self.at:%Y-%m-%d %H:%M:%S}"


class OidcIdentity(models.Model):
    """The account at the OpenID Connect provider (issuer and subject) behind a local user. A single sign-on is
    matched on these alone, never on an e-mail address or a username that a provider lets people choose."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_identity")
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    groups = models.JSONField(default=list, blank=True)  # the claim's values at the last sign-in
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "single sign-on identity"
        verbose_name_plural = "single sign-on identities"
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="oidcidentity_unique_subject")]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
