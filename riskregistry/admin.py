from django.contrib import admin, messages
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from riskregistry import services
from riskregistry.models import ApiKey, WorkerHeartbeat

admin.site.site_header = "riskregistry administration"
admin.site.site_title = "riskregistry"


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "seen_at", "beats"]
    readonly_fields = ["hostname", "seen_at", "beats"]


# The library's own key model is not used (riskregistry.ApiKey adds an owner, a scope and a last-used time).
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


@admin.register(ApiKey)
class ApiKeyAdmin(APIKeyModelAdmin):
    """Admins create keys here; the key is shown once, in a message, and only its prefix is kept visible."""

    list_display = ["prefix", "name", "owner", "scope", "created", "expiry_date", "_has_expired", "last_used_at",
                    "revoked"]  # fmt: skip
    list_filter = ["scope", "revoked", "created"]
    search_fields = ["name", "prefix", "owner__username"]
    fields = ["name", "owner", "scope", "expiry_date", "revoked", "prefix", "last_used_at"]

    def get_readonly_fields(self, request, obj=None):
        fields = ["prefix", "last_used_at"]
        if obj is not None:
            fields += ["owner", "scope"]  # a key's holder and reach are fixed; revoke it and create another
            if obj.revoked:
                fields += ["name", "revoked", "expiry_date"]
        return fields

    def save_model(self, request, obj, form=None, change=False):
        if change:
            obj.save()
            return
        key, raw = services.api_key_create(owner=obj.owner, scope=obj.scope, name=obj.name)
        if obj.expiry_date:
            key.expiry_date = obj.expiry_date
            key.save(update_fields=["expiry_date"])
        obj.pk, obj.prefix = key.pk, key.prefix
        messages.warning(
            request, f"The API key for {key.owner.get_username()} is: {raw} — store it now: it will not be shown again."
        )

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the prefix stays on record
