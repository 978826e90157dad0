"""The dashboard charts as Plotly figure objects drew them (``stakeholders.figures`` before it
wrote their JSON directly), kept here only as the reference the plain JSON is held equal to
(``test_figure_json.py``)."""
import json

import pandas as pd
import plotly.graph_objects as go

from reports import charts
from stakeholders.figures import AXIS, COMPARISON_COLOUR, FONT, PALETTE, _x, tickformat


def _layout(fig, height=320, **extra):
    settings = dict(
        paper_bgcolor="#fff", plot_bgcolor="#fff", xaxis=AXIS, yaxis=AXIS, font=FONT,
        height=height, colorway=PALETTE,
        margin=dict(l=56, r=16, t=12, b=48), hovermode="x unified",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0),
    )
    fig.update_layout(**{**settings, **extra})
    return fig


def _json(fig):
    # Through Plotly's JSON encoder: numpy arrays, NaN and dates become plain JSON values.
    return json.loads(fig.to_json())


def _adapt(fig, height=320, hovermode=None):
    fig.update_layout(title_text="", height=height)
    _layout(fig, height=height, **({"hovermode": hovermode} if hovermode else {}))
    return _json(fig)


def time_series(table, metrics, breakdown=False, target=None, amber_margin=None, tz="UTC",
                granularity="day", comparison=None):
    """A KPI over time (one line per breakdown value) with its target line and the amber band
    between the target and the target ∓ margin (reports.charts.kpi_time_series); with
    ``comparison`` (``(frame, name)``: the compared span moved onto this period's positions,
    each point keeping its own date in ``compared_start``) a dashed, muted second line."""
    metric = metrics[0]
    band = None
    if target is not None:
        target = float(target)
        margin = float(amber_margin) if amber_margin is not None else (
            0.05 if metric.unit == "ratio" else abs(target) * 0.1)
        worse = -margin if metric.higher_is_better is not False else margin
        band = tuple(sorted((target, target + worse)))
    frame = table.assign(period_start=_x(table))
    fig = charts.kpi_time_series(frame, metric.key, series="key_label" if breakdown else None,
                                 target=target, band=band)
    if breakdown:
        keys = dict(zip(table["key_label"].astype(str), table["key"], strict=False))
        for trace in fig.data:
            if trace.name in keys:
                trace.customdata = [[str(keys[trace.name])]] * len(trace.x)
    if comparison is not None:
        compared, name = comparison
        sub_day = granularity in ("15min", "30min", "hour")
        when = pd.to_datetime(compared["compared_start"])
        # [its own date (a click drills to it), that date in words (hover)]
        own = [list(pair) for pair in zip(
            when.dt.strftime("%Y-%m-%dT%H:%M:%S"),
            when.dt.strftime("%a %d %b %Y %H:%M" if sub_day else "%a %d %b %Y"), strict=True)]
        fig.add_trace(go.Scatter(
            x=_x(compared), y=compared[metric.key].tolist(), mode="lines+markers",
            name=f"vs {name}", connectgaps=False, marker=dict(size=4, color=COMPARISON_COLOUR),
            line=dict(color=COMPARISON_COLOUR, dash="dash", width=1.5),
            customdata=own, meta="comparison",
            hovertemplate=f"%{{customdata[1]}}: %{{y:{metric.d3_format}}}<extra>vs {name}</extra>"))
    fig.update_yaxes(title_text=metric.axis_title, tickformat=tickformat(metric))
    fig.update_xaxes(title_text=f"Local time ({tz})" if granularity in ("15min", "30min", "hour")
                     else f"Period start ({tz})")
    if granularity in ("month", "quarter", "year"):
        fig.update_xaxes(dtick={"month": "M1", "quarter": "M3", "year": "M12"}[granularity],
                         tickformat="%b %Y")
    return _adapt(fig)


def staffing(table, tz):
    fig = charts.staffing_chart(table.assign(period_start=_x(table)))
    fig.update_xaxes(title_text=f"Local time ({tz})")
    return _adapt(fig)


def control_chart(chart, metric, tz):
    fig = charts.control_chart(chart.assign(period_start=_x(chart)), "period_start", "value",
                               metric.label, percent=metric.unit == "ratio")
    fig.update_yaxes(title_text=metric.axis_title, tickformat=tickformat(metric))
    fig.update_xaxes(title_text=f"Period start ({tz})")
    return _adapt(fig)


def intraday(table, tz):
    """Today per interval: actual offered, the forecast as issued and the re-forecast rest of
    the day."""
    actual = table[table["actual"].notna()][["period_start", "actual"]].rename(
        columns={"actual": "offered"})
    forecasts = {"Forecast as issued": table[["period_start", "forecast"]],
                 "Re-forecast": table[table["reforecast"].notna()][["period_start",
                                                                   "reforecast"]]}
    forecasts = {k: v.set_axis(["period_start", "offered_forecast"], axis=1)
                 for k, v in forecasts.items()}
    fig = charts.forecast_chart(actual.assign(period_start=_x(actual)),
                                {k: v.assign(period_start=_x(v)) for k, v in forecasts.items()},
                                value="offered")
    fig.update_xaxes(title_text=f"Local time ({tz})", tickformat="%H:%M")
    # A forecast is fractional: whole-number ticks would repeat (1, 1, 2, 2 …).
    fig.update_yaxes(tickformat=",~f")
    return _adapt(fig)


def forecast_vs_actual(table, metric, tz):
    actual = table[["period_start", "actual"]].rename(columns={"actual": metric.key})
    forecasts = {"Forecast": table[["period_start", "forecast"]].rename(
        columns={"forecast": f"{metric.key}_forecast"})}
    fig = charts.forecast_chart(actual.assign(period_start=_x(actual)),
                                {k: v.assign(period_start=_x(v)) for k, v in forecasts.items()},
                                value=metric.key)
    # Days each a marker: a forecast issued for part of the period shows even for one day.
    fig.update_traces(mode="lines+markers", marker={"size": 5}, selector={"name": "Forecast"})
    # Whole days: a tick per day (at most about ten), never "12:00" between them.
    days = max(1, len(table))
    fig.update_xaxes(title_text=f"Day ({tz})", tickformat="%d %b",
                     dtick=86_400_000 * max(1, round(days / 10)))
    return _adapt(fig)
