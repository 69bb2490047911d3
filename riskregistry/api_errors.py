"""The REST API's one error shape, ``{"detail", "code", "fields"}`` for every status, from one exception handler
(settings ``EXCEPTION_HANDLER``), and the errors of its own: 409 (conflict, stale), 410, 428."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from riskregistry import versions


# ---------------------------------------------------------------------------------------------------------------
# Errors: {"detail", "code", "fields": {name: [message]}} for every status
# ---------------------------------------------------------------------------------------------------------------
class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = (
        'Say which version of the record your change is based on: send `If-Match: "<version>"` (the ETag of its '
        "last read) or the `version` field, so that a change made meanwhile by someone else is not overwritten."
    )
    default_code = "precondition_required"


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "This resource existed and was removed."
    default_code = "gone"


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    detail = serializers.CharField(help_text="What went wrong, for a person.")
    code = serializers.CharField(
        help_text="What went wrong, for a program: invalid, not_found, stale, precondition_required, throttled, ..."
    )
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per-field messages of a 400 (non_field_errors: about the whole request).",
    )


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field's name in the record.")
    label = serializers.CharField(help_text="The field's name for a person.")
    then = serializers.CharField(help_text="Its value in the version the change was based on.")
    now = serializers.CharField(help_text="Its value now.")
    by = serializers.CharField(help_text="Who last changed it.")
    at = serializers.DateTimeField(help_text="When.")


class StaleErrorSerializer(ErrorSerializer):
    """A 409: the error body, and for code ``stale`` (the change was based on an older version of the record than
    its current one, so it was refused rather than overwrite what someone else saved) the current version and what
    changed since the version sent."""

    version = serializers.CharField(required=False, help_text="The record's current version (code stale).")
    changes = FieldChangeSerializer(
        many=True, required=False, help_text="Each field changed since the version sent (code stale)."
    )


class Stale(Conflict):
    default_code = "stale"

    def __init__(self, error: versions.StaleVersion):
        super().__init__(error.message, code="stale")
        self.version, self.changes = error.current, [change.as_json() for change in error.changes]


def _first_code(codes) -> str:
    if isinstance(codes, dict):
        codes = next(iter(codes.values()), "invalid")
    if isinstance(codes, list):
        codes = codes[0] if codes else "invalid"
    return _first_code(codes) if isinstance(codes, (dict, list)) else str(codes)


def _flatten(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as {"field" or "field.sub" or "items.0.name": [messages]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for name, value in errors.items():
            key = "non_field_errors" if name in ("__all__", "non_field_errors") and not prefix else str(name)
            flat.update(_flatten(value, f"{prefix}{key}" if not prefix else f"{prefix}.{key}"))
    elif isinstance(errors, list) and any(isinstance(e, (dict, list)) for e in errors):
        for index, value in enumerate(errors):
            flat.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        messages = errors if isinstance(errors, list) else [errors]
        flat[prefix or "non_field_errors"] = [str(m) for m in messages]
    return flat


def exception_handler(exc, context):
    """DRF's handler, after turning a service's ValidationError into a 400 with field errors and a protected
    deletion into a 409; then every error body takes the one shape."""
    if isinstance(exc, versions.StaleVersion):
        exc = Stale(exc)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, ProtectedError):
        exc = Conflict("Other records depend on this one; it cannot be deleted. Retire or archive it instead.")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        only = fields.get("non_field_errors")
        detail = only[0] if only and len(fields) == 1 else "The request has invalid fields."
        response.data = {"detail": detail, "code": _first_code(exc.get_codes()), "fields": fields}
    else:
        detail = exc.detail if not isinstance(exc.detail, (dict, list)) else str(exc.detail)
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response.data = {"detail": str(detail), "code": code, "fields": {}}
        if isinstance(exc, Stale):
            response.data.update(version=exc.version, changes=exc.changes)
            response["ETag"] = etag(exc.version)
    return response


def etag(version: str) -> str:
    """A version as an entity tag (``ETag``, ``If-Match``)."""
    return f'"{version}"'
