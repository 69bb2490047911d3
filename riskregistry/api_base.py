"""What every REST API viewset shares: the base viewset (a selector in, the page's FilterSet on lists, a total
order, replies re-read through the selector, versions on single records), pagination, brief nested serializers and
the schema that documents the errors (their shape and handler: riskregistry.api_errors)."""

from __future__ import annotations

import binascii
from base64 import b64decode, b64encode
from functools import cached_property, partial
from urllib import parse

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers, viewsets
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from riskregistry import spreadsheets, versions
from riskregistry.api_errors import (  # noqa: F401  (Conflict, exception_handler: the API's error names, kept here)
    Conflict,
    ErrorSerializer,
    Gone,
    StaleErrorSerializer,
    etag,
    exception_handler,
)
from riskregistry.api_versions import based_on_from


# ---------------------------------------------------------------------------------------------------------------
# Pagination
# ---------------------------------------------------------------------------------------------------------------
class CountedPaginator(Paginator):
    """Django's paginator, with the count asked of ``count_rows`` (the view's ``list_count``) when given."""

    def __init__(self, object_list, per_page, *args, count_rows=None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.count_rows = count_rows

    @cached_property
    def count(self) -> int:
        return self.count_rows() if self.count_rows is not None else super().count


class PagePagination(PageNumberPagination):
    """``?page=N&page_size=M``; the envelope is count, next, previous, results. The view counts the rows
    (``list_count``), so it can count them without what only the shown rows need."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = settings.API_PAGE_SIZE_MAX

    def paginate_queryset(self, queryset, request, view=None):
        list_count = getattr(view, "list_count", None)
        count_rows = (lambda: list_count(queryset)) if list_count is not None else None
        self.django_paginator_class = partial(CountedPaginator, count_rows=count_rows)
        return super().paginate_queryset(queryset, request, view)


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


class _Named:
    """A user as a username field shows it, from a list's annotation."""

    __slots__ = ("username",)

    def __init__(self, username: str):
        self.username = username


class UsernameField(serializers.SlugRelatedField):
    """A user, shown by username (read-only). A list's selector may read the username with its row instead of
    joining the user (``vendors.selectors.with_usernames``: the annotation ``<field>_username``); the field shows
    that when it is there, and reads the relation otherwise."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="username", read_only=True, allow_null=True, **kwargs)

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        self.annotation = f"{self.source}_username"

    def get_attribute(self, instance):
        values = instance.__dict__
        if self.annotation in values:
            username = values[self.annotation]
            return None if username is None else _Named(username)
        return super().get_attribute(instance)


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

    def _is_versioned_action(self) -> bool:
        return getattr(self.view, "versioned", False) and self.method == "POST" and "{" in self.path

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self._is_versioned_action():
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
        if self._is_versioned_write() or self._is_versioned_action():
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

    ``list_selector``: what the list reads instead, when set: the same rows with only the columns the list shows
    (the serializer's), so a page is one narrow query. It takes nothing from the request or the moment (filters
    and feeds do that later), so its queryset is built once per viewset and copied for each request: building
    one with its narrow columns, joins and subqueries cost a list request a few milliseconds.
    ``count_selector``: when set, a list's ``count`` is of the FilterSet's rows over it (no ordering), not over
    the list's joins and roll-ups.
    ``gone_when_removed``: an id that existed (its model keeps history) answers 410 instead of 404.
    ``versioned``: rows carry their version (riskregistry.versions; the serializer shows it with ``VersionField``),
    a single record's reply its ``ETag``, and PATCH/PUT must say which version they change (``based_on()``). An
    action whose reply is not the record (a download, an import's report, a list) says ``versioned=False`` in its
    ``@action``.
    """

    selector = None
    list_selector = None
    count_selector = None
    versioned = False
    filter_backends = [DjangoFilterBackend]
    pagination_class = PagePagination
    schema = RegistrySchema()
    gone_when_removed = False

    def get_queryset(self):
        if self.action == "list" and self.list_selector is not None:
            return self._list_queryset().all()  # a copy: nothing read yet, nothing shared afterwards
        queryset = self.selector()
        return versions.version_annotate(queryset) if self.versioned else queryset

    def _list_queryset(self):
        built = type(self).__dict__.get("_list_querysets", {})
        queryset = built.get(self.versioned)
        if queryset is None:
            queryset = self.list_selector()
            queryset = versions.version_annotate(queryset) if self.versioned else queryset
            type(self)._list_querysets = {**built, self.versioned: queryset}
        return queryset

    def permission_model(self):
        """The model whose permissions the roles check (``RolePermission``), known without building a queryset
        after the first request."""
        model = type(self).__dict__.get("_permission_model")
        if model is None:
            model = self.get_queryset().model
            type(self)._permission_model = model
        return model

    def list_count(self, queryset) -> int:
        """How many rows the list's filters select (the page envelope's ``count``)."""
        if self.count_selector is None or self.action != "list":
            return queryset.count()
        params = self.request.query_params.copy()
        params.pop("ordering", None)  # an ordering may need the roll-ups; a count needs no order
        filterset = self.filterset_class(params, queryset=self.count_selector(), request=self.request)
        return filterset.qs.count()

    def based_on(self) -> str:
        """The version the request's change is based on (``If-Match`` or ``version``); 428 without one."""
        return based_on_from(self.request)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        one_record = (self.detail or response.status_code == 201) and request.method != "OPTIONS"  # not a description
        if self.versioned and one_record and response.status_code in (200, 201):
            response["ETag"] = etag(response.data["version"])
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
        # A method the route does not have is a 405 (with ``Allow``) for everyone, as Django's own views answer:
        # DRF would check the permissions first and answer 403 (or 401) for a method that no one could ever use.
        method = request.method.lower()
        if method not in self.http_method_names or getattr(self, method, None) is None:
            raise exceptions.MethodNotAllowed(request.method)
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
