"""What the analysis commands (``kpis``, ``queueing``) read from their options the same way:
the period ``[--start, --end)`` within the bounded dates, an IANA ``--timezone``, the centre and
an optional ``--source`` by name. Every bad value is a ``CommandError`` naming the option."""
import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from contactmis.params import date_in_range
from contactmis.selectors import centre_current
from measurements.models import DataSource


def option_date(value: str) -> dt.date:
    """A YYYY-MM-DD option value within the dates any figure may have."""
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"“{value}” is not a date in YYYY-MM-DD form.") from exc
    try:
        date_in_range(day)
    except ValidationError as exc:
        raise CommandError(f"“{value}”: {' '.join(exc.messages)}") from exc
    return day


def period_centre_source(opts) -> tuple[dt.date, dt.date, object, DataSource | None]:
    """``(start, end, centre, source)`` from ``--start``, ``--end`` (exclusive),
    ``--timezone`` (checked only) and ``--source``."""
    start, end = option_date(opts["start"]), option_date(opts["end"])
    if end <= start:
        raise CommandError("--end must be after --start (the end date is exclusive).")
    if opts.get("timezone") and opts["timezone"] not in zoneinfo.available_timezones():
        raise CommandError(f"--timezone “{opts['timezone']}” is not an IANA time zone.")
    centre = centre_current()
    if centre is None:
        raise CommandError("No contact centre is set up yet.")
    source = None
    if opts.get("source"):
        source = DataSource.objects.filter(centre=centre, name=opts["source"]).first()
        if source is None:
            raise CommandError(f"--source “{opts['source']}”: no data source of that name.")
    return start, end, centre, source
