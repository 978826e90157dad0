"""Re-forecasting the rest of today from the morning's error: a worked example (no database)."""
import numpy as np
import pandas as pd

from reports.analysis import erlang
from reports.analysis.forecast import reforecast_rest_of_day

NAN = float("nan")


def _day(forecast, actual):
    starts = pd.date_range("2026-03-10 08:00", periods=len(forecast), freq="15min")
    return pd.DataFrame({"period_start": starts, "forecast": forecast, "actual": actual})


def test_the_rest_of_the_day_is_scaled_by_actual_over_forecast_so_far():
    # Forecast 10, 10, 20 for 08:00–08:45; actual 12, (no data), 24. At 08:50 those three are
    # complete; the gap at 08:15 is left out of both sides: 36 ÷ 30 = 1.2. The running interval
    # (08:45) and the rest are the issued forecast × 1.2.
    day = _day([10, 10, 20, 20, 20, 20, 10, 10], [12, NAN, 24, 5, NAN, NAN, NAN, NAN])
    table, how = reforecast_rest_of_day(day, pd.Timestamp("2026-03-10 08:50"), min_so_far=30)
    assert how.ratio == 1.2
    assert (how.actual_so_far, how.forecast_so_far) == (36, 30)
    assert how.through == pd.Timestamp("2026-03-10 08:45")
    assert list(table["complete"]) == [True] * 3 + [False] * 5
    np.testing.assert_allclose(table["reforecast"].to_numpy()[3:], [24, 24, 24, 12, 12])
    assert table["reforecast"].iloc[:3].isna().all()
    assert how.words == ("Rest of the day = issued forecast × 1.20: 36 offered against 30 "
                         "forecast in the intervals up to 08:45 (+20%).")
    # Agents per remaining interval, Erlang C at 20 s and 80 % with a 300 s AHT: 24 calls in
    # 15 minutes are 8 erlangs; 11 agents answer 79.9 % within 20 s, 12 answer 89.3 %.
    need = erlang.staffing_table(table["reforecast"].to_numpy()[3:], 900,
                                 np.full(5, 300.0), threshold_s=20, target_sl=0.8)
    assert list(need["agents"]) == [12, 12, 12, 7, 7]
    assert float(erlang.erlang_c_service_level(np.array([11]), np.array([8.0]),
                                               np.array([300.0]), 20)[0]) < 0.8


def test_before_the_first_interval_ends_the_rest_stays_as_issued():
    day = _day([10, 20], [3, NAN])
    table, how = reforecast_rest_of_day(day, pd.Timestamp("2026-03-10 08:10"))
    assert np.isnan(how.ratio) and how.through is None
    assert list(table["reforecast"]) == [10, 20]
    assert how.words == "Rest of the day as issued: no interval of the day has ended yet."


def test_a_morning_below_forecast_lowers_the_rest():
    day = _day([40, 40, 40, 40], [30, 30, NAN, NAN])
    table, how = reforecast_rest_of_day(day, pd.Timestamp("2026-03-10 08:30"))
    assert how.ratio == 0.75
    assert list(table["reforecast"].iloc[2:]) == [30, 30]
    assert "(-25%)" in how.words


def test_too_small_a_forecast_so_far_leaves_the_rest_as_issued():
    # 0.2 contacts forecast for the night, 19 arrived: scaling by 95 would be chance, not error.
    day = _day([0.1, 0.1, 20, 20], [10, 9, NAN, NAN])
    table, how = reforecast_rest_of_day(day, pd.Timestamp("2026-03-10 08:30"))
    assert np.isnan(how.ratio)
    assert list(table["reforecast"].iloc[2:]) == [20, 20]
    assert how.words == ("Rest of the day as issued: 0.2 contacts were forecast up to 08:30 "
                         "(19 arrived), too few (under 30) to scale the rest of the day by "
                         "their error.")
