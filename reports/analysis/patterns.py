"""Traffic patterns and trends from interval or daily sums.

Input frames come from the interval rollups: ``local_date`` (date, centre's time zone),
``local_minute`` (minutes after local midnight), ``weekday`` (0 = Monday) and additive counts
such as ``offered``. Profiles are means per calendar day of the component (sum ÷ number of days
observed), never means of ratios.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _days_per_weekday(frame: pd.DataFrame) -> pd.Series:
    dates = pd.to_datetime(pd.Series(frame["local_date"].unique()))
    return dates.dt.day_of_week.value_counts()


def intraday_profile(frame: pd.DataFrame, value: str = "offered",
                     interval_min: int = 15) -> pd.DataFrame:
    """Mean ``value`` per interval of the day for each weekday.

    Returns ``weekday``, ``local_minute`` (start of the ``interval_min`` slot), ``mean_per_day``
    (sum ÷ days of that weekday observed in the data) and ``share_of_day`` (0..1 within the
    weekday).
    """
    f = frame.assign(local_minute=(frame["local_minute"] // interval_min) * interval_min)
    sums = f.groupby(["weekday", "local_minute"], as_index=False)[value].sum()
    days = _days_per_weekday(frame)
    sums["mean_per_day"] = sums[value] / sums["weekday"].map(days).to_numpy(float)
    day_total = sums.groupby("weekday")[value].transform("sum").to_numpy(float)
    sums["share_of_day"] = np.divide(sums[value].to_numpy(float), day_total,
                                     out=np.full(len(sums), np.nan), where=day_total > 0)
    return sums.drop(columns=[value]).sort_values(["weekday", "local_minute"],
                                                  ignore_index=True)


def weekday_hour_heatmap(frame: pd.DataFrame, value: str = "offered") -> pd.DataFrame:
    """Mean ``value`` per day for each weekday (rows 0..6) × local hour (columns 0..23)."""
    f = frame.assign(hour=frame["local_minute"] // 60)
    sums = f.pivot_table(index="weekday", columns="hour", values=value, aggfunc="sum")
    sums = sums.reindex(index=range(7), columns=range(24))
    days = _days_per_weekday(frame).reindex(range(7))
    # An hour with no contacts on an observed weekday is 0; a weekday never observed stays empty.
    sums = sums.where(sums.notna() | days.isna().to_numpy()[:, None], 0)
    return sums.div(days, axis=0)


def daily_series(frame: pd.DataFrame, value: str = "offered", start=None, end=None
                 ) -> pd.Series:
    """Daily totals of ``value`` on a complete calendar of local days, indexed by date.

    The calendar runs from ``start`` (default: the first day with data) to the day before
    ``end`` (exclusive; default: the day after the last day with data). A day with rows sums
    them (a day with rows and 0 offered is a real zero); a day with **no row at all is NaN** — a
    gap, never zero traffic."""
    s = frame.groupby(pd.to_datetime(frame["local_date"]))[value].sum().astype(float)
    first = pd.Timestamp(start) if start is not None else (s.index.min() if len(s) else None)
    last = (pd.Timestamp(end) - pd.Timedelta(days=1)) if end is not None else (
        s.index.max() if len(s) else None)
    if first is None or last is None or last < first:
        return pd.Series(dtype=float, name=value, index=pd.DatetimeIndex([]))
    full = pd.date_range(first, last, freq="D")
    return s.reindex(full).rename(value)


def _closed_index(closed) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(list(closed or ()))).normalize()


def day_status(daily: pd.Series, closed=()) -> pd.Series:
    """Per day of ``daily``: ``"data"`` (rows exist), ``"closed"`` (no rows on a day the centre
    was closed: ``closed`` dates) or ``"no_data"`` (no rows: a gap)."""
    shut = pd.Index(daily.index).isin(_closed_index(closed))
    status = np.where(daily.notna(), "data", np.where(shut, "closed", "no_data"))
    return pd.Series(status, index=daily.index, name="status")


def _day(d) -> str:
    return f"{d.day} {d:%b}"


def _span_text(first, last) -> str:
    """"1 Aug – 31 Aug 1999", "30 Dec 1998 – 2 Jan 1999", "11 Jan 1999"."""
    if first == last:
        return f"{_day(first)} {first.year}"
    if first.year == last.year:
        return f"{_day(first)} – {_day(last)} {last.year}"
    return f"{_day(first)} {first.year} – {_day(last)} {last.year}"


def gap_spans(daily: pd.Series, closed=()) -> list[tuple[pd.Timestamp, pd.Timestamp, int, int]]:
    """Runs of consecutive days without data: ``(first, last, days without data, closed days
    inside)``. A run starts and ends on a day without data; closed days inside it (a Sunday in a
    missing month) are counted apart, and closed days alone make no run."""
    status = day_status(daily, closed).to_numpy()
    spans, run = [], None
    for i, st in enumerate(status):
        if st == "no_data":
            run = [i, i] if run is None else [run[0], i]
        elif st == "data" and run is not None:
            spans.append(run)
            run = None
    if run is not None:
        spans.append(run)
    out = []
    for a, b in spans:
        inside = status[a: b + 1]
        out.append((daily.index[a], daily.index[b], int((inside == "no_data").sum()),
                    int((inside == "closed").sum())))
    return out


def gaps_text(daily: pd.Series, closed=()) -> str:
    """The gaps in words: "11 Jan – 12 Jan 1999 (2 days), 1 Aug – 31 Aug 1999 (31 days)"
    ("" without gaps); closed days inside a gap are said: "(27 days, 4 closed)"."""
    return ", ".join(f"{_span_text(a, b)} ({n} day{'s' if n > 1 else ''}"
                     + (f", {shut} closed" if shut else "") + ")"
                     for a, b, n, shut in gap_spans(daily, closed))


def gap_caveats(daily: pd.Series, closed=None) -> list[str]:
    """The gaps of ``daily`` named in words, e.g. "No data for 1 Aug – 31 Aug 1999 (31 days);
    excluded from means", and the named closed days outside them ("Closed on 25 Dec 2026
    (Christmas); …"). ``closed`` maps closed dates to their names (a day closed by the weekly
    opening hours has no name and is not listed), or is a set of dates."""
    closed = closed or {}
    out = []
    spans = gaps_text(daily, closed)
    if spans:
        out.append(f"No data for {spans}; excluded from means")
    names = closed if isinstance(closed, dict) else {}
    status = day_status(daily, closed)
    inside = set()
    for a, b, _, _ in gap_spans(daily, closed):
        inside |= set(pd.date_range(a, b))
    parts = []
    for d in daily.index[status.to_numpy() == "closed"]:
        name = names.get(d.date(), "") if names else ""
        if d in inside or (names and not name):
            continue
        parts.append(_span_text(d, d) + (f" ({name})" if name else ""))
    if parts:
        out.append("Closed on " + ", ".join(parts) + "; not a gap in the data, and left out "
                   "of the means")
    return out


def weekday_means(daily: pd.Series, closed=()) -> pd.DataFrame:
    """One row per weekday, Monday first: ``weekday`` (0 = Monday), ``weekday_name``,
    ``mean_per_day`` (mean over the days **with data** only), ``days_with_data``,
    ``days_without_data`` (gaps), ``days_closed`` and ``seasonal_index`` (weekday mean ÷ the
    mean over all days with data; 1.0 = an average day)."""
    status = day_status(daily, closed)
    wd = pd.DatetimeIndex(daily.index).day_of_week
    overall = daily.mean()
    rows = []
    for i, name in enumerate(WEEKDAYS):
        on = wd == i
        present = daily[on].dropna()
        mean = present.mean() if len(present) else np.nan
        rows.append({"weekday": i, "weekday_name": name, "mean_per_day": mean,
                     "days_with_data": int(len(present)),
                     "days_without_data": int((status[on] == "no_data").sum()),
                     "days_closed": int((status[on] == "closed").sum()),
                     "seasonal_index": mean / overall if overall and not np.isnan(overall)
                     else np.nan})
    return pd.DataFrame(rows)


def seasonality(daily: pd.Series) -> dict[str, pd.DataFrame]:
    """Week-of-year and month-of-year indices: mean daily volume in each week/month ÷ overall
    mean daily volume (``seasonal_index``, 1.0 = an average day), both over the days **with
    data** (NaN days are gaps: left out of every mean, counted in ``days_without_data``). Keys
    ``week_of_year``, ``month_of_year``; each frame also has ``mean_per_day`` and ``days``
    (days with data). A week or month with no data has ``mean_per_day`` NaN, not 0."""
    overall = daily.mean()
    idx = pd.DatetimeIndex(daily.index)
    out = {}
    for name, key in (("week_of_year", idx.isocalendar().week.to_numpy()),
                      ("month_of_year", idx.month)):
        g = daily.groupby(np.asarray(key)).agg(["mean", "count", "size"])
        g["days_without_data"] = g["size"] - g["count"]
        g["seasonal_index"] = g["mean"] / overall if overall else np.nan
        out[name] = g.drop(columns=["size"]).rename_axis(name).reset_index().rename(
            columns={"mean": "mean_per_day", "count": "days"})
    return out


# A centred 7-day window needs a majority of its days with data: fewer, and its mean would be
# one or two weekdays' (a Saturday-heavy window is not a week).
MOVING_AVERAGE_MIN_SHARE = 4 / 7


def moving_average(series: pd.Series, window: int = 7, centered: bool = True) -> pd.Series:
    """Moving average over ``window`` consecutive calendar points of a complete calendar.

    Gaps (NaN) are never read as zeros: each window averages the points **with data** in it and
    is NaN when fewer than a majority of its points have data (4 of 7). A window that reaches
    past either end of the series is NaN too (it would not cover a whole week)."""
    need = max(1, int(np.ceil(window * MOVING_AVERAGE_MIN_SHARE)))
    out = series.astype(float).rolling(window, center=centered, min_periods=need).mean()
    if len(out):
        before = window // 2 if centered else window - 1
        after = window - 1 - before if centered else 0
        out.iloc[:before] = np.nan
        if after:
            out.iloc[len(out) - after:] = np.nan
    return out


def stl_decomposition(daily: pd.Series, period: int = 7) -> pd.DataFrame:
    """Seasonal-trend decomposition (STL, robust) of a daily series: columns ``observed``,
    ``trend``, ``seasonal``, ``resid``. Needs at least two full periods of days with data.

    Gap days (NaN) are interpolated linearly **only to fit the decomposition**; every column is
    NaN on them afterwards, so nothing interpolated is shown as data."""
    from statsmodels.tsa.seasonal import STL

    present = int(daily.notna().sum())
    if present < 2 * period + 1:
        raise ValueError(f"STL needs at least {2 * period + 1} days with data, got {present}.")
    observed = daily.astype(float)
    filled = observed.interpolate(method="time", limit_direction="both")
    res = STL(filled, period=period, robust=True).fit()
    out = pd.DataFrame({"observed": observed, "trend": res.trend, "seasonal": res.seasonal,
                        "resid": res.resid})
    out.loc[observed.isna(), ["trend", "seasonal", "resid"]] = np.nan
    return out


@dataclass(frozen=True)
class ComparableSpan:
    """A period's span and the span it is fairly compared with: local dates, ``end`` exclusive.

    ``partial`` is True when the period is not over (``as_of`` falls inside it): then both spans
    cover only the elapsed days (1–5 Dec against 1–5 Dec a year earlier, not all of it)."""

    start: dt.date
    end: dt.date
    previous_start: dt.date
    previous_end: dt.date
    partial: bool
    label: str
    previous_label: str = ""


def _whole_months(start: pd.Timestamp, end: pd.Timestamp) -> int:
    """How many whole calendar months [start, end) is (0 if it is not whole months)."""
    if start.day != 1 or end.day != 1:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month


def _dates_text(start: dt.date, end: dt.date) -> str:
    last = end - dt.timedelta(days=1)
    if start == last:
        return f"{start.day} {start:%b %Y}"
    if (start.year, start.month) == (last.year, last.month):
        return f"{start.day}–{last.day} {last:%b %Y}"
    return _span_text(pd.Timestamp(start), pd.Timestamp(last))


def comparable_span(start, end, as_of=None, against: str = "previous") -> ComparableSpan:
    """The one rule for "compared with what": the span [``start``, ``end``) of local dates and
    the span it is compared with — ``against="year"``: the same dates a year earlier;
    ``"previous"``: the span just before (the previous calendar month(s) when the period is
    whole months, else the same number of days before ``start``).

    When ``as_of`` (the last local date with data, inclusive) falls inside the period, the
    period is partial and both spans are cut to the elapsed days: today 5 Dec compares 1–5 Dec
    with 1–5 Dec of last year (or 1–5 Nov), never with a whole month. 29 February compares with
    28 February of a non-leap year; a month's day 31 with the previous month's last day."""
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if against not in ("previous", "year"):
        raise ValueError(f"against must be “previous” or “year”, not “{against}”.")
    if end <= start:
        raise ValueError("the period must end after it starts.")
    cur_end = end
    if as_of is not None:
        upto = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
        if start < upto < end:
            cur_end = upto
    partial = cur_end < end
    months = _whole_months(start, end)
    if against == "year":
        shift = pd.DateOffset(years=1)
    elif months:
        shift = pd.DateOffset(months=months)
    else:
        shift = pd.Timedelta(days=(end - start).days)
    prev_start = start - shift
    prev_full_end = end - shift
    # The last elapsed day moved back (clipped to the shorter month: 29 Feb → 28 Feb), capped
    # at the end of the previous period.
    prev_end = min((cur_end - pd.Timedelta(days=1)) - shift + pd.Timedelta(days=1),
                   prev_full_end)
    previous_label = _dates_text(prev_start.date(), prev_end.date())
    label = f"{_dates_text(start.date(), cur_end.date())} compared with {previous_label}"
    if partial:
        label += " (the same elapsed days: the period is not over)"
    return ComparableSpan(start.date(), cur_end.date(), prev_start.date(), prev_end.date(),
                          partial, label, previous_label)


def _add_months(day: dt.date, months: int) -> dt.date:
    return (pd.Timestamp(day) + pd.DateOffset(months=months)).date()


def period_comparison(key: str, first_day: dt.date, last_day: dt.date, partial: bool,
                      as_of: dt.date | None = None, against: str = "previous"
                      ) -> ComparableSpan:
    """:func:`comparable_span` for a reporting period given by its ``key`` (today, week to
    date, month to date, …, custom), its local ``first_day``/``last_day`` and whether it is
    still running: a running week, month, quarter or year to date is compared as the part of
    its whole week, month, quarter or year elapsed by ``as_of`` (default ``last_day``)."""
    end = last_day + dt.timedelta(days=1)
    if partial and key == "week_to_date":
        end = first_day + dt.timedelta(days=7)
    elif partial and key in ("month_to_date", "quarter_to_date", "year_to_date"):
        end = _add_months(first_day, {"month_to_date": 1, "quarter_to_date": 3,
                                      "year_to_date": 12}[key])
    return comparable_span(first_day, end, as_of=as_of if as_of is not None else last_day,
                           against=against)


def period_change(current: pd.DataFrame, previous: pd.DataFrame, on: list[str],
                  columns: list[str]) -> pd.DataFrame:
    """Change of KPI ``columns`` between two KPI tables aligned on key columns ``on``; the
    tables should cover comparable spans (:func:`comparable_span`).

    For each column: ``<c>``, ``<c>_previous``, ``<c>_change`` (absolute) and ``<c>_change_rel``
    (relative, NaN when the previous value is 0 or empty).
    """
    merged = current[on + columns].merge(previous[on + columns], on=on, how="outer",
                                         suffixes=("", "_previous"))
    for c in columns:
        cur = merged[c].astype(float)
        prev = merged[f"{c}_previous"].astype(float)
        merged[f"{c}_change"] = cur - prev
        merged[f"{c}_change_rel"] = np.divide((cur - prev).to_numpy(), prev.to_numpy(),
                                              out=np.full(len(merged), np.nan),
                                              where=prev.fillna(0).to_numpy() != 0)
    return merged


def year_over_year(daily: pd.Series, freq: str = "MS", as_of=None) -> pd.DataFrame:
    """Per period (``freq``: ``"MS"`` months or ``"YS"`` years) of a daily series with gaps
    (NaN): ``total`` (NaN when no day has data, never 0), ``days_with_data``,
    ``days_without_data``, ``mean_per_day`` (over days with data), the same figures over the
    comparable span a year earlier (:func:`comparable_span`: a period cut short by ``as_of`` or
    by the end of the series is compared with the same elapsed days), ``change_rel`` (relative
    change of the mean per day with data; NaN without data in both), ``partial`` and
    ``compared`` (the two spans in words)."""
    columns = ["period_start", "total", "days_with_data", "days_without_data", "mean_per_day",
               "total_year_before", "days_with_data_year_before", "mean_per_day_year_before",
               "change_rel", "partial", "compared"]
    if daily.empty:
        return pd.DataFrame(columns=columns)
    daily = daily.astype(float)
    idx = pd.DatetimeIndex(daily.index)
    last = pd.Timestamp(as_of).normalize() if as_of is not None else idx.max()
    step = pd.DateOffset(years=1) if freq.startswith("Y") else pd.DateOffset(months=1)
    rows = []
    for period_start in pd.date_range(idx.min(), idx.max(), freq=freq).union(
            [idx.min().to_period("Y" if freq.startswith("Y") else "M").start_time]):
        period_start = pd.Timestamp(period_start)
        span = comparable_span(period_start, period_start + step, as_of=min(last, idx.max()),
                               against="year")
        cur = daily[(idx >= pd.Timestamp(span.start)) & (idx < pd.Timestamp(span.end))]
        prev = daily[(idx >= pd.Timestamp(span.previous_start))
                     & (idx < pd.Timestamp(span.previous_end))]
        days = (pd.Timestamp(span.end) - pd.Timestamp(span.start)).days
        mean, mean_prev = cur.mean(), prev.mean()
        rows.append({
            "period_start": period_start, "total": cur.sum(min_count=1),
            "days_with_data": int(cur.notna().sum()),
            "days_without_data": int(days - cur.notna().sum()), "mean_per_day": mean,
            "total_year_before": prev.sum(min_count=1),
            "days_with_data_year_before": int(prev.notna().sum()),
            "mean_per_day_year_before": mean_prev,
            "change_rel": (mean - mean_prev) / mean_prev if mean_prev and not np.isnan(
                mean_prev) and not np.isnan(mean) else np.nan,
            "partial": span.partial, "compared": span.label})
    return pd.DataFrame(rows, columns=columns)


def peaks(series: pd.Series, top: int = 5) -> pd.DataFrame:
    """The ``top`` highest points with their ratio to the series median (``ratio_to_median``)."""
    s = series.dropna()
    biggest = s.nlargest(top)
    med = s.median()
    return pd.DataFrame({"at": biggest.index, "value": biggest.to_numpy(),
                         "ratio_to_median": biggest.to_numpy() / med if med else np.nan})


def pathway_flows(sums: pd.DataFrame, label: str = "step") -> pd.DataFrame:
    """Volumes per transition for a Sankey diagram, from summed components per routing point.

    ``sums`` has one row per step/queue (column ``label``) with the additive components. Returns
    ``source``, ``target``, ``value`` (contacts): IVR → self-service / queue / hung up in IVR,
    queue → answered / abandoned / flowed out, answered → transferred / escalated.
    """
    rows = []
    for _, r in sums.iterrows():
        name = str(r[label])
        for col, target in (("ivr_contained", "Self-service (contained)"),
                            ("ivr_to_queue", "To queue"),
                            ("ivr_abandoned", "Hung up in IVR")):
            if r.get(col, 0):
                rows.append((name, target, int(r[col])))
        for col, target in (("answered", "Answered"), ("abandoned", "Abandoned"),
                            ("flowed_out", "Flowed out")):
            if r.get(col, 0):
                rows.append((name, f"{target}", int(r[col])))
        for col, target in (("transfers", "Transferred"), ("escalations", "Escalated")):
            if r.get(col, 0):
                rows.append(("Answered", target, int(r[col])))
    flows = pd.DataFrame(rows, columns=["source", "target", "value"])
    return flows.groupby(["source", "target"], as_index=False, sort=False)["value"].sum()
