"""Plotly figures for dashboard widgets: one palette; labels, units and number formats are the
metric vocabulary's (``reports.vocabulary``).

Figures are returned as plain dicts (``fig.to_plotly_json()``) so templates embed them as JSON
and the browser draws them with the local Plotly bundle. Time axes are the centre's local time
(the frames carry naive local ``period_start``); each axis title says which zone.
"""
from __future__ import annotations

import functools
import json
import math

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from _plotly_utils.utils import convert_to_base64

from reports import charts
from reports.vocabulary import fmt_duration

# The analysis engine's colours first, so dashboards and analysis pages look alike.
PALETTE = [charts.COLOURS["actual"], charts.COLOURS["forecast"], "#1a7f37",
           charts.COLOURS["secondary"], "#c62828", "#00838f", "#6d4c41", "#5c6bc0", "#9e9d24",
           "#ad1457"]
TARGET = charts.COLOURS["target"]
# The comparison line (previous span, same span last year): muted, dashed, behind the figure.
COMPARISON_COLOUR = charts.COLOURS["baseline"]
AMBER_BAND = "rgba(178, 106, 0, 0.12)"
GREEN_BAND = "rgba(26, 127, 55, 0.08)"
FONT = dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=12,
            color="#1d2733")


def _nan(value):
    return value is None or (isinstance(value, float) and math.isnan(value))


def tickformat(metric):
    """Axis ticks: whole percentages on a ratio axis; hover text and labels use the metric's
    own format (``reports.vocabulary``)."""
    return ".0%" if metric.unit == "ratio" else metric.d3_format


def trend_arrow(metric, value, previous) -> dict:
    """Direction of change against the previous period and whether that is good."""
    if _nan(value) or _nan(previous):
        return {"symbol": "", "text": "no earlier data", "good": None}
    delta = float(value) - float(previous)
    if abs(delta) < 1e-12:
        return {"symbol": "→", "text": "unchanged", "good": None}
    symbol = "▲" if delta > 0 else "▼"
    good = None if metric.higher_is_better is None else (delta > 0) == metric.higher_is_better
    if metric.unit == "ratio":
        text = f"{delta * 100:+.1f} pts"
    elif metric.unit == "seconds":
        text = ("+" if delta > 0 else "-") + fmt_duration(abs(delta))
    elif float(previous):
        text = f"{delta / float(previous):+.1%}"
    else:
        text = f"{delta:+,.0f}"
    return {"symbol": symbol, "text": text, "good": good}


# A light look set directly: Plotly's named templates are deep-copied on every figure and cost
# tens of milliseconds each.
AXIS = dict(gridcolor="#e8edf2", linecolor="#c9d3dd", zerolinecolor="#d9e0e7", automargin=True)


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


def _x(frame):
    return pd.to_datetime(frame["period_start"]).dt.strftime("%Y-%m-%dT%H:%M:%S").tolist()


@functools.cache
def _default_template() -> dict:
    """The layout template Plotly gives a figure that names none (as plain JSON)."""
    return json.loads(go.Figure().to_json())["layout"]["template"]


def sparkline(x, y, metric):
    """The tile's small line: the figure ``go.Figure(go.Scatter(...))`` gives, written as its
    JSON directly (a Plotly figure object costs tens of milliseconds, four tiles a dashboard)."""
    trace = {"fill": "tozeroy", "fillcolor": "rgba(11,92,173,.08)",
             "hovertemplate": f"%{{x}}<br>%{{y:{metric.d3_format}}}<extra></extra>",
             "line": {"color": PALETTE[0], "width": 2}, "mode": "lines",
             "x": pd.to_datetime(x).dt.strftime("%Y-%m-%dT%H:%M:%S").tolist(), "y": list(y),
             "type": "scatter"}
    layout = {"template": _default_template(), "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
              "xaxis": {"visible": False}, "yaxis": {"visible": False}, "paper_bgcolor": "#fff",
              "plot_bgcolor": "#fff", "height": 60, "showlegend": False}
    # Through Plotly's JSON encoder, as a figure's values go: NaN, numpy numbers and dates.
    return {"data": [json.loads(pio.json.to_json_plotly(trace))], "layout": layout}


