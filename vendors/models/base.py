"""Small pieces shared by the model modules."""

from django.db import models


def choices_check(field: str, choices: type[models.TextChoices], name: str) -> models.CheckConstraint:
    """A database CHECK that keeps a choices field to its choices, whatever wrote the row."""
    return models.CheckConstraint(condition=models.Q(**{f"{field}__in": choices.values}), name=name)
