"""The one lookup of the forecast that describes a scope (``reports.selectors.scope_forecast``)
and the intraday figures built on it: the whole centre's forecast for a scope that sees
everything, the sum of its queues' newest forecasts for a scope of queues (none at all, naming
the queues, when one that needs a forecast has none), no figure for a scope of segments or
pathways; the rest of today re-forecast and staffed queue by queue, each at its own threshold
and target, then added up (fixed dates and instants; never the real clock)."""
import datetime as dt
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from contactmis.scope import Scope
from reports.analysis import erlang
from reports.analysis.forecast import aht_filled
from reports.models import Forecast
from reports.selectors import scope_forecast
from tests.reports.test_forecast_choice import _configured
from tests.stakeholders.factories import business_plan

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
DAY = dt.date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 8, 50, tzinfo=UTC)  # 08:50 GMT: 08:00–08:45 are over


def _forecast(centre, queue, offered, aht_s=300.0, issued=None, scope_label="Whole centre"):
    """A forecast of DAY from 08:00, one 15-minute value per item of ``offered``."""
    values = [{"period_start": f"{DAY}T{8 + i // 4:02d}:{15 * (i % 4):02d}:00",
               "offered": float(v), "aht_s": aht_s if not isinstance(aht_s, list) else aht_s[i]}
              for i, v in enumerate(offered)]
    made = Forecast.objects.create(
        centre=centre, queue=queue, method="holt_winters", history_start=dt.date(2026, 2, 1),
        history_end=DAY, horizon_start=DAY, horizon_end=DAY + dt.timedelta(days=7),
        values=values, scope_label=scope_label if queue is None else str(queue))
    if issued is not None:
        Forecast.objects.filter(pk=made.pk).update(issued_at=issued)
        made.refresh_from_db()
    return made


def _history(centre, queues, day=dt.date(2026, 2, 20)):
    """One call in each of ``queues`` on ``day`` (within the 13 weeks before DAY)."""
    from measurements.models import IntervalStat
    from measurements.services.daily import daily_rollup_refresh
    from tests.stakeholders.test_business_day import _row
    IntervalStat.objects.bulk_create([
        _row(centre, q, datetime(day.year, day.month, day.day, 10, tzinfo=LONDON), 1)
        for q in queues])
    daily_rollup_refresh(None, [day])


@pytest.fixture
def floor(centre):
    from pathways.models import Queue

    sales = Queue.objects.create(centre=centre, code="SALES", name="Sales", channel="voice")
    billing = Queue.objects.create(centre=centre, code="BILL", name="Billing", channel="voice")
    quiet = Queue.objects.create(centre=centre, code="QUIET", name="Quiet", channel="voice")
    _history(centre, [sales, billing])
    return {"sales": sales, "billing": billing, "quiet": quiet}


def _of(*queues):
    return Scope(queue_ids=frozenset(q.pk for q in queues), label="Team")


def test_the_whole_centre_sees_the_newest_centre_wide_forecast(centre, floor):
    _forecast(centre, None, [100, 100], issued=datetime(2026, 3, 1, tzinfo=UTC))
    newest = _forecast(centre, None, [90, 80], issued=datetime(2026, 3, 8, tzinfo=UTC))
    _forecast(centre, floor["sales"], [10, 10])
    found = scope_forecast(Scope.everything(), centre, DAY, DAY)
    assert found.empty == ""
    assert found.total == newest
    assert list(found.values["offered"]) == [90, 80]
    # The queues' own forecasts stand beside it (to staff queue by queue); Billing lacks one.
    assert set(found.parts) == {floor["sales"].pk}
    assert found.missing == ["Billing"]


def test_a_scope_of_queues_sees_the_sum_of_its_queues_newest_forecasts(centre, floor):
    _forecast(centre, None, [1000, 1000])
    _forecast(centre, floor["sales"], [99, 99], issued=datetime(2026, 3, 1, tzinfo=UTC))
    _forecast(centre, floor["sales"], [10, 30], aht_s=[100.0, 200.0],
              issued=datetime(2026, 3, 8, tzinfo=UTC))
    _forecast(centre, floor["billing"], [30, 0], aht_s=[500.0, None])
    found = scope_forecast(_of(floor["sales"], floor["billing"]), centre, DAY, DAY)
    assert found.empty == "" and found.total is None
    assert list(found.values["offered"]) == [40, 30]
    # AHT of the sum: Σ offered × AHT ÷ Σ offered, (10×100 + 30×500) / 40 = 400 s, not the
    # mean of 100 and 500; the second interval's only AHT is Sales's.
    np.testing.assert_allclose(found.values["aht_s"], [400.0, 200.0])
    assert "the sum of 2 queues' forecasts (Billing, Sales" in found.describe()


