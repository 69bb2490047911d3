"""REST API viewsets for webhooks (admins only): endpoints (create, change, delete, rotate the secret, send a
test event, enable, disable) and the messages sent with their delivery attempts (and sending one again)."""

from datetime import timedelta

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from riskregistry.api_auth import needs
from riskregistry.api_base import RegistryViewSet
from webhooks import selectors, services
from webhooks.api import serializers as s
from webhooks.filters import WebhookEndpointFilterSet, WebhookMessageFilterSet

_READ = (mixins.ListModelMixin, mixins.RetrieveModelMixin)
_CHANGE = [needs("webhooks.change_webhookendpoint")]


@extend_schema_view(
    create=extend_schema(request=s.WebhookEndpointCreateSerializer, responses={201: s.WebhookEndpointSecretSerializer}),
    partial_update=extend_schema(
        request=s.WebhookEndpointWriteSerializer, responses={200: s.WebhookEndpointSerializer}
    ),
    update=extend_schema(request=s.WebhookEndpointWriteSerializer, responses={200: s.WebhookEndpointSerializer}),
)
class WebhookEndpointViewSet(*_READ, RegistryViewSet):
    """Webhook endpoints. The secret is in the reply that creates an endpoint or rotates its secret, and never
    again. Target URLs must resolve to public addresses (unless the installation allows private targets)."""

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    selector = staticmethod(selectors.endpoint_queryset)
    serializer_class = s.WebhookEndpointSerializer
    filterset_class = WebhookEndpointFilterSet

    def create(self, request, *args, **kwargs):
        data = s.WebhookEndpointCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data, event_types=sorted(data.validated_data["event_types"]))
        endpoint, secret = services.endpoint_create(**values, created_by=request.user)
        return self._with_secret(endpoint, secret, status=201)

    def _with_secret(self, endpoint, secret: str, status: int = 200) -> Response:
        endpoint = self.get_queryset().get(pk=endpoint.pk)
        endpoint.secret = secret
        return Response(s.WebhookEndpointSecretSerializer(endpoint).data, status=status)

    def _update(self, request, partial: bool):
        endpoint = self.get_object()
        data = s.WebhookEndpointWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = {"url": endpoint.url, "description": endpoint.description, "event_types": endpoint.event_types}
        values.update(data.validated_data)
        values["event_types"] = sorted(values["event_types"])
        return self.respond(services.endpoint_update(endpoint=endpoint, **values))

    def update(self, request, *args, **kwargs):
        return self._update(request, partial=False)

    def partial_update(self, request, *args, **kwargs):
        return self._update(request, partial=True)

    def destroy(self, request, *args, **kwargs):
        """Delete the endpoint with its messages and delivery log."""
        services.endpoint_delete(endpoint=self.get_object())
        return Response(status=204)

    @extend_schema(request=s.SecretRotateSerializer, responses={200: s.WebhookEndpointSecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret", permission_classes=_CHANGE)
    def rotate_secret(self, request, pk=None):
        """A new secret (in the reply, once); the old one keeps signing beside it for ``grace_hours``."""
        data = s.SecretRotateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        hours = data.validated_data.get("grace_hours")
        grace = None if hours is None else timedelta(hours=hours)
        endpoint, secret = services.endpoint_secret_rotate(endpoint=self.get_object(), grace=grace)
        return self._with_secret(endpoint, secret)

    @extend_schema(request=None, responses={201: s.WebhookMessageSerializer})
    @action(detail=True, methods=["post"], permission_classes=_CHANGE)
    def test(self, request, pk=None):
        """Send a ``webhook.test`` event (attempted once, enabled or not); poll the message for the outcome."""
        message = services.endpoint_test_send(endpoint=self.get_object(), by=request.user)
        return Response(s.WebhookMessageSerializer(selectors.message_log_queryset().get(pk=message.pk)).data, 201)

    @extend_schema(request=None, responses={200: s.WebhookEndpointSerializer})
    @action(detail=True, methods=["post"], permission_classes=_CHANGE)
    def enable(self, request, pk=None):
        """Receive events again (what was missed meanwhile is not replayed); the failure streak restarts."""
        return self.respond(services.endpoint_enable(endpoint=self.get_object()))

    @extend_schema(request=None, responses={200: s.WebhookEndpointSerializer})
    @action(detail=True, methods=["post"], permission_classes=_CHANGE)
    def disable(self, request, pk=None):
        """Stop sending: pending messages are given up, new events are not recorded for it."""
        return self.respond(services.endpoint_disable(endpoint=self.get_object()))


class WebhookMessageViewSet(*_READ, RegistryViewSet):
    """The delivery log: every message sent to an endpoint (filter by ``endpoint``), with each attempt's time,
    answer, duration and error, newest first."""

    http_method_names = ["get", "post", "head", "options"]
    selector = staticmethod(selectors.message_log_queryset)
    serializer_class = s.WebhookMessageSerializer
    filterset_class = WebhookMessageFilterSet

    @extend_schema(request=None, responses={200: s.WebhookMessageSerializer})
    @action(detail=True, methods=["post"], permission_classes=_CHANGE)
    def resend(self, request, pk=None):
        """Send a delivered or failed message again (same webhook-id and body) with a fresh retry schedule."""
        return self.respond(services.message_resend(message=self.get_object()))
