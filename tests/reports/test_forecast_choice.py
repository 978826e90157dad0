"""Forecasts chosen by back-test: every model forecasts the same held-out weeks, the one with the
lowest daily WAPE is issued (ties: smaller absolute bias) and the choice is kept with it; the
demo centre's daily volume is forecast within 10 %; an issued forecast feeds staffing (agents per
interval at the queue's threshold and the plan's target) and plan versus actual."""
import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
from django.urls import reverse
from openpyxl import load_workbook

from contactmis.scope import Scope
from pathways.models import Queue
from reports.analysis import forecast as fc
from reports.models import Forecast
from reports.vocabulary import NO_DATA

from .factories import interval_row

# --- pure: hand-checked small frames -------------------------------------------------------


def test_forecast_against_actual_per_week_by_hand():
    # A forecast of 100 a day for Mon 2 – Tue 10 Mar; the actuals miss Thursday 5 (a gap, left
    # out of both sides) and are 90, 110, 100, _, 100, 100, 100, 80, 120.
    issued = pd.DataFrame({"period_start": pd.date_range("2026-03-02", periods=36, freq="6h"),
                           "offered_forecast": 25.0})
    actual = pd.DataFrame({"day": pd.date_range("2026-03-02", periods=9).delete(3),
                           "offered": [90, 110, 100, 100, 100, 100, 80, 120]})
    out = fc.accuracy_by_period(issued, actual, "W")
    assert out[["days", "forecast", "actual", "error"]].to_numpy().tolist() == [
        [6, 600, 600, 0], [2, 200, 200, 0]]
    # Daily: Σ|F − A| = 10 + 10 + 20 + 20 = 60 over Σ A = 800; the weeks hide it.
    assert out.attrs["wape"] == pytest.approx(60 / 800)
    assert out.attrs["bias"] == pytest.approx(0.0)


def test_choice_is_lowest_daily_wape_and_a_tie_goes_to_the_smaller_bias():
    summary = pd.DataFrame({
        "method": ["holt_winters", "stl_ets", "seasonal_naive"],
        "label": ["Holt-Winters", "STL + ETS", "Seasonal naive"],
        "daily_wape": [0.0504, 0.0501, 0.09], "daily_bias": [0.03, -0.01, 0.0],
        "interval_wape": [0.4, 0.41, 0.6], "interval_bias": [0.03, -0.01, 0.0], "weeks": 4})
    choice = fc.choose(summary)
    assert choice.method == "stl_ets"  # 5.0 % each to a tenth of a point; |−1 %| < |3 %|
    assert choice.reason == (
        "STL + ETS had the lowest error on daily volume over the same 4 held-out weeks: a daily "
        "WAPE of 5.0 % with a bias of -1.0 %; Holt-Winters was as accurate but leaned further "
        "(+3.0 %).")
    clear = fc.choose(summary.assign(daily_wape=[0.04, 0.06, 0.09]))
    assert clear.method == "holt_winters"
    assert clear.reason.endswith("against 6.0 % for the next best, STL + ETS.")
    with pytest.raises(ValueError):
        fc.choose(summary.assign(daily_wape=np.nan))


def _grid(daily: np.ndarray) -> pd.DataFrame:
    """Hourly grid (24 slots a day) with the day's volume spread evenly over 09:00–17:00."""
    shape = np.zeros(24)
    shape[9:17] = 1 / 8
    offered = np.concatenate([d * shape for d in daily])
    index = pd.date_range("2026-01-05", periods=len(offered), freq="h")
    return pd.DataFrame({"offered": offered, "handled": offered, "handle_s": offered * 200},
                        index=index.rename("period_start"))


def test_the_model_that_is_right_wins():
    # Five weeks at one weekly pattern, then the level doubles for good: the same interval a
    # week earlier is exactly right on the held-out weeks, the smoothed models catch up slowly.
    week = np.array([120, 110, 100, 100, 90, 40, 20], float)
    grid = _grid(np.concatenate([np.tile(week, 5), np.tile(2 * week, 3)]))
    bt = fc.backtest(grid, holdout_weeks=2)
    summary = bt.summary.set_index("method")
    assert summary.loc["seasonal_naive", "daily_wape"] == pytest.approx(0.0, abs=1e-9)
    assert summary.loc["holt_winters", "daily_wape"] > 0.01
    assert summary.loc["stl_ets", "daily_wape"] > 0.01
    assert set(pd.DatetimeIndex(bt.folds["week_start"]).date) == {dt.date(2026, 2, 16),
                                                                  dt.date(2026, 2, 23)}
    assert fc.choose(bt.summary).method == "seasonal_naive"
    # Stable weekly traffic with a steady trend: repeating last week lags a week behind.
    days = np.arange(8 * 7)
    trending = np.tile(week, 8) * (1 + 0.01 * days)
    bt = fc.backtest(_grid(trending), holdout_weeks=2)
    summary = bt.summary.set_index("method")
    assert summary.loc["seasonal_naive", "daily_bias"] < -0.04  # about a week's growth
    assert fc.choose(bt.summary).method in ("holt_winters", "stl_ets")