def test_a_queue_that_took_contacts_without_a_forecast_leaves_no_partial_sum(centre, floor):
    _forecast(centre, floor["sales"], [10, 10])
    found = scope_forecast(_of(floor["sales"], floor["billing"], floor["quiet"]), centre,
                           DAY, DAY)
    assert found.values.empty
    assert found.missing == ["Billing"]  # Quiet took no contacts in 13 weeks: needs none
    assert found.empty.startswith("No forecast has been issued for Billing")
    _forecast(centre, floor["billing"], [5, 5])
    found = scope_forecast(_of(floor["sales"], floor["billing"], floor["quiet"]), centre,
                           DAY, DAY)
    assert list(found.values["offered"]) == [15, 15]


def test_a_channel_scope_is_the_queues_of_its_channel(centre, floor):
    from pathways.models import Queue

    chat = Queue.objects.create(centre=centre, code="CHAT", name="Chat", channel="chat")
    _forecast(centre, floor["sales"], [10, 10])
    _forecast(centre, floor["billing"], [5, 5])
    _forecast(centre, chat, [500, 500])
    found = scope_forecast(Scope(channels=frozenset({"voice"})), centre, DAY, DAY)
    assert list(found.values["offered"]) == [15, 15]


@pytest.mark.parametrize("scope", [Scope(segments=frozenset({"gold"})),
                                   Scope(pathway_ids=frozenset({1}))])
def test_segments_and_pathways_get_no_figure_rather_than_a_wrong_one(centre, floor, scope):
    _forecast(centre, None, [100, 100])
    _forecast(centre, floor["sales"], [10, 10])
    found = scope_forecast(scope, centre, DAY, DAY)
    assert found.values.empty and found.forecasts == []
    assert "limited by customer segment or pathway" in found.empty


def test_aht_gaps_are_filled_by_a_ratio_of_sums():
    filled, overall = aht_filled([10, 30, 5, 0], [100.0, 500.0, None, 900.0])
    assert overall == pytest.approx((10 * 100 + 30 * 500) / 40)
    np.testing.assert_allclose(filled, [100.0, 500.0, 400.0, 900.0])
    filled, overall = aht_filled([0, 3], [None, None])
    assert np.isnan(overall) and np.isnan(filled).all()


@pytest.fixture
def morning(centre, floor, settings):
    """Sales answers within 20 s to 80 %, Billing within 60 s to 90 %; each has its own
    forecast for 08:00–10:00; Sales took 24 calls by 08:45 against 30 forecast (×0.8),
    Billing 60 against 30 (×2.0)."""
    from measurements.models import IntervalStat
    from measurements.services.daily import daily_rollup_refresh
    from tests.stakeholders.test_business_day import _row

    settings.CONTACTMIS_DASHBOARD_CACHE_S = 0
    sales, billing = floor["sales"], floor["billing"]
    _configured(centre, sales, 20)
    _configured(centre, billing, 60)
    business_plan(centre, DAY, [("service_level", 80, sales), ("service_level", 90, billing)])
    _forecast(centre, sales, [10] * 8, aht_s=300.0)
    _forecast(centre, billing, [10] * 8, aht_s=[600.0] * 4 + [None] * 4)
    _forecast(centre, None, [25] * 8)
    IntervalStat.objects.bulk_create(
        [_row(centre, sales, datetime(2026, 3, 10, 8, 15 * i, tzinfo=LONDON), 8)
         for i in range(3)]
        + [_row(centre, billing, datetime(2026, 3, 10, 8, 15 * i, tzinfo=LONDON), 20)
           for i in range(3)])
    daily_rollup_refresh(None, [DAY])
    return floor


def _intraday(scope, queue=None):
    from stakeholders.models import Widget
    from stakeholders.widgets import widget_result

    widget = Widget(kind="intraday", title="Today against forecast", metrics=["offered"],
                    period="today", granularity="15min")
    return widget_result(widget, scope, NOW, queue=queue)


