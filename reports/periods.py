"""Reporting periods resolved in the centre's local time, DST-safe. Pure: no Django.

A period is the half-open span ``[start, end)`` between two local midnights, so a day that
contains a daylight-saving change is 23 or 25 hours long and "yesterday" on such a day covers
exactly its 23 or 25 hours. ``start``/``end`` are tz-aware instants in the centre's zone;
``start_utc``/``end_utc`` the same instants in UTC (for filtering ``interval_start``);
``first_day``/``last_day`` the local dates covered (inclusive, for filtering ``local_date``).
"Today" and "yesterday" follow the centre's business day: with a day boundary other than
midnight (``Centre.day_starts_at``) they run from that time to the same time the next day, and
``first_day``/``last_day`` name the business date (:attr:`ResolvedPeriod.shifted`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .analysis.patterns import ComparableSpan, period_comparison

PERIOD_KEYS = (
    "today", "yesterday", "last_7_days", "week_to_date", "month_to_date", "quarter_to_date",
    "year_to_date", "rolling_13_months", "last_week", "last_month", "last_quarter",
    "last_year", "custom",
)

#: The "Period" presets of the analysis pages: key → label. "This week" (month, quarter,
#: year) runs to the end of today's business day; "last" ones are the whole span before.
PRESETS = {
    "today": "Today", "yesterday": "Yesterday",
    "week_to_date": "This week", "last_week": "Last week",
    "month_to_date": "This month", "last_month": "Last month",
    "quarter_to_date": "This quarter", "last_quarter": "Last quarter",
    "year_to_date": "This year", "last_year": "Last year",
    "rolling_13_months": "Rolling 13 months",
}


@dataclass(frozen=True)
class ResolvedPeriod:
    key: str
    label: str
    start: datetime
    end: datetime
    first_day: date
    last_day: date
    # True while the period is still running (today, any "to date" period).
    partial: bool

    @property
    def start_utc(self) -> datetime:
        return self.start.astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        return self.end.astimezone(UTC)

    @property
    def hours(self) -> float:
        """Length in real elapsed hours (23 or 25 for a single DST-change day)."""
        return (self.end_utc - self.start_utc).total_seconds() / 3600

    @property
    def shifted(self) -> bool:
        """True for a business day whose boundary is not midnight: it covers part of two local
        dates, so it is read by interval, not from the daily rollup."""
        return self.start.time() != time(0) or self.end.time() != time(0)

    @property
    def local_dates(self) -> tuple[date, date]:
        """First and last local dates the period touches (inclusive)."""
        return self.start.date(), (self.end - timedelta(microseconds=1)).date()

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant the wall clock in ``tz`` shows ``at`` on ``day``, tz-aware in ``tz``: the
    first of a repeated time (fold=0); a skipped time is read with the offset before the gap,
    which the round trip through UTC turns into the real instant just as far past it."""
    return datetime.combine(day, at).replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The instant local ``day`` begins in ``tz`` (midnight exists in every zone we support;
    for a zone that skips midnight the first existing instant after it)."""
    return local_instant(day, time(0), tz)


def business_date(now: datetime, tz: ZoneInfo, day_start: time = time(0)) -> date:
    """The centre's business day at instant ``now``: the local date on which the business day
    in progress began, a business day running from ``day_start`` on the wall clock to
    ``day_start`` the next day (a 24-hour centre whose day starts at 06:00 is still on
    yesterday's business day at 05:59)."""
    wall = now.astimezone(tz).replace(tzinfo=None)
    return (wall - timedelta(hours=day_start.hour, minutes=day_start.minute)).date()


def centre_today(centre, now: datetime) -> date:
    """The centre's business date at instant ``now`` (tz-aware): the local date on which its
    business day in progress began (:func:`business_date` with ``Centre.day_starts_at``), the
    one "today" of every page; UTC's date when no centre is set up."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware.")
    if centre is None:
        return now.astimezone(UTC).date()
    return business_date(now, ZoneInfo(centre.time_zone), centre.day_starts_at or time(0))


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + (day.month - 1) - months
    return date(index // 12, index % 12 + 1, 1)


def resolve_period(key: str, now: datetime, tz: ZoneInfo | str, custom_start: date | None = None,
                   custom_end: date | None = None, day_start: time = time(0)
                   ) -> ResolvedPeriod:
    """Resolve ``key`` (one of ``PERIOD_KEYS``) at instant ``now`` (tz-aware) in zone ``tz``.

    "today" and "yesterday" are the centre's business days (:func:`business_date`): with a
    ``day_start`` other than midnight (the centre's day boundary) they run from ``day_start``
    on their date to ``day_start`` the next day, their ``first_day``/``last_day`` being the
    business date. Other periods are whole local days, counted from the business day in
    progress; "to date" periods end at the end of today (the data simply stops at now).
    ``last_7_days`` is the 7 complete days before today; ``rolling_13_months`` the current month
    and the 12 before it; ``custom`` runs from ``custom_start`` to ``custom_end`` inclusive.
    Raises ``ValueError`` naming the problem for an unknown key, a naive ``now`` or bad custom
    dates.
    """
    if isinstance(tz, str):
        tz = ZoneInfo(tz)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware.")
    today = business_date(now, tz, day_start)
    tomorrow = today + timedelta(days=1)
    partial = True
    if key == "today":
        first, end_day, label = today, tomorrow, f"Today ({today:%a %d %b %Y})"
    elif key == "yesterday":
        first, end_day, partial = today - timedelta(days=1), today, False
        label = f"Yesterday ({first:%a %d %b %Y})"
    elif key == "last_7_days":
        first, end_day, partial = today - timedelta(days=7), today, False
        label = f"Last 7 days ({first:%d %b} – {today - timedelta(days=1):%d %b %Y})"
    elif key == "week_to_date":
        first, end_day = today - timedelta(days=today.weekday()), tomorrow
        label = f"Week to date (from Monday {first:%d %b %Y})"
    elif key == "month_to_date":
        first, end_day = today.replace(day=1), tomorrow
        label = f"Month to date ({first:%B %Y})"
    elif key == "quarter_to_date":
        first, end_day = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), tomorrow
        label = f"Quarter to date (Q{(today.month - 1) // 3 + 1} {today.year})"
    elif key == "year_to_date":
        first, end_day = date(today.year, 1, 1), tomorrow
        label = f"Year to date ({today.year})"
    elif key == "rolling_13_months":
        first = _months_back(today.replace(day=1), 12)
        end_day = _months_back(today.replace(day=1), -1)
        label = f"Rolling 13 months ({first:%b %Y} – {today:%b %Y})"
    elif key == "last_week":
        first = today - timedelta(days=today.weekday() + 7)
        end_day, partial = first + timedelta(days=7), False
        label = f"Last week ({first:%d %b} – {end_day - timedelta(days=1):%d %b %Y})"
    elif key == "last_month":
        first, end_day, partial = _months_back(today.replace(day=1), 1), today.replace(day=1), \
            False
        label = f"Last month ({first:%B %Y})"
    elif key == "last_quarter":
        this = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        first, end_day, partial = _months_back(this, 3), this, False
        label = f"Last quarter (Q{(first.month - 1) // 3 + 1} {first.year})"
    elif key == "last_year":
        first, end_day, partial = date(today.year - 1, 1, 1), date(today.year, 1, 1), False
        label = f"Last year ({first.year})"
    elif key == "custom":
        if custom_start is None or custom_end is None:
            raise ValueError("A custom period needs a first and a last day.")
        if custom_end < custom_start:
            raise ValueError(f"The last day {custom_end} is before the first day {custom_start}.")
        first, end_day = custom_start, custom_end + timedelta(days=1)
        partial = end_day > today
        label = f"{custom_start:%d %b %Y} – {custom_end:%d %b %Y}"
    else:
        raise ValueError(f"Unknown period “{key}”; use one of {', '.join(PERIOD_KEYS)}.")
    at = day_start if key in ("today", "yesterday") else time(0)
    if at != time(0):
        label = f"{label[:-1]}, from {at:%H:%M})"
    return ResolvedPeriod(
        key=key, label=label, start=local_instant(first, at, tz),
        end=local_instant(end_day, at, tz), first_day=first, last_day=end_day - timedelta(days=1),
        partial=partial,
    )


def comparable_previous(period: ResolvedPeriod, tz: ZoneInfo | str, as_of: date | None = None,
                        against: str = "previous") -> tuple[ResolvedPeriod, ComparableSpan]:
    """The span ``period`` is fairly compared with (the one rule,
    :func:`reports.analysis.patterns.comparable_span`): the previous week, month, quarter or
    year (``against="year"``: the same dates a year earlier), cut to the same elapsed days while
    the period runs — month to date on 5 December against 1–5 November, not 26–30 November.
    ``as_of`` is the last local day with data (default: the period's last day)."""
    if isinstance(tz, str):
        tz = ZoneInfo(tz)
    as_of = as_of if as_of is not None else period.last_day
    span = period_comparison(period.key, period.first_day, period.last_day, period.partial,
                             as_of=as_of, against=against)
    first, end_day = span.previous_start, span.previous_end
    previous = ResolvedPeriod(
        key=f"previous_{period.key}", label=span.previous_label,
        start=local_midnight(first, tz), end=local_midnight(end_day, tz), first_day=first,
        last_day=end_day - timedelta(days=1), partial=False)
    return previous, span


SUB_DAY = ("15min", "30min", "hour")


def fit_granularity(granularity: str, days: int) -> str:
    """The widget's time grain for a period a viewer picked: periods of minutes or hours are
    drawn for spans of up to two days, days for spans of up to 400 days, months beyond — a
    15-minute chart over 13 months is 38,000 points nobody can read."""
    if granularity in SUB_DAY and days > 2:
        return "day" if days <= 400 else "month"
    if granularity == "day" and days > 400:
        return "month"
    return granularity