# --- the demo centre as the demo simulates it ------------------------------------------------


@pytest.fixture(scope="module")
def demo_history():
    """Thirteen weeks of the demo centre's queue traffic (the demo's configuration, scale and
    seed), per local 15-minute interval as the rollups hold it: offered, handled, handle time."""
    from measurements.simulator import simulate
    from measurements.simulator.config import default_centre
    from stakeholders.demo import DEMO_SCALE, DEMO_SEED

    zone = "Europe/London"
    first, last = dt.date(2026, 8, 17), dt.date(2026, 11, 15)
    sim = simulate(first, last, seed=DEMO_SEED, scale=DEMO_SCALE, time_zone=zone,
                   config=default_centre(zone))
    qi = sim.queue_intervals
    local = pd.to_datetime(qi["interval_start_t"], unit="s", utc=True).dt.tz_convert(
        zone).dt.tz_localize(None)
    frame = pd.DataFrame({"period_start": local, "offered": qi["offered"],
                          "handled": qi["answered"],
                          "handle_s": qi["talk_s"] + qi["hold_s"] + qi["acw_s"]})
    return fc.complete_grid(frame, start=first, end=last + dt.timedelta(days=1))


def test_demo_daily_volume_is_forecast_within_ten_percent(demo_history):
    bt = fc.backtest(demo_history, holdout_weeks=4)
    summary = bt.summary.set_index("method")
    for method, r in summary.iterrows():
        print(f"{method}: daily WAPE {r['daily_wape']:.1%} (bias {r['daily_bias']:+.1%}), "
              f"interval WAPE {r['interval_wape']:.1%}")
    choice = fc.choose(bt.summary)
    assert choice.daily_wape < 0.10
    assert summary["weeks"].eq(4).all()
    # Per 15-minute interval the error is mostly chance: a few contacts an interval.
    assert (summary["interval_wape"] > summary["daily_wape"] * 3).all()


# --- pages, staffing and plan versus actual --------------------------------------------------

@pytest.fixture
def five_weeks(centre):
    """Mon 2 Feb – Sun 8 Mar 2026 (35 days), four intervals a day from 08:00, the same traffic
    each week: 10 + slot offered on weekdays, 4 at weekends, 240 s handle time each."""
    queue = Queue.objects.create(centre=centre, code="SALES", name="Sales")
    start = dt.datetime(2026, 2, 2, 8, 0, tzinfo=centre.tz)
    for day in range(35):
        weekend = (start + dt.timedelta(days=day)).weekday() >= 5
        for slot in range(4):
            n = 4 if weekend else 10 + slot
            interval_row(centre, queue, start + dt.timedelta(days=day, minutes=15 * slot),
                         offered=n, answered=n, abandoned=0, within={20: n},
                         abandoned_within={}, talk_s=240 * n)
    return queue


