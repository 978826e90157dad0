"""The KPI pages' time series and control charts are built as plain figure dicts (no Plotly object
construction): their JSON is the very text the ``go.Figure`` versions write, case by case —
gaps, empty frames, segments, targets and bands, hours, local instants, special causes."""
import json

import numpy as np
import pandas as pd
import pytest

from reports import charts
from reports.analysis import control

DAYS = pd.date_range("2026-03-02", periods=6, freq="D")
FRAME = pd.DataFrame({
    "period_start": list(DAYS) * 2,
    "channel": ["voice"] * 6 + ["email"] * 6,
    "service_level": [0.8, 0.7, np.nan, 0.9, 0.85, 0.81, np.nan, np.nan, 0.6, 0.95, 1.0, 0.7],
    "offered": [120, 130, 0, 140, 150, 90, 10, 12, 0, 9, 8, 7],
    "asa_s": [20.0, 31.5, np.nan, 18.0, 25.0, 19.0, 7200.0, 9000.0, np.nan, 3600.0, 5400.0, 1.0],
    "abandon_rate": [0.05, 0.06, np.nan, 0.04, 0.03, 0.02] * 2,
})
# 15-minute periods are local, tz-aware instants (a DST change in the middle).
LOCAL = pd.DataFrame({
    "period_start": pd.date_range("2026-03-29 00:00", periods=12, freq="15min",
                                  tz="Europe/London"),
    "service_level": np.r_[np.linspace(0.5, 0.9, 11), np.nan], "offered": range(12)})

SERIES_CASES = [
    (FRAME, "service_level", {"series": "channel", "target": 0.8, "band": (0.75, 0.85),
                              "definition": "SL 20 s; answered within 20 s"}),
    (FRAME, "offered", {"series": "channel", "definition": "Offered contacts (count)"}),
    (FRAME[FRAME["channel"] == "voice"], "offered", {}),
    (FRAME, "abandon_rate", {"series": "channel", "target": 0.05}),
    (FRAME[FRAME["channel"] == "voice"], "asa_s", {"target": 20.0, "definition": "ASA (s)"}),
    (FRAME[FRAME["channel"] == "email"], "asa_s", {"in_hours": True, "target": 14400.0,
                                                  "definition": "ASA (h)",
                                                  "title": "ASA (h) — channels answered "
                                                           "in hours"}),
    (FRAME.assign(channel=pd.Categorical(FRAME["channel"], ["voice", "email", "chat"])),
     "service_level", {"series": "channel"}),
    (LOCAL, "service_level", {"target": 0.8, "band": (0.75, 0.85)}),
    (FRAME.iloc[0:0], "service_level", {"series": "channel", "target": 0.8}),
    (FRAME.iloc[0:0], "offered", {}),
    (FRAME.assign(service_level=np.nan), "service_level", {"series": "channel"}),
]


@pytest.mark.parametrize(("frame", "kpi", "options"), SERIES_CASES)
def test_kpi_time_series_spec_writes_the_figures_json(frame, kpi, options):
    old = charts.to_json(charts.kpi_time_series(frame, kpi, **options))
    new = charts.spec_json(charts.kpi_time_series_spec(frame, kpi, **options))
    assert new == old
    assert json.loads(new)["layout"]["template"]  # Plotly's default look, as before


def _pchart():
    whole = pd.DataFrame({"period_start": DAYS, "x": [80, 70, 90, 20, 85, 81],
                          "n": [100, 100, 100, 100, 100, 100]})
    return control.p_chart(whole, "x", "n")


CONTROL_CASES = [
    (_pchart(), "period_start", "p", "Service level p-chart", True, "SL 20 s"),
    (_pchart().assign(special_cause=False), "period_start", "p", "Abandon rate p-chart", True,
     ""),
    (control.xmr_chart(pd.Series([300.0, 310.0, 290.0, 900.0, 305.0],
                                  index=pd.Index(DAYS[:5], name="at"))),
     "at", "value", "AHT XmR chart (s)", False, "AHT = (talk + hold + ACW) / handled"),
    (_pchart().assign(p=[0.8, np.nan, 0.9, 0.2, np.nan, 0.81]), "period_start", "p", "Gaps",
     True, "d"),
    (_pchart().iloc[0:0], "period_start", "p", "Empty", True, "d"),
]


