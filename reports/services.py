"""Writes of the reports app: issuing (and keeping) forecasts."""
from __future__ import annotations

import datetime as dt

from django.db import transaction

from .analysis import forecast as fc
from .models import Forecast
from .selectors import closed_days, interval_frame


class ForecastError(ValueError):
    """The forecast cannot be made from the data given (the message says why)."""


@transaction.atomic
def forecast_issue(*, scope, centre, history_start: dt.date, history_end: dt.date,
                   horizon_days: int = 7, method: str = "holt_winters", queue=None, user=None,
                   holdout_weeks: int = 2) -> Forecast:
    """Forecast volume and AHT per interval for the ``horizon_days`` after ``history_end`` from
    the scope's interval rollups in [history_start, history_end), back-test the method on the last
    ``holdout_weeks`` weeks of that history, and keep the forecast exactly as issued.

    Raises :class:`ForecastError` naming the problem (too little history, no data).
    """
    if history_end <= history_start:
        raise ForecastError("history_end must be after history_start.")
    frame = interval_frame(scope, centre, history_start, history_end,
                           queue_ids=[queue.pk] if queue else None)
    if frame.empty or frame["offered"].sum() == 0:
        raise ForecastError(f"No contacts offered between {history_start} and {history_end} in "
                            "this scope: nothing to forecast from.")
    # Days without data are gaps in the history (NaN, not zero traffic); closed days are zeros.
    grid = fc.complete_grid(frame[["period_start", "offered", "handled", "handle_s"]],
                            interval_min=int(frame["interval_s"].max() // 60),
                            start=history_start, end=history_end,
                            closed=closed_days(centre, history_start, history_end))
    days = len(grid) * (grid.index[1] - grid.index[0]) / dt.timedelta(days=1)
    try:
        result = fc.forecast(grid, horizon_days, method)
        bt = fc.backtest(grid, holdout_weeks=holdout_weeks, methods=(method,))
    except ValueError as exc:
        raise ForecastError(f"{exc} (history has {days:.0f} days).") from exc
    summary = bt.summary.set_index("method")
    wape = float(summary.loc[method, "wape"]) if method in summary.index else None
    bias = float(summary.loc[method, "bias"]) if method in summary.index else None
    values = [{"period_start": ts.isoformat(), "offered": round(float(v), 4),
               "aht_s": None if a != a else round(float(a), 2)}
              for ts, v, a in zip(result["period_start"], result["offered_forecast"],
                                  result["aht_s_forecast"], strict=True)]
    horizon_start = result["period_start"].iloc[0].date()
    return Forecast.objects.create(
        centre=centre, queue=queue, method=method, issued_by=user,
        scope_label=getattr(scope, "label", "")[:200], history_start=history_start,
        history_end=history_end, horizon_start=horizon_start,
        horizon_end=horizon_start + dt.timedelta(days=horizon_days),
        interval_s=int(frame["interval_s"].max()),
        backtest_wape=None if wape != wape else wape, backtest_bias=None if bias != bias else bias,
        values=values)