# --- figures from the analysis engine's charts (reports.charts) -------------------------------
# Widgets draw with the same chart functions as the analysis pages; here they only lose the
# in-figure title (the widget card carries it, with the definition underneath), gain the
# dashboard's look and, for series split by queue, the queue id each trace stands for (drill-down).

def _adapt(fig, height=320, hovermode=None):
    fig.update_layout(title_text="", height=height)
    _layout(fig, height=height, **({"hovermode": hovermode} if hovermode else {}))
    return _json(fig)


# --- chart JSON written directly ---------------------------------------------------------------
# A Plotly figure object validates every property it is given and deep-copies itself on
# output: tens of milliseconds a chart, most of a dashboard's first view. The charts below write
# the JSON those figures give — the same traces, shapes and layout keys, arrays as Plotly's typed
# arrays — as plain dicts (tests/stakeholders/test_figure_json.py holds each equal to the
# Plotly figure it replaces).

def _figure(traces: list[dict], layout: dict) -> dict:
    """The JSON of a figure of ``traces`` and ``layout``, as ``json.loads(fig.to_json())``
    gives it: Plotly's default template, numeric arrays as typed arrays (``bdata``), NaN,
    numpy numbers and dates as plain JSON values (through Plotly's encoder)."""
    fig = {"data": traces, "layout": layout}
    convert_to_base64(fig)
    out = json.loads(pio.json.to_json_plotly(fig))
    out["layout"]["template"] = json.loads(_template_json())  # each figure its own copy
    return out


@functools.cache
def _template_json() -> str:
    return json.dumps(_default_template())


def _trace(kind: str, **props) -> dict:
    """One trace: properties left unset (None) are absent, as in a Plotly figure."""
    return {**{k: v for k, v in props.items() if v is not None}, "type": kind}


def _column(frame, name):
    """A column as a Plotly trace holds it: a numpy array (typed on output)."""
    return frame[name].to_numpy()


def _axis(**extra) -> dict:
    """An axis of the dashboard look (:data:`AXIS` over the engine's grid colour)."""
    return {**AXIS, **{k: v for k, v in extra.items() if v is not None}}


def _chart_layout(height: int = 320, hovermode: str = "x unified", **extra) -> dict:
    """The layout of an engine chart (``reports.charts._layout``) adapted to a widget card
    (:func:`_adapt`): no title text, the dashboard's font, margins, legend and colours."""
    return {
        "title": {"font": {"size": 15}, "text": "", "x": 0},
        "margin": {"l": 56, "r": 16, "t": 12, "b": 48},
        "font": dict(FONT),
        "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "xanchor": "left",
                   "x": 0},
        "height": height, "paper_bgcolor": "#fff", "plot_bgcolor": "#fff",
        "hovermode": hovermode, "colorway": PALETTE, **extra,
    }


def _line_across(y: float, line: dict) -> dict:
    """A horizontal line across the plot (``fig.add_hline``)."""
    return {"line": line, "type": "line", "x0": 0, "x1": 1, "xref": "x domain", "y0": y,
            "y1": y, "yref": "y"}


