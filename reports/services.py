"""Writes of the reports app: issuing (and keeping) forecasts."""
from __future__ import annotations

import datetime as dt

from django.db import transaction

from .analysis import forecast as fc
from .models import Forecast
from .selectors import closed_days, interval_frame


class ForecastError(ValueError):
    """The forecast cannot be made from the data given (the message says why)."""


BEST = "best"  # the method the back-test chooses


def _fraction(value) -> float | None:
    return None if value is None or value != value else float(value)


@transaction.atomic
def forecast_issue(*, scope, centre, history_start: dt.date, history_end: dt.date,
                   horizon_days: int = 7, method: str = BEST, queue=None, user=None,
                   holdout_weeks: int = 4, compare: bool = True) -> Forecast:
    """Forecast volume and AHT per interval for the ``horizon_days`` after ``history_end`` from
    the scope's interval rollups in [history_start, history_end), and keep it exactly as issued.

    Every method is back-tested on the same last ``holdout_weeks`` weeks of that history (WAPE
    and bias of daily totals and per interval, all kept with the forecast; a week with too
    little history before it is left out, and the weeks actually held out are recorded).
    ``method="best"`` issues the one with the lowest daily WAPE (ties: smaller absolute bias)
    and records why; a named method is issued as asked, with the others' figures beside it
    (``compare=False``: only its own back-test, for a caller that chose the method from another
    back-test — the demo's per-queue forecasts, made by the whole centre's choice).

    Raises :class:`ForecastError` naming the problem (too little history, no data).
    """
    if history_end <= history_start:
        raise ForecastError("history_end must be after history_start.")
    if method != BEST and method not in fc.METHODS:
        raise ForecastError(f"Method “{method}” is unknown.")
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
    # Methods that can fit this history (STL + ETS needs three weeks) are compared.
    methods = list(fc.backtest_methods(days, holdout_weeks))
    if method != BEST and not compare:
        methods = [method]
    elif method != BEST and method not in methods:
        methods.append(method)
    bt = fc.backtest(grid, holdout_weeks=holdout_weeks, methods=tuple(methods))
    selection = ""
    if method == BEST:
        try:
            choice = fc.choose(bt.summary)
        except ValueError:
            raise ForecastError(
                f"Too little history to back-test the methods on {holdout_weeks} held-out "
                f"week{'s' if holdout_weeks != 1 else ''} (history has {days:.0f} days); give "
                "a longer history or fewer held-out weeks.") from None
        method, selection = choice.method, choice.reason
    try:
        result = fc.forecast(grid, horizon_days, method)
    except ValueError as exc:
        raise ForecastError(f"{exc} (history has {days:.0f} days).") from exc
    summary = bt.summary.set_index("method")
    row = summary.loc[method] if method in summary.index else None
    values = [{"period_start": ts.isoformat(), "offered": round(float(v), 4),
               "aht_s": None if a != a else round(float(a), 2)}
              for ts, v, a in zip(result["period_start"], result["offered_forecast"],
                                  result["aht_s_forecast"], strict=True)]
    compared = [{"method": r["method"], "label": r["label"], "weeks": int(r["weeks"]),
                 **{k: _fraction(r[k]) for k in ("daily_wape", "daily_bias", "interval_wape",
                                                 "interval_bias")}}
                for r in bt.summary.to_dict("records")]
    horizon_start = result["period_start"].iloc[0].date()
    return Forecast.objects.create(
        centre=centre, queue=queue, method=method, issued_by=user,
        scope_label=getattr(scope, "label", "")[:200], history_start=history_start,
        history_end=history_end, horizon_start=horizon_start,
        horizon_end=horizon_start + dt.timedelta(days=horizon_days),
        interval_s=int(frame["interval_s"].max()),
        backtest_wape=_fraction(row["interval_wape"]) if row is not None else None,
        backtest_bias=_fraction(row["interval_bias"]) if row is not None else None,
        backtest_daily_wape=_fraction(row["daily_wape"]) if row is not None else None,
        backtest_daily_bias=_fraction(row["daily_bias"]) if row is not None else None,
        holdout_weeks=int(row["weeks"]) if row is not None else None, backtest=compared,
        selection=selection, values=values)