@pytest.mark.parametrize(("chart", "x", "value", "title", "percent", "definition"),
                         CONTROL_CASES)
def test_control_chart_spec_writes_the_figures_json(chart, x, value, title, percent,
                                                    definition):
    old = charts.to_json(charts.control_chart(chart, x, value, title, percent=percent,
                                              definition=definition))
    new = charts.spec_json(charts.control_chart_spec(chart, x, value, title, percent=percent,
                                                     definition=definition))
    assert new == old


def test_the_special_causes_and_the_gaps_are_in_the_json():
    chart = _pchart()
    figure = json.loads(charts.spec_json(charts.control_chart_spec(
        chart, "period_start", "p", "SL", percent=True)))
    special = figure["data"][-1]
    assert special["name"] == "Special cause"
    assert len(_dates(figure, -1)) == int(chart["special_cause"].sum()) >= 1
    series = json.loads(charts.spec_json(charts.kpi_time_series_spec(
        FRAME, "service_level", series="channel")))
    voice = next(t for t in series["data"] if t["name"] == "voice")
    values = np.frombuffer(__import__("base64").b64decode(voice["y"]["bdata"]), dtype="<f8")
    assert np.isnan(values[2]) and values[0] == 0.8  # a gap stays a gap, not a zero
    assert voice["connectgaps"] is False


def _dates(figure: dict, trace: int = 0) -> list[str]:
    """A trace's x as the wall-clock times Plotly shows (its typed milliseconds)."""
    x = figure["data"][trace]["x"]
    ms = np.frombuffer(__import__("base64").b64decode(x["bdata"]), dtype=x["dtype"])
    return [str(v) for v in pd.to_datetime(ms, unit="ms")]


def test_dates_are_written_as_typed_milliseconds_on_a_date_axis():
    """Dates travel as Plotly's typed arrays of milliseconds (the wall clock, as Plotly draws
    dates without a zone) on an axis of type date; a missing instant stays missing."""
    figure = json.loads(charts.spec_json(charts.kpi_time_series_spec(FRAME, "offered")))
    assert figure["layout"]["xaxis"]["type"] == "date"
    assert figure["data"][0]["x"]["dtype"] == "f8"
    assert _dates(figure)[:2] == ["2026-03-02 00:00:00", "2026-03-03 00:00:00"]
    local = json.loads(charts.spec_json(charts.kpi_time_series_spec(LOCAL, "service_level")))
    # 29 March 2026 in London: the clocks go forward at 01:00, local wall times are kept.
    assert _dates(local)[:5] == ["2026-03-29 00:00:00", "2026-03-29 00:15:00",
                                 "2026-03-29 00:30:00", "2026-03-29 00:45:00",
                                 "2026-03-29 02:00:00"]
    odd = pd.DataFrame({"period_start": pd.to_datetime(["2026-03-02 06:15:30.25", None]),
                        "offered": [1, 2]})
    assert _dates(json.loads(charts.spec_json(charts.kpi_time_series_spec(odd, "offered")))) \
        == ["2026-03-02 06:15:30.250000", "NaT"]


def test_constant_control_lines_are_drawn_from_their_ends():
    """A p-chart's centre is one value: drawn as a step line from the first period to the
    last (two points), while its limits, which follow each period's count, keep a point per
    period; an XmR chart's limits are constant too."""
    chart = control.p_chart(pd.DataFrame({"period_start": DAYS, "x": [80, 35, 90, 150, 85, 81],
                                          "n": [100, 50, 100, 200, 100, 100]}), "x", "n")
    figure = json.loads(charts.spec_json(charts.control_chart_spec(
        chart, "period_start", "p", "SL", percent=True)))
    lines = {t["name"]: t for t in figure["data"]}
    assert _dates(figure, 1) == ["2026-03-02 00:00:00", "2026-03-07 00:00:00"]
    assert lines["Centre"]["line"]["shape"] == "hv"
    assert len(_dates(figure, 2)) == len(_dates(figure, 3)) == 6
    xmr = control.xmr_chart(pd.Series([300.0, 310.0, 290.0, 900.0, 305.0],
                                      index=pd.Index(DAYS[:5], name="at")))
    figure = json.loads(charts.spec_json(charts.control_chart_spec(xmr, "at", "value", "AHT")))
    assert [len(_dates(figure, i)) for i in range(4)] == [5, 2, 2, 2]
