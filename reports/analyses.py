"""Read-side orchestration for pages and the API: selector frames → pure analysis → chart JSON
and tables. Nothing here writes; every function takes the caller's ``scope`` and passes it to the
selectors, which restrict every query to it.

Each ``*_report`` returns a plain dict: ``empty`` (bool: no data in scope and period),
``definition`` (metric definitions used), ``charts`` (list of ``{"id", "title", "figure"}`` with
Plotly JSON), ``tables`` and ``findings`` (ranked sentences citing their figure).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

import numpy as np
import pandas as pd
from django.utils import timezone

from contactmis.scope import Scope
from measurements.selectors import quality_caveats
from pathways.constants import Channel

from . import charts
from .analysis import control, interpret, patterns, plan, queueing
from .analysis import erlang as erl
from .analysis import forecast as fc
from .analysis.kpis import service_level_curve, wait_percentiles
from .models import Forecast
from .periods import centre_today
from .selectors import (
    DAILY_GRANULARITIES,
    DIMENSIONS,
    MIXED_UNITS,
    bucket_totals,
    closed_days,
    flow_frame,
    interval_frame,
    kpi_frame,
    period_kpi_frame,
    queue_facts_frame,
    queues_with_contacts,
)
from .semantics import (
    OWN_BASIS,
    apply_overrides,
    definition_periods,
    frame_targets,
    periods_label,
    sl_thresholds,
    target_book,
    threshold_basis,
)
from .vocabulary import fmt_duration

TABLE_KPIS = ("offered", "answered", "abandoned", "short_abandoned", "service_level", "asa_s",
              "aht_s", "abandon_rate", "transfer_rate", "occupancy")


# The longest period the staffing chart draws interval by interval.
STAFFING_CHART_INTERVAL_DAYS = 31

def _chart(chart_id, fig):
    """A chart of a page: a ``go.Figure`` or a figure dict of :mod:`reports.charts`."""
    if isinstance(fig, dict):
        title = fig["layout"]["title"]["text"] or ""
        return {"id": chart_id, "title": title.split("<br>")[0], "figure": charts.spec_json(fig)}
    title = (fig.layout.title.text or "").split("<br>")[0]
    return {"id": chart_id, "title": title, "figure": charts.to_json(fig)}


def _clean(value):
    """JSON-safe value: NaN/NA → None, numpy scalars → Python, timestamps → ISO."""
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict]:
    """DataFrame rows as JSON-safe dicts (NaN → null), column by column: a year of 15-minute
    rows is hundreds of thousands of cells, so numbers are converted in bulk and only the
    other columns value by value (:func:`_clean`)."""
    columns = {str(name) if not isinstance(name, str) else name: _clean_column(frame.iloc[:, i])
               for i, name in enumerate(frame.columns)}
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(),
                                                                    strict=True)] \
        if names else [{} for _ in range(len(frame))]


# Columns whose values :func:`_clean_column` cleans once per distinct value (values of one type,
# so no two equal values of different types — 1 and True — are merged).
_REPEATING = frozenset({"string", "datetime64", "datetime", "date", "timedelta64", "timedelta",
                        "boolean", "categorical"})


def _clean_column(column: pd.Series) -> list:
    """A column's values as :func:`_clean` gives them, numbers converted in bulk."""
    kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else ""
    if kind == "f":
        values = column.to_numpy()
        out = values.tolist()
        for i in np.flatnonzero(~np.isfinite(values)):
            out[i] = None
        return out
    if kind and kind in "iub":
        return column.to_numpy().tolist()
    if kind in ("M", "m") or pd.api.types.infer_dtype(column, skipna=True) in _REPEATING:
        # Periods, segments, bases repeat few values: each distinct value cleaned once, then
        # spread to the rows (every missing value is None).
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        cleaned = [*(_clean(v) for v in uniques), None]  # code -1: missing
        return [cleaned[c] for c in codes.tolist()]
    return [_clean(v) for v in column.to_list()]


def _findings(found):
    return [{"text": f.text, "figure": f.figure, "kind": f.kind,
             "importance": round(f.importance, 1)} for f in interpret.rank(found)]


def plan_versus_actual(frame: pd.DataFrame, found: list[dict], keys: list[str]) -> pd.DataFrame:
    """Each row's figures against the targets in force for it (``found``: one dict of
    :class:`reports.semantics.ResolvedTarget` per row, from :func:`frame_targets`): one row per
    KPI row and metric with a target — ``keys``, ``kpi``, ``actual``, ``target``, ``gap``,
    ``met``, ``attainment``, ``target_from``."""
    columns = set(frame.columns)
    # Rows share their targets (one answer per slice and day): each target described once.
    described = {}
    wanted = []
    for i, targets in enumerate(found):
        for m, t in targets.items():
            if m not in columns:
                continue
            about = described.get(id(t))
            if about is None:
                about = described[id(t)] = (t.value, t.describe(),
                                            "min" if t.higher_is_better else "max")
            wanted.append({"_row": i, "kpi": m, "target": about[0], "target_from": about[1],
                           "direction": about[2]})
    columns = [*keys, "kpi", "actual", "target", "gap", "met", "attainment", "target_from"]
    if not wanted:
        return pd.DataFrame(columns=columns)
    numbered = frame.reset_index(drop=True).assign(_row=range(len(frame)))
    pva = plan.plan_vs_actual(numbered[["_row", *{t["kpi"] for t in wanted}]],
                              pd.DataFrame(wanted), on=["_row"])
    pva = pva.merge(numbered[["_row", *keys]], on="_row").sort_values(["_row", "kpi"])
    return pva[columns].reset_index(drop=True)


def single_target(found: list[dict], metric: str):
    """The one target of ``metric`` every row shares (for a chart's target line), else None."""
    values = {t[metric].value for t in found if metric in t}
    return values.pop() if len(values) == 1 and all(metric in t for t in found) else None


