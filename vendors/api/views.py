"""REST API viewsets for vendors' objects: thin doors over the selectors (reads, filtered by the pages'
FilterSets) and the services (writes, so history, change events and rescoring follow)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from assessments import selectors as rated
from assessments.selectors import mbom_risk
from riskregistry import spreadsheets
from riskregistry.api_auth import needs
from riskregistry.api_base import FeedPagination, RegistryViewSet
from vendors import bom, filters, selectors, services
from vendors.api import mbom
from vendors.api import serializers as s
from vendors.csv_import.columns import usage_export_header, usage_export_rows
from vendors.services import lineage

_READ = (mixins.ListModelMixin, mixins.RetrieveModelMixin)


class WritableViewSet(*_READ, RegistryViewSet):
    """Create, update (PATCH) and delete through services: ``create_serializer_class`` and
    ``update_serializer_class`` check shapes; ``perform_create``/``perform_update``/``perform_destroy`` call the
    service and return what it wrote. A PATCH says which version it changes (``If-Match`` or ``version``: 428
    without, 409 when someone changed the record since), passed to the service as ``based_on``."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    gone_when_removed = True
    versioned = True
    create_serializer_class = None
    update_serializer_class = None

    def create(self, request, *args, **kwargs):
        data = self.create_serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        return self.respond(self.perform_create(dict(data.validated_data)), status=201)

    def partial_update(self, request, *args, **kwargs):
        instance = self.get_object()
        based_on = self.based_on()
        data = self.update_serializer_class(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = {k: v for k, v in data.validated_data.items() if k != "version"}
        return self.respond(self.perform_update(instance, values, based_on))

    def destroy(self, request, *args, **kwargs):
        """DELETE removes through the service: a record with history is retired (200, the record as kept), one
        with none is deleted (204). Vendors, products and usages need a ``reason`` (query parameter or body)."""
        instance = self.get_object()
        removal = self.perform_destroy(instance)
        if removal is not None and removal.retired:
            return self.respond(instance)
        return Response(status=204)

    def removal_reason(self) -> str:
        body = self.request.data if isinstance(self.request.data, dict) else {}
        return str(self.request.query_params.get("reason") or body.get("reason") or "")


def _writes(read, create, update):
    """The OpenAPI of a writable viewset: the write serializers in, the read serializer out."""
    return extend_schema_view(
        create=extend_schema(request=create, responses={201: read}),
        partial_update=extend_schema(request=update, responses={200: read}),
    )


@_writes(s.VendorSerializer, s.VendorWriteSerializer, s.VendorUpdateSerializer)
class VendorViewSet(WritableViewSet):
    """Vendors with their roll-ups (counts, the worst current rating). Archived vendors are listed only when
    asked for by ``status``; deleting a vendor with products archives it (with the ``reason`` given)."""

    selector = staticmethod(rated.vendor_rated_queryset)
    serializer_class = s.VendorSerializer
    filterset_class = filters.VendorFilterSet
    create_serializer_class, update_serializer_class = s.VendorWriteSerializer, s.VendorUpdateSerializer

    def perform_create(self, data):
        return services.vendor_create(**data)

    def perform_update(self, vendor, data, based_on):
        return services.vendor_update(vendor=vendor, user=self.request.user, based_on=based_on, **data)

    def perform_destroy(self, vendor):
        return services.vendor_remove(vendor=vendor, reason=self.removal_reason(), user=self.request.user)


@_writes(s.ContactSerializer, s.ContactCreateSerializer, s.ContactUpdateSerializer)
class ContactViewSet(WritableViewSet):
    """People at vendors."""

    selector = staticmethod(selectors.contact_queryset)
    serializer_class = s.ContactSerializer
    filterset_fields = ["vendor"]
    create_serializer_class, update_serializer_class = s.ContactCreateSerializer, s.ContactUpdateSerializer

    def perform_create(self, data):
        return services.contact_create(**data)

    def perform_update(self, contact, data, based_on):
        return services.contact_update(contact=contact, based_on=based_on, **data)

    def perform_destroy(self, contact):
        services.contact_delete(contact=contact)


@_writes(s.ProductSerializer, s.ProductCreateSerializer, s.ProductUpdateSerializer)
class ProductViewSet(WritableViewSet):
    """Products with their roll-ups; deleting a product with model usages retires it (with the ``reason``)."""

    selector = staticmethod(rated.product_rated_queryset)
    count_selector = staticmethod(selectors.product_base_queryset)
    serializer_class = s.ProductSerializer
    filterset_class = filters.ProductFilterSet
    create_serializer_class, update_serializer_class = s.ProductCreateSerializer, s.ProductUpdateSerializer

    def perform_create(self, data):
        return services.product_create(**data)

    def perform_update(self, product, data, based_on):
        return services.product_update(product=product, user=self.request.user, based_on=based_on, **data)

    def perform_destroy(self, product):
        return services.product_remove(product=product, reason=self.removal_reason(), user=self.request.user)

    @mbom.MBOM_SCHEMA
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        renderer_classes=mbom.RENDERERS,
        versioned=False,  # a download, not the product
    )
    def mbom(self, request, pk=None):
        """The product's Model Bill of Materials: every model it uses and every ancestor, with publishers and
        their countries, hosts, licences and datasets (README, "Model Bill of Materials")."""
        product = self.get_object()
        fmt = request.query_params.get("format") or "cyclonedx"
        fmt = "cyclonedx" if fmt == "json" else fmt
        spec = request.query_params.get("spec") or "1.6"
        if fmt not in bom.FORMATS or spec not in bom.SPECS:
            raise ValidationError({"format": "Choose format cyclonedx or spdx, and spec 1.6 or 1.7."})
        rating = request.query_params.get("rating", "").lower() in ("1", "true", "yes")
        document = selectors.product_mbom(product, fmt=fmt, spec=spec, risk=mbom_risk, include_rating=rating)
        response = Response(document.content, content_type=document.media_type)
        response["Content-Disposition"] = f'attachment; filename="{document.file_name}"'
        return response

    @extend_schema(request={"multipart/form-data": s.MbomImportSerializer}, responses={201: s.BomImportSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="mbom-import",
        parser_classes=[MultiPartParser, FormParser, JSONParser],
        permission_classes=[needs("vendors.add_modelusage")],
        versioned=False,  # what the import did, not the product
    )
    def mbom_import(self, request, pk=None):
        """Import the vendor's CycloneDX JSON BOM (1.4 to 1.7) as a `file`: its models become usages declared by
        the imported BOM, their pedigrees declared parents; all or nothing, a 400 names every problem."""
        product = self.get_object()
        data = s.MbomImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        content = upload.read(settings.MBOM_IMPORT_MAX_BYTES + 1)
        record = services.bom_import(product=product, content=content, file_name=upload.name, user=request.user)
        return Response(s.BomImportSerializer(record).data, status=201)

    @extend_schema(responses={200: s.BomVersionSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="mbom-versions", filter_backends=[], versioned=False)
    def mbom_versions(self, request, pk=None):
        """The versions of the product's MBOM, newest first: each change of its supply chain records one."""
        page = self.paginate_queryset(selectors.bom_versions_for(self.get_object()))
        return self.get_paginated_response(s.BomVersionSerializer(page, many=True).data)


@_writes(s.ModelUsageSerializer, s.ModelUsageCreateSerializer, s.ModelUsageUpdateSerializer)
class ModelUsageViewSet(WritableViewSet):
    """Which models each product uses, in which role, served by whom and where, with the current rating.
    Registering one resolves its lineage and rates it after the transaction commits."""

    selector = staticmethod(rated.model_usage_rated_queryset)
    list_selector = staticmethod(rated.model_usage_rated_list_queryset)
    serializer_class = s.ModelUsageSerializer
    filterset_class = filters.ModelUsageFilterSet
    create_serializer_class, update_serializer_class = s.ModelUsageCreateSerializer, s.ModelUsageUpdateSerializer

    def perform_create(self, data):
        return services.model_usage_register(**data, user=self.request.user)

    def perform_update(self, usage, data, based_on):
        current = {
            "model_kind": usage.model.kind,
            "model_name": usage.model.name,
            "role": usage.role,
            "host": usage.host,
            "region": usage.region,
            "share": usage.share,
            "notes": usage.notes,
        }
        return services.model_usage_update(usage=usage, based_on=based_on, **{**current, **data})

    def partial_update(self, request, *args, **kwargs):
        instance = self.get_object()
        based_on = self.based_on()
        # Only the fields sent: the write serializer's defaults must not overwrite the usage's values.
        data = self.update_serializer_class(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        sent = {k: v for k, v in data.validated_data.items() if k in request.data and k != "version"}
        return self.respond(self.perform_update(instance, sent, based_on))

    def perform_destroy(self, usage):
        return services.model_usage_remove(usage=usage, reason=self.removal_reason(), user=self.request.user)

    def csv_list(self):
        """In the import's column set (README, "Import from a spreadsheet"), so a download edited and uploaded
        again changes only what was edited."""
        queryset = self.filter_queryset(self.selector())  # every column the import's set reads
        return spreadsheets.csv_response(usage_export_header(), usage_export_rows(queryset), "model-usages.csv")


class AIModelViewSet(*_READ, RegistryViewSet):
    """The nodes of the lineage graph, with how many usages and products sit on each."""

    selector = staticmethod(selectors.ai_model_queryset)
    serializer_class = s.AIModelSerializer
    filterset_class = filters.AIModelFilterSet

    @extend_schema(responses={200: s.LineageSerializer})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def lineage(self, request, pk=None):
        """The model's lineage as `manage.py lineage --json` prints it: nodes, edges, roots, chains, countries."""
        model = self.get_object()
        return Response(selectors.lineage_reports([model])[0].as_json())


class LineageEdgeViewSet(*_READ, mixins.CreateModelMixin, mixins.DestroyModelMixin, RegistryViewSet):
    """Parent edges of the lineage graph. Declaring a parent (POST) records it as the analyst's or the vendor's
    word and rescores what depends on it; only declared parents can be removed (the hub's change with the hub)."""

    selector = staticmethod(selectors.lineage_edge_queryset)
    serializer_class = s.LineageEdgeSerializer
    filterset_class = filters.LineageEdgeFilterSet

    @extend_schema(request=s.DeclaredParentSerializer, responses={201: s.LineageEdgeSerializer})
    def create(self, request, *args, **kwargs):
        data = s.DeclaredParentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        edge = lineage.lineage_parent_declare(**data.validated_data, user=request.user)
        return self.respond(edge, status=201)

    def destroy(self, request, *args, **kwargs):
        lineage.lineage_parent_remove(edge=self.get_object(), user=request.user)
        return Response(status=204)


class PublisherViewSet(*_READ, RegistryViewSet):
    """Model publishers from the knowledge base (edited by admins)."""

    selector = staticmethod(selectors.publisher_queryset)
    serializer_class = s.PublisherSerializer
    filterset_class = filters.PublisherFilterSet


class HostViewSet(*_READ, RegistryViewSet):
    """Hosts (inference providers, clouds) and their regions, from the knowledge base."""

    selector = staticmethod(selectors.host_queryset)
    serializer_class = s.HostSerializer
    filterset_class = filters.HostFilterSet


class ChangeEventViewSet(*_READ, RegistryViewSet):
    """The change feed: every supply-chain change, by cursor, in the order of the transactions that recorded them.
    Store ``next`` (never null) and ask for it later: you get what came since, never missing or repeating an
    event. An event appears once its transaction and every older one have ended (usually at once; at most as long
    as the longest transaction still running), so one committing late is never skipped."""

    selector = staticmethod(selectors.change_event_queryset)
    list_selector = staticmethod(selectors.change_event_list_queryset)
    serializer_class = s.ChangeEventSerializer
    filterset_class = filters.ChangeEventFilterSet
    pagination_class = FeedPagination

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        # The feed's own order replaces the base's total order.
        return selectors.settled_changes(super(RegistryViewSet, self).filter_queryset(queryset))

    def feed_after(self, queryset, position):
        return selectors.changes_after(queryset, position)

    def feed_position(self, event) -> list[int]:
        return selectors.feed_position(event)
