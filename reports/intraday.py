"""Today against its forecast, interval by interval, for the intraday dashboards and the
wallboard: the issued forecast (:class:`reports.models.Forecast`, exactly as issued) beside the
actual offered contacts, the rest of the day re-forecast from the error so far
(:func:`reports.analysis.forecast.reforecast_rest_of_day`) and the agents Erlang C needs in each
remaining interval at the queue's service-level threshold and the plan's target (both from the
resolver, :mod:`reports.semantics`; there is no default of this module's own)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .analysis import erlang
from .analysis import forecast as fc
from .models import Forecast


@dataclass
class TodayAgainstForecast:
    """``table``: one row per interval of the day — ``period_start`` (naive local), ``forecast``
    and ``actual`` offered, ``complete``, ``reforecast`` offered (remaining intervals),
    ``aht_s_forecast``, ``required_agents`` (remaining intervals, Erlang C). ``empty``
    says why there is nothing to show; ``notes`` say how it was computed."""

    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    forecast: Forecast | None = None
    reforecast: fc.Reforecast | None = None
    notes: list[str] = field(default_factory=list)
    empty: str = ""


def issued_forecast(scope, centre, day: dt.date, queue=None) -> Forecast | None:
    """The newest forecast issued for ``day`` within ``scope``: of ``queue`` when one is given,
    else of all the scope's queues together (a forecast of queues outside a viewer's scope is
    never used)."""
    return (Forecast.objects.restrict(scope)
            .filter(centre=centre, queue=queue, horizon_start__lte=day, horizon_end__gt=day)
            .order_by("-issued_at", "-pk").first())


def today_against_forecast(scope, centre, start: dt.datetime, end: dt.datetime,
                           actual: pd.DataFrame, now_local: dt.datetime, threshold_s,
                           target, queue=None) -> TodayAgainstForecast:
    """Today's intervals ``[start, end)`` (naive local times; the business day) against the
    issued forecast. ``actual``: component sums per 15-minute ``period_start`` (``offered``);
    ``threshold_s``/``target`` (a resolved target with ``value`` and ``describe()``) from the
    resolver, ``None`` when the queues differ or no target is in force (then no agents are
    given, and the notes say why)."""
    out = TodayAgainstForecast()
    issued = issued_forecast(scope, centre, start.date(), queue)
    if issued is None:
        out.empty = ("No forecast has been issued for today in this scope: issue one on the "
                     "forecasts page to see today against it.")
        return out
    values = pd.DataFrame(issued.values)
    values["period_start"] = pd.to_datetime(values["period_start"])
    values = values[(values["period_start"] >= pd.Timestamp(start))
                    & (values["period_start"] < pd.Timestamp(end))]
    if values.empty:
        out.empty = f"The forecast issued {issued.issued_at:%d %b %Y} has no interval today."
        return out
    day = values.rename(columns={"offered": "forecast", "aht_s": "aht_s_forecast"})[
        ["period_start", "forecast", "aht_s_forecast"]]
    if not actual.empty:
        got = actual[["period_start", "offered"]].assign(
            period_start=pd.to_datetime(actual["period_start"]))
        day = day.merge(got.rename(columns={"offered": "actual"}), on="period_start",
                        how="left")
        # An interval without a row on a day with data had no contacts (not a gap).
        day["actual"] = day["actual"].astype(float)
        done = day["period_start"] + pd.Timedelta(seconds=issued.interval_s) <= now_local
        day.loc[done, "actual"] = day.loc[done, "actual"].fillna(0)
    else:
        day["actual"] = np.nan
    table, how = fc.reforecast_rest_of_day(day, now_local, issued.interval_s)
    table["aht_s_forecast"] = table["aht_s_forecast"].astype(float)
    table["required_agents"] = np.nan
    rest = ~table["complete"] & table["aht_s_forecast"].notna() & (table["aht_s_forecast"] > 0)
    out.notes.append(how.words)
    out.notes.append(f"Forecast {issued.get_method_display()}, issued "
                     f"{issued.issued_at:%d %b %Y %H:%M}; AHT per interval as forecast.")
    if threshold_s is None:
        out.notes.append("Agents needed: these queues are answered at different service-level "
                         "thresholds; filter to one queue.")
    elif target is None:
        out.notes.append("Agents needed: no service-level target is in force for these "
                         "queues; set one in the business plan.")
    elif rest.any():
        need = erlang.staffing_table(table.loc[rest, "reforecast"].to_numpy(float),
                                     issued.interval_s,
                                     table.loc[rest, "aht_s_forecast"].to_numpy(float),
                                     threshold_s=threshold_s, target_sl=target.value)
        table.loc[rest, "required_agents"] = need["agents"]
        # No contacts expected: no agents needed, whether or not an AHT was forecast.
        table.loc[~table["complete"] & (table["reforecast"] == 0), "required_agents"] = 0
        out.notes.append(f"Agents needed (Erlang C) for {target.describe()}, answered within "
                         f"{threshold_s:g} s, for the re-forecast contacts (before shrinkage).")
    out.table, out.forecast, out.reforecast = table, issued, how
    return out
