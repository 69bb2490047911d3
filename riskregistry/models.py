"""Operational state shared by the whole service, and the API keys of integrations."""

from django.conf import settings
from django.db import models
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
    def get_usable_keys(self):
        return super().get_usable_keys().select_related("owner")


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
