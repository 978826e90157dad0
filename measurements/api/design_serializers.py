"""Serializers for measurement design (plans, KPIs, targets, budget, catalogue, configs)."""
from rest_framework import serializers

from contactmis.api.fields import BoundedDateField, BoundedModelSerializer

from ..constants import WAIT_BUCKETS_S
from ..models import (
    BudgetLine,
    BusinessPlan,
    Kpi,
    MeasurementConfig,
    MetricDefinition,
    Objective,
    PlannedVolume,
    Target,
)


class PlanSerializer(BoundedModelSerializer):
    class Meta:
        model = BusinessPlan
        fields = ["id", "centre", "name", "period_start", "period_end", "currency", "summary",
                  "standards", "guidelines"]


class ObjectiveSerializer(BoundedModelSerializer):
    class Meta:
        model = Objective
        fields = ["id", "plan", "title", "desired_outcome", "action_plan", "position"]


class KpiSerializer(BoundedModelSerializer):
    class Meta:
        model = Kpi
        fields = ["id", "objective", "metric_code", "metric_variant", "name", "rationale"]


class TargetSerializer(BoundedModelSerializer):
    class Meta:
        model = Target
        fields = ["id", "kpi", "period_start", "period_end", "value", "queue", "channel",
                  "customer_segment"]


class BudgetLineSerializer(BoundedModelSerializer):
    class Meta:
        model = BudgetLine
        fields = ["id", "plan", "category", "description", "period_start", "period_end",
                  "channel", "amount", "kpi"]
        extra_kwargs = {"amount": {"error_messages": {
            "min_value": "A budget amount cannot be negative."}}}


class PlannedVolumeSerializer(BoundedModelSerializer):
    class Meta:
        model = PlannedVolume
        fields = ["id", "plan", "period_start", "period_end", "channel", "contacts"]


class MetricDefinitionSerializer(BoundedModelSerializer):
    label = serializers.CharField(read_only=True)

    class Meta:
        model = MetricDefinition
        fields = ["id", "code", "variant", "is_default_variant", "name", "description",
                  "formula", "components", "unit", "valid_min", "valid_max",
                  "higher_is_better", "parameters", "version", "effective_from", "effective_to",
                  "change_note", "label"]
        validators = []  # version uniqueness and overlaps are checked by the model rules


class NewVersionSerializer(serializers.Serializer):
    effective_from = BoundedDateField(help_text="First day of the new version (local).")
    parameters = serializers.JSONField(
        required=False, help_text="Parameters to change, e.g. {\"threshold_s\": 30}; wait "
        "thresholds must be one of " + ", ".join(str(b) for b in WAIT_BUCKETS_S) + " s.")
    change_note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class MeasurementConfigSerializer(BoundedModelSerializer):
    effective_parameters = serializers.JSONField(read_only=True)

    class Meta:
        model = MeasurementConfig
        fields = ["id", "metric", "step", "source", "method", "parameters", "kpi", "target",
                  "notes", "active", "effective_parameters"]


class CoverageRowSerializer(serializers.Serializer):
    step = serializers.IntegerField(source="step.pk")
    step_name = serializers.CharField(source="step.name")
    kind = serializers.CharField(source="step.kind")
    role = serializers.CharField()
    measured = serializers.BooleanField()
    systems = serializers.ListField(child=serializers.CharField())
    system_of_record = serializers.CharField()
    measurements = serializers.SerializerMethodField()

    def get_measurements(self, row) -> list[dict]:
        return [{"id": c.pk, "metric": c.metric.label,
                 "source": c.source.name if c.source_id else None} for c in row["configs"]]
