from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Signed webhooks for integrations. On top of the other apps: nothing imports it; it subscribes to the
    signals they document (``vendors.signals``, ``assessments.signals``, ``reports.signals``)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from webhooks import receivers

        receivers.connect()
