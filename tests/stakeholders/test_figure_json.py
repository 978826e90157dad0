"""The dashboard charts written as plain JSON (``stakeholders.figures``) are the JSON the Plotly
figure objects gave (``plotly_reference``): identical data, layout and typed arrays for each
chart kind — time series (targets, bands, breakdowns, comparisons, grains), control charts,
staffing, intraday and forecast versus actual — including gaps and charts with little data."""
import json

import numpy as np
import pandas as pd
import pytest

from reports.analysis import control
from reports.vocabulary import METRICS
from stakeholders import figures

from . import plotly_reference as reference

DAYS = pd.date_range("2026-10-20", periods=14, freq="D")
RNG = np.random.default_rng(20)


def _kpis(days=DAYS, gaps=(), counts=False):
    """A widget's KPI table: a service level, an abandon rate, AHT and offered per bucket,
    ``gaps`` rows empty (NaN), as ``widgets.with_kpis`` gives them."""
    n = len(days)
    frame = pd.DataFrame({
        "period_start": days,
        "offered": RNG.integers(50, 400, n).astype("int64"),
        "service_level": RNG.uniform(0.6, 0.95, n),
        "abandon_rate": RNG.uniform(0.01, 0.12, n),
        "aht_s": RNG.uniform(200, 420, n),
    })
    for i in gaps:
        frame.loc[i, ["service_level", "abandon_rate", "aht_s"]] = np.nan
    if counts:
        frame["offered"] = frame["offered"].astype(float)
    return frame


def _breakdown(days=DAYS[:5]):
    parts = []
    for key, label in ((11, "Billing"), (12, "Sales"), (13, "Retention")):
        part = _kpis(days).assign(key=key, key_label=label)
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True).sort_values(["period_start", "key"])
    frame.loc[frame.index[2], "service_level"] = np.nan  # a gap in one series
    return frame.reset_index(drop=True)


def _comparison(days=DAYS, name="the previous 14 days", gaps=(3,)):
    own = days - pd.Timedelta(days=len(days))
    frame = pd.DataFrame({"period_start": days, "compared_start": own,
                          "service_level": RNG.uniform(0.6, 0.95, len(days))})
    frame.loc[list(gaps), "service_level"] = np.nan
    return frame, name


SL, OFFERED, AHT, ABANDON = (METRICS[k] for k in ("service_level", "offered", "aht_s",
                                                   "abandon_rate"))
TIME_SERIES = {
    "service level by day, no target": dict(table=_kpis(), metrics=[SL]),
    "service level with target and gaps": dict(table=_kpis(gaps=(2, 3, 9)), metrics=[SL],
                                               target=0.8),
    "offered with a target and amber margin": dict(table=_kpis(), metrics=[OFFERED],
                                                   target=250, amber_margin=30),
    "offered as floats": dict(table=_kpis(counts=True), metrics=[OFFERED], target=200.5),
    "AHT (lower is better) with target": dict(table=_kpis(), metrics=[AHT], target=300),
    "abandon rate with a target from the plan": dict(table=_kpis(gaps=(0,)), metrics=[ABANDON],
                                                     target="0.05"),
    "broken down by queue with target": dict(table=_breakdown(), metrics=[SL], breakdown=True,
                                             target=0.8),
    "broken down by queue, no target": dict(table=_breakdown(), metrics=[OFFERED],
                                            breakdown=True),
    "by month over 13 months": dict(
        table=_kpis(pd.date_range("2025-11-01", periods=13, freq="MS")), metrics=[SL],
        target=0.8, granularity="month", tz="Europe/London"),
    "by quarter": dict(table=_kpis(pd.date_range("2025-10-01", periods=5, freq="QS")),
                       metrics=[OFFERED], granularity="quarter"),
    "15-minute intervals of a day": dict(
        table=_kpis(pd.date_range("2026-11-19 08:00", periods=40, freq="15min")),
        metrics=[SL], granularity="15min", target=0.8),
    "one bucket only": dict(table=_kpis(DAYS[:1]), metrics=[SL], target=0.8),
    "every value a gap": dict(table=_kpis(DAYS[:4], gaps=(0, 1, 2, 3)), metrics=[SL],
                              target=0.8),
    "with the previous period dashed": dict(table=_kpis(), metrics=[SL], target=0.8,
                                            comparison=_comparison()),
    "with last year by hour": dict(
        table=_kpis(pd.date_range("2026-11-19", periods=24, freq="h")), metrics=[SL],
        granularity="hour",
        comparison=_comparison(pd.date_range("2026-11-19", periods=24, freq="h"),
                               "the same day last year", gaps=(0, 23))),
}


def _same(new, old):
    assert new == old
    # Written out as the page embeds it: the same JSON text once keys are ordered alike.
    assert json.dumps(new, sort_keys=True) == json.dumps(old, sort_keys=True)


