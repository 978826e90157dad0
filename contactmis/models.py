"""Project-wide models: the contact centre itself and the worker heartbeat."""
import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


def default_opening_hours():
    """Monday–Friday 08:00–20:00, Saturday 09:00–17:00, Sunday closed (local time)."""
    week = {str(d): [["08:00", "20:00"]] for d in range(5)}
    week["5"] = [["09:00", "17:00"]]
    week["6"] = []
    return week


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            f"“{value}” is not a known IANA time zone (for example Europe/London)."
        )


class Centre(models.Model):
    """A contact centre: the unit whose local time defines intervals, days, weeks and months.

    ``opening_hours`` maps weekday (``"0"`` = Monday … ``"6"`` = Sunday) to a list of
    ``["HH:MM", "HH:MM"]`` local-time spans; ``"24:00"`` closes at midnight.
    ``day_starts_at`` is the business day's boundary (local wall-clock time, a whole hour).
    """

    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(
        max_length=64, default=settings.CENTRE_TIME_ZONE, validators=[validate_time_zone],
        help_text="IANA time zone of the centre; all intervals and days are local to it.",
    )
    opening_hours = models.JSONField(default=default_opening_hours, blank=True)
    day_starts_at = models.TimeField(
        default=dt.time(0),
        help_text="Local time the centre's business day starts, a whole hour: “today” on the "
                  "wallboard, the live floor and the intraday dashboards runs from it to the "
                  "same time the next day (a 24-hour centre whose day starts at 06:00 is not "
                  "reset at midnight).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def tz(self):
        return zoneinfo.ZoneInfo(self.time_zone)

    def clean(self):
        if self.day_starts_at and (self.day_starts_at.minute or self.day_starts_at.second
                                   or self.day_starts_at.microsecond):
            raise ValidationError({"day_starts_at": "The business day starts on a whole hour "
                                                    "(for example 06:00)."})
        for day, spans in (self.opening_hours or {}).items():
            if day not in {str(d) for d in range(7)}:
                raise ValidationError({"opening_hours": f"Unknown weekday key “{day}” (use 0–6)."})
            for span in spans:
                if len(span) != 2 or not all(_is_hhmm(t) for t in span) or span[0] >= span[1]:
                    raise ValidationError(
                        {"opening_hours": f"Weekday {day}: “{span}” is not an HH:MM–HH:MM span."}
                    )


def _is_hhmm(text):
    try:
        hours, minutes = text.split(":")
        return 0 <= int(hours) <= 24 and 0 <= int(minutes) < 60 and len(minutes) == 2
    except (AttributeError, ValueError):
        return False


class WorkerHeartbeat(models.Model):
    """Last time each Celery worker ran the heartbeat task (shown on /healthz and the home page)."""

    hostname = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self):
        return f"{self.hostname} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