@pytest.mark.django_db
def test_forecast_page_compares_the_models_side_by_side(manager_client, five_weeks):
    response = manager_client.post(reverse("reports:forecasts"), {
        "history_start": "2026-02-02", "history_end": "2026-03-02", "horizon_days": 7,
        "method": "best", "holdout_weeks": 1, "queue": five_weeks.pk})
    assert response.status_code == 302
    forecast = Forecast.objects.get()
    assert [m["method"] for m in forecast.backtest] == ["holt_winters", "stl_ets",
                                                         "seasonal_naive"]
    assert forecast.holdout_weeks == 1 and forecast.selection
    # Every week the same: every model is exact, and the tie is broken by bias, then in order.
    chosen = next(m for m in forecast.backtest if m["method"] == forecast.method)
    assert chosen["daily_wape"] == pytest.approx(0.0, abs=0.001)
    assert forecast.backtest_daily_wape == pytest.approx(chosen["daily_wape"])
    html = manager_client.get(response.url).content.decode()
    assert "Which model, and why" in html
    # The week forecast has arrived, exactly as every earlier week.
    assert "(7 days with data)" in html
    assert "daily totals WAPE <strong>0.0 %</strong>" in html
    for label in ("Holt-Winters", "STL + ETS", "Seasonal naive"):
        assert f"<td>{label}</td>" in html or f"<strong>{label}</strong>" in html
    assert forecast.selection in html
    assert "Staff to this forecast" in html
    book = load_workbook(io.BytesIO(manager_client.get(response.url + "&export=xlsx").content))
    sheet = book["Models compared"]
    rows = [r for r in sheet.iter_rows(values_only=True) if r and r[0]]
    assert rows[1][:2] == ("Model", "Chosen") and len(rows) == 2 + 3
    about = [r[0] for r in book["About"].iter_rows(values_only=True) if r and r[0]]
    assert f"Model choice: {forecast.selection}" in about


def _configured(centre, queue, threshold_s):
    from measurements.models import MeasurementConfig, MetricDefinition
    from pathways.models import Pathway, Step

    pathway = Pathway.objects.create(centre=centre, name=f"{queue} line", channel=queue.channel)
    step = Step.objects.create(pathway=pathway, name=str(queue), kind="queue", queue=queue,
                               position=0, is_entry=True)
    MeasurementConfig.objects.create(
        metric=MetricDefinition.objects.filter(code="service_level").order_by("version").first(),
        step=step, parameters={"threshold_s": threshold_s})


def _issued(centre, queue, day, offered=50.0, aht_s=180.0):
    """A forecast for one day: ``offered`` contacts of ``aht_s`` at 09:00, nothing else."""
    values = [{"period_start": f"{day}T{h:02d}:{m:02d}:00",
               "offered": offered if (h, m) == (9, 0) else 0.0, "aht_s": aht_s}
              for h in range(24) for m in (0, 15, 30, 45)]
    return Forecast.objects.create(centre=centre, queue=queue, method="holt_winters",
                                   history_start=day - dt.timedelta(days=28), history_end=day,
                                   horizon_start=day, horizon_end=day + dt.timedelta(days=1),
                                   values=values, backtest_daily_wape=0.05,
                                   backtest_daily_bias=0.01)


@pytest.mark.django_db
def test_staffing_to_a_forecast_at_each_queues_threshold_and_target(manager_client, centre):
    from reports.analyses import forecast_staffing_report
    from tests.stakeholders.factories import business_plan

    day = dt.date(2026, 3, 2)
    billing = Queue.objects.create(centre=centre, code="BILL", name="Billing")
    sales = Queue.objects.create(centre=centre, code="SALES", name="Sales")
    _configured(centre, billing, 20)
    _configured(centre, sales, 60)
    business_plan(centre, day, [("service_level", 90, billing), ("service_level", 80, sales)])
    # 50 calls of 180 s in 900 s: A = 10 erlangs. Erlang C: 15 agents answer 90 % within 20 s,
    # 13 answer 80 % within 60 s.
    one = forecast_staffing_report(Scope.everything(), centre, _issued(centre, billing, day))
    nine = next(r for r in one["tables"]["intervals"]
                if str(r["period_start"]).startswith("2026-03-02T09:00"))
    assert nine["traffic_erlangs"] == pytest.approx(10.0)
    assert nine["required_agents"] == 15
    assert (one["queues"][0]["threshold_s"], one["queues"][0]["target_sl"]) == (20, 0.9)
    assert one["totals"]["peak_required"] == 15
    other = _issued(centre, sales, day)
    two = forecast_staffing_report(Scope.everything(), centre, other)
    assert max(r["required_agents"] for r in two["tables"]["intervals"]) == 13
    # An explicit override is used (and the plan's target otherwise).
    three = forecast_staffing_report(Scope.everything(), centre, other, target_sl=0.9,
                                     threshold_s=20)
    assert max(r["required_agents"] for r in three["tables"]["intervals"]) == 15
    # Several queues together are never pooled into one Erlang C.
    pooled = forecast_staffing_report(Scope.everything(), centre, _issued(centre, None, day))
    assert pooled["empty"] and "queue by queue" in pooled["prompt"]
    # The page.
    html = manager_client.get(reverse("reports:staffing"),
                              {"forecast": other.pk}).content.decode()
    assert "Staffed to: " in html and "at peak 13 agents required" in html
    assert "Staff to a forecast" in html
    csv = manager_client.get(reverse("reports:staffing"), {
        "forecast": other.pk, "export": "csv", "table": "intervals"}).content.decode()
    assert "Period,Forecast offered,Forecast handle time (s),Traffic (Erlangs)," in csv
    assert "2026-03-02T09:00:00,50.0,180.0,10.0,13," in csv
    assert "Staffed to the forecast" in csv


