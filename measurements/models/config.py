"""Measurement configuration: which metric (version) is taken at which pathway step, from which
data source, with which parameters, against which target."""
from django.core.exceptions import ValidationError
from django.db import models

from contactmis.scope import ScopedQuerySet
from pathways.constants import MeasurementMethod
from pathways.models import Step

from .catalogue import MetricDefinition, validate_wait_thresholds
from .plan import Kpi, Target
from .sources import DataSource


class MeasurementConfigQuerySet(ScopedQuerySet):
    scope_paths = {"pathway": "step__pathway_id", "queue": "step__queue_id",
                   "channel": "step__pathway__channel"}


class MeasurementConfig(models.Model):
    """A measurement taken at one pathway step: metric version × step × data source ×
    parameters × target.

    ``parameters`` override the definition's (``threshold_s``, ``short_abandon_s`` in seconds,
    ``interval_s``); wait thresholds must be kept rollup buckets. ``metric`` is the version chosen
    when configured; figures for other dates use the version in force then.
    """

    metric = models.ForeignKey(MetricDefinition, on_delete=models.PROTECT,
                               related_name="configs")
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="measurement_configs")
    source = models.ForeignKey(DataSource, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="measurement_configs",
                               help_text="The system whose data produces this measurement.")
    method = models.CharField(max_length=12, choices=MeasurementMethod.choices,
                              default=MeasurementMethod.TIMESTAMPS)
    parameters = models.JSONField(default=dict, blank=True,
                                  help_text="Overrides, e.g. {\"threshold_s\": 20}.")
    kpi = models.ForeignKey(Kpi, null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="configs", help_text="The KPI this measurement evidences.")
    target = models.ForeignKey(Target, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="configs")
    notes = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MeasurementConfigQuerySet.as_manager()

    class Meta:
        ordering = ["step__pathway", "step__position", "step", "metric__code", "pk"]

    def __str__(self):
        return f"{self.metric.name} at {self.step.name}"

    @property
    def evidenced_kpi(self):
        """The KPI this measurement evidences, directly or through its target."""
        return self.kpi or (self.target.kpi if self.target_id else None)

    @property
    def why(self):
        """“Why do we measure this?”: plan › objective › KPI, or ``""``."""
        kpi = self.evidenced_kpi
        if kpi is None:
            return ""
        return f"{kpi.objective.plan} › {kpi.objective} › {kpi}"

    @property
    def effective_parameters(self):
        """The definition's parameters with this configuration's overrides applied."""
        return {**(self.metric.parameters or {}), **(self.parameters or {})}

    def clean(self):
        validate_wait_thresholds(self.parameters)
        if self.target_id and self.kpi_id and self.target.kpi_id != self.kpi_id:
            raise ValidationError({"target": "This target belongs to another KPI."})
        if self.target_id and not self.kpi_id:
            self.kpi = self.target.kpi
        if self.kpi_id and self.metric_id and self.kpi.metric_code != self.metric.code:
            raise ValidationError({"kpi": (
                f"KPI “{self.kpi}” measures {self.kpi.metric_code}, not {self.metric.code}.")})
        if self.source_id and self.step_id and self.source.centre_id != \
                self.step.pathway.centre_id:
            raise ValidationError({"source": "This data source belongs to another centre."})
