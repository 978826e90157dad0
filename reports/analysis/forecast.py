"""Forecasts of volume and AHT per interval, with back-testing.

Volume: Holt-Winters (additive damped trend, weekly seasonality) or STL + ETS (statsmodels'
``STLForecast``) on daily totals, split into intervals with the weekday intraday profile of the
training data (the standard top-down WFM method: stable daily model, interval shape from recent
weeks). Baseline: seasonal naive (the same interval one week earlier). :func:`backtest` measures
every method on the same held-out weeks, daily and per interval; :func:`choose` picks the one
with the lowest daily WAPE (ties: smaller absolute bias). Per-interval WAPE is mostly Poisson
noise when an interval holds a handful of contacts (about 45 % at four contacts an interval,
whatever the model), so the choice is made on daily totals, the figure the model forecasts.
AHT: handle-seconds ÷ handled summed per interval-of-week over the training weeks (a ratio of
sums), baseline the same interval one week earlier.

The history frame has one row per interval: ``period_start`` (naive local time of the centre),
``offered``, ``handled``, ``handle_s`` (talk + hold + ACW seconds). Accuracy: WAPE = Σ|F − A| /
ΣA and bias = Σ(F − A) / ΣA (positive = over-forecast).

Gaps are not zeros: on the history grid a day with no data at all is NaN in every interval (an
interval without a row on a day that has data is a real 0). Holt-Winters fits daily totals in
which a gap day is imputed — for the fit only — by the mean of the same weekday over the days
with data (a weekday with no data in the whole history is taken as closed: 0); closed days
given to :func:`complete_grid` are zeros, not gaps; the intraday shape, the seasonal naive week
and AHT read only intervals with data; accuracy is measured over intervals with data only.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

METHODS = ("holt_winters", "stl_ets", "seasonal_naive")
LABELS = {"holt_winters": "Holt-Winters", "stl_ets": "STL + ETS",
          "seasonal_naive": "Seasonal naive"}


@dataclass
class Backtest:
    """Back-test over held-out weeks: per-week ``folds`` and the ``summary`` per method."""

    folds: pd.DataFrame
    summary: pd.DataFrame
    detail: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)


def complete_grid(history: pd.DataFrame, interval_min: int = 15, start=None, end=None,
                  closed=()) -> pd.DataFrame:
    """Reindex to every interval of the local days from ``start`` (default: the first day with
    data) to before ``end`` (default: after the last). An interval without a row on a day that
    has data, or on a ``closed`` day (the centre was shut), is 0 (nothing arrived); every
    interval of any other day with no data at all is NaN — a gap, not zero traffic."""
    h = history.copy()
    h["period_start"] = pd.to_datetime(h["period_start"])
    h = h.groupby("period_start").sum(numeric_only=True)
    first = pd.Timestamp(start).normalize() if start is not None else h.index.min().normalize()
    last = (pd.Timestamp(end).normalize() if end is not None
            else h.index.max().normalize() + pd.Timedelta(days=1))
    grid = pd.date_range(first, last, freq=f"{interval_min}min", inclusive="left")
    out = h.reindex(grid).rename_axis("period_start")
    days = pd.DatetimeIndex(grid).normalize()
    have = days.isin(pd.DatetimeIndex(h.index).normalize()) | days.isin(
        pd.DatetimeIndex(pd.to_datetime(list(closed))))
    out.loc[have] = out.loc[have].fillna(0)
    return out


def _pairs(actual, forecast) -> tuple[np.ndarray, np.ndarray]:
    """Actual and forecast where both are known (a gap in the actuals is not a zero)."""
    a = np.asarray(actual, float)
    f = np.asarray(forecast, float)
    known = ~(np.isnan(a) | np.isnan(f))
    return a[known], f[known]


def wape(actual, forecast) -> float:
    """Σ|F − A| / ΣA over the intervals with data (NaN when nothing actually happened)."""
    a, f = _pairs(actual, forecast)
    total = a.sum()
    return float(np.abs(f - a).sum() / total) if total > 0 else float("nan")


def bias(actual, forecast) -> float:
    """Σ(F − A) / ΣA over the intervals with data; positive means over-forecast (NaN when
    nothing happened)."""
    a, f = _pairs(actual, forecast)
    total = a.sum()
    return float((f - a).sum() / total) if total > 0 else float("nan")


def _slots_per_day(grid: pd.DataFrame) -> int:
    step = grid.index[1] - grid.index[0]
    return int(pd.Timedelta(days=1) / step)


def seasonal_naive(grid: pd.DataFrame, horizon_days: int, column: str = "offered") -> pd.Series:
    """Each future interval = the same interval one week earlier (repeated for long horizons);
    where that week has no data, the latest earlier week that has."""
    per_day = _slots_per_day(grid)
    per_week = 7 * per_day
    values = grid[column].to_numpy(float)
    weeks = len(values) // per_week
    if weeks < 1:
        raise ValueError("seasonal naive needs at least one full week of history.")
    stack = pd.DataFrame(values[len(values) - weeks * per_week:].reshape(weeks, per_week))
    week = stack.ffill().to_numpy()[-1]
    if np.isnan(week).all():
        raise ValueError("seasonal naive needs at least one week with data.")
    # An interval of the week with no data in any week (a weekday never open) is closed: 0.
    week = np.nan_to_num(week, nan=0.0)
    values = np.resize(week, horizon_days * per_day)
    index = pd.date_range(grid.index[-1] + (grid.index[1] - grid.index[0]),
                          periods=horizon_days * per_day, freq=grid.index[1] - grid.index[0])
    return pd.Series(values, index=index, name=column)


def _daily_history(grid: pd.DataFrame, column: str, minimum_days: int, name: str):
    """Daily totals of ``column`` for the fit (gap days imputed, see the module docstring), the
    interval values and the number of slots per day."""
    per_day = _slots_per_day(grid)
    values = grid[column].to_numpy(float)
    days = len(values) // per_day
    by_day = values[: days * per_day].reshape(days, per_day)
    have = ~np.isnan(by_day).all(axis=1)
    if have.sum() < minimum_days:
        raise ValueError(f"{name} needs at least {minimum_days} days with data, got "
                         f"{int(have.sum())}.")
    daily = pd.Series(np.where(have, np.nansum(by_day, axis=1), np.nan),
                      index=pd.date_range(grid.index[0], periods=days, freq="D"))
    # Gap days are imputed for the fit only: the same weekday's mean over the days with data; a
    # weekday with no data in the whole history (never open) is taken as closed (0).
    weekday_mean = daily.groupby(daily.index.day_of_week).transform("mean")
    return daily.fillna(weekday_mean).fillna(0.0), values[: days * per_day], per_day


def _split_days(grid: pd.DataFrame, daily: pd.Series, values: np.ndarray, per_day: int,
                day_fc: np.ndarray, column: str, profile_weeks: int) -> pd.Series:
    """Spread daily forecasts over the intervals with the weekday intraday profile of the last
    ``profile_weeks`` weeks (days with data only)."""
    days = len(daily)
    recent = values[-min(profile_weeks * 7, days) * per_day:].reshape(-1, per_day)
    weekdays = pd.date_range(end=daily.index[-1], periods=len(recent), freq="D").day_of_week
    shape = np.zeros((7, per_day))
    for wd in range(7):
        rows = recent[weekdays == wd]
        rows = rows[~np.isnan(rows).all(axis=1)]
        total = np.nansum(rows)
        shape[wd] = np.nansum(rows, axis=0) / total if total > 0 else 0.0
    horizon_days = len(day_fc)
    future_days = pd.date_range(daily.index[-1] + pd.Timedelta(days=1), periods=horizon_days,
                                freq="D")
    out = np.concatenate([day_fc[i] * shape[d.day_of_week] for i, d in enumerate(future_days)])
    index = pd.date_range(future_days[0], periods=horizon_days * per_day,
                          freq=grid.index[1] - grid.index[0])
    return pd.Series(out, index=index, name=column)


def holt_winters_volume(grid: pd.DataFrame, horizon_days: int, column: str = "offered",
                        profile_weeks: int = 8) -> pd.Series:
    """Holt-Winters daily forecast split by the weekday intraday profile (see module docstring)."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    daily, values, per_day = _daily_history(grid, column, 14, "Holt-Winters")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ExponentialSmoothing(daily, trend="add", damped_trend=True, seasonal="add",
                                     seasonal_periods=7, initialization_method="estimated")
        fit = model.fit()
        day_fc = np.clip(fit.forecast(horizon_days).to_numpy(), 0, None)
    return _split_days(grid, daily, values, per_day, day_fc, column, profile_weeks)


