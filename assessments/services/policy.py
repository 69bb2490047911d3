"""Policy versions: a change is stored as the next version and the portfolio rescored under it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from assessments import selectors
from assessments.models import ScoringPolicy
from assessments.scoring import Policy, PolicyError
from assessments.services.rescoring import ratings_refresh_request


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
