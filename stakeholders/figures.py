"""Plotly figures and number formats for dashboard widgets: one palette, one set of formats.

Figures are returned as plain dicts (``fig.to_plotly_json()``) so templates embed them as JSON
and the browser draws them with the local Plotly bundle. Time axes are the centre's local time
(the frames carry naive local ``period_start``); each axis title says which zone.
"""
from __future__ import annotations

import json
import math

import pandas as pd
import plotly.graph_objects as go

PALETTE = ["#0b5cad", "#e07b00", "#1a7f37", "#8e44ad", "#c62828", "#00838f", "#6d4c41",
           "#5c6bc0", "#9e9d24", "#ad1457"]
TARGET = "#1a7f37"
AMBER_BAND = "rgba(178, 106, 0, 0.12)"
GREEN_BAND = "rgba(26, 127, 55, 0.08)"
FONT = dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=12,
            color="#1d2733")


def _nan(value):
    return value is None or (isinstance(value, float) and math.isnan(value))


def pct(value, digits=1):
    return "–" if _nan(value) else f"{value * 100:.{digits}f}%"


def fmt(metric, value) -> str:
    """``value`` in ``metric``'s unit as shown everywhere (tiles, tables, hover text)."""
    if _nan(value):
        return "–"
    if metric.unit == "ratio":
        return pct(float(value))
    if metric.unit == "seconds":
        value = float(value)
        return f"{value:.0f} s" if value < 600 else f"{value / 60:.1f} min"
    if metric.unit == "money":
        return f"{float(value):,.2f}"
    return f"{float(value):,.0f}"


def tickformat(metric):
    return {"ratio": ".0%", "seconds": ",.0f", "money": ",.2f"}.get(metric.unit, ",.0f")


def hoverformat(metric):
    return {"ratio": ".1%", "seconds": ",.0f", "money": ",.2f"}.get(metric.unit, ",.0f")


def axis_title(metric):
    suffix = {"seconds": " (s)", "ratio": " (%)", "money": " (currency)"}.get(metric.unit, "")
    return f"{metric.label}{suffix}"


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
        text = f"{delta:+.0f} s"
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
        paper_bgcolor="#fff", plot_bgcolor="#fff", xaxis=AXIS, yaxis=AXIS, font=FONT, height=height, colorway=PALETTE,
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


def sparkline(x, y, metric):
    fig = go.Figure(go.Scatter(
        x=pd.to_datetime(x).dt.strftime("%Y-%m-%dT%H:%M:%S").tolist(), y=list(y), mode="lines",
        line=dict(color=PALETTE[0], width=2), fill="tozeroy", fillcolor="rgba(11,92,173,.08)",
        hovertemplate=f"%{{x}}<br>%{{y:{hoverformat(metric)}}}<extra></extra>"))
    fig.update_layout(paper_bgcolor="#fff", plot_bgcolor="#fff", height=60, margin=dict(l=0, r=0, t=0, b=0),
                      showlegend=False, xaxis=dict(visible=False), yaxis=dict(visible=False))
    return _json(fig)


def time_series(table, metrics, breakdown=False, target=None, amber_margin=None, tz="UTC",
                granularity="day"):
    """Lines per metric (or per breakdown value for one metric); a target line with a shaded
    amber band between the target and the target ∓ margin."""
    fig = go.Figure()
    metric = metrics[0]
    if breakdown:
        for i, (label, part) in enumerate(table.groupby("key_label", sort=True)):
            fig.add_trace(go.Scatter(
                x=_x(part), y=part[metric.key].tolist(), name=str(label), mode="lines+markers",
                marker=dict(size=4), line=dict(color=PALETTE[i % len(PALETTE)], width=2),
                customdata=[[str(k)] for k in part["key"]],
                hovertemplate=f"{label}: %{{y:{hoverformat(metric)}}}<extra></extra>"))
    else:
        for i, m in enumerate(metrics):
            fig.add_trace(go.Scatter(
                x=_x(table), y=table[m.key].tolist(), name=m.label, mode="lines+markers",
                marker=dict(size=4), line=dict(color=PALETTE[i % len(PALETTE)], width=2),
                hovertemplate=f"{m.label}: %{{y:{hoverformat(m)}}}<extra></extra>"))
    if target is not None and len(table):
        target = float(target)
        margin = float(amber_margin) if amber_margin is not None else (
            0.05 if metric.unit == "ratio" else abs(target) * 0.1)
        worse = -margin if metric.higher_is_better is not False else margin
        x = _x(table)
        lo, hi = sorted((target, target + worse))
        fig.add_trace(go.Scatter(x=[x[0], x[-1], x[-1], x[0]], y=[lo, lo, hi, hi],
                                 fill="toself", fillcolor=AMBER_BAND, line=dict(width=0),
                                 name="Amber band", hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=[x[0], x[-1]], y=[target, target], mode="lines",
                                 name=f"Target {fmt(metric, target)}",
                                 line=dict(color=TARGET, dash="dash", width=2),
                                 hoverinfo="skip"))
    _layout(fig)
    fig.update_yaxes(title_text=axis_title(metric), tickformat=tickformat(metric),
                     rangemode="tozero")
    fig.update_xaxes(title_text=f"Local time ({tz})" if granularity in ("15min", "30min", "hour")
                     else f"Period start ({tz})")
    return _json(fig)


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def heatmap(grid, metric, note):
    fig = go.Figure(go.Heatmap(
        z=[[None if _nan(v) else float(v) for v in row] for row in grid.to_numpy()],
        x=[f"{h:02d}:00" for h in grid.columns], y=list(WEEKDAYS), colorscale="Blues",
        colorbar=dict(title=dict(text=note, side="right"), tickformat=tickformat(metric)),
        hovertemplate=f"%{{y}} %{{x}}<br>{note}: %{{z:{hoverformat(metric)}}}<extra></extra>"))
    _layout(fig, height=300, hovermode="closest")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="Local hour")
    return _json(fig)


