from django.contrib import admin, messages
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from riskregistry import services
from riskregistry.models import ApiKey, OidcIdentity, SecurityEvent, WorkerHeartbeat

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


# Two-factor devices are enrolled on the app's pages and lifted there by another admin, with the reason in the
# audit trail; the library's admin pages would show the secrets and delete without a record.
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    """Single sign-on and two-factor events (password sign-ins are under Axes)."""

    list_display = ["at", "kind", "username", "actor", "ip_address", "detail"]
    list_filter = ["kind", "at"]
    search_fields = ["username", "ip_address", "detail"]
    date_hierarchy = "at"


@admin.register(OidcIdentity)
class OidcIdentityAdmin(ReadOnlyAdmin):
    list_display = ["user", "issuer", "subject", "groups", "last_sign_in_at"]
    search_fields = ["user__username", "subject"]