@pytest.mark.django_db
def test_a_queue_without_a_target_is_not_staffed_to_its_forecast(centre):
    from reports.analyses import forecast_staffing_report

    queue = Queue.objects.create(centre=centre, code="Q", name="Q")
    out = forecast_staffing_report(Scope.everything(), centre,
                                   _issued(centre, queue, dt.date(2026, 3, 2)))
    assert out["empty"] and "No service-level target" in out["prompt"]


@pytest.mark.django_db
def test_plan_versus_actual_sets_the_forecast_against_actual_and_the_plan(centre):
    from measurements.models import BudgetLine, PlannedVolume
    from tests.reports.test_report_meaning import _report
    from tests.stakeholders.factories import business_plan

    queue = Queue.objects.create(centre=centre, code="Q1", name="Calls")
    # 1–14 Oct 2026: 10 calls a day offered on the 1st–7th, 20 on the 8th–14th.
    for d in range(14):
        interval_row(centre, queue, dt.datetime(2026, 10, 1 + d, 9, 0, tzinfo=centre.tz),
                     offered=10 if d < 7 else 20, answered=10 if d < 7 else 20, abandoned=0,
                     within={20: 5}, abandoned_within={}, talk_s=1800)
    plan = business_plan(centre, dt.date(2026, 10, 1), [("service_level", 80, None)])
    PlannedVolume.objects.create(plan=plan, period_start=dt.date(2026, 10, 1),
                                 period_end=dt.date(2026, 10, 14), channel="voice", contacts=280)
    BudgetLine.objects.create(plan=plan, category="staff", period_start=dt.date(2026, 10, 1),
                              period_end=dt.date(2026, 10, 14), channel="voice", amount=1400)
    values = [{"period_start": f"2026-10-{1 + d:02d}T09:00:00", "offered": 15.0, "aht_s": 180.0}
              for d in range(14)]
    forecast = Forecast.objects.create(centre=centre, method="stl_ets", values=values,
                            scope_label="Whole centre", history_start=dt.date(2026, 8, 1),
                            history_end=dt.date(2026, 10, 1),
                            horizon_start=dt.date(2026, 10, 1),
                            horizon_end=dt.date(2026, 10, 15), selection="chosen")
    report = _report("monthly", (dt.date(2026, 10, 1), dt.date(2026, 10, 14)))
    plan_tables = [t for s, t in report.all_tables() if s.key == "plan"]
    table = next(t for t in plan_tables if t.caption.startswith("Volume: forecast"))
    # Per day (a fortnight): forecast 15 against 10, then against 20; planned 280 / 14 a day.
    assert table.rows[0] == ["Thu 01 Oct", "15", "10", "+50.0 %", "20"]
    assert table.rows[-1] == ["Wed 14 Oct", "15", "20", "-25.0 %", "20"]
    # Daily WAPE = (7 × 5 + 7 × 5) / 210; bias = (210 − 210) / 210.
    assert "WAPE of daily totals 33.3 %, bias +0.0 %" in table.definition
    assert "by back-test" in table.definition
    # A forecast of one queue describes that queue's scope, not the whole centre's, and is
    # not set beside the plan's volumes, which are of whole channels.
    forecast.queue = queue
    forecast.save()
    report = _report("monthly", (dt.date(2026, 10, 1), dt.date(2026, 10, 14)))
    assert not any(s.key == "plan" and t.caption.startswith("Volume: forecast")
                   for s, t in report.all_tables())
    report = _report("monthly", (dt.date(2026, 10, 1), dt.date(2026, 10, 14)),
                     Scope(queue_ids=frozenset({queue.pk}), label="Calls"))
    table = next(t for s, t in report.all_tables()
                 if s.key == "plan" and t.caption.startswith("Volume: forecast"))
    assert table.rows[0] == ["Thu 01 Oct", "15", "10", "+50.0 %", NO_DATA]
    assert "not of this scope's queues" in table.definition
