"""Traffic patterns and trends from interval or daily sums.

Input frames come from the interval rollups: ``local_date`` (date, centre's time zone),
``local_minute`` (minutes after local midnight), ``weekday`` (0 = Monday) and additive counts
such as ``offered``. Profiles are means per calendar day of the component (sum ÷ number of days
observed), never means of ratios.
"""
from __future__ import annotations

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


def daily_series(frame: pd.DataFrame, value: str = "offered") -> pd.Series:
    """Daily totals of ``value`` on a complete calendar (missing days are 0), indexed by date."""
    s = frame.groupby(pd.to_datetime(frame["local_date"]))[value].sum()
    if s.empty:
        return s
    full = pd.date_range(s.index.min(), s.index.max(), freq="D")
    return s.reindex(full, fill_value=0).rename(value)


def seasonality(daily: pd.Series) -> dict[str, pd.DataFrame]:
    """Week-of-year and month-of-year indices: mean daily volume in each week/month ÷ overall
    mean daily volume (``seasonal_index``, 1.0 = an average day). Keys ``week_of_year``,
    ``month_of_year``; each frame also has ``mean_per_day`` and ``days``."""
    overall = daily.mean()
    idx = pd.DatetimeIndex(daily.index)
    out = {}
    for name, key in (("week_of_year", idx.isocalendar().week.to_numpy()),
                      ("month_of_year", idx.month)):
        g = daily.groupby(np.asarray(key)).agg(["mean", "count"])
        g["seasonal_index"] = g["mean"] / overall if overall else np.nan
        out[name] = g.rename_axis(name).reset_index().rename(
            columns={"mean": "mean_per_day", "count": "days"})
    return out


def moving_average(series: pd.Series, window: int = 7, centered: bool = True) -> pd.Series:
    """Moving average over ``window`` points (needs a full window; NaN otherwise)."""
    return series.rolling(window, center=centered, min_periods=window).mean()


def stl_decomposition(daily: pd.Series, period: int = 7) -> pd.DataFrame:
    """Seasonal-trend decomposition (STL, robust) of a daily series: columns ``observed``,
    ``trend``, ``seasonal``, ``resid``. Needs at least two full periods."""
    from statsmodels.tsa.seasonal import STL

    if len(daily) < 2 * period + 1:
        raise ValueError(f"STL needs at least {2 * period + 1} days, got {len(daily)}.")
    res = STL(daily.astype(float), period=period, robust=True).fit()
    return pd.DataFrame({"observed": daily.astype(float), "trend": res.trend,
                         "seasonal": res.seasonal, "resid": res.resid})


def period_change(current: pd.DataFrame, previous: pd.DataFrame, on: list[str],
                  columns: list[str]) -> pd.DataFrame:
    """Change of KPI ``columns`` between two KPI tables aligned on key columns ``on``.

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
                                              where=prev.to_numpy() != 0)
    return merged


def year_over_year(daily: pd.Series, freq: str = "MS") -> pd.DataFrame:
    """Totals per period (``freq``, default month) with the same period a year earlier and the
    relative change (NaN without a previous year)."""
    totals = daily.resample(freq).sum()
    prev = totals.copy()
    prev.index = prev.index + pd.DateOffset(years=1)
    out = pd.DataFrame({"total": totals, "total_year_before": prev.reindex(totals.index)})
    out["change_rel"] = np.divide(
        (out["total"] - out["total_year_before"]).to_numpy(float),
        out["total_year_before"].to_numpy(float), out=np.full(len(out), np.nan),
        where=out["total_year_before"].fillna(0).to_numpy() > 0)
    return out.rename_axis("period_start").reset_index()


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