def time_series(table, metrics, breakdown=False, target=None, amber_margin=None, tz="UTC",
                granularity="day", comparison=None):
    """A KPI over time (one line per breakdown value) with its target line and the amber band
    between the target and the target ∓ margin (as reports.charts.kpi_time_series draws it);
    with ``comparison`` (``(frame, name)``: the compared span moved onto this period's
    positions, each point keeping its own date in ``compared_start``) a dashed, muted second
    line."""
    metric = metrics[0]
    kpi = metric.key
    number = charts.kpi_format(kpi)
    label = charts.KPI_LABELS.get(kpi, kpi)
    x = _x(table)
    traces = []
    if breakdown:
        frame = table.assign(period_start=x)
        keys = dict(zip(table["key_label"].astype(str), table["key"], strict=False))
        for name, g in frame.groupby("key_label", sort=True, observed=True):
            trace = _trace("scatter", connectgaps=False, hovertemplate=f"%{{y:{number}}}",
                           mode="lines+markers", name=str(name),
                           x=g["period_start"].to_numpy(), y=_column(g, kpi))
            if str(name) in keys:
                trace["customdata"] = [[str(keys[str(name)])]] * len(g)
            traces.append(trace)
    else:
        traces.append(_trace("scatter", connectgaps=False, hovertemplate=f"%{{y:{number}}}",
                             line={"color": charts.COLOURS["actual"]}, mode="lines+markers",
                             name=label, x=x, y=_column(table, kpi)))
    shapes, annotations = [], []
    if target is not None:
        target = float(target)
        margin = float(amber_margin) if amber_margin is not None else (
            0.05 if metric.unit == "ratio" else abs(target) * 0.1)
        worse = -margin if metric.higher_is_better is not False else margin
        low, high = sorted((target, target + worse))
        shapes.append({"fillcolor": charts.COLOURS["band"], "line": {"width": 0},
                       "type": "rect", "x0": 0, "x1": 1, "xref": "x domain", "y0": low,
                       "y1": high, "yref": "y"})
        shapes.append(_line_across(target, {"color": charts.COLOURS["target"], "dash": "dash"}))
        text = (f"target {target:{number.replace(',', '')}}" if kpi in charts.PERCENT_KPIS
                else f"target {target:{number}}")
        annotations.append({"showarrow": False, "text": text, "x": 1, "xanchor": "right",
                            "xref": "x domain", "y": target, "yanchor": "bottom",
                            "yref": "y"})
    if comparison is not None:
        compared, name = comparison
        sub_day = granularity in ("15min", "30min", "hour")
        when = pd.to_datetime(compared["compared_start"])
        # [its own date (a click drills to it), that date in words (hover)]
        own = [list(pair) for pair in zip(
            when.dt.strftime("%Y-%m-%dT%H:%M:%S"),
            when.dt.strftime("%a %d %b %Y %H:%M" if sub_day else "%a %d %b %Y"), strict=True)]
        traces.append(_trace(
            "scatter", connectgaps=False, customdata=own,
            hovertemplate=f"%{{customdata[1]}}: %{{y:{metric.d3_format}}}<extra>vs {name}"
                          "</extra>",
            line={"color": COMPARISON_COLOUR, "dash": "dash", "width": 1.5},
            marker={"color": COMPARISON_COLOUR, "size": 4}, meta="comparison",
            mode="lines+markers", name=f"vs {name}", x=_x(compared),
            y=compared[kpi].tolist()))
    xaxis = _axis(title={"text": f"Local time ({tz})" if granularity in (
        "15min", "30min", "hour") else f"Period start ({tz})"})
    if granularity in ("month", "quarter", "year"):
        xaxis.update(dtick={"month": "M1", "quarter": "M3", "year": "M12"}[granularity],
                     tickformat="%b %Y")
    layout = _chart_layout(
        xaxis=xaxis, yaxis=_axis(tickformat=tickformat(metric), rangemode="tozero",
                                 title={"text": metric.axis_title}))
    if shapes:
        layout.update(shapes=shapes, annotations=annotations)
    return _figure(traces, layout)


def heatmap(grid, metric, note):
    fig = charts.heatmap(grid, "", value_label=note)
    fig.update_traces(colorbar=dict(tickformat=tickformat(metric),
                                    title=dict(text=note, side="right")),
                      hovertemplate=f"%{{y}} %{{x}}<br>{note}: "
                                    f"%{{z:{metric.d3_format}}}<extra></extra>")
    fig.update_xaxes(title_text="Local hour")
    return _adapt(fig, height=300, hovermode="closest")


def sankey(flows):
    return _adapt(charts.sankey(flows, ""), height=340, hovermode="closest")


def staffing(table, tz):
    """Required agents (Erlang) against scheduled and actual staffed agents per interval (as
    reports.charts.staffing_chart draws them)."""
    x = _x(table)
    traces = [_trace("scatter", line={"color": charts.COLOURS["required"], "shape": "hv"},
                     mode="lines", name="Required", x=x, y=_column(table, "required_agents"))]
    if "scheduled_agents" in table.columns:
        traces.append(_trace("scatter", line={"color": charts.COLOURS["secondary"],
                                              "dash": "dot", "shape": "hv"},
                             mode="lines", name="To schedule (after shrinkage)", x=x,
                             y=_column(table, "scheduled_agents")))
    if "actual_agents" in table.columns and table["actual_agents"].notna().any():
        traces.append(_trace("bar", marker={"color": "rgba(31,95,153,0.35)"},
                             name="Actual (staffed)", x=x, y=_column(table, "actual_agents")))
    return _figure(traces, _chart_layout(
        xaxis=_axis(title={"text": f"Local time ({tz})"}),
        yaxis=_axis(tickformat=",.0f", rangemode="tozero", title={"text": "Agents"})))


