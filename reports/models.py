"""Report models: forecasts as issued (so their accuracy can be measured when the actuals
arrive)."""
from django.conf import settings
from django.db import models

from contactmis.models import Centre
from contactmis.scope import ScopedQuerySet
from pathways.models import Queue

from .analysis.forecast import LABELS as METHOD_LABELS


class ForecastMethod(models.TextChoices):
    HOLT_WINTERS = "holt_winters", "Holt-Winters (daily, weekday intraday profile)"
    STL_ETS = "stl_ets", "STL + ETS (daily, weekday intraday profile)"
    SEASONAL_NAIVE = "seasonal_naive", "Seasonal naive (same interval last week)"


class ForecastQuerySet(ScopedQuerySet):
    scope_paths = {"queue": "queue_id", "channel": "queue__channel", "site": "queue__site"}


class Forecast(models.Model):
    """A volume and AHT forecast per interval, kept exactly as issued.

    ``values`` is a list of ``{"period_start": "<local ISO time>", "offered": float,
    "aht_s": float | null}`` in the centre's local time, one per interval of
    [horizon_start, horizon_end). ``backtest_wape``/``backtest_bias`` are the method's accuracy per
    interval on held-out weeks when it was issued, ``backtest_daily_wape``/``backtest_daily_bias``
    of daily totals (fractions). ``backtest`` keeps every method's figures on the same
    ``holdout_weeks`` (a list of ``{"method", "label", "daily_wape", "daily_bias",
    "interval_wape", "interval_bias", "weeks"}``) and ``selection`` says in words why ``method``
    was chosen (empty when the issuer named the method). ``scope_label`` records whose data it
    used.
    """

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="forecasts")
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="forecasts",
                              help_text="Empty: all queues of the scope together.")
    method = models.CharField(max_length=20, choices=ForecastMethod.choices)
    issued_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    scope_label = models.CharField(max_length=200, blank=True)
    history_start = models.DateField()
    history_end = models.DateField(help_text="Exclusive.")
    horizon_start = models.DateField()
    horizon_end = models.DateField(help_text="Exclusive.")
    interval_s = models.PositiveIntegerField(default=900)
    backtest_wape = models.FloatField(null=True, blank=True)
    backtest_bias = models.FloatField(null=True, blank=True)
    backtest_daily_wape = models.FloatField(null=True, blank=True)
    backtest_daily_bias = models.FloatField(null=True, blank=True)
    holdout_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    backtest = models.JSONField(default=list, blank=True)
    selection = models.TextField(blank=True)
    values = models.JSONField(default=list)

    objects = ForecastQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-pk"]

    def __str__(self):
        target = self.queue or "all queues"
        return f"{self.method_label} for {target}, {self.horizon_start}–{self.horizon_end}"

    @property
    def method_label(self) -> str:
        """The model's short name (Holt-Winters, STL + ETS, Seasonal naive)."""
        return METHOD_LABELS.get(self.method, self.get_method_display())

    @property
    def interval_minutes(self) -> int:
        return self.interval_s // 60
