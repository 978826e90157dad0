"""When a report schedule runs and which period each run covers. Pure: no Django.

Every rule works on local dates and wall-clock times of the schedule's time zone and converts to
an instant only at the end, so a schedule "daily at 07:00" fires at 07:00 local time on both
sides of a daylight-saving change (06:00 UTC in winter, 05:00 UTC in summer for Europe/Berlin),
and a report of "yesterday" on the day after a change covers that day's 23 or 25 hours.

A wall-clock time that does not exist on a day (the hour skipped in spring) runs as far past the
gap as it was into it (02:30 → 03:30); a time that exists twice (autumn) runs at the first.
"""
from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reports.periods import ResolvedPeriod, local_instant, resolve_period

CADENCES = ("daily", "weekly", "monthly", "quarterly", "annually")
TEMPLATES = ("daily", "weekly", "monthly", "quarterly", "annual")
# How far ahead next_run_at looks for a matching day (one year and a bit covers "annually").
_SEARCH_DAYS = 370


def runs_on(day: date, cadence: str, weekday: int | None = None,
            day_of_month: int | None = None) -> bool:
    """Whether a schedule of ``cadence`` fires on local ``day``.

    ``weekday`` 0 = Monday (weekly); ``day_of_month`` 1..31 (monthly, quarterly, annually;
    default 1), clamped to the month's last day so "on the 31st" runs on 30 April too. Quarterly
    runs in January, April, July and October; annually in January.
    """
    if cadence == "daily":
        return True
    if cadence == "weekly":
        return day.weekday() == (weekday or 0)
    if cadence not in CADENCES:
        raise ValueError(f"Unknown cadence “{cadence}”; use one of {', '.join(CADENCES)}.")
    if cadence == "quarterly" and day.month not in (1, 4, 7, 10):
        return False
    if cadence == "annually" and day.month != 1:
        return False
    wanted = min(day_of_month or 1, calendar.monthrange(day.year, day.month)[1])
    return day.day == wanted


def next_run_at(cadence: str, at: time, tz: ZoneInfo | str, after: datetime,
                weekday: int | None = None, day_of_month: int | None = None) -> datetime:
    """The first instant strictly after ``after`` (tz-aware) at which the schedule fires, in UTC.

    Raises ``ValueError`` for a naive ``after`` or an unknown cadence.
    """
    if isinstance(tz, str):
        tz = ZoneInfo(tz)
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware.")
    day = after.astimezone(tz).date() - timedelta(days=1)
    for _ in range(_SEARCH_DAYS):
        if runs_on(day, cadence, weekday, day_of_month):
            candidate = local_instant(day, at, tz)
            if candidate > after:
                return candidate.astimezone(UTC)
        day += timedelta(days=1)
    raise ValueError(f"No run of a {cadence} schedule within {_SEARCH_DAYS} days.")


def report_period(template: str, run_day: date, tz: ZoneInfo | str) -> ResolvedPeriod:
    """The complete period a report of ``template`` run on local ``run_day`` covers.

    daily: the day before; weekly: the last complete Monday–Sunday week; monthly, quarterly,
    annual: the last complete calendar month, quarter or year. Bounds are local midnights
    (``reports.periods``), so DST days keep their 23 or 25 hours.
    """
    if template == "daily":
        first = last = run_day - timedelta(days=1)
    elif template == "weekly":
        last = run_day - timedelta(days=run_day.weekday() + 1)
        first = last - timedelta(days=6)
    elif template == "monthly":
        last = run_day.replace(day=1) - timedelta(days=1)
        first = last.replace(day=1)
    elif template == "quarterly":
        quarter_start = date(run_day.year, 3 * ((run_day.month - 1) // 3) + 1, 1)
        last = quarter_start - timedelta(days=1)
        first = date(last.year, 3 * ((last.month - 1) // 3) + 1, 1)
    elif template == "annual":
        first, last = date(run_day.year - 1, 1, 1), date(run_day.year - 1, 12, 31)
    else:
        raise ValueError(f"Unknown report template “{template}”; use one of "
                         f"{', '.join(TEMPLATES)}.")
    period = resolve_period("custom", local_instant(run_day, time(0), ZoneInfo(str(tz))), tz,
                            first, last)
    label = {
        "daily": f"{first:%A %d %B %Y}",
        "weekly": f"Week {first.isocalendar().week}: {first:%d %b} – {last:%d %b %Y}",
        "monthly": f"{first:%B %Y}",
        "quarterly": f"Q{(first.month - 1) // 3 + 1} {first.year}",
        "annual": f"{first.year}",
    }[template]
    return ResolvedPeriod(key=template, label=label, start=period.start, end=period.end,
                          first_day=period.first_day, last_day=period.last_day, partial=False)
