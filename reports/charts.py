"""Plotly figures for KPIs, patterns, staffing, forecasts and queueing science (pure: DataFrames
in, ``plotly.graph_objects.Figure`` out; no Django).

Every figure uses the same colours and number formats and carries a caption naming the metric
definition and variant it shows (``definition``), so a chart read on its own is unambiguous.

The KPI time series and control charts of the analysis pages are also built as plain figure
dicts (:func:`kpi_time_series_spec`, :func:`control_chart_spec`): the same JSON as their
``Figure`` counterparts (tests prove it), without Plotly's object construction and validation of
every property, which cost most of the KPI page's time over a year of days.
"""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from _plotly_utils.basevalidators import copy_to_readonly_numpy_array, is_homogeneous_array
from _plotly_utils.utils import convert_to_base64

from .vocabulary import PERCENT_METRICS

COLOURS = {
    "actual": "#1f5f99", "target": "#2e7d32", "band": "rgba(46,125,50,0.12)",
    "forecast": "#e07b00", "baseline": "#8a8f98", "required": "#c62828", "alert": "#c62828",
    "secondary": "#6a4c93", "grid": "#e3e8ee",
}
# Which KPIs are percentages: the metric vocabulary's (one list for charts, findings, pages).
PERCENT_KPIS = PERCENT_METRICS
KPI_LABELS = {
    "service_level": "Service level", "abandon_rate": "Abandon rate", "asa_s": "ASA (s)",
    "aht_s": "AHT (s)", "offered": "Offered", "answered": "Answered", "abandoned": "Abandoned",
    "transfer_rate": "Transfer rate", "escalation_rate": "Escalation rate",
    "ivr_containment": "IVR containment", "occupancy": "Occupancy", "handled": "Handled",
}


def kpi_format(kpi: str) -> str:
    """d3 number format for a KPI: percent with one decimal, whole seconds, or counts."""
    if kpi in PERCENT_KPIS:
        return ".1%"
    if kpi.endswith("_s"):
        return ",.0f"
    return ",.0f"


def _layout(fig: go.Figure, title: str, definition: str = "", height: int = 380) -> go.Figure:
    """Common look; the metric definition is printed under the title so it is never cut off."""
    text = title if not definition else (
        f"{title}<br><span style='font-size:11px;color:#5f6b7a'>{definition}</span>")
    fig.update_layout(
        title={"text": text, "x": 0, "font": {"size": 15}}, height=height,
        margin={"l": 60, "r": 20, "t": 70 if definition else 50, "b": 50},
        paper_bgcolor="white", plot_bgcolor="white", font={"family": "system-ui, sans-serif"},
        legend={"orientation": "h", "y": -0.15}, hovermode="x unified",
    )
    fig.update_xaxes(gridcolor=COLOURS["grid"])
    fig.update_yaxes(gridcolor=COLOURS["grid"])
    return fig


def kpi_time_series(frame: pd.DataFrame, kpi: str, x: str = "period_start",
                    series: str | None = None, target: float | None = None,
                    band: tuple[float, float] | None = None, definition: str = "",
                    in_hours: bool = False, title: str | None = None) -> go.Figure:
    """A KPI over time, one line per ``series`` value, with the target line and an optional
    tolerance ``band`` (low, high). Empty KPIs are gaps, not zeros. ``in_hours``: a time KPI
    (seconds in ``frame``) drawn in hours, for channels answered in hours."""
    fig = go.Figure()
    scale, number = (3600.0, ",.1f") if in_hours else (1.0, kpi_format(kpi))
    label = KPI_LABELS.get(kpi, kpi)
    if in_hours:
        label = label.replace("(s)", "(h)")
    groups = frame.groupby(series, sort=True, observed=True) if series else [(None, frame)]
    for name, g in groups:
        fig.add_trace(go.Scatter(
            x=g[x], y=g[kpi] / scale if in_hours else g[kpi], mode="lines+markers",
            name=str(name) if name is not None else label, connectgaps=False,
            line={"color": COLOURS["actual"]} if series is None else None,
            hovertemplate=f"%{{y:{number}}}"))
    if band is not None:
        fig.add_hrect(y0=band[0], y1=band[1], fillcolor=COLOURS["band"], line_width=0)
    if target is not None:
        fig.add_hline(y=target / scale, line={"color": COLOURS["target"], "dash": "dash"},
                      annotation_text=f"target {target:{kpi_format(kpi).replace(',', '')}}"
                      if kpi in PERCENT_KPIS else f"target {target / scale:{number}}")
    fig.update_yaxes(tickformat=number, title=label, rangemode="tozero")
    return _layout(fig, title or label, definition)


