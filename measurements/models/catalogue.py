"""The metric catalogue: versioned, effective-dated metric definitions.

A metric is identified by ``code`` and ``variant`` (for example ``service_level`` /
``excl_short_abandons``). Each (code, variant) has one or more **versions**; a version is in force
from ``effective_from`` to ``effective_to`` (both inclusive, centre-local calendar dates;
``effective_to`` empty = still in force). Versions of one metric never overlap: changing a
threshold closes the current version the day before and starts a new one (see
``measurements.services.catalogue.metric_definition_new_version``).
"""
from django.core.exceptions import ValidationError
from django.db import models

from ..constants import WAIT_BUCKETS_S


class MetricUnit(models.TextChoices):
    COUNT = "count", "Contacts (count)"
    PERCENT = "percent", "Percent (0–100)"
    SECONDS = "seconds", "Seconds"
    CURRENCY = "currency", "Currency per contact"
    AGENTS = "agents", "Agents (FTE)"
    SCORE = "score", "Score"


UNIT_SYMBOL = {"count": "contacts", "percent": "%", "seconds": "s", "currency": "per contact",
               "agents": "agents", "score": "points"}

# Parameters that name a waiting time; the rollups keep cumulative buckets only at
# ``WAIT_BUCKETS_S``, so any other value could not be computed from IntervalStat sums.
WAIT_THRESHOLD_PARAMETERS = ("threshold_s", "short_abandon_s")


def validate_wait_thresholds(parameters, field="parameters"):
    """Raise ``ValidationError({field: …})`` when a wait threshold is not a kept bucket."""
    if parameters in (None, ""):
        return
    if not isinstance(parameters, dict):
        raise ValidationError({field: "Parameters must be an object, e.g. {\"threshold_s\": 20}."})
    buckets = ", ".join(str(b) for b in WAIT_BUCKETS_S)
    for key in WAIT_THRESHOLD_PARAMETERS:
        if key not in parameters:
            continue
        value = parameters[key]
        if isinstance(value, bool) or not isinstance(value, int) or value not in WAIT_BUCKETS_S:
            raise ValidationError({field: (
                f"{key} = {value!r} s is not one of the wait thresholds the interval rollups "
                f"keep ({buckets} s); choose one of these."
            )})


class MetricDefinitionQuerySet(models.QuerySet):
    def of(self, code, variant=None):
        qs = self.filter(code=code)
        return qs if variant is None else qs.filter(variant=variant)

    def in_force(self, on_date):
        """Versions in force on ``on_date`` (a centre-local date)."""
        return self.filter(models.Q(effective_to__isnull=True)
                           | models.Q(effective_to__gte=on_date),
                           effective_from__lte=on_date)


class MetricDefinition(models.Model):
    """One version of one metric: its exact formula over IntervalStat components, unit, valid
    range, variant and parameters (``threshold_s``, ``short_abandon_s``, … in seconds).

    ``components`` lists the additive IntervalStat fields the formula sums; ``{T}`` / ``{S}`` in
    component names stand for the ``threshold_s`` / ``short_abandon_s`` parameters
    (``answered_le_{T}s`` → ``answered_le_20s``). Percent metrics are 0–100.
    """

    code = models.SlugField(max_length=60, help_text="Stable identifier, e.g. service_level.")
    variant = models.SlugField(max_length=60, blank=True,
                               help_text="Which variant of the metric (empty for the only one).")
    is_default_variant = models.BooleanField(
        default=True, help_text="Used when a figure asks for the metric without naming a variant.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    formula = models.CharField(max_length=500, help_text="Exact formula over the components.")
    components = models.JSONField(default=list, blank=True,
                                  help_text="Additive IntervalStat (or source) fields summed.")
    unit = models.CharField(max_length=10, choices=MetricUnit.choices)
    valid_min = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    valid_max = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    higher_is_better = models.BooleanField(null=True, blank=True)
    parameters = models.JSONField(default=dict, blank=True,
                                  help_text="e.g. {\"threshold_s\": 20, \"short_abandon_s\": 5}.")
    version = models.PositiveIntegerField(default=1)
    effective_from = models.DateField(help_text="First day in force (centre-local date).")
    effective_to = models.DateField(null=True, blank=True,
                                    help_text="Last day in force; empty = still in force.")
    change_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MetricDefinitionQuerySet.as_manager()

    class Meta:
        ordering = ["code", "variant", "version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "variant", "version"],
                                    name="metricdefinition_unique_version"),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_to__gte=models.F("effective_from")),
                name="metricdefinition_period_ordered",
            ),
        ]

    def __str__(self):
        variant = f" [{self.variant}]" if self.variant else ""
        return f"{self.name}{variant} v{self.version}"

    @property
    def label(self):
        """How figures name the definition that produced them."""
        params = ", ".join(f"{k}={v}" for k, v in sorted((self.parameters or {}).items()))
        until = f"{self.effective_to:%Y-%m-%d}" if self.effective_to else "…"
        bits = f"{self.code}{'/' + self.variant if self.variant else ''} v{self.version}"
        return f"{bits} ({params}; {self.effective_from:%Y-%m-%d}–{until})" if params else (
            f"{bits} ({self.effective_from:%Y-%m-%d}–{until})")

    def in_range(self, value):
        return not ((self.valid_min is not None and value < self.valid_min)
                    or (self.valid_max is not None and value > self.valid_max))

    def range_text(self):
        low = "−∞" if self.valid_min is None else f"{self.valid_min.normalize():f}"
        high = "∞" if self.valid_max is None else f"{self.valid_max.normalize():f}"
        return f"{low} to {high} {UNIT_SYMBOL.get(self.unit, self.unit)}"

    def overlapping_versions(self):
        """Other versions of the same (code, variant) whose period meets this one's."""
        qs = MetricDefinition.objects.filter(code=self.code, variant=self.variant)
        if self.pk:
            qs = qs.exclude(pk=self.pk)
        qs = qs.filter(models.Q(effective_to__isnull=True)
                       | models.Q(effective_to__gte=self.effective_from))
        if self.effective_to is not None:
            qs = qs.filter(effective_from__lte=self.effective_to)
        return qs

    def clean(self):
        errors = {}
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            errors["effective_to"] = "The last day in force is before the first day."
        if (self.valid_min is not None and self.valid_max is not None
                and self.valid_min > self.valid_max):
            errors["valid_max"] = "The upper end of the valid range is below the lower end."
        try:
            validate_wait_thresholds(self.parameters)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if self.code and self.effective_from and not errors:
            clash = self.overlapping_versions().first()
            if clash is not None:
                until = f"{clash.effective_to:%Y-%m-%d}" if clash.effective_to else "open end"
                errors["effective_from"] = (
                    f"Version {clash.version} of {self.code}"
                    f"{'/' + self.variant if self.variant else ''} is already in force "
                    f"{clash.effective_from:%Y-%m-%d} to {until}; versions may not overlap. "
                    "Use “new version from date” to change a definition."
                )
        if errors:
            raise ValidationError(errors)
