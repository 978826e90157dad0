"""Admin for report models (forecasts are read-only: they are kept exactly as issued)."""
from django.contrib import admin

from .models import Forecast


@admin.register(Forecast)
class ForecastAdmin(admin.ModelAdmin):
    list_display = ("issued_at", "method", "queue", "horizon_start", "horizon_end",
                    "backtest_daily_wape", "backtest_daily_bias", "backtest_wape",
                    "backtest_bias", "holdout_weeks")
    list_filter = ("method",)

    def has_change_permission(self, request, obj=None):
        return False
