"""Today against its forecast, interval by interval, for the intraday dashboards and the
wallboard: the issued forecast that describes the viewer's scope
(:func:`reports.selectors.scope_forecast`, the one lookup) beside the actual offered contacts,
the rest of the day re-forecast from the error so far
(:func:`reports.analysis.forecast.reforecast_rest_of_day`), and the agents Erlang C needs in
each remaining interval — worked out queue by queue, each queue's own re-forecast at its own
service-level threshold and the plan's target for it (both from the resolver,
:mod:`reports.semantics`; there is no default of this module's own), then added up across the
queues. Queues answered at different thresholds are never pooled into one Erlang problem."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .analysis import erlang
from .analysis import forecast as fc
from .selectors import ScopeForecast, scope_forecast
from .semantics import sl_thresholds, target_book, threshold_basis
from .vocabulary import METRICS


@dataclass
class TodayAgainstForecast:
    """``table``: one row per interval of the day — ``period_start`` (naive local), ``forecast``
    and ``actual`` offered, ``complete``, ``reforecast`` offered (remaining intervals),
    ``aht_s_forecast``, ``required_agents`` (remaining intervals, Erlang C per queue, added
    up). ``empty`` says why there is nothing to show; ``notes`` say how it was computed."""

    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    forecast: ScopeForecast | None = None
    reforecast: fc.Reforecast | None = None
    notes: list[str] = field(default_factory=list)
    empty: str = ""


def _with_actual(values: pd.DataFrame, actual: pd.DataFrame | None, any_data: bool,
                 now_local, interval_s: int) -> pd.DataFrame:
    """``values`` (period_start, offered, aht_s) as ``forecast``/``aht_s_forecast`` beside the
    ``actual`` offered per interval; an ended interval without a row on a day with data had no
    contacts (0), one on a day without any data is a gap (NaN)."""
    day = values.rename(columns={"offered": "forecast", "aht_s": "aht_s_forecast"})[
        ["period_start", "forecast", "aht_s_forecast"]].reset_index(drop=True)
    if actual is not None and not actual.empty:
        got = (actual.assign(period_start=pd.to_datetime(actual["period_start"]))
               .groupby("period_start")["offered"].sum().rename("actual").reset_index())
        day = day.merge(got, on="period_start", how="left")
        day["actual"] = day["actual"].astype(float)
    else:
        day["actual"] = np.nan
    if any_data:
        done = day["period_start"] + pd.Timedelta(seconds=interval_s) <= pd.Timestamp(now_local)
        day.loc[done, "actual"] = day.loc[done, "actual"].fillna(0)
    return day


def _queue_agents(table: pd.DataFrame, interval_s: int, threshold_s: int, target_sl: float
                  ) -> np.ndarray:
    """Agents one queue needs in each remaining interval of ``table`` (Erlang C at its own
    threshold and target; AHT gaps filled by :func:`reports.analysis.forecast.aht_filled`);
    0 where no contacts are expected, NaN for ended intervals or without any AHT."""
    need = np.full(len(table), np.nan)
    rest = ~table["complete"].to_numpy(bool)
    volume = table["reforecast"].to_numpy(float)
    aht, _ = fc.aht_filled(table["forecast"], table["aht_s_forecast"])
    need[rest & (volume == 0)] = 0
    busy = rest & (volume > 0) & ~np.isnan(aht) & (aht > 0)
    if busy.any():
        need[busy] = erlang.staffing_table(volume[busy], interval_s, aht[busy],
                                           threshold_s=threshold_s, target_sl=target_sl
                                           )["agents"]
    return need


def today_against_forecast(scope, centre, start: dt.datetime, end: dt.datetime,
                           actual: pd.DataFrame, now_local: dt.datetime, queue=None
                           ) -> TodayAgainstForecast:
    """Today's intervals ``[start, end)`` (naive local times; the business day) against the
    forecast of ``scope`` (``queue``: the viewer's filter). ``actual``: offered per 15-minute
    ``period_start`` and queue (``key`` = queue id, the ``queue`` breakdown of the component
    sums). The rest of the day is re-forecast queue by queue (each by its own error so far)
    when the scope's forecast is a sum of queues' forecasts; agents are needed per queue at
    its own threshold and target, then added up, only when every queue that needs a forecast
    has one (no partial sum)."""
    out = TodayAgainstForecast()
    day_date = start.date()
    found = scope_forecast(scope, centre, day_date, day_date, queue=queue)
    out.forecast = found
    if found.empty:
        out.empty = found.empty
        return out
    interval_s = found.interval_s
    window = (found.values["period_start"] >= pd.Timestamp(start)) & (
        found.values["period_start"] < pd.Timestamp(end))
    values = found.values[window]
    if values.empty:
        out.empty = f"The forecast ({found.describe()}) has no interval today."
        return out
    any_data = actual is not None and not actual.empty
    by_queue = {}
    if any_data and "key" in actual:
        for key, rows in actual.groupby("key"):
            by_queue[int(key)] = rows
    table = _with_actual(values, actual, any_data, now_local, interval_s)
    table, how = fc.reforecast_rest_of_day(table, now_local, interval_s)
    table["aht_s_forecast"] = table["aht_s_forecast"].astype(float)
    table["required_agents"] = np.nan
    # Queue by queue: its own forecast, re-forecast by its own error, staffed at its own
    # threshold and target.
    queue_tables = {}
    for queue_id, part in found.parts.items():
        own = found.part_values[queue_id]
        own = own[(own["period_start"] >= pd.Timestamp(start))
                  & (own["period_start"] < pd.Timestamp(end))]
        if own.empty:
            continue
        qt = _with_actual(own, by_queue.get(queue_id), any_data, now_local, part.interval_s)
        queue_tables[queue_id] = fc.reforecast_rest_of_day(qt, now_local, part.interval_s)
    if found.total is None:
        # The scope's re-forecast is the sum of its queues' re-forecasts.
        summed = sum(t.set_index("period_start")["reforecast"] for t, _ in queue_tables.values())
        table["reforecast"] = np.where(
            table["complete"], np.nan,
            table["period_start"].map(summed).to_numpy(float)) if queue_tables else np.nan
        if len(queue_tables) == 1:
            how = next(iter(queue_tables.values()))[1]
            out.notes.append(how.words)
        else:
            scaled = [f"{p.queue} ×{r.ratio:.2f}" for qid, p in sorted(
                found.parts.items(), key=lambda i: str(i[1].queue))
                for _, r in [queue_tables.get(qid, (None, None))]
                if r is not None and not np.isnan(r.ratio)]
            out.notes.append(
                "Rest of the day = each queue's issued forecast scaled by its own error so far"
                + (f" ({'; '.join(scaled)}; the others as issued)." if scaled
                   else ": too few contacts so far in every queue, so all as issued."))
    else:
        out.notes.append(how.words)
    out.notes.append(f"Forecast: {found.describe()}; AHT per interval as forecast.")
    out.table, out.reforecast = table, how
    _agents(out, found, queue_tables, centre, scope, day_date, interval_s)
    return out


def _agents(out, found, queue_tables, centre, scope, day_date, interval_s):
    """``required_agents`` of the remaining intervals: Erlang C per queue at its own threshold
    and the plan's target for it, added across queues — or the reasons there is no figure."""
    table = out.table
    if found.missing:
        out.notes.append(f"Agents needed: no forecast has been issued for "
                         f"{', '.join(found.missing)}, so the agents are not added up.")
        return
    if not queue_tables:
        out.notes.append("Agents needed: queues are staffed each to its own forecast; issue a "
                         "forecast per queue to see them.")
        return
    thresholds = sl_thresholds(centre)
    book = target_book(centre, day_date, day_date + dt.timedelta(days=1), scope)
    lacking, total, basis = [], None, set()
    for queue_id, (qt, _) in sorted(queue_tables.items()):
        part = found.parts[queue_id]
        channel = part.queue.channel
        threshold_s = thresholds.by_queue.get(queue_id, thresholds.by_channel.get(channel))
        target = book.for_slice(queue_id=queue_id, channel=channel).get("service_level")
        if threshold_s is None:
            lacking.append(f"{part.queue} has no service-level threshold configured")
            continue
        if target is None:
            lacking.append(f"no service-level target is in force for {part.queue} in the "
                           "business plan")
            continue
        need = pd.Series(_queue_agents(qt, part.interval_s, threshold_s, target.value),
                         index=qt["period_start"])
        total = need if total is None else total.add(need, fill_value=0)
        basis.add(f"{part.queue} {METRICS['service_level'].fmt(target.value)} within "
                  f"{threshold_basis(threshold_s)}")
    if lacking:
        out.notes.append("Agents needed: " + "; ".join(lacking) + " — so no total is given.")
        return
    rest = ~table["complete"]
    table.loc[rest, "required_agents"] = table.loc[rest, "period_start"].map(total).to_numpy()
    out.notes.append(
        "Agents needed (Erlang C, before shrinkage): worked out queue by queue — each queue's "
        "own forecast re-forecast by its own error, at its own threshold and the business "
        "plan's target for it — then added up, as queues answered apart are staffed apart: "
        + "; ".join(sorted(basis)) + ".")