def kpi_report(scope, centre, start, end, granularity="day", by=(), *,
               sl_threshold_s: int | None = None, sl_variant: str | None = None) -> dict:
    """KPIs per period and segment with every service-level variant, charts (KPI series with
    the plan's target, service-level curve, p-charts, XmR of AHT), wait percentiles, the plan's
    targets against the actuals and findings. Thresholds, definitions and targets come from
    :mod:`reports.semantics`; ``sl_threshold_s``/``sl_variant`` are explicit overrides."""
    by = list(by)
    frame = kpi_frame(scope, centre, start, end, granularity, by, all_variants=True,
                      sl_threshold_s=sl_threshold_s, sl_variant=sl_variant)
    definition = frame.attrs.get("definition", "")
    result = {"empty": frame.empty or int(frame["offered"].sum()) == 0 and
              int(frame["handled"].sum()) == 0, "definition": definition, "charts": [],
              "tables": {}, "findings": [], "targets": []}
    if frame.empty:
        return result
    series = by[0] if by else None
    used = frame.attrs["params"][-1]
    found = frame_targets(frame, centre, start, end, scope=scope)
    shown = frame
    if series:  # segments with nothing queued (IVR routing points) would only add flat lines
        shown = frame[frame.groupby(series)["offered"].transform("sum") > 0]
    target_sl = single_target(found, "service_level")
    basis = _basis_text(frame)
    result["charts"].append(_chart("sl", charts.kpi_time_series_spec(
        shown, "service_level", series=series, target=target_sl,
        band=(target_sl - 0.05, min(1.0, target_sl + 0.05)) if target_sl is not None else None,
        definition=f"{definition}; answered within {basis}")))
    for kpi, label in (("offered", "Offered contacts (count)"),
                       ("abandon_rate", "Abandon rate = (abandoned − short) / (offered − short)"),
                       ("asa_s", "ASA = Σ wait of answered / answered"),
                       ("aht_s", "AHT = (talk + hold + ACW) / handled")):
        if kpi != "asa_s":
            result["charts"].append(_chart(kpi, charts.kpi_time_series_spec(
                shown, kpi, series=series, target=single_target(found, kpi), definition=label)))
            continue
        # Waits of channels answered in seconds and in hours never share an axis: one chart
        # each. (Handling times are minutes for every channel: one chart.)
        for suffix, part, in_hours in _by_time_basis(shown, series, frame):
            targets = [t for t, slow in zip(found, _row_is_slow(frame), strict=True)
                       if slow == in_hours]
            result["charts"].append(_chart(kpi + suffix, charts.kpi_time_series_spec(
                part, kpi, series=series, target=single_target(targets, kpi),
                definition=f"{label} ({'h' if in_hours else 's'})", in_hours=in_hours,
                title=(f"{charts.KPI_LABELS[kpi].replace('(s)', '(h)')} — channels answered "
                       "in hours" if in_hours else None) if suffix else None)))
    totals = bucket_totals(scope, centre, start, end)
    one_threshold = frame["sl_threshold_s"].dropna().unique()
    if not totals.empty and len(one_threshold) == 1 and frame["sl_threshold_s"].notna().all():
        curve = service_level_curve(totals.iloc[0], used.short_abandon_s, used.sl_variant)
        result["charts"].append(_chart("sl_curve", charts.service_level_curve(
            curve, int(one_threshold[0]), target_sl, definition=definition)))
        pct = wait_percentiles(totals)
        result["tables"]["wait_percentiles"] = records(pct)
    whole = frame.groupby("period_start", as_index=False)[
        ["answered_within_threshold", "offered", "short_abandoned", "abandoned", "handled"]].sum()
    whole["sl_denominator"] = whole["offered"] - whole["short_abandoned"]
    whole["abandoned_long"] = whole["abandoned"] - whole["short_abandoned"]
    if len(whole) >= 3:
        pchart = control.p_chart(whole, "answered_within_threshold", "sl_denominator")
        result["charts"].append(_chart("sl_pchart", charts.control_chart_spec(
            pchart, "period_start", "p", "Service level p-chart", percent=True,
            definition=f"{definition}; answered within {basis}")))
        ab = control.p_chart(whole, "abandoned_long", "sl_denominator")
        result["charts"].append(_chart("ab_pchart", charts.control_chart_spec(
            ab, "period_start", "p", "Abandon rate p-chart", percent=True,
            definition="Abandon rate = (abandoned − short) / (offered − short)")))
        if frame["aht_s"].notna().any():
            # Σ handle seconds / Σ handled per period (a period with a row whose AHT is not
            # known — mixed units, nothing handled — has no AHT of its whole).
            parts = pd.DataFrame({"period_start": frame["period_start"],
                                  "handle_s": frame["aht_s"].fillna(0) * frame["handled"],
                                  "handled": frame["handled"],
                                  "unknown": frame["aht_s"].isna()})
            sums = parts.groupby("period_start").agg(
                handle_s=("handle_s", "sum"), handled=("handled", "sum"),
                unknown=("unknown", "any"))
            aht_whole = (sums["handle_s"] / sums["handled"]).where(
                (sums["handled"] > 0) & ~sums["unknown"])
            xmr = control.xmr_chart(aht_whole.dropna())
            if len(xmr) >= 3:
                result["charts"].append(_chart("aht_xmr", charts.control_chart_spec(
                    xmr, "at", "value", "AHT XmR chart (s)",
                    definition="AHT = (talk + hold + ACW) / handled per period")))
    cols = ["period_start", *by, *TABLE_KPIS, "sl_basis",
            *[c for c in frame.columns if c.startswith("service_level__")]]
    table = records(frame[cols])
    if granularity in DAILY_GRANULARITIES:  # a day, week or month is a date, not "00:00"
        for row in table:
            row["period_start"] = row["period_start"][:10]
    targeted = [m for m in TABLE_KPIS if any(m in t for t in found)]
    for row, targets in zip(table, found, strict=True):
        for m in targeted:
            row[f"{m}_target"] = targets[m].value if m in targets else None
    result["tables"]["kpis"] = table
    pva = plan_versus_actual(frame, found, ["period_start", *by])
    result["targets"] = records(pva)
    result["tables"]["targets"] = records(pva.drop(columns=["attainment"]))
    breaches = interpret.rank(interpret.breach_findings(
        pva.assign(period_start=_as_text(pva["period_start"],
                                         10 if granularity in DAILY_GRANULARITIES else 16)),
        ["period_start", *by], figure="KPIs by period", limit=5, worst_of_each_kpi=True),
        limit=None)
    found_text = breaches[:5]
    for kpi in sorted(set(pva["kpi"])):
        rows = pva[pva["kpi"] == kpi]
        missed = int((rows["met"] == False).sum())  # noqa: E712
        if missed > 0:
            name = interpret.KPI_NAMES.get(kpi, kpi)
            values = sorted(set(rows["target"]))
            target = interpret.fmt(kpi, values[0]) if len(values) == 1 else "its targets"
            found_text.append(interpret.Finding(
                importance=55, kind="breach_summary", figure="KPIs by period",
                text=(f"{name[:1].upper() + name[1:]} missed "
                      + (f"its target of {target}" if len(values) == 1 else target)
                      + f" in {missed} of {int(rows['met'].notna().sum())} periods and "
                        "segments [figure: KPIs by period]."),
                values={"kpi": kpi, "missed": missed}))
    if pva.empty:
        found_text += interpret.caveat_findings(
            ["no business-plan target is in force for these figures, so none is judged "
             "against one"], figure="KPIs by period")
    # Compared with the comparable span (the one rule): a period still running is compared as
    # its elapsed days with the same days of the period before.
    today = centre_today(centre, timezone.now())
    comparison = patterns.comparable_span(start, end,
                                          as_of=min(end - dt.timedelta(days=1), today))
    whole = period_kpi_frame if all(d in DIMENSIONS for d in by) else None
    if whole is not None:  # the changes compare no occupancy: no agent time to read
        previous = whole(scope, centre, comparison.previous_start, comparison.previous_end, by,
                         sl_threshold_s=sl_threshold_s, sl_variant=sl_variant, agent_time=False)
        current = whole(scope, centre, comparison.start, comparison.end, by,
                        sl_threshold_s=sl_threshold_s, sl_variant=sl_variant, agent_time=False)
    else:
        previous = current = pd.DataFrame()
    if not previous.empty and not current.empty:
        keys = list(by)
        cur, prev = current, previous
        if not keys:
            cur, prev = cur.assign(scope="all"), prev.assign(scope="all")
            keys = ["scope"]
        changes = patterns.period_change(cur, prev, keys,
                                         ["offered", "service_level", "aht_s", "abandon_rate"])
        found_text += interpret.change_findings(changes, ["offered", "service_level", "aht_s",
                                                          "abandon_rate"], keys,
                                                figure=f"Change: {comparison.label}")
    if granularity == "day":
        present = set(frame["period_start"].dt.date)
        days = [start + dt.timedelta(days=i) for i in range((end - start).days)]
        missing = [d for d in days if d not in present]
        if missing:
            found_text += interpret.caveat_findings(
                [f"{len(missing)} of {len(days)} days have no interval data (first: "
                 f"{missing[0]}); totals for the period leave them out"],
                figure="KPIs by period")
    # First of all: how the rows that cover several channels are judged.
    found_text = [replace(f, importance=100.0) for f in interpret.caveat_findings(
        _mixed_notes(frame), figure="KPIs by period")] + found_text
    # Figures built on data whose measurement tests fail, or whose collection raised alerts.
    found_text += interpret.caveat_findings(
        quality_caveats(scope, start, end - dt.timedelta(days=1), centre=centre),
        figure="Measurement tests and data collection")
    result["findings"] = _findings(found_text)
    return result


