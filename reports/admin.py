"""Reports in the admin: read-only (they are generated, never edited or deleted)."""

from django.contrib import admin

from reports.models import Report


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "period", "as_of", "status", "requested_by_name", "created_at")
    list_filter = ("kind", "status", "period")
    search_fields = ("period", "vendor__name", "sha256")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
