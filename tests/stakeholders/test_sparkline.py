"""The tile's sparkline is written as JSON directly: the same figure Plotly's objects give."""
import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from reports.vocabulary import METRICS
from stakeholders import figures


def _plotly(x, y, metric):
    fig = go.Figure(go.Scatter(
        x=pd.to_datetime(x).dt.strftime("%Y-%m-%dT%H:%M:%S").tolist(), y=list(y), mode="lines",
        line=dict(color=figures.PALETTE[0], width=2), fill="tozeroy",
        fillcolor="rgba(11,92,173,.08)",
        hovertemplate=f"%{{x}}<br>%{{y:{metric.d3_format}}}<extra></extra>"))
    fig.update_layout(paper_bgcolor="#fff", plot_bgcolor="#fff", height=60,
                      margin=dict(l=0, r=0, t=0, b=0), showlegend=False,
                      xaxis=dict(visible=False), yaxis=dict(visible=False))
    return json.loads(fig.to_json())


@pytest.mark.parametrize(("values", "metric"), [
    (pd.Series([0.5, np.nan, 0.7]), "service_level"),  # a gap stays a gap (null)
    (pd.Series([3, 0, 5], dtype="int64"), "offered"),
    (pd.Series([1.5, pd.NA, 2.0], dtype="Float64"), "asa_s"),
    (pd.Series([], dtype=float), "aht_s"),
])
def test_sparkline_is_the_figure_plotly_gives(values, metric):
    x = pd.Series(pd.date_range("2026-03-28", periods=len(values), freq="D"))
    drawn = figures.sparkline(x, values, METRICS[metric])
    assert drawn == _plotly(x, values, METRICS[metric])
    assert json.dumps(drawn) == json.dumps(_plotly(x, values, METRICS[metric]))