@functools.cache
def _template() -> dict:
    """The layout template a new ``go.Figure`` carries (Plotly's default), as a dict."""
    return go.Figure().to_dict()["layout"]["template"]


def _array(values):
    """An array property as Plotly's validator keeps it (a read-only numpy array, local times
    of tz-aware instants), so the JSON is the one ``go.Figure`` writes."""
    if is_homogeneous_array(values):
        return copy_to_readonly_numpy_array(values)
    return list(values)


def _scatter(**props) -> dict:
    """A scatter trace as ``go.Scatter(**props).to_plotly_json()`` (None left out)."""
    trace = {k: _array(v) if k in ("x", "y") else v for k, v in sorted(props.items())
             if v is not None}
    trace["type"] = "scatter"
    return trace


def _spec_layout(layout: dict, title: str, definition: str = "", height: int = 380,
                 xaxis: dict | None = None, yaxis: dict | None = None) -> dict:
    """:func:`_layout` for a figure dict: ``layout`` holds the shapes and annotations so far."""
    text = title if not definition else (
        f"{title}<br><span style='font-size:11px;color:#5f6b7a'>{definition}</span>")
    return {"template": _template(), **layout,
            "yaxis": {**(yaxis or {}), "gridcolor": COLOURS["grid"]},
            "title": {"font": {"size": 15}, "text": text, "x": 0},
            "margin": {"l": 60, "r": 20, "t": 70 if definition else 50, "b": 50},
            "font": {"family": "system-ui, sans-serif"},
            "legend": {"orientation": "h", "y": -0.15}, "height": height,
            "paper_bgcolor": "white", "plot_bgcolor": "white", "hovermode": "x unified",
            "xaxis": {**(xaxis or {}), "gridcolor": COLOURS["grid"]}}


def kpi_time_series_spec(frame: pd.DataFrame, kpi: str, x: str = "period_start",
                         series: str | None = None, target: float | None = None,
                         band: tuple[float, float] | None = None, definition: str = "",
                         in_hours: bool = False, title: str | None = None) -> dict:
    """:func:`kpi_time_series` as a figure dict (the same JSON by :func:`spec_json`)."""
    scale, number = (3600.0, ",.1f") if in_hours else (1.0, kpi_format(kpi))
    label = KPI_LABELS.get(kpi, kpi)
    if in_hours:
        label = label.replace("(s)", "(h)")
    # Only the two columns drawn are split by series (a KPI frame has dozens).
    drawn = frame[[x, kpi, series]] if series else frame
    groups = drawn.groupby(series, sort=True, observed=True) if series else [(None, frame)]
    data = [_scatter(x=g[x], y=g[kpi] / scale if in_hours else g[kpi], mode="lines+markers",
                     name=str(name) if name is not None else label, connectgaps=False,
                     line={"color": COLOURS["actual"]} if series is None else None,
                     hovertemplate=f"%{{y:{number}}}") for name, g in groups]
    shapes, annotations = [], []
    if band is not None:
        shapes.append({"fillcolor": COLOURS["band"], "line": {"width": 0}, "type": "rect",
                       "x0": 0, "x1": 1, "xref": "x domain", "y0": band[0], "y1": band[1],
                       "yref": "y"})
    if target is not None:
        y = target / scale
        shapes.append({"line": {"color": COLOURS["target"], "dash": "dash"}, "type": "line",
                       "x0": 0, "x1": 1, "xref": "x domain", "y0": y, "y1": y, "yref": "y"})
        annotations.append({
            "showarrow": False,
            "text": f"target {target:{kpi_format(kpi).replace(',', '')}}"
            if kpi in PERCENT_KPIS else f"target {target / scale:{number}}",
            "x": 1, "xanchor": "right", "xref": "x domain", "y": y, "yanchor": "bottom",
            "yref": "y"})
    layout = {"shapes": shapes} if shapes else {}
    if annotations:
        layout["annotations"] = annotations
    return {"data": data, "layout": _spec_layout(
        layout, title or label, definition,
        yaxis={"tickformat": number, "title": {"text": label}, "rangemode": "tozero"})}


