"""The business plan: objectives, budget, planned volumes, KPIs and their targets.

Periods are centre-local calendar dates, both ends inclusive. Amounts are in the plan's
currency. A KPI names a metric of the catalogue by ``metric_code`` (and optional variant), so it
keeps its meaning across definition versions; a target is checked against the valid range of the
definition in force on the target's first day.
"""
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from contactmis.models import Centre
from contactmis.scope import ScopedQuerySet
from pathways.constants import Channel
from pathways.models import Queue

from .catalogue import MetricDefinition


def _check_period(instance, start="period_start", end="period_end"):
    first, last = getattr(instance, start), getattr(instance, end)
    if first and last and last < first:
        raise ValidationError({end: f"The period ends ({last:%Y-%m-%d}) before it starts "
                                    f"({first:%Y-%m-%d})."})


class BudgetCategory(models.TextChoices):
    LABOUR = "labour", "Labour"
    TECHNOLOGY = "technology", "Technology"
    TELECOM = "telecom", "Telecom"
    FACILITIES = "facilities", "Facilities"


class BusinessPlan(models.Model):
    """A plan for a period: objectives, budget lines, planned volumes, standards and guidelines."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="plans")
    name = models.CharField(max_length=200)
    period_start = models.DateField(help_text="First day of the plan (centre-local).")
    period_end = models.DateField(help_text="Last day of the plan (centre-local).")
    currency = models.CharField(max_length=3, default="EUR", help_text="ISO code, e.g. EUR.")
    summary = models.TextField(blank=True)
    standards = models.TextField(blank=True, help_text="Service standards the centre commits to.")
    guidelines = models.TextField(blank=True, help_text="Operating guidelines for the period.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "name"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "name"], name="plan_unique_name"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        _check_period(self)


class Objective(models.Model):
    """A business objective of the plan, with its desired outcome and action plan."""

    plan = models.ForeignKey(BusinessPlan, on_delete=models.CASCADE, related_name="objectives")
    title = models.CharField(max_length=200)
    desired_outcome = models.TextField(blank=True)
    action_plan = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["plan", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "title"], name="objective_unique_title"),
        ]

    def __str__(self):
        return self.title


class Kpi(models.Model):
    """A KPI that evidences an objective: a catalogue metric (code + optional variant)."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="kpis")
    metric_code = models.SlugField(max_length=60, help_text="Code of a catalogue metric.")
    metric_variant = models.SlugField(max_length=60, blank=True,
                                      help_text="Variant; empty = the metric's default variant.")
    name = models.CharField(max_length=200, blank=True, help_text="Defaults to the metric name.")
    rationale = models.TextField(blank=True, help_text="Why this KPI evidences the objective.")

    class Meta:
        ordering = ["objective", "pk"]
        verbose_name = "KPI"

    def __str__(self):
        return self.name or self.metric_code

    def definitions(self):
        qs = MetricDefinition.objects.filter(code=self.metric_code)
        if self.metric_variant:
            return qs.filter(variant=self.metric_variant)
        return qs.filter(is_default_variant=True)

    def clean(self):
        if not self.metric_code:
            return
        if not MetricDefinition.objects.filter(code=self.metric_code).exists():
            raise ValidationError({"metric_code": (
                f"“{self.metric_code}” is not in the metric catalogue.")})
        if not self.definitions().exists():
            variants = sorted(set(MetricDefinition.objects.filter(code=self.metric_code)
                                  .values_list("variant", flat=True)))
            raise ValidationError({"metric_variant": (
                f"Metric {self.metric_code} has no variant “{self.metric_variant}”; "
                f"choose one of {', '.join(v or '(none)' for v in variants)}.")})


class TargetQuerySet(ScopedQuerySet):
    scope_paths = {"queue": "queue_id", "channel": "channel"}


class Target(models.Model):
    """The value a KPI should reach in a period, for the whole centre or one queue, channel or
    customer segment (empty = all). ``value`` is in the metric's unit (percent 0–100, seconds…)."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="targets")
    period_start = models.DateField()
    period_end = models.DateField()
    value = models.DecimalField(max_digits=14, decimal_places=4)
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="targets")
    channel = models.CharField(max_length=16, choices=Channel.choices, blank=True)
    customer_segment = models.CharField(max_length=60, blank=True)

    objects = TargetQuerySet.as_manager()

    class Meta:
        ordering = ["kpi", "period_start", "pk"]

    def __str__(self):
        return f"{self.kpi} {self.value.normalize():f} ({self.period_start:%Y-%m-%d}–" \
               f"{self.period_end:%Y-%m-%d})"

    @property
    def applies_to(self):
        parts = [str(self.queue) if self.queue_id else "",
                 self.get_channel_display() if self.channel else "",
                 self.customer_segment]
        return " · ".join(p for p in parts if p) or "Whole centre"

    def definition(self):
        if not self.kpi_id or not self.period_start:
            return None
        return self.kpi.definitions().in_force(self.period_start).first()

    def clean(self):
        _check_period(self)
        if self.value is None:
            return
        definition = self.definition()
        if definition is not None and not definition.in_range(Decimal(self.value)):
            raise ValidationError({"value": (
                f"{Decimal(self.value).normalize():f} is outside the valid range of "
                f"{definition.name} ({definition.range_text()}).")})


class BudgetLine(models.Model):
    """A budgeted cost of one category for one period (optionally one channel).

    ``kpi`` is the KPI that tracks spending or value for money against this line (usually cost
    per contact); a line with no KPI, or whose KPI has no measurement, is an information gap.
    """

    plan = models.ForeignKey(BusinessPlan, on_delete=models.CASCADE, related_name="budget_lines")
    category = models.CharField(max_length=12, choices=BudgetCategory.choices)
    description = models.CharField(max_length=200, blank=True)
    period_start = models.DateField()
    period_end = models.DateField()
    channel = models.CharField(max_length=16, choices=Channel.choices, blank=True,
                               help_text="Empty = shared by all channels (by planned volume).")
    amount = models.DecimalField(max_digits=14, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0"),
                                             message="A budget amount cannot be negative.")])
    kpi = models.ForeignKey(Kpi, null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="budget_lines")

    class Meta:
        ordering = ["plan", "period_start", "category", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0),
                                   name="budgetline_amount_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_category_display()} {self.period_start:%Y-%m}: {self.amount}"

    def clean(self):
        _check_period(self)
        if self.kpi_id and self.plan_id and self.kpi.objective.plan_id != self.plan_id:
            raise ValidationError({"kpi": "This KPI belongs to another plan."})


class PlannedVolume(models.Model):
    """Contacts the plan expects to handle in a period on a channel (for cost per contact)."""

    plan = models.ForeignKey(BusinessPlan, on_delete=models.CASCADE,
                             related_name="planned_volumes")
    period_start = models.DateField()
    period_end = models.DateField()
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.VOICE)
    contacts = models.PositiveIntegerField(help_text="Planned handled contacts.")

    class Meta:
        ordering = ["plan", "period_start", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "period_start", "channel"],
                                    name="plannedvolume_unique_period_channel"),
        ]

    def __str__(self):
        return (f"{self.get_channel_display()} {self.period_start:%Y-%m-%d}–"
                f"{self.period_end:%Y-%m-%d}: {self.contacts:,} contacts")

    def clean(self):
        _check_period(self)
