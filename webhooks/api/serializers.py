"""Serializers of the webhooks API: endpoints (the secret only in the reply that creates or rotates it),
messages with their delivery attempts, and the write shapes the services take."""

from rest_framework import serializers

from webhooks.models import EventType, WebhookAttempt, WebhookEndpoint, WebhookMessage


class WebhookEndpointSerializer(serializers.ModelSerializer):
    """An endpoint as read: its secret is never shown again after creation or rotation."""

    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices))
    secret_prefix = serializers.SerializerMethodField(help_text="The first characters of the current secret.")
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id", "url", "description", "event_types", "enabled", "disabled_reason", "disabled_at",
            "secret_prefix", "secret_rotated_at", "previous_secret_expires_at", "failure_streak", "failing_since",
            "last_success_at", "last_failure_at", "created_by", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_secret_prefix(self, endpoint) -> str:
        return endpoint.secret[:10]


class WebhookEndpointSecretSerializer(WebhookEndpointSerializer):
    """The reply that creates an endpoint or rotates its secret: the only time ``secret`` is shown."""

    secret = serializers.CharField(read_only=True, help_text="whsec_…: store it in the receiver now.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointWriteSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2000, help_text="http(s), no credentials, a public address.")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    event_types = serializers.MultipleChoiceField(choices=EventType.choices, allow_empty=False)


class WebhookEndpointCreateSerializer(WebhookEndpointWriteSerializer):
    enabled = serializers.BooleanField(required=False, default=True)


class SecretRotateSerializer(serializers.Serializer):
    grace_hours = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=24 * 30,
        help_text="How long the old secret keeps signing beside the new one (default: the installation's).",
    )


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = [
            "number", "attempted_at", "duration_ms", "response_status", "response_body", "error", "succeeded"
        ]  # fmt: skip
        read_only_fields = fields


class WebhookMessageSerializer(serializers.ModelSerializer):
    """One event sent to one endpoint, with every attempt at delivering it."""

    payload = serializers.JSONField(source="payload_json", read_only=True, help_text="The body as sent.")
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookMessage
        fields = [
            "id", "endpoint", "message_id", "event_type", "status", "attempts", "next_attempt_at",
            "last_status_code", "last_error", "created_at", "finished_at", "payload", "attempt_log",
        ]  # fmt: skip
        read_only_fields = fields