def _as_text(column: pd.Series, length: int) -> pd.Series:
    """``column.astype(str).str[:length]``, each distinct value written once (a year of
    15-minute rows repeats each period once per segment and KPI)."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    distinct = pd.concat([pd.Series(uniques, dtype=column.dtype),
                          column[codes < 0].iloc[:1]], ignore_index=True)  # then one missing
    text = distinct.astype(str).str[:length]
    return pd.Series(text.to_numpy()[np.where(codes < 0, len(uniques), codes)],
                     index=column.index, dtype=text.dtype)


def _row_is_slow(frame: pd.DataFrame) -> list[bool]:
    """Per row of a KPI frame: does it cover only channels answered in hours (e-mail, web
    forms), by the thresholds the resolver configured?"""
    resolution = frame.attrs.get("resolution")
    if resolution is None or "only_channel" not in frame.columns:  # agent and team rows
        return [False] * len(frame)
    slow = set(resolution.thresholds.slow_channels)
    return [bool(c) and c in slow for c in frame["only_channel"]]


def _by_time_basis(shown: pd.DataFrame, series: str | None, frame: pd.DataFrame):
    """``(chart id suffix, rows, in hours)`` for the time charts of a KPI page: one part when
    every line is answered in seconds (or every one in hours), else the series answered in
    seconds and those answered in hours apart."""
    slow = pd.Series(_row_is_slow(frame), index=frame.index).reindex(shown.index)
    if series is None or not slow.any():
        return [("", shown, bool(len(slow)) and bool(slow.all()))]
    slow_series = shown.loc[slow, series].unique()
    hours = shown[shown[series].isin(slow_series)]
    seconds = shown[~shown[series].isin(slow_series)]
    if seconds.empty:
        return [("", hours, True)]
    return [("", seconds, False), ("_hours", hours, True)]


def _basis_text(frame: pd.DataFrame) -> str:
    """The threshold(s) the service levels of ``frame`` were judged at, in words."""
    bases = [b for b in dict.fromkeys(frame["sl_basis"]) if b]
    if not bases:
        return OWN_BASIS
    return bases[0] if len(bases) == 1 else "each row's threshold (" + ", ".join(bases) + ")"


def _mixed_notes(frame: pd.DataFrame) -> list[str]:
    """Caveats for rows that cover queues with different thresholds or channels measured in
    seconds and in hours."""
    notes = []
    resolution = frame.attrs.get("resolution")
    if resolution is not None and len(resolution.periods) > 1:
        notes.append("the service-level definition changed during the period ("
                     + periods_label(resolution.periods) + "); each day is counted by the "
                     "version in force on it")
    mixed = frame[frame["sl_threshold_s"].isna() & (frame["offered"] > 0)]
    if len(mixed) and resolution is not None:
        thresholds = sorted({*resolution.thresholds.by_queue.values(),
                             *resolution.thresholds.by_channel.values(),
                             *(p.params.sl_threshold_s for p in resolution.periods)})
        notes.append(f"where a row covers queues with different service-level thresholds "
                     f"({', '.join(fmt_duration(t) for t in thresholds)}), its service level "
                     "counts each contact against its own queue's threshold; segment by queue "
                     "or channel to see each")
    if (frame.get("time_basis", pd.Series(dtype=str)) == MIXED_UNITS).any():
        notes.append("ASA and AHT are left out of rows that mix channels answered in seconds "
                     "with channels answered in hours; segment by channel to see them")
    return notes


def pattern_report(scope, centre, start, end) -> dict:
    """Intraday profile per weekday, weekday × hour heatmap, daily trend with moving average and
    STL, weekday and month-of-year seasonality, peaks, year over year and pathway flows (Sankey).

    ``daily`` has one record per local day of the period up to today (``date``, ``offered`` —
    null on a day with no data — and ``status``: data, no_data or closed); ``weekday`` one row per
    weekday, Monday first, with the mean over the days with data. Days with no data are gaps in
    every series and mean, and named in ``gaps`` and a caveat."""
    # Patterns are of volumes: no handling or agent time (which would read the per-agent rollup).
    frame = interval_frame(scope, centre, start, end,
                           fields=("offered", "answered", "abandoned", "handled"))
    result = {"empty": frame.empty or frame["offered"].sum() == 0,
              "definition": "Offered = contacts that entered a queue, counted in the interval "
                            "of arrival (centre's local time); profiles are means per day with "
                            "data; days with no data are gaps, not zeros.",
              "charts": [], "tables": {}, "findings": [], "daily": [], "weekday": [],
              "gaps": []}
    flows = flow_frame(scope, centre, start, end)
    if not flows.empty:
        sankey = patterns.pathway_flows(flows)
        if not sankey.empty:
            result["charts"].append(_chart("sankey", charts.sankey(
                sankey, definition="Volumes per transition: IVR containment, queue outcomes, "
                                   "transfers and escalations")))
            result["empty"] = False
    if frame.empty or frame["offered"].sum() == 0:
        return result
    today = centre_today(centre, timezone.now())
    until = min(end, today + dt.timedelta(days=1))
    closed = closed_days(centre, start, until)
    prof = patterns.intraday_profile(frame, "offered", 30)
    prof["weekday_name"] = pd.Categorical(prof["weekday"].map(dict(enumerate(patterns.WEEKDAYS))),
                                          categories=patterns.WEEKDAYS, ordered=True)
    prof["period_start"] = pd.to_datetime("2000-01-01") + pd.to_timedelta(
        prof["local_minute"], unit="min")
    fig = charts.kpi_time_series(prof.rename(columns={"mean_per_day": "offered"}), "offered",
                                 series="weekday_name",
                                 definition="Mean offered per 30 minutes on each weekday "
                                            "(days with data)")
    fig.update_layout(title={"text": "Intraday profile by weekday"})
    fig.update_xaxes(tickformat="%H:%M")
    result["charts"].append(_chart("profile", fig))
    result["charts"].append(_chart("heatmap", charts.heatmap(
        patterns.weekday_hour_heatmap(frame), "Offered per day: weekday × hour",
        definition="Mean offered contacts per day with data in each local hour")))
    daily = patterns.daily_series(frame, start=start, end=until)
    status = patterns.day_status(daily, closed)
    result["daily"] = [{"date": d.date().isoformat(), "offered": _clean(v),
                        "status": st} for d, v, st in zip(daily.index, daily.to_numpy(),
                                                          status.to_numpy(), strict=True)]
    gaps = patterns.gap_caveats(daily, closed)
    result["gaps"] = gaps
    present = daily.notna().sum()
    ma = patterns.moving_average(daily, 7)
    trend = pd.DataFrame({"period_start": daily.index, "offered": daily.to_numpy(),
                          "ma7": ma.to_numpy()})
    fig = charts.kpi_time_series(trend, "offered", definition=(
        "Daily offered (days with no data are gaps) with 7-day centred moving average of the "
        "days with data (needs 4 of 7)" + (" and STL trend" if present >= 15 else "")))
    fig.add_scatter(x=trend["period_start"], y=trend["ma7"], name="7-day moving average",
                    connectgaps=False, line={"color": charts.COLOURS["forecast"]})
    if present >= 15:
        stl = patterns.stl_decomposition(daily)
        fig.add_scatter(x=stl.index, y=stl["trend"], name="STL trend", connectgaps=False,
                        line={"color": charts.COLOURS["secondary"], "dash": "dot"})
    fig.update_layout(title={"text": "Daily volume and trend"})
    result["charts"].append(_chart("trend", fig))
    weekday = patterns.weekday_means(daily, closed)
    result["weekday"] = records(weekday)
    result["tables"]["weekday"] = records(weekday.drop(columns=["weekday"]))
    season = patterns.seasonality(daily)
    result["tables"]["month_of_year"] = records(season["month_of_year"])
    result["tables"]["week_of_year"] = records(season["week_of_year"])
    result["tables"]["peaks"] = records(patterns.peaks(daily, 5))
    result["tables"]["year_over_year"] = records(patterns.year_over_year(daily, as_of=today))
    anomalies = control.interval_of_week_anomalies(
        frame[["period_start", "weekday", "local_minute", "offered"]], "offered", 8)
    flagged = anomalies[anomalies["anomaly"]].reindex(
        anomalies.loc[anomalies["anomaly"], "robust_z"].abs().sort_values(ascending=False).index)
    result["tables"]["anomalies"] = records(flagged.head(20)[
        ["period_start", "offered", "baseline", "robust_z"]])
    found = []
    if not flagged.empty:
        worst = flagged.iloc[0]
        found.append(interpret.Finding(
            importance=60, kind="anomaly", figure="Interval-of-week anomalies",
            text=(f"{len(flagged)} intervals were unusual for their time of week; the largest: "
                  f"{worst['offered']:,.0f} contacts at {worst['period_start']:%Y-%m-%d %H:%M} "
                  f"against a usual {worst['baseline']:,.0f} [figure: Interval-of-week "
                  "anomalies].")))
    top = patterns.peaks(daily, 1).iloc[0]
    found.append(interpret.Finding(
        importance=40, kind="peak",
        text=(f"The busiest day was {pd.Timestamp(top['at']).date()} with "
              f"{top['value']:,.0f} contacts offered, {top['ratio_to_median']:.1f}× the median "
              "day with data [figure: Daily volume and trend]."),
        figure="Daily volume and trend"))
    found += interpret.caveat_findings(gaps, figure="Daily volume and trend")
    result["findings"] = _findings(found)
    return result


def analysis_queues(scope, centre, start, end, queue=None, channel: str = "") -> dict:
    """Which queues a staffing or queueing analysis is about: ``queue`` (a Queue inside
    ``scope``), else every queue of ``channel`` in scope, else by default the first voice queue
    in scope that had contacts in [start, end) (else the first voice queue). Never several
    channels pooled. Returns ``queues`` (list), ``label`` (what is shown), ``chosen`` ("queue",
    "channel" or "default") and ``scope`` narrowed to those queues; no queues → ``prompt``
    says what to choose."""
    from pathways.constants import QueueKind
    from pathways.models import Queue

    in_scope = Queue.objects.restrict(scope).filter(centre=centre).exclude(kind=QueueKind.IVR)
    if queue is not None:
        queues, label, chosen = [q for q in in_scope if q.pk == queue.pk], str(queue), "queue"
    elif channel:
        queues = list(in_scope.filter(channel=channel))
        label, chosen = f"all {channel.replace('_', ' ')} queues", "channel"
    else:
        voice = list(in_scope.filter(channel="voice"))
        busy = queues_with_contacts(scope, centre, start, end) if voice else set()
        first = next((q for q in voice if q.pk in busy), voice[0] if voice else None)
        queues = [first] if first else []
        label, chosen = (f"{first} (the first voice queue in scope)" if first else ""), "default"
    out = {"queues": queues, "label": label, "chosen": chosen, "prompt": ""}
    if not queues:
        out["prompt"] = ("No queue in your scope matches this choice: choose a queue or a "
                         "channel above.")
    out["scope"] = narrowed_to_queues(scope, [q.pk for q in queues])
    return out


def narrowed_to_queues(scope, queue_ids) -> Scope:
    """``scope`` narrowed to ``queue_ids`` (never widened: a queue outside it stays out)."""
    scope = scope if scope is not None else Scope.everything()
    ids = frozenset(queue_ids)
    # A new Scope (the request's is a lazy proxy, which dataclasses.replace refuses).
    return Scope(queue_ids=ids if scope.queue_ids is None else scope.queue_ids & ids,
                 channels=scope.channels, sites=scope.sites, pathway_ids=scope.pathway_ids,
                 segments=scope.segments, label=scope.label)


def staffing_report(scope, centre, start, end, *, queue=None, channel: str = "",
                    target_sl: float | None = None, threshold_s: int | None = None,
                    shrinkage: float = 0.3, max_occupancy=None, patience="none") -> dict:
    """Required agents per interval (Erlang C, or Erlang A with patience estimated from the
    period's queue legs when ``patience == "estimate"``) against staffed agents, per queue.

    Each queue (``queue``, every queue of ``channel``, or the first voice queue in scope: see
    :func:`analysis_queues`) is computed on its own, at its configured service-level threshold
    and the business plan's service-level target in force for it
    (:mod:`reports.semantics`); a channel's requirement is the sum of its queues' — contacts
    of different queues or channels are never pooled into one Erlang C. ``target_sl`` (0..1)
    and ``threshold_s`` are explicit overrides, shown as such. A queue with no target in the
    plan and none given is not computed; ``no_target`` names it. Actual agents = staffed
    seconds (agent-state feeds, :func:`reports.selectors.agent_time_frame`) / interval length;
    empty (a gap, not zero) where no feed covers the queue."""
    chosen = analysis_queues(scope, centre, start, end, queue, channel)
    # ``empty`` until a queue is computed; ``prompt`` then says why nothing was.
    result = {"empty": True, "charts": [], "tables": {}, "findings": [], "definition": "",
              "selection": chosen["label"], "selection_kind": chosen["chosen"],
              "prompt": chosen["prompt"], "queues": [], "no_target": []}
    if not chosen["queues"]:
        return result
    thresholds = sl_thresholds(centre, override_s=threshold_s)
    default_s = definition_periods(centre, start, end)[-1].params.sl_threshold_s
    book = target_book(centre, start, end, scope)
    overrides = {"service_level": target_sl} if target_sl is not None else None
    parts, notes = [], []
    for q in chosen["queues"]:
        t_s = thresholds.for_row(q.pk, q.channel, default_s)
        target = apply_overrides(book.for_slice(queue_id=q.pk, metrics={"service_level"}),
                                 overrides).get("service_level")
        if target is None:
            result["no_target"].append(str(q))
            continue
        part = _queue_staffing(scope, centre, start, end, q, t_s, target.value, shrinkage,
                               max_occupancy, patience)
        if part is None:
            continue
        table, patience_s = part
        parts.append(table)
        basis = threshold_basis(t_s, thresholds)
        result["queues"].append({"queue": str(q), "queue_id": q.pk, "threshold_s": t_s,
                                 "threshold_basis": basis, "target_sl": target.value,
                                 "target_from": target.describe(), "patience_s": patience_s})
        model = (f"Erlang A (patience {patience_s:.0f} s estimated from the period's "
                 "abandonments; SL = answered within T / offered)") if patience_s else "Erlang C"
        notes.append(f"{q}: {model}, {target.describe()}, answered within {basis}")
    if result["no_target"]:
        result["prompt"] = (f"No service-level target is in force in the business plan for "
                            f"{', '.join(result['no_target'])}: set one in the plan, or give a "
                            "target here, to compute the agents required.")
    if not parts:
        return result
    detail = pd.concat(parts, ignore_index=True)
    if len(parts) == 1:
        table = detail.drop(columns=["queue", "queue_id"])
    else:
        grouped = detail.groupby("period_start")
        table = grouped[["offered", "traffic_erlangs", "required_agents",
                         "scheduled_agents"]].sum()
        # No queue with staffed time in an interval: a gap, not zero agents.
        table["actual_agents"] = grouped["actual_agents"].sum(min_count=1)
        table = table.reset_index()
    result["empty"] = int(table["offered"].sum()) == 0
    result["definition"] = ("; ".join(notes) + f"; shrinkage {shrinkage:.0%}"
                            + (f"; max occupancy {max_occupancy:.0%}" if max_occupancy else "")
                            + ("; the channel's requirement is the sum of its queues' (each "
                               "its own Erlang C)" if len(parts) > 1 else "")
                            + "; actual = staffed seconds / interval length")
    result["patience_s"] = result["queues"][0]["patience_s"] if len(parts) == 1 else None
    # Over a long period every 15-minute interval is tens of thousands of points per line (a
    # page of megabytes no one can read): the chart then shows each day's busiest interval,
    # the one a day is staffed for; the table and the downloads keep every interval.
    chart_frame, chart_note = table, ""
    day = table["period_start"].dt.normalize()
    if day.nunique() > STAFFING_CHART_INTERVAL_DAYS:
        busiest = (table.assign(_day=day).sort_values("required_agents", na_position="first")
                   .groupby("_day").tail(1).sort_values("period_start"))
        chart_frame = busiest.assign(period_start=busiest["_day"]).drop(columns="_day")
        chart_note = (f"; over more than {STAFFING_CHART_INTERVAL_DAYS} days the chart shows "
                      "each day's busiest interval (the table and downloads hold every "
                      "interval)")
    result["charts"].append(_chart("staffing", charts.staffing_chart(
        chart_frame, definition=result["definition"] + chart_note)))
    result["tables"]["intervals"] = records(table)
    if len(parts) > 1:
        result["tables"]["queues"] = records(detail)
    if table["actual_agents"].notna().any():
        result["findings"] = _findings(interpret.staffing_findings(
            table.dropna(subset=["actual_agents"]).assign(
                period_start=table["period_start"].dt.strftime("%Y-%m-%d %H:%M"))))
    return result


def forecast_staffing_report(scope, centre, forecast: Forecast, *, target_sl: float | None = None,
                             threshold_s: int | None = None, shrinkage: float = 0.3,
                             max_occupancy=None) -> dict:
    """Agents required per interval to answer an issued forecast (its volume and AHT per
    interval) with Erlang C, at the forecast queue's configured service-level threshold and the
    business plan's target in force over the forecast's days (:mod:`reports.semantics`);
    ``target_sl``/``threshold_s`` are explicit overrides. A forecast of several queues together
    is not staffed (queues are never pooled into one Erlang C): ``prompt`` says so. Where the
    forecast days have passed, the actual offered contacts and staffed agents stand beside."""
    q = forecast.queue
    result = {"empty": True, "charts": [], "tables": {}, "findings": [], "definition": "",
              "forecast": forecast, "queues": [], "no_target": [], "prompt": ""}
    if q is None:
        result["prompt"] = ("This forecast covers every queue in scope together; agents are "
                            "computed queue by queue (each at its own threshold and target), so "
                            "issue a forecast for one queue to staff to it.")
        return result
    start, end = forecast.horizon_start, forecast.horizon_end
    thresholds = sl_thresholds(centre, override_s=threshold_s)
    default_s = definition_periods(centre, start, end)[-1].params.sl_threshold_s
    t_s = thresholds.for_row(q.pk, q.channel, default_s)
    overrides = {"service_level": target_sl} if target_sl is not None else None
    target = apply_overrides(target_book(centre, start, end, scope).for_slice(
        queue_id=q.pk, metrics={"service_level"}), overrides).get("service_level")
    if target is None:
        result["no_target"].append(str(q))
        result["prompt"] = (f"No service-level target is in force in the business plan for {q} "
                            f"between {start} and {end}: set one in the plan, or give a target "
                            "here, to compute the agents required.")
        return result
    values = pd.DataFrame(forecast.values)
    values["period_start"] = pd.to_datetime(values["period_start"])
    offered = values["offered"].astype(float).to_numpy()
    # An interval whose AHT the history could not say (nothing handled then): the forecast's
    # own volume-weighted AHT (a ratio of sums), named in the definition.
    filled, overall = fc.aht_filled(offered, values["aht_s"])
    aht = pd.to_numeric(values["aht_s"], errors="coerce").to_numpy(float)
    if np.isnan(overall):
        result["prompt"] = "The forecast has no handle time to staff with (nothing handled)."
        return result
    interval_s = np.full(len(values), float(forecast.interval_s))
    out = erl.staffing_table(offered, interval_s, filled, t_s, target_sl=target.value,
                             shrinkage=shrinkage, max_occupancy=max_occupancy)
    table = pd.DataFrame({
        "period_start": values["period_start"], "forecast_offered": offered,
        "forecast_handle_time_s": filled, "traffic_erlangs": out["traffic_erlangs"],
        "required_agents": out["agents"], "scheduled_agents": out["scheduled_agents"],
        "service_level": out["service_level"], "asa_s": out["asa_s"]})
    narrowed = narrowed_to_queues(scope, [q.pk])
    actual = interval_frame(narrowed, centre, start, end, queue_ids=[q.pk])
    if not actual.empty:
        actual = actual.groupby("period_start", as_index=False)[["offered", "staffed_s"]].sum(
            min_count=1)
        actual["actual_agents"] = np.where(actual["staffed_s"] > 0,
                                           actual["staffed_s"] / forecast.interval_s, np.nan)
        table = table.merge(actual[["period_start", "offered", "actual_agents"]]
                            .rename(columns={"offered": "actual_offered"}),
                            on="period_start", how="left")
    basis = threshold_basis(t_s, thresholds)
    result["queues"].append({"queue": str(q), "queue_id": q.pk, "threshold_s": t_s,
                             "threshold_basis": basis, "target_sl": target.value,
                             "target_from": target.describe(), "patience_s": None})
    result["empty"] = False
    result["definition"] = (
        f"Staffed to the forecast “{forecast}” (issued {forecast.issued_at:%Y-%m-%d %H:%M}): "
        f"{q}, Erlang C, {target.describe()}, answered "
        f"within {basis}; shrinkage {shrinkage:.0%}"
        + (f"; max occupancy {max_occupancy:.0%}" if max_occupancy else "")
        + (f"; intervals without a forecast AHT use the forecast's overall {overall:.0f} s"
           if (np.isnan(aht) & (offered > 0)).any() else "")
        + ("; actual = staffed seconds / interval length" if "actual_agents" in table else ""))
    result["totals"] = {"offered_forecast": float(offered.sum()),
                        "peak_required": int(table["required_agents"].max()),
                        "agent_hours": float(table["required_agents"].sum()
                                             * forecast.interval_s / 3600)}
    result["charts"].append(_chart("staffing", charts.staffing_chart(
        table, definition=result["definition"])))
    result["tables"]["intervals"] = records(table)
    return result


def _queue_staffing(scope, centre, start, end, queue, threshold_s, target_sl, shrinkage,
                    max_occupancy, patience):
    """One queue's staffing table per interval, or None when it had no contacts."""
    narrowed = narrowed_to_queues(scope, [queue.pk])
    frame = interval_frame(narrowed, centre, start, end, queue_ids=[queue.pk])
    if frame.empty or frame["offered"].sum() == 0:
        return None
    interval_s = frame["interval_s"].astype(float).to_numpy()
    overall_aht = frame["handle_s"].sum() / max(frame["handled"].sum(), 1)
    aht = np.where(frame["handled"] > 0, frame["handle_s"] / frame["handled"].clip(lower=1),
                   overall_aht)
    aht = np.where(aht > 0, aht, 180.0)
    patience_s = None
    if patience == "estimate":
        facts = queue_facts_frame(narrowed, centre, start, end)
        if not facts.empty and facts["abandoned"].any():
            patience_s = queueing.patience(facts).mean_patience_s
    out = erl.staffing_table(frame["offered"].to_numpy(float), interval_s, aht, threshold_s,
                             target_sl=target_sl, shrinkage=shrinkage,
                             max_occupancy=max_occupancy, patience_s=patience_s)
    staffed = pd.to_numeric(frame["staffed_s"]).to_numpy(float)
    return pd.DataFrame({
        "period_start": frame["period_start"], "queue": str(queue), "queue_id": queue.pk,
        "offered": frame["offered"], "aht_s": aht, "traffic_erlangs": out["traffic_erlangs"],
        "required_agents": out["agents"], "scheduled_agents": out["scheduled_agents"],
        "actual_agents": np.where(staffed > 0, staffed / interval_s, np.nan),
        "service_level": out["service_level"], "asa_s": out["asa_s"],
    }), patience_s


def forecast_report(scope, centre, forecast: Forecast | None = None) -> dict:
    """Issued forecasts of the scope, and for ``forecast`` its values against the actuals that
    have arrived since (WAPE and bias per interval and overall)."""
    issued = Forecast.objects.restrict(scope).filter(centre=centre).select_related(
        "queue", "issued_by")[:50]
    result = {"empty": not issued, "forecasts": list(issued), "charts": [], "tables": {},
              "findings": [], "definition": "WAPE = Σ|F − A| / ΣA; bias = Σ(F − A) / ΣA "
                                            "(positive = over-forecast)"}
    if forecast is None:
        return result
    values = pd.DataFrame(forecast.values)
    values["period_start"] = pd.to_datetime(values["period_start"])
    values = values.rename(columns={"offered": "offered_forecast", "aht_s": "aht_s_forecast"})
    actual = interval_frame(scope, centre, forecast.horizon_start, forecast.horizon_end,
                            queue_ids=[forecast.queue_id] if forecast.queue_id else None)
    acc = fc.accuracy_by_interval(actual[["period_start", "offered"]], values) \
        if not actual.empty else None
    result["selected"] = forecast
    result["models"] = [{**row, "chosen": row["method"] == forecast.method}
                        for row in forecast.backtest or []]
    if result["models"]:
        result["tables"]["models"] = [
            {"model": row["label"], "chosen": row["chosen"],
             "daily_wape": row["daily_wape"], "daily_bias": row["daily_bias"],
             "interval_wape": row["interval_wape"], "interval_bias": row["interval_bias"],
             "held_out_weeks": row["weeks"]} for row in result["models"]]
    result["selection"] = forecast.selection or (
        f"{forecast.method_label} was chosen by the person who issued it."
        if result["models"] else "")
    daily = None
    if acc is not None:
        days = acc.dropna(subset=["offered"]).assign(
            day=lambda f: pd.to_datetime(f["period_start"]).dt.normalize())
        daily = fc.accuracy_by_period(
            values, days.groupby("day", as_index=False)["offered"].sum(), "D")
    result["accuracy"] = {"wape": _clean(acc.attrs["wape"]), "bias": _clean(acc.attrs["bias"]),
                          "daily_wape": _clean(daily.attrs["wape"]),
                          "daily_bias": _clean(daily.attrs["bias"]), "days": len(daily),
                          "actual_total": float(acc["offered"].sum())} if acc is not None \
        else None
    result["charts"].append(_chart("forecast", charts.forecast_chart(
        actual if not actual.empty else None,
        {forecast.method_label: values},
        definition=f"Issued {forecast.issued_at:%Y-%m-%d %H:%M}; " + result["definition"])))
    result["tables"]["intervals"] = records(acc if acc is not None else values)
    if acc is not None:
        result["findings"] = _findings(interpret.forecast_findings(pd.DataFrame(
            {"method": [forecast.method_label], "wape": [daily.attrs["wape"]],
             "bias": [daily.attrs["bias"]]}), figure="Forecast versus actual, daily totals"))
    return result


def backtest_report(scope, centre, history_start, history_end, holdout_weeks=2, queue=None
                    ) -> dict:
    """Back-test both methods on held-out weeks of the history (no forecast is kept)."""
    frame = interval_frame(scope, centre, history_start, history_end,
                           queue_ids=[queue.pk] if queue else None)
    if frame.empty or frame["offered"].sum() == 0:
        return {"empty": True, "summary": [], "folds": []}
    # Days without data are gaps in the history (NaN), closed days are zeros.
    grid = fc.complete_grid(frame[["period_start", "offered", "handled", "handle_s"]],
                            start=history_start, end=history_end,
                            closed=closed_days(centre, history_start, history_end))
    bt = fc.backtest(grid, holdout_weeks=holdout_weeks)
    return {"empty": bt.folds.empty, "summary": records(bt.summary), "folds": records(bt.folds)}


def _channels(codes) -> str:
    """Channel codes as their names, in order: "Chat, Voice"."""
    return ", ".join(sorted(Channel(c).label if c in Channel.values else c for c in codes))


def queueing_report(scope, centre, start, end, *, queue=None, channel: str = "",
                    by: str | None = None, queued_only: bool = False, source=None,
                    tz: str | None = None) -> dict:
    """Queueing science of the period's queue legs, overall or per customer segment, contact
    type, queue or channel (``by``), over every call that reached the queue or only those that
    waited (``queued_only``): patience (Kaplan–Meier restricted mean as the headline, median
    with its interval, exponential and regression estimates as checks), abandonment hazard and
    its peak, waits of answered and abandoned calls, service times (lognormal fit, short-service
    share, against offered load) and Erlang A calibrated per group. ``queue``/``channel`` narrow
    the calls (:func:`analysis_queues`); neither: every queue in scope. Groups carry the fields
    of ``manage.py queueing`` (see :mod:`reports.queueing_science`)."""
    from . import queueing_science as qs

    chosen = None
    if queue is not None or channel:
        chosen = analysis_queues(scope, centre, start, end, queue, channel)
        scope = chosen["scope"]
    legs = qs.queue_legs(scope, centre, start, end, source=source, tz=tz)
    label = chosen["label"] if chosen else "every queue in scope"
    result = {"empty": legs.empty, "charts": [], "tables": {}, "findings": [], "groups": [],
              "selection": label, "selection_kind": chosen["chosen"] if chosen else "all",
              "prompt": chosen["prompt"] if chosen else "", "by": by or "",
              "by_label": qs.BY_LABELS.get(by, ""),
              "short_service_population": qs.SHORT_SERVICE_POPULATION,
              "queued_only": queued_only, "population": qs.POPULATIONS[queued_only],
              "definition": f"{label}: {qs.POPULATIONS[queued_only]}. Patience: Kaplan–Meier "
                            "with abandonment as the event and service as censoring; service "
                            "time = talk + hold of the answering agent's leg."}
    if legs.empty:
        return result
    result["truncated"] = legs.attrs["truncated"]
    present = set(legs["channel"])
    slow = set(sl_thresholds(centre).slow_channels) if by is None and len(present) > 1 \
        else set()
    if present & slow and present - slow:
        # Patience in seconds and patience in hours are never one headline: the calls are
        # read per channel, and the page says why.
        by = "channel"
        result.update(by=by, by_label=qs.BY_LABELS[by], note=(
            "Broken down by channel: contacts answered in seconds (" + _channels(present - slow)
            + ") and in hours (" + _channels(present & slow) + ") are never pooled into one "
            "patience or wait."))
    if len(present) > 1 and by not in ("channel", "queue"):  # a queue is one channel
        result["caveat"] = ("Calls of several channels are pooled here: choose a channel, or "
                            "break down by channel, to read each on its own.")
    out = qs.analyse(legs, by, queued_only, centre=centre, start=start, end=end, scope=scope,
                     with_detail=True)
    result["empty"] = not out["groups"]
    result["calls"] = out["calls"]
    result["unassigned_share"] = out["unassigned_share"]
    result["unassigned_keys"] = out["unassigned_keys"]
    shown = out["groups"][:8]
    kms = {g["key"]: g["_km"][g["_km"]["time_s"] <= 900] for g in shown}
    hazards = {g["key"]: g["_hazard"] for g in shown}
    what = qs.BY_LABELS.get(by, "")
    result["charts"].append(_chart("km", charts.survival_by_group_chart(
        kms, definition=result["definition"]
        + (f" One curve per {what} (largest eight)." if by else ""))))
    result["charts"].append(_chart("hazard", charts.hazard_by_group_chart(
        hazards, definition=f"Abandons ÷ seconds waited by callers still waiting, per "
                            f"{queueing.HAZARD_BIN_S} s bin; the peak is read after the first "
                            f"{queueing.HAZARD_PEAK_AFTER_S} s")))
    first = out["groups"][0]
    if first["_fit"] is not None:
        fit = first["_fit"]
        result["charts"].append(_chart("service", charts.service_time_chart(
            first["_service"], fit.mu, fit.sigma, queueing.SHORT_SERVICE_S,
            definition=f"{first['key']}: answered calls with an agent's service time; under "
                       f"{queueing.SHORT_SERVICE_S} s removed ({fit.removed_short:,}); KS D = "
                       f"{fit.ks_statistic:.3f}, QQ r = {fit.qq_correlation:.4f}")))
    erlang_rows = []
    for g in out["groups"]:
        intervals = g["erlang_a"].pop("_intervals", None)
        if intervals is not None and not intervals.empty:
            erlang_rows.append(intervals.assign(key=g["key"]))
        for k in ("_km", "_hazard", "_fit", "_service"):
            g.pop(k, None)
    if erlang_rows:
        result["tables"]["erlang_a_intervals"] = records(
            pd.concat(erlang_rows, ignore_index=True)[
                ["key", "period_start", "offered", "agents", "abandon_share",
                 "predicted_abandon", "wait_s", "predicted_wait_s", "required_agents"]])
        result["charts"].append(_chart("erlang_a", charts.erlang_a_check_chart(
            pd.concat(erlang_rows, ignore_index=True),
            definition="Per hour, offered-weighted: observed abandon share against Erlang A's "
                       "prediction with each group's own patience, service times and agents")))
    result["groups"] = out["groups"]
    result["findings"] = _findings([
        interpret.Finding(importance=50 - i, kind="patience", figure=f"Patience — {g['key']}",
                          text=f"{g['key']}: {text}")
        for i, g in enumerate(out["groups"][:3]) for text in g["sentences"][:3:2]])
    return result
