from django.contrib import admin

from riskregistry.models import WorkerHeartbeat

admin.site.site_header = "riskregistry administration"
admin.site.site_title = "riskregistry"


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "seen_at", "beats"]
    readonly_fields = ["hostname", "seen_at", "beats"]
