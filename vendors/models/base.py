"""Small pieces shared by the model modules."""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models

#: Longest free text a person may enter (a description, notes): a few pages, not a 4.5 MB paste.
TEXT_MAX_LENGTH = 5000


def bounded_text(max_length: int = TEXT_MAX_LENGTH, **kwargs) -> models.TextField:
    """A free-text field with a length limit that forms show and ``full_clean`` (every service) enforces."""
    return models.TextField(blank=True, max_length=max_length, validators=[MaxLengthValidator(max_length)], **kwargs)


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


class CurrentTransactionId(models.Func):
    """The id of the transaction writing the row, as a column default: ``pg_current_xact_id()`` on PostgreSQL (a
    64-bit id that never wraps), NULL on SQLite (whose writers take turns, so rows commit in id order there)."""

    output_field = models.BigIntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        return "NULL", []

    def as_postgresql(self, compiler, connection, **extra_context):
        return "(pg_current_xact_id()::text::bigint)", []