@pytest.mark.parametrize("case", list(TIME_SERIES), ids=list(TIME_SERIES))
def test_time_series_json_is_the_plotly_figures(case):
    kwargs = TIME_SERIES[case]
    new, old = figures.time_series(**kwargs), reference.time_series(**kwargs)
    _same(new, old)
    assert new["data"] and new["layout"]["xaxis"]["title"]["text"]


def _xmr(gaps=()):
    series = pd.Series(RNG.normal(300, 20, len(DAYS)), index=DAYS)
    series.iloc[5] = 420  # a special cause
    for i in gaps:
        series.iloc[i] = np.nan
    return control.xmr_chart(series).rename(columns={"at": "period_start"})


def _p_chart():
    frame = pd.DataFrame({"period_start": DAYS, "x": RNG.integers(150, 200, len(DAYS)),
                          "n": RNG.integers(200, 230, len(DAYS))})
    return control.p_chart(frame, "x", "n").rename(columns={"p": "value"})


@pytest.mark.parametrize("chart, metric", [
    (_xmr(), AHT), (_xmr(gaps=(2,)), AHT), (_p_chart(), SL), (_p_chart(), ABANDON)],
    ids=["xmr with a special cause", "xmr with a gap", "p-chart of service level",
         "p-chart of abandon rate"])
def test_control_chart_json_is_the_plotly_figures(chart, metric):
    new = figures.control_chart(chart, metric, "Europe/London")
    _same(new, reference.control_chart(chart, metric, "Europe/London"))
    assert [t["name"] for t in new["data"]][-1] == "Special cause"


def _staffing(actual=True):
    slots = pd.date_range("2026-11-19 08:00", periods=32, freq="15min")
    required = RNG.integers(3, 12, len(slots))
    table = pd.DataFrame({"period_start": slots, "offered": required * 4,
                          "aht_s": RNG.uniform(200, 400, len(slots)),
                          "required_agents": required,
                          "scheduled_agents": required / 0.7})
    table["actual_agents"] = np.where(np.arange(len(slots)) % 5 == 0, np.nan,
                                      required + 1.5) if actual else np.nan
    table["gap_agents"] = table["actual_agents"] - table["scheduled_agents"]
    return table


@pytest.mark.parametrize("actual", [True, False], ids=["with staffed agents",
                                                       "no agent-state feed"])
def test_staffing_json_is_the_plotly_figures(actual):
    table = _staffing(actual)
    new = figures.staffing(table, "Europe/London")
    _same(new, reference.staffing(table, "Europe/London"))
    assert len(new["data"]) == (3 if actual else 2)


def _intraday(now_slot=20, issued=True):
    slots = pd.date_range("2026-11-20 00:00", periods=96, freq="15min")
    forecast = RNG.uniform(0, 12, len(slots)) if issued else np.full(len(slots), np.nan)
    done = np.arange(len(slots)) < now_slot
    return pd.DataFrame({
        "period_start": slots,
        "actual": np.where(done, RNG.integers(0, 14, len(slots)), np.nan),
        "forecast": forecast,
        "reforecast": np.where(done, np.nan, forecast * 1.1),
        "required_agents": np.where(done, np.nan, 4.0), "complete": done})


@pytest.mark.parametrize("table", [_intraday(), _intraday(0), _intraday(96),
                                   _intraday(issued=False)],
                         ids=["mid-morning", "before the first contact", "day done",
                              "no forecast issued"])
def test_intraday_json_is_the_plotly_figures(table):
    _same(figures.intraday(table, "Europe/London"),
          reference.intraday(table, "Europe/London"))


def _forecast(days=DAYS, gaps=(), ints=True):
    actual = RNG.integers(80, 300, len(days))
    table = pd.DataFrame({"period_start": days,
                          "forecast": RNG.uniform(80, 300, len(days)),
                          "actual": actual if ints else actual.astype(float)})
    if gaps:
        table["actual"] = table["actual"].astype(float)
        table.loc[list(gaps), "actual"] = np.nan
    return table


@pytest.mark.parametrize("table, metric", [
    (_forecast(), OFFERED), (_forecast(gaps=(4, 12)), OFFERED),
    (_forecast(pd.date_range("2026-09-01", periods=92, freq="D")), METRICS["handled"]),
    (_forecast(DAYS[:1], ints=False), OFFERED)],
    ids=["a fortnight", "days without data", "a quarter", "one day"])
def test_forecast_json_is_the_plotly_figures(table, metric):
    new = figures.forecast_vs_actual(table, metric, "Europe/London")
    _same(new, reference.forecast_vs_actual(table, metric, "Europe/London"))
    assert [t["name"] for t in new["data"]] == ["Actual", "Forecast"]
