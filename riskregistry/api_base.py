"""What every REST API viewset shares: the base viewset (a selector in, the page's FilterSet on lists, a total
order, replies re-read through the selector), pagination, brief nested serializers, the one error shape and the
schema that documents it."""

from __future__ import annotations

import binascii
from base64 import b64decode, b64encode
from urllib import parse

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler

from riskregistry import spreadsheets, versions


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


# ---------------------------------------------------------------------------------------------------------------
# Versions: reads carry an ETag and a ``version`` field; a change sends it back (If-Match or ``version``)
# ---------------------------------------------------------------------------------------------------------------
def etag(version: str) -> str:
    return f'"{version}"'


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


# ---------------------------------------------------------------------------------------------------------------
# Pagination
# ---------------------------------------------------------------------------------------------------------------
class PagePagination(PageNumberPagination):
    """``?page=N&page_size=M``; the envelope is count, next, previous, results."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = settings.API_PAGE_SIZE_MAX


class FeedPagination(BasePagination):
    """Forward pages of a feed by an opaque cursor (``?cursor=``). The view says where an item leaves the cursor
    (``feed_position(item)``: a list of integers) and what comes after a position (``feed_after(queryset,
    position)``, in feed order). ``next`` is never null: on the last page it is the cursor after the last item
    (or the one asked with, when nothing came), so a poller stores it and asks again later for what came since."""

    cursor_query_param = "cursor"
    cursor_query_description = "The `next` link's cursor, from the previous page."
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = settings.API_PAGE_SIZE_MAX
    invalid_cursor_message = "Invalid cursor."

    def paginate_queryset(self, queryset, request, view=None):
        self.request, self.base_url = request, request.build_absolute_uri()
        self.page_size = self._page_size(request)
        position = self._decode(request)
        page = list(view.feed_after(queryset, position)[: self.page_size])
        self.position = view.feed_position(page[-1]) if page else position
        return page

    def _page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        try:
            size = int(raw) if raw is not None else self.page_size
        except ValueError:
            size = self.page_size
        return max(1, min(size, self.max_page_size))

    def _decode(self, request) -> list[int] | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None
        try:
            querystring = b64decode(encoded.encode("ascii")).decode("ascii")
            position = parse.parse_qs(querystring, keep_blank_values=True)["p"][0]
            values = [int(part) for part in position.split(".")]
        except (TypeError, ValueError, KeyError, IndexError, UnicodeError, binascii.Error):
            raise exceptions.NotFound(self.invalid_cursor_message) from None
        if not 1 <= len(values) <= 2:
            raise exceptions.NotFound(self.invalid_cursor_message)
        return values

    def get_next_link(self) -> str:
        if not self.position:
            return remove_query_param(self.base_url, self.cursor_query_param)
        querystring = parse.urlencode({"p": ".".join(str(v) for v in self.position)}, doseq=True)
        encoded = b64encode(querystring.encode("ascii")).decode("ascii")
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "previous": None, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "description": "Where to ask next, now or later: never null.",
                    "example": "http://api.example.org/accounts/?cursor=cD0xMjM0NQ==",
                },
                "previous": {"type": "string", "nullable": True, "description": "Always null: the feed goes forward."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": self.cursor_query_description,
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Number of results to return per page (at most {self.max_page_size}).",
                "schema": {"type": "integer"},
            },
        ]


# ---------------------------------------------------------------------------------------------------------------
# Serializers
# ---------------------------------------------------------------------------------------------------------------
def brief(serializer_class: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The serializer's ``Meta.brief_fields`` only, as its own schema component (``VendorBrief``): for nesting."""
    cached = _BRIEFS.get(serializer_class)
    if cached is None:
        name = serializer_class.__name__.removesuffix("Serializer") + "Brief"
        meta = type("Meta", (serializer_class.Meta,), {"fields": serializer_class.Meta.brief_fields})
        cached = type(name, (serializer_class,), {"Meta": meta, "__doc__": serializer_class.__doc__})
        _BRIEFS[serializer_class] = cached
    return cached


_BRIEFS: dict[type, type] = {}


# ---------------------------------------------------------------------------------------------------------------
# Schema: every operation documents the errors it can answer
# ---------------------------------------------------------------------------------------------------------------
class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "riskregistry.api_auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key (shown once when an admin creates it): `Authorization: Bearer <key>`.",
        }


class RegistrySchema(AutoSchema):
    def _is_versioned_write(self) -> bool:
        return getattr(self.view, "versioned", False) and self.method in ("PUT", "PATCH")

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if getattr(self.view, "versioned", False) and self.method == "POST" and "{" in self.path:
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    str,
                    OpenApiParameter.HEADER,
                    description=(
                        "Optional: the version the action is based on (the record's `ETag`); if the record changed "
                        "since, the action is refused with 409 (code `stale`) and what changed meanwhile."
                    ),
                )
            )
        if self._is_versioned_write():
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    str,
                    OpenApiParameter.HEADER,
                    description=(
                        'The version the change is based on, as the record\'s `ETag` was read (`"42"`). '
                        "Required unless the body's `version` says it: without either the answer is 428; a version "
                        "that is no longer current is refused with 409 (code `stale`) and what changed meanwhile."
                    ),
                )
            )
        return parameters

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        one_record = ("{" in self.path and not self._is_list_view()) or status_code == "201"
        if getattr(self.view, "versioned", False) and one_record and status_code in ("200", "201"):
            response["headers"] = {
                "ETag": {
                    "schema": {"type": "string"},
                    "description": "The record's version (its `version` field, quoted): send it back as `If-Match`.",
                }
            }
        content = response.get("content", {})
        if CSVRenderer.media_type in content:
            if status_code.startswith("2"):  # the whole filtered list as one download, not a JSON page
                content[CSVRenderer.media_type] = {
                    "schema": {"type": "string", "description": CSV_DESCRIPTION},
                }
            else:  # errors are always JSON
                del content[CSVRenderer.media_type]
        return response

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["401", "403", "429"]
        if self.method in ("POST", "PUT", "PATCH") or self._is_list_view():
            codes.append("400")
        if "{" in self.path or self._is_list_view():
            codes.append("404")  # an unknown id, or a page past the end
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes += ["400", "409"]
        if "{" in self.path and getattr(self.view, "gone_when_removed", False):
            codes.append("410")
        if self._is_versioned_write():
            codes.append("428")
            responses.setdefault("409", self._get_response_for_code(StaleErrorSerializer, "409", direction=direction))
        for code in codes:
            responses.setdefault(code, self._get_response_for_code(ErrorSerializer, code, direction=direction))
        return responses