def control_chart(chart, metric, tz):
    """The figure with its centre line, (possibly varying) limits and special causes marked
    (as reports.charts.control_chart draws them)."""
    fmt = ".1%" if metric.unit == "ratio" else ",.0f"
    x = _x(chart)
    traces = [_trace("scatter", hovertemplate=f"%{{y:{fmt}}}",
                     line={"color": charts.COLOURS["actual"]}, mode="lines+markers",
                     name=metric.label, x=x, y=_column(chart, "value"))]
    for col, name, dash in (("centre", "Centre", "solid"), ("ucl", "UCL", "dash"),
                            ("lcl", "LCL", "dash")):
        xs, ys = charts.limit_line(chart.assign(x=x), "x", col)
        traces.append(_trace("scatter", line={
            "color": charts.COLOURS["target"] if col == "centre" else charts.COLOURS["baseline"],
            "dash": dash, "shape": "hv"}, mode="lines", name=name, x=xs.tolist(),
            y=ys.to_numpy()))
    special = chart["special_cause"].to_numpy(bool)
    traces.append(_trace("scatter", marker={"color": charts.COLOURS["alert"],
                                            "line": {"width": 2}, "size": 10,
                                            "symbol": "circle-open"},
                         mode="markers", name="Special cause",
                         x=[v for v, s in zip(x, special, strict=True) if s],
                         y=chart["value"].to_numpy()[special]))
    return _figure(traces, _chart_layout(
        xaxis=_axis(title={"text": f"Period start ({tz})"}),
        yaxis=_axis(tickformat=tickformat(metric), title={"text": metric.axis_title})))


def _forecast_figure(actual, forecasts: dict, value: str, xaxis: dict, yaxis: dict,
                     forecast_markers: bool = False) -> dict:
    """Actual volume and one dashed line per forecast (as reports.charts.forecast_chart draws
    them); ``forecast_markers``: the line named "Forecast" with a marker on each day."""
    traces = []
    if actual is not None and not actual.empty:
        traces.append(_trace("scatter", line={"color": charts.COLOURS["actual"]},
                             mode="lines", name="Actual", x=_x(actual),
                             y=_column(actual, value)))
    colours = [charts.COLOURS["forecast"], charts.COLOURS["baseline"],
               charts.COLOURS["secondary"]]
    for (name, fc), colour in zip(forecasts.items(), colours, strict=False):
        marked = forecast_markers and name == "Forecast"
        traces.append(_trace("scatter", line={"color": colour, "dash": "dash"},
                             marker={"size": 5} if marked else None,
                             mode="lines+markers" if marked else "lines", name=name,
                             x=_x(fc), y=_column(fc, f"{value}_forecast")))
    return _figure(traces, _chart_layout(
        xaxis=_axis(**xaxis),
        yaxis=_axis(**{"tickformat": ",.0f", "rangemode": "tozero",
                       "title": {"text": charts.KPI_LABELS.get(value, value)}, **yaxis})))


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
    # A forecast is fractional: whole-number ticks would repeat (1, 1, 2, 2 …).
    return _forecast_figure(actual, forecasts, "offered",
                            xaxis={"title": {"text": f"Local time ({tz})"},
                                   "tickformat": "%H:%M"},
                            yaxis={"tickformat": ",~f"})


def forecast_vs_actual(table, metric, tz):
    actual = table[["period_start", "actual"]].rename(columns={"actual": metric.key})
    forecasts = {"Forecast": table[["period_start", "forecast"]].rename(
        columns={"forecast": f"{metric.key}_forecast"})}
    # Days each a marker: a forecast issued for part of the period shows even for one day.
    # Whole days: a tick per day (at most about ten), never "12:00" between them.
    days = max(1, len(table))
    return _forecast_figure(actual, forecasts, metric.key,
                            xaxis={"title": {"text": f"Day ({tz})"}, "tickformat": "%d %b",
                                   "dtick": 86_400_000 * max(1, round(days / 10))},
                            yaxis={}, forecast_markers=True)
