"""Data sources and import batches."""
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from contactmis.models import Centre, validate_time_zone

from ..constants import (
    REJECT_ALERT_SHARE_DEFAULT,
    BatchStatus,
    Cadence,
    ExportFormat,
    SourceKind,
)


class DataSource(models.Model):
    """A registered system that exports data to ContactMIS (ACD, IVR, CRM, web, survey, WFM).

    ``time_zone`` is the zone of the naive timestamps in its exports; ``column_mapping`` is the
    saved mapping for generic CSV/XLSX exports; ``drop_folder`` is watched for new files.
    """

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="sources")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=SourceKind.choices)
    export_format = models.CharField(max_length=24, choices=ExportFormat.choices,
                                     default=ExportFormat.AUTO)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone],
                                 help_text="Time zone of naive timestamps in its exports.")
    column_mapping = models.JSONField(default=dict, blank=True)
    drop_folder = models.CharField(max_length=500, blank=True)
    expected_cadence = models.CharField(max_length=8, choices=Cadence.choices,
                                        default=Cadence.DAILY)
    description = models.TextField(blank=True)
    reject_alert_share = models.FloatField(
        default=REJECT_ALERT_SHARE_DEFAULT,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        verbose_name="Reject share that raises an alert",
        help_text="Share of an import file's rows (0–1, 0.05 = 5 %) that may be rejected; a "
                  "file with more raises a data-collection alert.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["centre", "name"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "name"], name="source_unique_name"),
        ]

    def __str__(self):
        return self.name

    @property
    def reject_alert_label(self) -> str:
        """The alert limit as a percentage: ``"5 %"``."""
        return f"{100 * self.reject_alert_share:.1f}".rstrip("0").rstrip(".") + " %"


class ImportBatch(models.Model):
    """One file received from a data source, and what processing it did.

    Counts are filled as the ingest task runs so the browser can show progress; ``notes`` lists
    the defects the adapter found and what it did about each (``[{"code", "count", "action"}]``).
    """

    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="batches")
    export_format = models.CharField(max_length=24, choices=ExportFormat.choices)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=500)
    original_name = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64, db_index=True)
    size_bytes = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=BatchStatus.choices,
                              default=BatchStatus.PENDING, db_index=True)
    rows_read = models.PositiveIntegerField(default=0)
    contacts_loaded = models.PositiveIntegerField(default=0)
    segments_loaded = models.PositiveIntegerField(default=0)
    surveys_loaded = models.PositiveIntegerField(default=0)
    agent_states_loaded = models.PositiveIntegerField(default=0)
    intervals_loaded = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    duplicates_skipped = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)
    notes = models.JSONField(default=list, blank=True)
    period_start = models.DateTimeField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    surveys_unmatched = models.PositiveIntegerField(
        default=0, help_text="Survey responses whose contact reference matched no contact.")
    contacts_replaced = models.PositiveIntegerField(
        default=0, help_text="Contacts already loaded by an earlier (overlapping) export and "
        "replaced by this one.")
    carry = models.JSONField(
        default=dict, blank=True,
        help_text="State handed to the next file of the source (Asterisk calls still open at the "
        "end of this file).")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "import batches"

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def reject_share(self) -> float | None:
        """Rejected rows / rows read, ``None`` when no data line was read."""
        return self.rows_rejected / self.rows_read if self.rows_read else None

    @property
    def rejects_label(self) -> str:
        """``"2 of 3 rows rejected (67 %)"`` for a loaded batch with rejects, ``"0 data lines"``
        for a loaded file with a header but no data, else ``""``: a batch that lost rows or
        brought nothing is never shown as a plain success."""
        if self.status != BatchStatus.LOADED:
            return ""
        if not self.rows_read:
            return "0 data lines"
        if not self.rows_rejected:
            return ""
        share = self.rows_rejected / self.rows_read
        percent = "< 1" if share < 0.01 else f"{share:.0%}".replace("%", "")
        return f"{self.rows_rejected:,} of {self.rows_read:,} rows rejected ({percent} %)"


class RejectedRow(models.Model):
    """A row of an import file that could not be used: where it is and why."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rejects")
    line = models.PositiveIntegerField(help_text="1-based line number in the file.")
    field = models.CharField(max_length=120, blank=True)
    reason = models.CharField(max_length=500)
    raw = models.TextField(blank=True)

    class Meta:
        ordering = ["batch", "line"]

    def __str__(self):
        return f"line {self.line}: {self.reason}"


class SourceFollow(models.Model):
    """A data source followed live: a file ContactMIS reads as it is written (an Asterisk
    ``queue_log``, or a JSON-lines event file — where pushed events are also written), instead
    of exports uploaded after the fact.

    ``inode``/``offset`` are the position read so far (bytes, up to the last complete line);
    ``head`` is the file's first line, so a file truncated and rewritten past the old position
    (copytruncate rotation) is still noticed. ``quiet_s`` is how long the source may stay silent
    before the wallboard says "stale" and the data-collection monitor raises an alert.
    ``lease_until`` lets one follower at a time read the file (claimed by a conditional update).
    ``live`` is the floor now (:func:`measurements.ingest.asterisk.live_state`'s shape), kept
    by the follower as it reads, so the wallboard does not wait for a micro-batch's load.
    """

    QUEUE_LOG = "queue_log"
    EVENTS = "events_jsonl"
    FORMATS = [(QUEUE_LOG, "Asterisk queue_log"),
               (EVENTS, "Contact and agent events, one JSON object a line")]

    source = models.OneToOneField(DataSource, on_delete=models.CASCADE, related_name="follow")
    path = models.CharField(max_length=500, help_text="Path of the file followed, as the "
                            "worker sees it (for example /var/log/asterisk/queue_log).")
    format = models.CharField(max_length=16, choices=FORMATS, default=QUEUE_LOG)
    token_sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the token a system pushing events "
        "must send (Authorization: Bearer …); empty: pushes are refused.")
    events_rejected = models.BigIntegerField(
        default=0, help_text="Event lines of a followed event file that could not be used.")
    quiet_s = models.PositiveIntegerField(
        validators=[MinValueValidator(5)], verbose_name="quiet time (s)",
        help_text="Seconds without a new line after which the source is shown as stale.")
    enabled = models.BooleanField(default=True)
    inode = models.BigIntegerField(null=True, blank=True)
    offset = models.BigIntegerField(default=0)
    head = models.TextField(blank=True)
    lines_read = models.BigIntegerField(default=0)
    rotations = models.PositiveIntegerField(default=0)
    last_line_at = models.DateTimeField(null=True, blank=True,
                                        help_text="When the follower last read a new line.")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The newest micro-batch loaded: its carry is the live state (calls and agent "
                  "sessions still open).")
    live = models.JSONField(
        default=dict, blank=True,
        help_text="Who waits, talks, is logged in and paused now, as of live_at: moved on by "
                  "every line the follower reads, before the line's micro-batch is loaded.")
    live_at = models.DateTimeField(null=True, blank=True,
                                   help_text="When the live state was last moved on.")

    def __str__(self):
        return f"{self.source} ← {self.path}"