def limit_line(chart: pd.DataFrame, x: str, col: str) -> tuple[pd.Series, pd.Series]:
    """A control chart's centre line or limit as points to draw: a constant line (a p-chart's
    centre, an XmR chart's limits) as its first and last points — the same step line, without
    a copy of every period of the chart — and a varying one (a p-chart's limits, which follow
    each period's count) point by point."""
    values = chart[col]
    array = values.to_numpy()
    if len(values) > 2 and values.notna().all() and (array == array[0]).all():
        ends = [0, len(values) - 1]
        return chart[x].iloc[ends], values.iloc[ends]
    return chart[x], values


def control_chart_spec(chart: pd.DataFrame, x: str, value: str, title: str,
                       percent: bool = False, definition: str = "") -> dict:
    """:func:`control_chart` as a figure dict (the same JSON by :func:`spec_json`)."""
    fmt = ".1%" if percent else ",.0f"
    data = [_scatter(x=chart[x], y=chart[value], mode="lines+markers", name=title,
                     line={"color": COLOURS["actual"]}, hovertemplate=f"%{{y:{fmt}}}")]
    for col, name, dash in (("centre", "Centre", "solid"), ("ucl", "UCL", "dash"),
                            ("lcl", "LCL", "dash")):
        xs, ys = limit_line(chart, x, col)
        data.append(_scatter(x=xs, y=ys, mode="lines", name=name,
                             line={"color": COLOURS["target"] if col == "centre"
                                   else COLOURS["baseline"], "dash": dash, "shape": "hv"}))
    special = chart[chart["special_cause"]]
    data.append(_scatter(x=special[x], y=special[value], mode="markers", name="Special cause",
                         marker={"color": COLOURS["alert"], "line": {"width": 2}, "size": 10,
                                 "symbol": "circle-open"}))
    return {"data": data, "layout": _spec_layout({}, title, definition,
                                                 yaxis={"tickformat": fmt})}


def _epoch_ms(values: np.ndarray) -> np.ndarray:
    """Instants (local wall-clock times) as milliseconds since 1970 (NaN where missing): what
    Plotly's date axes read from a number. Plotly draws dates without a time zone, so the wall
    clock is kept. As a typed array a date costs 11 bytes of JSON, against 29 for the text
    Plotly writes (``"2026-03-02T06:15:00.000000",``): over a month of 15-minute intervals the
    dates were three quarters of a chart's bytes."""
    stamps = values.astype("datetime64[us]")
    ms = stamps.astype("int64") / 1000.0
    ms[np.isnat(stamps)] = np.nan
    return ms


def _figure_json(spec: dict) -> str:
    """A figure dict (arrays as Plotly's validators keep them) as JSON for ``Plotly.newPlot``:
    Plotly's typed arrays for numbers, and for dates (:func:`_epoch_ms`, on an axis of type
    ``date``)."""
    spec = {"data": [dict(t) for t in spec["data"]], "layout": dict(spec["layout"])}
    layout = spec["layout"]
    for trace in spec["data"]:
        for key in ("x", "y"):
            values = trace.get(key)
            if not (isinstance(values, np.ndarray) and values.dtype.kind == "M"):
                continue
            axis = f"{key}axis{str(trace.get(f'{key}axis', key))[1:]}"
            if (layout.get(axis) or {}).get("type", "date") != "date":
                continue  # dates on an axis of another kind stay text
            trace[key] = _epoch_ms(values)
            layout[axis] = {**(layout.get(axis) or {}), "type": "date"}
    convert_to_base64(spec)
    return pio.to_json(spec, validate=False)


def spec_json(spec: dict) -> str:
    """A figure dict as JSON for ``Plotly.newPlot``: the JSON :func:`to_json` writes for its
    ``Figure`` counterpart (typed arrays for numbers and dates)."""
    return _figure_json(spec)


