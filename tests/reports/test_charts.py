"""Every chart builds from analysis output and names its metric definition."""
import json

import numpy as np
import pandas as pd

from reports import charts
from reports.analysis import control, patterns, queueing


def _title(fig):
    return fig.layout.title.text


def test_every_chart_carries_its_definition():
    ts = pd.DataFrame({"period_start": pd.date_range("2026-03-02", periods=5, freq="D"),
                       "service_level": [0.8, 0.7, np.nan, 0.9, 0.85], "queue": "Sales"})
    fig = charts.kpi_time_series(ts, "service_level", series="queue", target=0.8,
                                 band=(0.75, 0.85), definition="SL 20 s, variant X")
    assert "SL 20 s, variant X" in _title(fig)
    assert fig.layout.yaxis.tickformat == ".1%"
    heat = charts.heatmap(pd.DataFrame(np.ones((7, 24)), index=range(7), columns=range(24)),
                          "Heat", definition="per day")
    assert heat.data[0].y[0] == "Mon"
    flows = pd.DataFrame({"source": ["IVR", "IVR"], "target": ["Queue", "Self-service"],
                          "value": [70, 30]})
    assert list(charts.sankey(flows).data[0].link.value) == [70, 30]
    curve = pd.DataFrame({"threshold_s": [5, 20, 60], "service_level": [0.3, 0.7, 0.9]})
    assert "T = 20 s" in json.dumps(charts.service_level_curve(curve, 20, 0.8).to_plotly_json(),
                                    default=str)
    chart = control.p_chart(pd.DataFrame({"x": [8, 7, 9], "n": [10, 10, 10],
                                          "at": [1, 2, 3]}), "x", "n")
    cc = charts.control_chart(chart, "at", "p", "SL p-chart", percent=True, definition="d")
    assert [t.name for t in cc.data][:4] == ["SL p-chart", "Centre", "UCL", "LCL"]
    staff = pd.DataFrame({"period_start": [1, 2], "required_agents": [5, 6],
                          "scheduled_agents": [8, 9], "actual_agents": [5.5, np.nan]})
    assert len(charts.staffing_chart(staff, definition="Erlang C").data) == 3
    fc = pd.DataFrame({"period_start": [1, 2], "offered_forecast": [3.0, 4.0]})
    assert len(charts.forecast_chart(None, {"HW": fc}).data) == 1
    km = queueing.kaplan_meier([10, 20, 30], [True, False, True])
    assert charts.survival_chart(km).data[2].name == "Still waiting"
    svc = charts.service_time_chart(np.random.default_rng(1).lognormal(5, 0.7, 500), 5, 0.7)
    assert svc.layout.xaxis.type == "log"
    hz = queueing.abandonment_hazard(pd.DataFrame({"wait_s": [5, 50], "abandoned": [1, 0]}))
    assert charts.hazard_chart(hz).data[0].type == "bar"
    assert isinstance(charts.to_json(fig), str)
    assert patterns.WEEKDAYS[0] == "Mon"