def test_a_team_leader_sees_their_queues_forecast_re_forecast_and_staffed_per_queue(
        centre, morning):
    result = _intraday(_of(morning["sales"], morning["billing"]))
    table = result.table
    assert result.empty is None, result.empty
    np.testing.assert_allclose(table["forecast"], [20] * 8)  # the sum, not the centre's 25
    assert list(table["actual"].iloc[:3]) == [28, 28, 28]
    # Each queue re-forecast by its own error: Sales 10 × 0.8, Billing 10 × 2.0.
    np.testing.assert_allclose(table["reforecast"].iloc[3:], [8 + 20] * 5)
    # Agents: Erlang C per queue at its own threshold and target, then added — Billing's
    # missing AHTs after 09:00 filled with its forecast's own (600 s).
    sales = erlang.staffing_table(np.array([8.0]), 900, np.array([300.0]), threshold_s=20,
                                  target_sl=0.8)["agents"][0]
    billing = erlang.staffing_table(np.array([20.0]), 900, np.array([600.0]), threshold_s=60,
                                    target_sl=0.9)["agents"][0]
    assert list(table["required_agents"].iloc[3:]) == [sales + billing] * 5
    pooled = erlang.staffing_table(np.array([28.0]), 900, np.array([(8 * 300 + 20 * 600) / 28]),
                                   threshold_s=20, target_sl=0.9)["agents"][0]
    assert sales + billing != pooled
    assert any("queue by queue" in n and "Sales" in n and "Billing" in n
               for n in result.notes), result.notes


def test_the_manager_sees_the_centre_forecast_with_agents_from_every_queue(centre, morning):
    result = _intraday(Scope.everything())
    np.testing.assert_allclose(result.table["forecast"], [25] * 8)
    assert result.table["required_agents"].iloc[3:].notna().all()


def test_no_agents_are_added_up_while_a_queue_lacks_a_target(centre, morning):
    from measurements.models import Target

    Target.objects.filter(queue=morning["billing"]).delete()
    result = _intraday(_of(morning["sales"], morning["billing"]))
    assert result.table["required_agents"].isna().all()
    assert any("no service-level target is in force for Billing" in n for n in result.notes)


def test_a_segment_scope_is_told_why_it_has_no_forecast(centre, morning):
    result = _intraday(Scope(segments=frozenset({"gold"})))
    assert "limited by customer segment or pathway" in result.empty


def test_a_new_forecast_or_the_next_interval_is_a_new_cache_key(centre, morning):
    from reports.periods import resolve_period
    from stakeholders.models import Widget
    from stakeholders.widgets import _cache_key

    widget = Widget(kind="intraday", title="t", metrics=["offered"], period="today",
                    granularity="15min")
    period = resolve_period("today", NOW, LONDON)
    key = _cache_key(widget, Scope.everything(), period, None, NOW, 1)
    assert key == _cache_key(widget, Scope.everything(), period, None,
                             NOW + dt.timedelta(minutes=4), 1)
    assert key != _cache_key(widget, Scope.everything(), period, None,
                             NOW + dt.timedelta(minutes=11), 1)  # 09:01
    _forecast(centre, None, [30] * 8)
    assert key != _cache_key(widget, Scope.everything(), period, None, NOW, 1)


def test_a_morning_without_any_data_is_a_gap_not_a_forecast_of_nothing():
    import pandas as pd

    from reports.analysis.forecast import reforecast_rest_of_day

    day = pd.DataFrame({"period_start": pd.date_range("2026-03-10 08:00", periods=4,
                                                      freq="15min"),
                        "forecast": [10.0, 10.0, 20.0, 20.0], "actual": np.nan})
    table, how = reforecast_rest_of_day(day, pd.Timestamp("2026-03-10 08:35"), 900)
    assert np.isnan(how.ratio)
    assert how.words.startswith("Rest of the day as issued: no data has arrived for the "
                                "intervals up to 08:30")
    np.testing.assert_allclose(table["reforecast"].iloc[2:], [20, 20])


def test_required_agents_today_are_added_across_queues_at_their_own_thresholds(centre,
                                                                               morning):
    from stakeholders.models import Widget
    from stakeholders.widgets import widget_result

    widget = Widget(kind="staffing", title="Required versus actual agents, today",
                    metrics=["offered"], period="today", granularity="15min")
    result = widget_result(widget, _of(morning["sales"], morning["billing"]), NOW)
    assert result.empty is None, result.empty
    # 8 Sales calls and 20 Billing calls of 100 s in each of 08:00–08:45.
    sales = erlang.staffing_table(np.array([8.0]), 900, np.array([100.0]), threshold_s=20,
                                  target_sl=0.8)["agents"][0]
    billing = erlang.staffing_table(np.array([20.0]), 900, np.array([100.0]), threshold_s=60,
                                    target_sl=0.9)["agents"][0]
    assert list(result.table["required_agents"]) == [sales + billing] * 3
    assert any("queue by queue" in n for n in result.notes)