def heatmap(matrix: pd.DataFrame, title: str, value_label: str = "Offered per day",
            definition: str = "", row_labels=("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
            ) -> go.Figure:
    """Weekday × hour heatmap (rows weekdays 0..6, columns hours 0..23)."""
    fig = go.Figure(go.Heatmap(
        z=matrix.to_numpy(dtype=float), x=[f"{h:02d}:00" for h in matrix.columns],
        y=[row_labels[i] for i in matrix.index], colorscale="Blues",
        colorbar={"title": value_label}, hoverongaps=False,
        hovertemplate="%{y} %{x}: %{z:,.1f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, definition, height=360)


def sankey(flows: pd.DataFrame, title: str = "Pathway flows", definition: str = "") -> go.Figure:
    """Sankey diagram from ``source``, ``target``, ``value`` rows."""
    labels = list(dict.fromkeys([*flows["source"], *flows["target"]]))
    pos = {name: i for i, name in enumerate(labels)}
    fig = go.Figure(go.Sankey(
        node={"label": labels, "pad": 18, "color": COLOURS["actual"]},
        link={"source": [pos[s] for s in flows["source"]],
              "target": [pos[t] for t in flows["target"]], "value": flows["value"].tolist(),
              "color": "rgba(31,95,153,0.25)"},
        valueformat=",.0f"))
    return _layout(fig, title, definition, height=420)


def service_level_curve(curve: pd.DataFrame, threshold_s: int | None = None,
                        target: float | None = None, definition: str = "") -> go.Figure:
    """Service level (0..1) against the answer-time threshold in seconds, up to 10 minutes
    (or twice the threshold, for the hour-long targets of e-mail and web forms)."""
    curve = curve[curve["threshold_s"] <= max(600, 2 * (threshold_s or 0))]
    fig = go.Figure(go.Scatter(x=curve["threshold_s"], y=curve["service_level"],
                               mode="lines+markers", name="Service level",
                               line={"color": COLOURS["actual"], "shape": "linear"},
                               hovertemplate="≤ %{x} s: %{y:.1%}<extra></extra>"))
    if threshold_s is not None:
        fig.add_vline(x=threshold_s, line={"color": COLOURS["baseline"], "dash": "dot"},
                      annotation_text=f"T = {threshold_s} s")
    if target is not None:
        fig.add_hline(y=target, line={"color": COLOURS["target"], "dash": "dash"},
                      annotation_text=f"target {target:.0%}")
    fig.update_xaxes(title="Answer within (s)")
    fig.update_yaxes(title="Service level", tickformat=".0%", range=[0, 1.02])
    return _layout(fig, "Service-level curve", definition)


def control_chart(chart: pd.DataFrame, x: str, value: str, title: str,
                  percent: bool = False, definition: str = "") -> go.Figure:
    """Control chart with centre line, (possibly varying) limits and special causes marked."""
    fmt = ".1%" if percent else ",.0f"
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=chart[x], y=chart[value], mode="lines+markers", name=title,
                             line={"color": COLOURS["actual"]},
                             hovertemplate=f"%{{y:{fmt}}}"))
    for col, name, dash in (("centre", "Centre", "solid"), ("ucl", "UCL", "dash"),
                            ("lcl", "LCL", "dash")):
        xs, ys = limit_line(chart, x, col)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=name,
                                 line={"color": COLOURS["target"] if col == "centre"
                                       else COLOURS["baseline"], "dash": dash,
                                       "shape": "hv"}))
    special = chart[chart["special_cause"]]
    fig.add_trace(go.Scatter(x=special[x], y=special[value], mode="markers",
                             name="Special cause", marker={"color": COLOURS["alert"],
                                                           "size": 10, "symbol": "circle-open",
                                                           "line": {"width": 2}}))
    fig.update_yaxes(tickformat=fmt)
    return _layout(fig, title, definition)


