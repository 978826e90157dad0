"""Parameters of the analysis endpoints: validated, each error keyed by the parameter name."""
import zoneinfo

from rest_framework import serializers

from contactmis.api.fields import BoundedDateField, BoundedModelSerializer
from measurements.constants import WAIT_BUCKETS_S
from pathways.constants import Channel
from reports.analysis.kpis import SL_VARIANTS
from reports.models import Forecast, ForecastMethod
from reports.queueing_science import BY as QUEUEING_BY
from reports.selectors import ALL_DIMENSIONS, GRANULARITIES

MAX_DAYS = 3 * 366


class PeriodQuery(serializers.Serializer):
    start = BoundedDateField(help_text="First day (centre's local time), YYYY-MM-DD.")
    end = BoundedDateField(help_text="Day after the last (exclusive), YYYY-MM-DD.")

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": "Must be after start (end is exclusive)."})
        if (attrs["end"] - attrs["start"]).days > MAX_DAYS:
            raise serializers.ValidationError({"end": f"A period may be at most {MAX_DAYS} "
                                                      "days long."})
        return attrs


class KpiQuery(PeriodQuery):
    granularity = serializers.ChoiceField(choices=GRANULARITIES, default="day")
    by = serializers.ListField(child=serializers.ChoiceField(choices=ALL_DIMENSIONS),
                               required=False, default=list)
    sl_threshold = serializers.ChoiceField(choices=WAIT_BUCKETS_S, required=False)
    sl_variant = serializers.ChoiceField(choices=list(SL_VARIANTS), required=False)
    timezone = serializers.CharField(required=False)

    def validate_timezone(self, value):
        if value not in zoneinfo.available_timezones():
            raise serializers.ValidationError(f"“{value}” is not an IANA time zone.")
        return value


class QueueChoiceQuery(PeriodQuery):
    """A period and one queue (id) or one channel; neither: the first voice queue in scope."""

    queue = serializers.IntegerField(required=False, help_text="Queue id (in your scope).")
    channel = serializers.ChoiceField(choices=Channel.values, required=False,
                                      help_text="Every queue of one channel, each on its own.")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("queue") is not None and attrs.get("channel"):
            raise serializers.ValidationError({"channel": "Give a queue or a channel, not both."})
        return attrs


class QueueingQuery(QueueChoiceQuery):
    """The parameters of ``manage.py queueing``: a breakdown, the population and, optionally,
    one data source and the time zone of the days."""

    by = serializers.ChoiceField(choices=QUEUEING_BY, required=False,
                                 help_text="One group per value of this dimension.")
    queued_only = serializers.BooleanField(required=False, default=False,
                                           help_text="Only calls that waited (wait > 0).")
    source = serializers.CharField(required=False, max_length=200,
                                   help_text="Only this data source (its name).")
    timezone = serializers.CharField(required=False, max_length=64)

    def validate_timezone(self, value):
        if value not in zoneinfo.available_timezones():
            raise serializers.ValidationError(f"“{value}” is not an IANA time zone.")
        return value


class StaffingQuery(QueueChoiceQuery):
    """Without ``target_sl``/``threshold_s`` each queue is computed at its configured threshold
    and the business plan's target in force for it; given, they are explicit overrides."""

    target_sl = serializers.FloatField(min_value=0.01, max_value=0.999, required=False)
    threshold_s = serializers.ChoiceField(choices=WAIT_BUCKETS_S, required=False)
    shrinkage = serializers.FloatField(min_value=0, max_value=0.95, default=0.3)
    max_occupancy = serializers.FloatField(min_value=0.1, max_value=1, required=False,
                                           allow_null=True, default=None)
    patience = serializers.ChoiceField(choices=("none", "estimate"), default="none")


class StaffingCalculation(serializers.Serializer):
    """One interval's staffing, as the ``staffing`` command."""

    calls = serializers.FloatField(min_value=0)
    interval_s = serializers.FloatField(min_value=1)
    aht_s = serializers.FloatField(min_value=1)
    threshold_s = serializers.FloatField(min_value=0)
    target_sl = serializers.FloatField(min_value=0, max_value=0.999999, required=False)
    target_asa_s = serializers.FloatField(min_value=0.001, required=False)
    agents = serializers.IntegerField(min_value=0, required=False)
    shrinkage = serializers.FloatField(min_value=0, max_value=0.99, default=0.0)
    max_occupancy = serializers.FloatField(min_value=0.01, max_value=1, required=False)
    patience_s = serializers.FloatField(min_value=0.001, required=False)

    def validate(self, attrs):
        if not any(k in attrs for k in ("agents", "target_sl", "target_asa_s",
                                        "max_occupancy")):
            raise serializers.ValidationError(
                {"target_sl": "Give agents, or a target: target_sl, target_asa_s or "
                              "max_occupancy."})
        return attrs


class ForecastIssue(serializers.Serializer):
    history_start = BoundedDateField()
    history_end = BoundedDateField()
    horizon_days = serializers.IntegerField(min_value=1, max_value=56, default=7)
    method = serializers.ChoiceField(
        choices=[("best", "Best by back-test"), *ForecastMethod.choices], default="best",
        help_text="best: every method is back-tested on the same held-out weeks and the one "
                  "with the lowest daily WAPE is issued.")
    holdout_weeks = serializers.IntegerField(min_value=1, max_value=8, default=4)
    queue = serializers.IntegerField(required=False, allow_null=True)

    def validate(self, attrs):
        if (attrs["history_end"] - attrs["history_start"]).days < 14:
            raise serializers.ValidationError({"history_start": "Give at least 14 days of "
                                                                "history."})
        return attrs


class ForecastSerializer(BoundedModelSerializer):
    class Meta:
        model = Forecast
        fields = ["id", "queue", "method", "issued_at", "issued_by", "scope_label",
                  "history_start", "history_end", "horizon_start", "horizon_end", "interval_s",
                  "backtest_wape", "backtest_bias", "backtest_daily_wape",
                  "backtest_daily_bias", "holdout_weeks", "backtest", "selection", "values"]
        read_only_fields = fields
