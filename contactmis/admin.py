from django.contrib import admin

from .models import Centre, WorkerHeartbeat


@admin.register(Centre)
class CentreAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone"]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "seen_at"]
