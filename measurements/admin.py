from django.contrib import admin

from .models import DataSource, ImportBatch, RejectedRow


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "export_format", "time_zone", "centre"]


class RejectedRowInline(admin.TabularInline):
    model = RejectedRow
    extra = 0
    can_delete = False


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["original_name", "source", "status", "rows_read", "contacts_loaded",
                    "rows_rejected", "created_at"]
    list_filter = ["status", "source"]
    inlines = [RejectedRowInline]
