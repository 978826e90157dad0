"""The calendar and the arrival process: local days and 15-minute intervals (DST-safe), public
holidays, seasonality, trend and the intraday profile, and non-homogeneous Poisson arrivals.

Pure module. Epochs are UTC seconds; ``local_minute`` is minutes after local midnight in the
centre's zone (on the 25-hour day the repeated hour appears twice).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

INTERVAL_S = 900
TREND_ORIGIN = date(2026, 1, 1)  # volumes grow by the trend from this day (fixed, so a day's
# expected volume does not depend on where the simulated period starts)


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ll = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ll) // 451
    month = (h + ll - 7 * m + 114) // 31
    day = ((h + ll - 7 * m + 114) % 31) + 1
    return date(year, month, day)


def _first_monday(year: int, month: int) -> date:
    d = date(year, month, 1)
    return d + timedelta(days=(7 - d.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    d = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return d - timedelta(days=d.weekday())


def bank_holidays(year: int) -> dict[date, str]:
    """Bank holidays of England and Wales for ``year`` with their names, weekend substitutes
    included (named "… (substitute day)")."""
    easter = easter_sunday(year)
    days = {easter - timedelta(days=2): "Good Friday", easter + timedelta(days=1): "Easter Monday",
            _first_monday(year, 5): "Early May bank holiday",
            _last_monday(year, 5): "Spring bank holiday",
            _last_monday(year, 8): "Summer bank holiday"}
    new_year = date(year, 1, 1)
    shift = {5: 2, 6: 1}.get(new_year.weekday(), 0)
    days[new_year + timedelta(days=shift)] = "New Year's Day" + (" (substitute day)" * bool(shift))
    christmas, boxing = date(year, 12, 25), date(year, 12, 26)
    if christmas.weekday() == 5:  # Saturday: Mon 27 and Tue 28
        days[date(year, 12, 27)] = "Christmas Day (substitute day)"
        days[date(year, 12, 28)] = "Boxing Day (substitute day)"
    elif christmas.weekday() == 6:  # Sunday: Mon 26 (Boxing Day) and Tue 27
        days[boxing] = "Boxing Day"
        days[date(year, 12, 27)] = "Christmas Day (substitute day)"
    elif christmas.weekday() == 4:  # Friday: Boxing Day on Saturday → Monday 28
        days[christmas] = "Christmas Day"
        days[date(year, 12, 28)] = "Boxing Day (substitute day)"
    else:
        days[christmas] = "Christmas Day"
        days[boxing] = "Boxing Day"
    return days


def public_holidays(year: int) -> set[date]:
    """Bank holidays of England and Wales for ``year``, with weekend substitutes."""
    return set(bank_holidays(year))


@dataclass
class Calendar:
    """Local days of the simulated period and their 15-minute intervals.

    ``days``: local dates; ``day_start``/``day_end``: UTC epochs of local midnights;
    ``iv_start``: UTC epoch of every interval; ``iv_day``: index into ``days``;
    ``iv_minute``: local minute of the interval start; ``holidays``: set of local dates.
    """

    time_zone: str
    days: list[date]
    day_start: np.ndarray
    day_end: np.ndarray
    iv_start: np.ndarray
    iv_day: np.ndarray
    iv_minute: np.ndarray
    holidays: set[date]

    @classmethod
    def build(cls, start: date, end: date, time_zone: str) -> Calendar:
        """Days ``start``..``end`` inclusive, in ``time_zone``."""
        if end < start:
            raise ValueError(f"end {end} is before start {start}")
        zone = ZoneInfo(time_zone)
        days, starts, ends, iv_start, iv_day, iv_minute = [], [], [], [], [], []
        d = start
        while d <= end:
            t0 = int(datetime(d.year, d.month, d.day, tzinfo=zone).timestamp())
            n = d + timedelta(days=1)
            t1 = int(datetime(n.year, n.month, n.day, tzinfo=zone).timestamp())
            for t in range(t0, t1, INTERVAL_S):
                local = datetime.fromtimestamp(t, zone)
                iv_start.append(t)
                iv_day.append(len(days))
                iv_minute.append(local.hour * 60 + local.minute)
            days.append(d)
            starts.append(t0)
            ends.append(t1)
            d = n
        holidays = set()
        for year in range(start.year, end.year + 1):
            holidays |= public_holidays(year)
        return cls(time_zone, days, np.array(starts, dtype=np.int64),
                   np.array(ends, dtype=np.int64), np.array(iv_start, dtype=np.int64),
                   np.array(iv_day, dtype=np.int64), np.array(iv_minute, dtype=np.int64),
                   holidays)

    def is_open(self, hours: dict, day_index: int) -> tuple[int, int] | None:
        """(open, close) local minutes for ``hours`` on that day, ``None`` if closed."""
        d = self.days[day_index]
        if d in self.holidays:
            return None
        return hours.get(d.weekday())

    def open_mask(self, hours: dict) -> np.ndarray:
        """Boolean per interval: inside ``hours`` (holidays closed)."""
        mask = np.zeros(len(self.iv_start), dtype=bool)
        for di in range(len(self.days)):
            span = self.is_open(hours, di)
            if span is None:
                continue
            sel = self.iv_day == di
            m = self.iv_minute[sel]
            mask[sel] = (m >= span[0]) & (m < span[1])
        return mask


def seasonal_factor(d: date) -> float:
    """Annual seasonality: a winter high (bills, faults), an August and a Christmas dip."""
    doy = d.timetuple().tm_yday
    f = 1.0 + 0.10 * math.cos(2 * math.pi * (doy - 20) / 365.25)
    f -= 0.07 * math.exp(-0.5 * ((doy - 222) / 12.0) ** 2)
    if d.month == 12 and d.day >= 22:
        f *= 0.8
    return f


def day_volumes(cal: Calendar, stream, trend_per_year: float, rng: np.random.Generator):
    """Expected (forecast) and actual mean volume per local day for one stream.

    The forecast knows weekday, season, trend and holidays; the actual adds a day-level shock
    (lognormal, sd 6 %) the planner cannot know, so staffing is sometimes short or long.
    """
    forecast = np.empty(len(cal.days))
    origin = TREND_ORIGIN
    for i, d in enumerate(cal.days):
        v = stream.weekday_volume * stream.weekday_factors[d.weekday()]
        v *= seasonal_factor(d) * (1 + trend_per_year) ** ((d - origin).days / 365.25)
        if d in cal.holidays:
            v *= stream.holiday_factor
        forecast[i] = v
    shock = rng.lognormal(mean=-0.5 * 0.06**2, sigma=0.06, size=len(cal.days))
    return forecast, forecast * shock


def intraday_weights(cal: Calendar, stream) -> np.ndarray:
    """Share of each day's volume falling in each interval (sums to 1 per day with volume)."""
    hours = (cal.iv_minute + 7.5) / 60.0
    weekday = np.array([cal.days[i].weekday() for i in range(len(cal.days))])[cal.iv_day]
    w = np.full(len(hours), stream.night_level, dtype=float)
    for peaks, sel in ((stream.peaks, weekday < 5), (stream.saturday_peaks, weekday >= 5)):
        for centre, width, weight in peaks:
            w[sel] += weight * np.exp(-0.5 * ((hours[sel] - centre) / width) ** 2)
    if stream.hours is not None:
        w[~cal.open_mask(stream.hours)] = 0.0
    totals = np.bincount(cal.iv_day, weights=w, minlength=len(cal.days))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(totals[cal.iv_day] > 0, w / totals[cal.iv_day], 0.0)
    return share


def stream_arrivals(cal: Calendar, stream, scale: float, trend_per_year: float,
                    rng: np.random.Generator):
    """Non-homogeneous Poisson arrivals for one stream (piecewise-constant rate per interval).

    Returns (sorted arrival epochs in UTC seconds as float, forecast contacts per interval).
    """
    forecast_day, actual_day = day_volumes(cal, stream, trend_per_year, rng)
    share = intraday_weights(cal, stream)
    expected = actual_day[cal.iv_day] * share * scale
    counts = rng.poisson(expected)
    starts = np.repeat(cal.iv_start.astype(float), counts)
    times = np.sort(starts + rng.uniform(0.0, INTERVAL_S, size=len(starts)))
    return times, forecast_day[cal.iv_day] * share * scale