def stl_ets_volume(grid: pd.DataFrame, horizon_days: int, column: str = "offered",
                   profile_weeks: int = 8) -> pd.Series:
    """STL + ETS on daily totals (statsmodels' ``STLForecast``): a robust STL takes out the
    weekly pattern, an additive damped-trend ETS forecasts what is left, and the last weekly
    pattern is added back; split into intervals like Holt-Winters."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    from statsmodels.tsa.forecasting.stl import STLForecast

    daily, values, per_day = _daily_history(grid, column, 21, "STL + ETS")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = STLForecast(daily, ETSModel, period=7, robust=True,
                            model_kwargs={"error": "add", "trend": "add", "damped_trend": True})
        fit = model.fit(fit_kwargs={"disp": False})
        day_fc = np.clip(np.asarray(fit.forecast(horizon_days), float), 0, None)
    return _split_days(grid, daily, values, per_day, day_fc, column, profile_weeks)


def aht_forecast(grid: pd.DataFrame, horizon_days: int, weeks: int = 8) -> pd.Series:
    """AHT per future interval = Σ handle_s ÷ Σ handled over the same interval-of-week in the last
    ``weeks`` weeks (NaN where nothing was handled)."""
    per_day = _slots_per_day(grid)
    n = min(weeks * 7 * per_day, len(grid) // (7 * per_day) * 7 * per_day)
    if n == 0:
        raise ValueError("AHT forecast needs at least one full week of history.")
    h = np.nansum(grid["handle_s"].to_numpy(float)[-n:].reshape(-1, 7 * per_day), axis=0)
    c = np.nansum(grid["handled"].to_numpy(float)[-n:].reshape(-1, 7 * per_day), axis=0)
    week = np.divide(h, c, out=np.full(h.shape, np.nan), where=c > 0)
    values = np.resize(week, horizon_days * per_day)
    step = grid.index[1] - grid.index[0]
    index = pd.date_range(grid.index[-1] + step, periods=horizon_days * per_day, freq=step)
    return pd.Series(values, index=index, name="aht_s")


_VOLUME = {"holt_winters": holt_winters_volume, "stl_ets": stl_ets_volume}


def forecast(grid: pd.DataFrame, horizon_days: int = 7, method: str = "holt_winters"
             ) -> pd.DataFrame:
    """Forecast frame with ``period_start`` (local), ``offered_forecast`` and ``aht_s_forecast``."""
    if method not in METHODS:
        raise ValueError(f"method “{method}” is unknown; use one of {', '.join(METHODS)}.")
    if method in _VOLUME:
        vol = _VOLUME[method](grid, horizon_days)
        aht = aht_forecast(grid, horizon_days)
    else:
        vol = seasonal_naive(grid, horizon_days)
        h = seasonal_naive(grid, horizon_days, "handle_s").to_numpy()
        c = seasonal_naive(grid, horizon_days, "handled").to_numpy()
        aht = pd.Series(np.divide(h, c, out=np.full(h.shape, np.nan), where=c > 0),
                        index=vol.index)
    return pd.DataFrame({"period_start": vol.index, "offered_forecast": vol.to_numpy(),
                         "aht_s_forecast": aht.to_numpy()})


def _daily_pairs(period_start, actual, forecast) -> tuple[np.ndarray, np.ndarray]:
    """Daily totals of actual and forecast over the days with data (a day whose every interval
    is a gap is left out; within a day with data, gap intervals are left out of both)."""
    frame = pd.DataFrame({"day": pd.to_datetime(pd.Series(period_start)).dt.normalize().to_numpy(),
                          "actual": np.asarray(actual, float),
                          "forecast": np.asarray(forecast, float)})
    frame = frame[frame["actual"].notna() & frame["forecast"].notna()]
    days = frame.groupby("day")[["actual", "forecast"]].sum()
    return days["actual"].to_numpy(), days["forecast"].to_numpy()


def _accuracy(period_start, actual, forecast) -> dict:
    """WAPE and bias per interval and of daily totals."""
    da, df = _daily_pairs(period_start, actual, forecast)
    return {"daily_wape": wape(da, df), "daily_bias": bias(da, df),
            "interval_wape": wape(actual, forecast), "interval_bias": bias(actual, forecast)}


def backtest_methods(history_days: float, holdout_weeks: int) -> tuple[str, ...]:
    """The methods a back-test compares on a history of ``history_days`` days with
    ``holdout_weeks`` held out: STL + ETS only when its first fold still has three weeks to fit
    on."""
    return tuple(m for m in METHODS if m != "stl_ets" or history_days >= 21 + 7 * holdout_weeks)


def backtest(grid: pd.DataFrame, holdout_weeks: int = 4, methods=METHODS) -> Backtest:
    """Hold out each of the last ``holdout_weeks`` weeks in turn, fit every method on everything
    before it, forecast it, and measure WAPE and bias of daily totals and of interval volumes.
    Every method is measured on the same held-out weeks: a week one method cannot forecast (too
    little history) is left out for all of them, so the figures compare like with like.
    ``summary`` has ``wape``/``bias`` (per interval, as before) and ``daily_wape``/``daily_bias``,
    ``interval_wape``/``interval_bias`` and ``weeks`` per method."""
    per_week = 7 * _slots_per_day(grid)
    folds, details = [], []
    for k in range(holdout_weeks, 0, -1):
        cut = len(grid) - k * per_week
        train, test = grid.iloc[:cut], grid.iloc[cut: cut + per_week]
        if len(test) < per_week or cut < 2 * per_week or test["offered"].isna().all():
            continue
        try:
            forecasts = {m: forecast(train, 7, m)["offered_forecast"].to_numpy()
                         for m in methods}
        except ValueError:
            continue  # one method has too little history for this week: none is measured on it
        actual = test["offered"].to_numpy(float)
        for method, fc in forecasts.items():
            folds.append({"week_start": test.index[0], "method": method,
                          **_accuracy(test.index, actual, fc),
                          "actual_total": np.nansum(actual),
                          "forecast_total": fc[~np.isnan(actual)].sum()})
            details.append(pd.DataFrame({"period_start": test.index, "method": method,
                                         "actual": actual, "forecast": fc}))
    folds_df = pd.DataFrame(folds, columns=["week_start", "method", "daily_wape", "daily_bias",
                                            "interval_wape", "interval_bias", "actual_total",
                                            "forecast_total"])
    folds_df["wape"], folds_df["bias"] = folds_df["interval_wape"], folds_df["interval_bias"]
    detail = pd.concat(details, ignore_index=True) if details else pd.DataFrame(
        columns=["period_start", "method", "actual", "forecast"])
    columns = ["method", "label", "daily_wape", "daily_bias", "interval_wape", "interval_bias",
               "wape", "bias", "weeks"]
    rows = []
    for method in methods:
        g = detail[detail["method"] == method]
        if g.empty:
            continue
        acc = _accuracy(g["period_start"], g["actual"], g["forecast"])
        rows.append({"method": method, "label": LABELS[method], **acc,
                     "wape": acc["interval_wape"], "bias": acc["interval_bias"],
                     "weeks": int(pd.to_datetime(g["period_start"]).dt.to_period("W").nunique())})
    return Backtest(folds=folds_df, summary=pd.DataFrame(rows, columns=columns), detail=detail)


@dataclass
class Choice:
    """The method a back-test chose: its name, its figures, and why in plain words."""

    method: str
    daily_wape: float
    daily_bias: float
    interval_wape: float
    interval_bias: float
    weeks: int
    reason: str


def choose(summary: pd.DataFrame) -> Choice:
    """The method with the lowest WAPE of daily totals on the held-out weeks; a tie (to 0.1
    percentage point) goes to the smaller absolute bias. Raises ``ValueError`` when no method
    could be measured."""
    ranked = summary[summary["daily_wape"].notna()].copy()
    if ranked.empty:
        raise ValueError("no method could be back-tested on the held-out weeks")
    ranked["_wape"] = ranked["daily_wape"].round(3)
    ranked["_bias"] = ranked["daily_bias"].abs()
    ranked = ranked.sort_values(["_wape", "_bias"], kind="stable")
    best = ranked.iloc[0]
    weeks = int(best["weeks"])
    words = (f"{best['label']} had the lowest error on daily volume over the same "
             f"{weeks} held-out week{'s' if weeks != 1 else ''}: a daily WAPE of "
             f"{best['daily_wape'] * 100:.1f} % with a bias of {best['daily_bias'] * 100:+.1f} %")
    if len(ranked) > 1:
        second = ranked.iloc[1]
        if second["_wape"] == best["_wape"]:
            words += (f"; {second['label']} was as accurate but leaned further "
                      f"({second['daily_bias'] * 100:+.1f} %)")
        else:
            words += (f", against {second['daily_wape'] * 100:.1f} % for the next best, "
                      f"{second['label']}")
    words += "."
    return Choice(method=str(best["method"]), daily_wape=float(best["daily_wape"]),
                  daily_bias=float(best["daily_bias"]),
                  interval_wape=float(best["interval_wape"]),
                  interval_bias=float(best["interval_bias"]), weeks=weeks, reason=words)


def accuracy_by_interval(actual: pd.DataFrame, issued: pd.DataFrame) -> pd.DataFrame:
    """Join an issued forecast (``period_start``, ``offered_forecast``) to actuals
    (``period_start``, ``offered``) and give per-interval error plus overall WAPE/bias in
    ``attrs``. An interval without a row is 0 on a day with data and NaN (no data, left out of
    WAPE and bias) on a day without."""
    m = issued.merge(actual[["period_start", "offered"]], on="period_start", how="left")
    days = pd.to_datetime(actual["period_start"]).dt.normalize().unique()
    on_day_with_data = pd.to_datetime(m["period_start"]).dt.normalize().isin(days)
    m.loc[on_day_with_data, "offered"] = m.loc[on_day_with_data, "offered"].fillna(0)
    m["error"] = m["offered_forecast"] - m["offered"]
    m.attrs["wape"] = wape(m["offered"], m["offered_forecast"])
    m.attrs["bias"] = bias(m["offered"], m["offered_forecast"])
    return m


def accuracy_by_period(issued: pd.DataFrame, actual_daily: pd.DataFrame, freq: str = "W"
                       ) -> pd.DataFrame:
    """An issued forecast's volume against the actual volume per period (``freq``: "D" day,
    "W" local week from Monday, "M" month). ``issued``: ``period_start``, ``offered_forecast``
    per interval; ``actual_daily``: ``day`` and ``offered`` per local day with data (a day
    without a row is a gap: left out of both sides, never a zero). One row per period with
    ``period`` (its first day), ``days`` (forecast days with data), ``forecast``, ``actual``,
    ``error`` (forecast − actual) and ``error_rel``; ``attrs`` carry WAPE and bias of the daily
    totals over every day compared."""
    f = issued.assign(day=pd.to_datetime(issued["period_start"]).dt.normalize()).groupby(
        "day")["offered_forecast"].sum()
    a = actual_daily.assign(day=pd.to_datetime(actual_daily["day"]).dt.normalize()).groupby(
        "day")["offered"].sum()
    both = pd.DataFrame({"forecast": f, "actual": a}).dropna()
    columns = ["period", "days", "forecast", "actual", "error", "error_rel"]
    if both.empty:
        out = pd.DataFrame(columns=columns)
        out.attrs.update(wape=float("nan"), bias=float("nan"))
        return out
    period = both.index.to_period({"D": "D", "W": "W-SUN", "M": "M"}[freq]).start_time
    out = both.groupby(period).agg(days=("actual", "size"), forecast=("forecast", "sum"),
                                   actual=("actual", "sum")).rename_axis("period").reset_index()
    out["error"] = out["forecast"] - out["actual"]
    out["error_rel"] = np.where(out["actual"] > 0, out["error"] / out["actual"].where(
        out["actual"] > 0, 1), np.nan)
    out.attrs.update(wape=wape(both["actual"], both["forecast"]),
                     bias=bias(both["actual"], both["forecast"]))
    return out[columns]


@dataclass
class Reforecast:
    """How the rest of a day was re-forecast: ``ratio`` = ``actual_so_far`` ÷
    ``forecast_so_far`` (offered, over the intervals completed by ``through``; NaN when nothing
    was forecast or no interval is complete: the rest stays as issued), and the method in
    ``words``."""

    ratio: float
    actual_so_far: float
    forecast_so_far: float
    through: pd.Timestamp | None
    words: str


#: Fewest contacts forecast for the part of the day that is over before its error is used to
#: scale the rest: below it the ratio is mostly chance (a night's 0.2 forecast contacts against
#: 19 arrived would multiply the rest of the day by 95).
REFORECAST_MIN_SO_FAR = 30


def reforecast_rest_of_day(day: pd.DataFrame, as_of, interval_s: int = 900,
                           min_so_far: float = REFORECAST_MIN_SO_FAR
                           ) -> tuple[pd.DataFrame, Reforecast]:
    """Re-forecast the rest of a day from the error of the part already over.

    ``day`` has one row per interval of the day: ``period_start`` (naive local time),
    ``forecast`` (offered, as issued) and ``actual`` (offered; NaN where no data came — a gap,
    left out of the error, never a zero). An interval is *complete* when it ended by ``as_of``
    (naive local time); the running one and those after it are *remaining*. The remaining
    intervals are the issued forecast scaled by actual ÷ forecast summed over the complete
    intervals with data (a ratio of sums, so a quiet first interval does not swing the day),
    once at least ``min_so_far`` contacts were forecast for them; before that the rest stays
    as issued.

    Returns a copy of ``day`` with ``complete`` (bool) and ``reforecast`` (offered; NaN for
    complete intervals), and the :class:`Reforecast` that says how.
    """
    out = day.copy()
    starts = pd.to_datetime(out["period_start"])
    ends = starts + pd.Timedelta(seconds=interval_s)
    out["complete"] = (ends <= pd.Timestamp(as_of)).to_numpy()
    a, f = _pairs(out.loc[out["complete"], "actual"], out.loc[out["complete"], "forecast"])
    actual_so_far, forecast_so_far = float(a.sum()), float(f.sum())
    through = ends[out["complete"]].max() if out["complete"].any() else None
    if through is None:
        ratio = float("nan")
        words = "Rest of the day as issued: no interval of the day has ended yet."
    elif a.size == 0:
        ratio = float("nan")
        words = (f"Rest of the day as issued: no data has arrived for the intervals up to "
                 f"{through:%H:%M} (a gap, not a day without contacts), so there is no error "
                 "to scale it by.")
    elif forecast_so_far < min_so_far:
        ratio = float("nan")
        words = (f"Rest of the day as issued: {forecast_so_far:,.1f} contacts were forecast up "
                 f"to {through:%H:%M} ({actual_so_far:,.0f} arrived), too few (under "
                 f"{min_so_far:g}) to scale the rest of the day by their error.")
    elif forecast_so_far > 0:
        ratio = actual_so_far / forecast_so_far
        words = (f"Rest of the day = issued forecast × {ratio:.2f}: {actual_so_far:,.0f} "
                 f"offered against {forecast_so_far:,.0f} forecast in the intervals up to "
                 f"{through:%H:%M} ({ratio - 1:+.0%}).")
    else:
        ratio = float("nan")
        words = ("Rest of the day as issued: no interval with data and a forecast has ended "
                 "yet, so there is no error to scale it by.")
    factor = 1.0 if np.isnan(ratio) else ratio
    out["reforecast"] = np.where(out["complete"], np.nan,
                                 out["forecast"].to_numpy(float) * factor)
    return out, Reforecast(ratio=ratio, actual_so_far=actual_so_far,
                           forecast_so_far=forecast_so_far, through=through, words=words)


def aht_filled(offered, aht_s) -> tuple[np.ndarray, float]:
    """Forecast handle time per interval with the gaps filled: an interval whose AHT the
    forecast does not give (nothing was handled then in its history) takes the forecast's own
    handle time over the intervals that have one, as a ratio of sums — Σ(offered × AHT) ÷
    Σ offered — never the mean of the intervals' AHTs (a quiet interval's AHT weighs what its
    contacts weigh). Returns the filled AHTs and that overall AHT (NaN, and the gaps left NaN,
    when no interval with contacts has an AHT)."""
    offered = np.asarray(pd.to_numeric(pd.Series(offered), errors="coerce"), dtype=float)
    aht = np.asarray(pd.to_numeric(pd.Series(aht_s), errors="coerce"), dtype=float)
    known = ~np.isnan(aht) & ~np.isnan(offered) & (offered > 0)
    overall = (float((aht[known] * offered[known]).sum() / offered[known].sum())
               if known.any() else float("nan"))
    return np.where(np.isnan(aht), overall, aht), overall
