"""Data-collection monitor: the manager's alert thresholds and the alerts raised."""
from django.db import models

from contactmis.models import Centre

from .sources import DataSource


class MonitorSettings(models.Model):
    """Alert thresholds for one centre, set by the manager.

    ``stale_after_h``: hours past the expected cadence before a source counts as late;
    ``missing_intervals``: missing 15-minute intervals in opening hours (per check) that raise an
    alert; ``volume_ratio``: a day whose
    volume is above ``volume_ratio`` × or below 1 / ``volume_ratio`` × the usual volume of that
    weekday; ``unassigned_share``: the share (0..1) of a month's contacts of a feed without a
    value for a dimension reports group by above which the monitor alerts (``None``: the
    installation's ``CONTACTMIS_UNASSIGNED_ALERT_SHARE``); ``email``: send
    alerts to the managers by email. The share of rejected rows that raises an alert is set
    per data source (``DataSource.reject_alert_share``).
    """

    centre = models.OneToOneField(Centre, on_delete=models.CASCADE, related_name="monitor")
    stale_after_h = models.PositiveIntegerField(default=24)
    missing_intervals = models.PositiveIntegerField(default=4)
    volume_ratio = models.FloatField(default=2.0)
    unassigned_share = models.FloatField(
        null=True, blank=True, default=None,
        help_text="Empty: the installation's default (CONTACTMIS_UNASSIGNED_ALERT_SHARE).")
    email = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "monitor settings"

    def __str__(self):
        return f"Monitor thresholds of {self.centre}"


class ClosedDay(models.Model):
    """A local date the centre is closed although its weekly opening hours say otherwise (a
    bank holiday, a site closure): the completeness checks expect no data on it and its volume
    is not compared with the usual weekday."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="closed_days")
    date = models.DateField(help_text="Local date of the centre.")
    name = models.CharField(max_length=120, blank=True,
                            help_text="What it is, for example “Easter Monday” or “Site "
                                      "closed for the office move”.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["centre", "date"],
                                               name="closedday_unique_date")]

    def __str__(self):
        return f"{self.date:%a %d %b %Y}{' – ' + self.name if self.name else ''}"


class AlertSeverity(models.TextChoices):
    WARNING = "warn", "Warning"
    FAILURE = "fail", "Failure"


class Alert(models.Model):
    """A data-collection or measurement-test problem worth a manager's attention.

    ``code`` names the check (``missing_days``, ``volume_anomaly``, ``ingest_note`` …); ``key``
    makes an alert unique per source and subject, so re-running a check does not repeat it.
    ``source_name`` is kept when the source is deleted.
    """

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="alerts")
    source = models.ForeignKey(DataSource, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="alerts")
    source_name = models.CharField(max_length=120, blank=True)
    code = models.CharField(max_length=40)
    key = models.CharField(max_length=200)
    severity = models.CharField(max_length=4, choices=AlertSeverity.choices,
                                default=AlertSeverity.WARNING)
    message = models.TextField()
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["centre", "key"],
                                               name="alert_unique_key")]

    def __str__(self):
        return self.message[:80]


class SegmentationMonth(models.Model):
    """The segmentation check's counts of one local month of one source's contacts (the
    monitor's "unassigned" figures), kept so that a check after an import recounts only the
    months the import touched.

    ``month``: the first local day of the month (the centre's time zone). ``counts``: per first
    queue of the contacts (``"<queue id>"``, or ``"none"``), ``[contacts, without a queue (and
    not ended in the IVR), without a channel, without a contact type, without a customer
    segment]``; the contacts whose queue has no site are those of the queues without one, read
    from the queues when the check runs (a queue's site can change without any import).
    ``stale``: the month's contacts changed since it was counted (an import, the IVR's values
    carried): recounted at the next check."""

    source = models.ForeignKey(DataSource, on_delete=models.CASCADE,
                               related_name="segmentation_months")
    month = models.DateField()
    counts = models.JSONField(default=dict)
    stale = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "month"],
                                               name="segmentation_month_unique")]

    def __str__(self):
        return f"{self.source} {self.month:%Y-%m}"
