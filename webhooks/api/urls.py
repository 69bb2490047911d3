"""The webhooks app's REST API routes: (prefix, viewset, basename), registered on the one router."""

from webhooks.api import views

ROUTES = [
    ("webhooks", views.WebhookEndpointViewSet, "webhook"),
    ("webhook-messages", views.WebhookMessageViewSet, "webhook-message"),
]
