"""Measurement tests: testing procedures for pathway measurements, and the history of their runs.

A test is attached to a measurement configuration (it proves that measurement) or to a whole
pathway. Its kind decides what it checks:

- ``known_answer``: a small data set (an uploaded export in any supported format, or scripted
  test contacts) with the figures it must produce; run in a sandbox that never touches live data.
- ``reconciliation``: two sources (or two steps) that must agree per interval within a tolerance.
- ``conservation``: offered = answered + abandoned + flowed out (+ still waiting) per queue and
  interval.
- ``completeness``: every interval in opening hours has data from the source.
- ``range``: waits and handle times within bounds, no event before its predecessor, no answer
  without an agent.
"""
from django.conf import settings
from django.db import models

from contactmis.models import Centre
from pathways.models import Pathway

from .config import MeasurementConfig
from .sources import DataSource


class TestKind(models.TextChoices):
    KNOWN_ANSWER = "known_answer", "Known answer"
    RECONCILIATION = "reconciliation", "Reconciliation"
    CONSERVATION = "conservation", "Conservation"
    COMPLETENESS = "completeness", "Completeness"
    RANGE = "range", "Range and consistency"


class RunStatus(models.TextChoices):
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    ERRORED = "errored", "Errored"


class ReconcileMeasure(models.TextChoices):
    OFFERED_VS_IVR = "offered_vs_ivr", "ACD offered vs IVR transfers to the queue"
    ANSWERED_VS_HANDLED = "answered_vs_handled", "Answered vs agent-handled legs"
    SURVEYS_VS_CONTACTS = "surveys_vs_contacts", "Survey responses vs surveyed contacts"
    OFFERED_VS_OFFERED = "offered_vs_offered", "Offered in source A vs offered in source B"


class MeasurementTest(models.Model):
    """A testing procedure for a pathway measurement (see the module docstring).

    ``script`` holds scripted test contacts (one per line, see
    :mod:`measurements.ingest.scripted`); ``dataset`` an uploaded known-answer export instead.
    ``expected`` maps figure names (the configured metric's code, other metric codes, or
    IntervalStat components such as ``offered``/``answered_le_20s``) to expected values.
    ``tolerance`` is absolute (same unit as the figure; for reconciliation: contacts per
    interval). ``rules`` holds the range bounds (``max_wait_s``, ``max_handle_s``).
    ``source``/``source_b`` are kept as names when the data source is deleted, so the history
    stays readable.
    """

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="measurement_tests")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=TestKind.choices)
    config = models.ForeignKey(MeasurementConfig, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="tests",
                               help_text="The measurement this test proves.")
    pathway = models.ForeignKey(Pathway, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="measurement_tests",
                                help_text="Or a whole pathway.")
    source = models.ForeignKey(DataSource, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="measurement_tests")
    source_name = models.CharField(max_length=120, blank=True,
                                   help_text="Kept when the data source is deleted.")
    source_b = models.ForeignKey(DataSource, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="measurement_tests_b",
                                 help_text="Second source (reconciliation between sources).")
    source_b_name = models.CharField(max_length=120, blank=True)
    reconcile = models.CharField(max_length=24, choices=ReconcileMeasure.choices, blank=True)
    script = models.TextField(blank=True, help_text="Scripted test contacts, one per line.")
    dataset = models.FileField(upload_to="measurement-tests/%Y/%m/", blank=True, max_length=500)
    dataset_name = models.CharField(max_length=500, blank=True)
    dataset_format = models.CharField(max_length=24, blank=True, default="auto")
    expected = models.JSONField(default=dict, blank=True)
    tolerance = models.FloatField(default=0.01)
    rules = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=True, help_text="Run automatically after each import.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Names are copied so runs stay attributable after a source is deleted.
        if self.source_id:
            self.source_name = self.source.name
        if self.source_b_id:
            self.source_b_name = self.source_b.name
        super().save(*args, **kwargs)

    @property
    def subject(self):
        if self.config_id:
            return str(self.config)
        if self.pathway_id:
            return f"Pathway {self.pathway}"
        return self.source.name if self.source_id else (self.source_name or "—")

    @property
    def last_run(self):
        """The newest run; uses ``prefetch_related("runs")`` when the caller did it."""
        cache = getattr(self, "_prefetched_objects_cache", {})
        if "runs" in cache:
            runs = sorted(cache["runs"], key=lambda r: (r.started_at, r.pk), reverse=True)
            return runs[0] if runs else None
        return self.runs.order_by("-started_at", "-pk").first()


class TestRun(models.Model):
    """One run of a measurement test: when, for which data period, the outcome, the numbers
    compared (``comparisons``: ``[{"figure", "expected", "actual", "ok", "detail"}]``) and who or
    what ran it (a user, or ``trigger`` such as ``after import #12``). Periods are UTC."""

    __test__ = False  # not a pytest test class, despite its name

    test = models.ForeignKey(MeasurementTest, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=RunStatus.choices)
    comparisons = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    ran_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    trigger = models.CharField(max_length=200, blank=True)
    source_name = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"{self.test} {self.status} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def failures(self):
        return [c for c in self.comparisons if not c.get("ok")]

    @property
    def who(self):
        return self.ran_by.get_username() if self.ran_by_id else (self.trigger or "system")