# ---------------------------------------------------------------------------------------------------------------
# CSV: every list as a spreadsheet download (?format=csv or Accept: text/csv)
# ---------------------------------------------------------------------------------------------------------------
CSV_DESCRIPTION = (
    "With `?format=csv` (or `Accept: text/csv`): every row the filters select, not one page, streamed as UTF-8 "
    "CSV with a byte-order mark; nested objects are spread into dotted columns (`product.vendor.name`), lists "
    "joined with `; `, and a cell that starts with = + - @, a tab or a carriage return is prefixed with `'` so "
    "spreadsheets show it rather than run it. Errors stay JSON."
)


class CSVRenderer(BaseRenderer):
    """Lists as CSV. The list action streams its rows itself (``RegistryViewSet.csv_list``); this renderer only
    names the format for content negotiation and the schema."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, (bytes, str)):
            return data
        raise TypeError("CSV lists are streamed by the list action.")


# ---------------------------------------------------------------------------------------------------------------
# The base viewset
# ---------------------------------------------------------------------------------------------------------------
class RegistryViewSet(viewsets.GenericViewSet):
    """Reads through ``selector``, lists filtered by the page's FilterSet (``filterset_class``) in a total
    order, replies re-read through the selector so they have the same joins and annotations as the list.

    ``gone_when_removed``: an id that existed (its model keeps history) answers 410 instead of 404.
    ``versioned``: rows carry their version (riskregistry.versions; the serializer shows it with ``VersionField``),
    a single record's reply its ``ETag``, and PATCH/PUT must say which version they change (``based_on()``).
    """

    selector = None
    versioned = False
    filter_backends = [DjangoFilterBackend]
    pagination_class = PagePagination
    schema = RegistrySchema()
    gone_when_removed = False

    def get_queryset(self):
        queryset = self.selector()
        return versions.version_annotate(queryset) if self.versioned else queryset

    def based_on(self) -> str:
        """The version the request's change is based on (``If-Match`` or ``version``); 428 without one."""
        return based_on_from(self.request)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        data = getattr(response, "data", None)
        one_record = self.detail or response.status_code == 201
        if self.versioned and one_record and response.status_code in (200, 201) and "version" in (data or {}):
            response["ETag"] = etag(data["version"])
        return response

    def get_renderers(self):
        renderers = super().get_renderers()
        return [*renderers, CSVRenderer()] if self.action == "list" else renderers

    def handle_exception(self, exc):
        # Errors are JSON whatever format the list was asked in.
        renderer = getattr(self.request, "accepted_renderer", None)
        if renderer is not None and renderer.format == "csv":
            self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
        return super().handle_exception(exc)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # The list mixins come before this class in every viewset's bases; dispatch looks the handler up after
        # initial(), so a CSV list is answered by csv_list instead of a JSON page.
        if self.action == "list" and request.accepted_renderer.format == "csv":
            self.get = lambda request, *args, **kwargs: self.csv_list()

    def csv_list(self):
        """Every row the filters select, streamed in chunks read through the selector."""
        queryset = self.filter_queryset(self.get_queryset())
        columns = spreadsheets.serializer_columns(self.get_serializer())
        rows = spreadsheets.serialized_rows(
            queryset, lambda chunk: self.get_serializer(chunk, many=True, context=self.csv_context(chunk)), columns
        )
        return spreadsheets.csv_response(columns, rows, f"{self.basename}s.csv")

    def csv_context(self, chunk: list) -> dict:
        """The serializer context for one chunk of a CSV export (what a page's rows need besides the selector)."""
        return self.get_serializer_context()

    def filter_queryset(self, queryset):
        if self.action != "list":  # DRF filters detail routes too; VendorFilterSet would hide archived ones
            return queryset
        qs = super().filter_queryset(queryset)
        # End on pk: annotate() voids Meta.ordering, and ties would move rows across pages.
        return qs.order_by(*(qs.query.order_by or qs.model._meta.ordering), "pk")

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            if self.gone_when_removed and self._was_removed():
                raise Gone() from None
            raise

    def _was_removed(self) -> bool:
        model = self.get_queryset().model
        value = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
        history = getattr(model, "history", None)
        if history is None or not str(value).isdigit():
            return False
        return history.filter(id=int(value), history_type="-").exists()

    def respond(self, obj, status: int = 200) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=obj.pk)).data, status=status)