def staffing_chart(frame: pd.DataFrame, x: str = "period_start", definition: str = ""
                   ) -> go.Figure:
    """Required agents (Erlang) against actual staffed agents per interval, if present."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=frame[x], y=frame["required_agents"], name="Required",
                             mode="lines", line={"color": COLOURS["required"], "shape": "hv"}))
    if "scheduled_agents" in frame.columns:
        fig.add_trace(go.Scatter(x=frame[x], y=frame["scheduled_agents"],
                                 name="To schedule (after shrinkage)", mode="lines",
                                 line={"color": COLOURS["secondary"], "dash": "dot",
                                       "shape": "hv"}))
    if "actual_agents" in frame.columns and frame["actual_agents"].notna().any():
        fig.add_trace(go.Bar(x=frame[x], y=frame["actual_agents"], name="Actual (staffed)",
                             marker={"color": "rgba(31,95,153,0.35)"}))
    fig.update_yaxes(title="Agents", tickformat=",.0f", rangemode="tozero")
    return _layout(fig, "Staffing: required versus actual", definition)


def forecast_chart(actual: pd.DataFrame | None, forecasts: dict[str, pd.DataFrame],
                   value: str = "offered", definition: str = "") -> go.Figure:
    """Actual volume per interval and one line per forecast method (``period_start``,
    ``<value>_forecast``)."""
    fig = go.Figure()
    if actual is not None and not actual.empty:
        fig.add_trace(go.Scatter(x=actual["period_start"], y=actual[value], name="Actual",
                                 mode="lines", line={"color": COLOURS["actual"]}))
    colours = [COLOURS["forecast"], COLOURS["baseline"], COLOURS["secondary"]]
    for (name, fc), colour in zip(forecasts.items(), colours, strict=False):
        fig.add_trace(go.Scatter(x=fc["period_start"], y=fc[f"{value}_forecast"], name=name,
                                 mode="lines", line={"color": colour, "dash": "dash"}))
    fig.update_yaxes(title=KPI_LABELS.get(value, value), tickformat=",.0f", rangemode="tozero")
    return _layout(fig, "Forecast versus actual", definition)


def survival_chart(km: pd.DataFrame, title: str = "Patience (Kaplan–Meier)",
                   definition: str = "") -> go.Figure:
    """Survival of patience with its 95 % band (time in seconds)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=km["time_s"], y=km["ci_high"], mode="lines", line={"width": 0},
                             showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=km["time_s"], y=km["ci_low"], mode="lines", line={"width": 0},
                             fill="tonexty", fillcolor=COLOURS["band"], name="95 % interval"))
    fig.add_trace(go.Scatter(x=km["time_s"], y=km["survival"], mode="lines", name="Still waiting",
                             line={"color": COLOURS["actual"], "shape": "hv"}))
    fig.update_xaxes(title="Wait (s)")
    fig.update_yaxes(title="Share not yet abandoned", tickformat=".0%", range=[0, 1.02])
    return _layout(fig, title, definition)


def service_time_chart(service_s, mu: float, sigma: float, min_s: float = 10,
                       definition: str = "") -> go.Figure:
    """Histogram of service times (log-spaced bins) with the fitted lognormal density."""
    s = np.asarray(service_s, float)
    s = s[s >= min_s]
    edges = np.logspace(np.log10(min_s), np.log10(max(s.max(), min_s * 10)), 50)
    counts, _ = np.histogram(s, bins=edges)
    density = counts / (len(s) * np.diff(edges)) if len(s) else counts
    mids = np.sqrt(edges[:-1] * edges[1:])
    pdf = np.exp(-((np.log(mids) - mu) ** 2) / (2 * sigma ** 2)) / (
        mids * sigma * np.sqrt(2 * np.pi))
    fig = go.Figure()
    fig.add_trace(go.Bar(x=mids, y=density, name="Observed", width=np.diff(edges),
                         marker={"color": "rgba(31,95,153,0.45)"}))
    fig.add_trace(go.Scatter(x=mids, y=pdf, name="Lognormal fit", mode="lines",
                             line={"color": COLOURS["forecast"]}))
    fig.update_xaxes(title="Service time (s)", type="log")
    fig.update_yaxes(title="Density (per s)")
    return _layout(fig, "Service-time distribution", definition)


def hazard_chart(hazard: pd.DataFrame, definition: str = "") -> go.Figure:
    """Abandonment hazard (per second) by wait bin."""
    fig = go.Figure(go.Bar(x=hazard["wait_from_s"], y=hazard["hazard_per_s"],
                           marker={"color": COLOURS["secondary"]}, name="Hazard"))
    fig.update_xaxes(title="Wait so far (s)")
    fig.update_yaxes(title="Abandons per second waited", tickformat=".4f")
    return _layout(fig, "Abandonment hazard by wait", definition)


