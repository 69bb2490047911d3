"""Small pieces shared by the model modules."""

from django.conf import settings
from django.db import models


def choices_check(field: str, choices: type[models.TextChoices], name: str) -> models.CheckConstraint:
    """A database CHECK that keeps a choices field to its choices, whatever wrote the row."""
    return models.CheckConstraint(condition=models.Q(**{f"{field}__in": choices.values}), name=name)


class Retirable(models.Model):
    """When a record people relied on ended, who ended it and why: it is retired, never deleted, so its ratings,
    findings and history stay readable."""

    retired_at = models.DateTimeField(null=True, blank=True, help_text="When it ended; empty while in use.")
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retirement_reason = models.CharField(max_length=500, blank=True, help_text="Why it ended.")

    class Meta:
        abstract = True

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None
