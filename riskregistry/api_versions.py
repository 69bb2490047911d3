"""The REST API's side of record versions (riskregistry.versions): the ``version`` field of a read, the ``version``
of a change's body, and which version a change says it is based on (``If-Match`` or ``version``)."""

from __future__ import annotations

from rest_framework import exceptions, serializers

from riskregistry import versions
from riskregistry.api_errors import PreconditionRequired


# ---------------------------------------------------------------------------------------------------------------
# Versions: reads carry an ETag and a ``version`` field; a change sends it back (If-Match or ``version``)
# ---------------------------------------------------------------------------------------------------------------
class VersionField(serializers.CharField):
    """The record's version (riskregistry.versions), to send back with a change as ``If-Match`` or ``version``.
    Read from the viewset's annotation (no query per row), or asked for when the object was loaded without it.
    Not a spreadsheet column."""

    csv_column = False

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            'The record\'s version: send it back with a change (`If-Match: "<version>"` or `version`); a change '
            "based on an older one is refused with 409 and what changed meanwhile.",
        )
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        return versions.version_of(value)


class SlugLookupField(serializers.SlugRelatedField):
    """A record named by a slug in a write. A NUL character is refused as a bad slug before the lookup (PostgreSQL
    cannot even compare text holding one: the query would fail with a server error)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", "\\0"))
        return super().to_internal_value(data)


class VersionedWriteSerializer(serializers.Serializer):
    """A change's body: ``version`` says which version of the record it is based on (or send ``If-Match``)."""

    version = serializers.CharField(
        required=False,
        max_length=20,
        help_text="The version the change is based on (the record's `version` as read); or send `If-Match`.",
    )


def based_on_from(request) -> str:
    """The version a change is based on: ``If-Match`` (one entity tag, quoted or not, weak or not) or the body's
    ``version``. Neither: 428. Both, disagreeing, or not a version: 400."""
    header = request.headers.get("If-Match", "").strip()
    body = request.data.get("version") if isinstance(request.data, dict) else None
    tag = None
    if header:
        tag = header.removeprefix("W/").strip().strip('"')
        if tag == "*" or "," in tag:
            raise exceptions.ValidationError(
                {"If-Match": ["Send the one version your change is based on (its ETag), not * or a list."]}
            )
    sent = str(body).strip() if body not in (None, "") else None
    if tag is not None and sent is not None and tag != sent:
        raise exceptions.ValidationError({"version": ["If-Match and version name different versions."]})
    version = tag if tag is not None else sent
    if version is None:
        raise PreconditionRequired()
    if not version.isdigit() or len(version) > 20:
        raise exceptions.ValidationError({"version": ["Not a version: send the ETag or version field you read."]})
    return version
