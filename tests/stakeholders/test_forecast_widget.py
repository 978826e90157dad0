"""The dashboard forecast widget forecasts as the forecast page does: the forecast issued for
those contacts and days when there is one, else the model a back-test on the weeks before the
period chooses (``reports.analysis.forecast.choose``); either way it names the model and its
back-test daily WAPE and bias. Issued forecasts stay inside their scope."""
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from contactmis.scope import Scope
from reports.analysis import forecast as fc
from reports.models import Forecast
from reports.periods import resolve_period
from reports.selectors import closed_days, component_sums
from stakeholders.models import Widget
from stakeholders.scope import stakeholder_scope
from stakeholders.widgets import (
    FORECAST_HISTORY_WEEKS,
    FORECAST_HOLDOUT_WEEKS,
    widget_result,
)

from .factories import interval_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(centre, today):
    """Fifteen weeks of a queue's intervals up to today (closed on Sundays)."""
    from pathways.models import Queue

    queue = Queue.objects.create(centre=centre, code="Q1", name="Billing")
    interval_rows(centre, queue, 15 * 7, today, seed=3)
    return queue


def _widget(period="last_7_days"):
    return Widget(kind="forecast", title="Forecast versus actual", metrics=["offered"],
                  period=period, granularity="day")


def _issue(centre, queue, first, days, offered, label="Whole centre", wape=0.078, bias=-0.006):
    values = [{"period_start": f"{first + dt.timedelta(days=d)}T{h:02d}:00:00",
               "offered": offered / 24, "aht_s": 180.0}
              for d in range(days) for h in range(24)]
    return Forecast.objects.create(
        centre=centre, queue=queue, method="stl_ets", scope_label=label,
        history_start=first - dt.timedelta(weeks=13), history_end=first, horizon_start=first,
        horizon_end=first + dt.timedelta(days=days), interval_s=3600, values=values,
        backtest_daily_wape=wape, backtest_daily_bias=bias, holdout_weeks=4,
        selection="STL + ETS had the lowest error on daily volume.")


def test_without_an_issued_forecast_the_back_test_chooses_the_model(history, centre, today,
                                                                     settings):
    settings.CONTACTMIS_DASHBOARD_CACHE_S = 0
    now = dt.datetime.now(tz=centre.tz)
    result = widget_result(_widget(), Scope.everything(), now)
    assert result.empty is None

    # The forecast page's rule on the same history: 13 weeks before the period, 4 held out.
    period = resolve_period("last_7_days", now, centre.time_zone)
    start = period.first_day - dt.timedelta(weeks=FORECAST_HISTORY_WEEKS)
    sums = component_sums(Scope.everything(), start, period.first_day, "day",
                          tz=centre.time_zone, agent_time=False)
    grid = fc.complete_grid(
        sums.assign(handle_s=sums["talk_s"] + sums["hold_s"] + sums["acw_s"])[
            ["period_start", "offered", "handled", "handle_s"]],
        interval_min=1440, start=start, end=period.first_day,
        closed=closed_days(centre, start, period.first_day))
    bt = fc.backtest(grid, holdout_weeks=FORECAST_HOLDOUT_WEEKS,
                     methods=fc.backtest_methods(len(grid), FORECAST_HOLDOUT_WEEKS))
    assert len(bt.summary) == 3  # every model measured, STL + ETS included
    choice = fc.choose(bt.summary)
    expected = fc.forecast(grid, 7, choice.method)["offered_forecast"].to_numpy()
    np.testing.assert_allclose(result.table["forecast"].to_numpy(), expected)
    words = " ".join(result.notes)
    assert f"Forecast: {fc.LABELS[choice.method]}, chosen by back-test" in words
    assert f"daily WAPE of {choice.daily_wape * 100:.1f} %" in words
    assert f"bias of {choice.daily_bias * 100:+.1f} %" in words
    assert "Holt-Winters (damped trend" not in words


def test_too_little_history_to_back_test_says_so(two_vendors, settings):
    settings.CONTACTMIS_DASHBOARD_CACHE_S = 0
    result = widget_result(_widget(), Scope.everything(), two_vendors["now"])
    assert result.empty is not None or "too few to back-test" in " ".join(result.notes)


def test_the_issued_forecast_is_shown_with_its_model_wape_and_bias(history, centre, today,
                                                                    settings):
    settings.CONTACTMIS_DASHBOARD_CACHE_S = 0
    now = dt.datetime.now(tz=centre.tz)
    period = resolve_period("last_7_days", now, centre.time_zone)
    # Issued for the last four days of the period only.
    _issue(centre, None, period.first_day + dt.timedelta(days=3), 4, offered=240.0)
    result = widget_result(_widget(), Scope.everything(), now)
    table = result.table
    assert list(pd.to_datetime(table["period_start"]).dt.date) == [
        period.first_day + dt.timedelta(days=d) for d in range(7)]
    assert table["forecast"].iloc[:3].isna().all()
    np.testing.assert_allclose(table["forecast"].iloc[3:].to_numpy(), 240.0)
    words = " ".join(result.notes)
    assert "Forecast: STL + ETS, as issued on" in words
    assert "back-test daily WAPE 7.8 %, bias -0.6 %" in words
    assert "outside its horizon have no forecast" in words
    # Accuracy so far over the days with both a forecast and data.
    done = table.iloc[3:].dropna()
    expected = fc.wape(done["actual"], done["forecast"])
    assert f"WAPE {expected * 100:.1f} %" in words or done.empty


def test_an_issued_forecast_is_used_only_for_its_own_contacts_and_scope(two_vendors, settings):
    settings.CONTACTMIS_DASHBOARD_CACHE_S = 0
    centre = two_vendors["queue_a"].centre
    now = two_vendors["now"]
    period = resolve_period("last_7_days", now, centre.time_zone)
    _issue(centre, None, period.first_day, 7, offered=999.0)  # the whole centre's
    _issue(centre, two_vendors["queue_b"], period.first_day, 7, offered=555.0, label="B")
    _issue(centre, two_vendors["queue_a"], period.first_day, 7, offered=333.0, label="A")
    scope_a = stakeholder_scope(two_vendors["a"])

    def shown(scope, queue=None):
        result = widget_result(_widget(), scope, now, queue=queue)
        return set(result.table["forecast"].dropna()) if not result.table.empty else set()

    assert shown(Scope.everything()) == {999.0}
    # Vendor A's dashboard over its queue: never the centre's nor vendor B's forecast.
    assert shown(scope_a, two_vendors["queue_a"]) == {333.0}
    assert not shown(scope_a) & {999.0, 555.0}
    assert shown(Scope.everything(), two_vendors["queue_b"]) == {555.0}