GROUP_COLOURS = ("#1f5f99", "#e07b00", "#2e7d32", "#6a4c93", "#c62828", "#00838f", "#8d6e63",
                 "#8a8f98")


def survival_by_group_chart(kms: dict[str, pd.DataFrame], title: str = "Patience (Kaplan–Meier)",
                            definition: str = "") -> go.Figure:
    """Survival of patience per group (``{label: kaplan_meier frame}``), each with its 95 %
    band; one group is drawn as :func:`survival_chart`."""
    if len(kms) == 1:
        return survival_chart(next(iter(kms.values())), title, definition)
    fig = go.Figure()
    for i, (label, km) in enumerate(kms.items()):
        colour = GROUP_COLOURS[i % len(GROUP_COLOURS)]
        fig.add_trace(go.Scatter(x=km["time_s"], y=km["ci_high"], mode="lines",
                                 line={"width": 0}, showlegend=False, hoverinfo="skip",
                                 legendgroup=label))
        fig.add_trace(go.Scatter(x=km["time_s"], y=km["ci_low"], mode="lines", line={"width": 0},
                                 fill="tonexty", fillcolor="rgba(138,143,152,0.15)",
                                 showlegend=False, hoverinfo="skip", legendgroup=label))
        fig.add_trace(go.Scatter(x=km["time_s"], y=km["survival"], mode="lines", name=label,
                                 legendgroup=label, line={"color": colour, "shape": "hv"}))
    fig.update_xaxes(title="Wait (s)")
    fig.update_yaxes(title="Share not yet abandoned", tickformat=".0%", range=[0, 1.02])
    return _layout(fig, title, definition, height=420)


def hazard_by_group_chart(hazards: dict[str, pd.DataFrame], definition: str = "") -> go.Figure:
    """Abandonment hazard (per second) by wait bin, one line per group."""
    if len(hazards) == 1:
        return hazard_chart(next(iter(hazards.values())), definition)
    fig = go.Figure()
    for i, (label, hz) in enumerate(hazards.items()):
        fig.add_trace(go.Scatter(x=hz["wait_from_s"], y=hz["hazard_per_s"], mode="lines",
                                 name=label, line={"color": GROUP_COLOURS[i % len(GROUP_COLOURS)],
                                                   "shape": "hv"}))
    fig.update_xaxes(title="Wait so far (s)")
    fig.update_yaxes(title="Abandons per second waited", tickformat=".4f")
    return _layout(fig, "Abandonment hazard by wait", definition, height=420)


def erlang_a_check_chart(intervals: pd.DataFrame, definition: str = "") -> go.Figure:
    """Observed abandon share against Erlang A's prediction per interval (one point per
    interval and group, ``key``), with the line of perfect agreement."""
    fig = go.Figure()
    for i, (label, g) in enumerate(intervals.groupby("key", sort=False)):
        fig.add_trace(go.Scatter(x=g["predicted_abandon"], y=g["abandon_share"], mode="markers",
                                 name=str(label), marker={
                                     "size": 5, "opacity": 0.5,
                                     "color": GROUP_COLOURS[i % len(GROUP_COLOURS)]}))
    top = float(np.nanmax([intervals["predicted_abandon"].max(),
                           intervals["abandon_share"].max(), 0.05]))
    fig.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", name="Prediction = observed",
                             line={"color": COLOURS["baseline"], "dash": "dot"}))
    fig.update_xaxes(title="Erlang A predicted abandonment", tickformat=".0%")
    fig.update_yaxes(title="Observed abandon share", tickformat=".0%")
    return _layout(fig, "Erlang A: predicted against observed abandonment", definition,
                   height=420).update_layout(hovermode="closest")


def to_json(fig: go.Figure) -> str:
    """Serialise a figure for ``Plotly.newPlot`` in a page (JSON string): ``Figure.to_json``
    with dates as typed arrays (:func:`_figure_json`)."""
    return _figure_json(fig.to_dict())