def sankey(flows):
    nodes = list(dict.fromkeys([*flows["source"], *flows["target"]]))
    index = {n: i for i, n in enumerate(nodes)}
    fig = go.Figure(go.Sankey(
        node=dict(label=nodes, pad=14, thickness=14,
                  color=[PALETTE[i % len(PALETTE)] for i in range(len(nodes))]),
        link=dict(source=[index[s] for s in flows["source"]],
                  target=[index[t] for t in flows["target"]],
                  value=flows["value"].tolist(), color="rgba(11,92,173,.18)",
                  hovertemplate="%{source.label} → %{target.label}: %{value:,.0f}<extra></extra>"),
    ))
    _layout(fig, height=340, hovermode="closest")
    return _json(fig)


def staffing(table, tz):
    x = _x(table)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=table["actual_agents"].round(1).tolist(), name="Actual (staffed)",
                         marker_color="rgba(11,92,173,.35)",
                         hovertemplate="Actual: %{y:.1f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=x, y=table["required_agents"].tolist(), name="Required (Erlang C)",
                             mode="lines", line=dict(color=PALETTE[1], width=2, shape="hv"),
                             hovertemplate="Required: %{y:.0f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=x, y=table["scheduled_agents"].tolist(),
                             name="Scheduled (with shrinkage)", mode="lines",
                             line=dict(color=PALETTE[4], width=2, dash="dot", shape="hv"),
                             hovertemplate="Scheduled: %{y:.0f}<extra></extra>"))
    _layout(fig)
    fig.update_yaxes(title_text="Agents", rangemode="tozero")
    fig.update_xaxes(title_text=f"Local time ({tz})")
    return _json(fig)


def control_chart(chart, metric, tz):
    x = _x(chart)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=chart["ucl"].tolist(), name="Upper limit", mode="lines",
                             line=dict(color="#9aa7b4", dash="dot", width=1, shape="hv")))
    fig.add_trace(go.Scatter(x=x, y=chart["lcl"].tolist(), name="Lower limit", mode="lines",
                             line=dict(color="#9aa7b4", dash="dot", width=1, shape="hv")))
    fig.add_trace(go.Scatter(x=x, y=chart["centre"].tolist(), name="Centre line", mode="lines",
                             line=dict(color=TARGET, width=1.5)))
    fig.add_trace(go.Scatter(
        x=x, y=chart["value"].tolist(), name=metric.label, mode="lines+markers",
        line=dict(color=PALETTE[0], width=2),
        marker=dict(size=7, color=[PALETTE[4] if s else PALETTE[0]
                                   for s in chart["special_cause"]]),
        hovertemplate=f"%{{y:{hoverformat(metric)}}}<extra></extra>"))
    _layout(fig)
    fig.update_yaxes(title_text=axis_title(metric), tickformat=tickformat(metric))
    fig.update_xaxes(title_text=f"Period start ({tz}); red points: special causes")
    return _json(fig)


def forecast_vs_actual(table, metric, tz):
    x = _x(table)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=table["actual"].tolist(), name="Actual",
                         marker_color="rgba(11,92,173,.55)",
                         hovertemplate="Actual: %{y:,.0f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=x, y=table["forecast"].round(1).tolist(), name="Forecast",
                             mode="lines+markers", line=dict(color=PALETTE[1], width=2),
                             hovertemplate="Forecast: %{y:,.0f}<extra></extra>"))
    _layout(fig)
    fig.update_yaxes(title_text=axis_title(metric), rangemode="tozero")
    fig.update_xaxes(title_text=f"Day ({tz})")
    return _json(fig)
