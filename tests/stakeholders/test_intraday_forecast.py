"""Today against its issued forecast on the intraday dashboard and the wallboard: actual per
interval, the rest of today re-forecast from the morning's error, and the agents Erlang C needs
at the queue's threshold and the plan's target (fixed instants; never the real clock)."""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from contactmis.scope import Scope
from reports.models import Forecast
from stakeholders.models import Widget
from stakeholders.widgets import rest_of_day, widget_result
from tests.reports.test_forecast_choice import _configured
from tests.stakeholders.factories import business_plan
from tests.stakeholders.test_business_day import _row

LONDON = ZoneInfo("Europe/London")
DAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 8, 50, tzinfo=UTC)  # 08:50 GMT


@pytest.fixture
def morning(db, centre, settings):
    """Sales forecast 10, 10, 20, 20, 20, 20, 10, 10 offered (AHT 300 s) for 08:00–10:00;
    12, 12, 24 arrived in the first three intervals (48 against 40: +20 %); the queue answers
    within 20 s and the plan's target is 80 %."""
    from measurements.models import IntervalStat
    from measurements.services.daily import daily_rollup_refresh
    from pathways.models import Queue

    settings.CONTACTMIS_DASHBOARD_CACHE_S = 0
    queue = Queue.objects.create(centre=centre, code="SALES", name="Sales")
    _configured(centre, queue, 20)
    business_plan(centre, DAY, [("service_level", 80, queue)])
    forecast = [10, 10, 20, 20, 20, 20, 10, 10]
    Forecast.objects.create(
        centre=centre, queue=queue, method="holt_winters", history_start=date(2026, 2, 1),
        history_end=DAY, horizon_start=DAY, horizon_end=date(2026, 3, 17),
        values=[{"period_start": f"{DAY}T{8 + i // 4:02d}:{15 * (i % 4):02d}:00",
                 "offered": float(v), "aht_s": 300.0} for i, v in enumerate(forecast)])
    IntervalStat.objects.bulk_create([
        _row(centre, queue, datetime(2026, 3, 10, 8, 15 * i, tzinfo=LONDON), n)
        for i, n in enumerate([12, 12, 24, 3])])
    daily_rollup_refresh(None, [DAY])
    return queue


def _intraday(scope, queue=None):
    widget = Widget(kind="intraday", title="Today against forecast", metrics=["offered"],
                    period="today", granularity="15min")
    return widget_result(widget, scope, NOW, queue=queue)


def test_the_rest_of_today_is_re_forecast_with_the_agents_it_needs(morning):
    result = _intraday(Scope.everything(), queue=morning)
    table = result.table
    assert result.empty is None
    assert list(table["actual"].iloc[:4]) == [12, 12, 24, 3]
    assert list(table["complete"]) == [True] * 3 + [False] * 5
    np.testing.assert_allclose(table["reforecast"].iloc[3:], [24, 24, 24, 12, 12])
    # 24 calls of 300 s in 15 min = 8 erlangs: 12 agents answer 80 % within 20 s (11: 79.9 %).
    assert list(table["required_agents"].iloc[3:]) == [12, 12, 12, 7, 7]
    assert table["required_agents"].iloc[:3].isna().all()
    assert result.notes[0].startswith("Rest of the day = issued forecast × 1.20: 48 offered "
                                      "against 40 forecast in the intervals up to 08:45")
    assert any("Sales 80.0 % within 20 s" in n for n in result.notes), result.notes
    assert result.figure is not None
    assert [r["agents"] for r in rest_of_day(result, 3)] == ["12", "12", "12"]


def test_a_forecast_of_queues_outside_the_scope_is_not_used(morning, centre):
    from pathways.models import Queue

    other = Queue.objects.create(centre=centre, code="VENDOR", name="Vendor")
    result = _intraday(Scope(queue_ids=frozenset({other.pk})))
    # The other queue took no contacts in the 13 weeks before, so it needs none; Sales's
    # forecast is of contacts outside this scope.
    assert result.empty == "No forecast has been issued for this scope's queues for these days."


def test_without_a_target_no_agents_are_given_and_the_note_says_why(morning):
    from measurements.models import Target

    Target.objects.all().delete()
    result = _intraday(Scope.everything(), queue=morning)
    assert result.table["required_agents"].isna().all()
    assert any("no service-level target is in force" in n for n in result.notes)
