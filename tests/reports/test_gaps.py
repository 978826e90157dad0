"""Gaps are not zeros: a day with no data is missing in every series, mean, trend, comparison and
forecast — shown as a gap, left out of means and named in a caveat — and a running period is
compared with the same elapsed span of the one before."""

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from reports.analysis import forecast as fc
from reports.analysis import patterns
from reports.periods import comparable_previous, resolve_period

D = dt.date


def frame_of(days: dict) -> pd.DataFrame:
    """An interval-like frame: one row per day with data (``offered`` that day)."""
    return pd.DataFrame({"local_date": list(days), "offered": [float(v) for v in days.values()]})


def july_to_september() -> pd.Series:
    """July and September 1999 with data (weekdays 100, weekends 10, one real zero), August
    absent."""
    days = {}
    for d in pd.date_range("1999-07-01", "1999-09-30"):
        if d.month == 8:
            continue
        days[d.date()] = 10 if d.day_of_week >= 5 else 100
    days[D(1999, 9, 4)] = 0  # a Saturday with rows and nothing offered: a real zero
    return patterns.daily_series(frame_of(days))


# --- the daily series ------------------------------------------------------------------------


def test_a_day_without_rows_is_missing_and_a_day_with_zero_offered_is_zero():
    daily = july_to_september()
    assert len(daily) == 92
    august = daily["1999-08-01":"1999-08-31"]
    assert len(august) == 31 and august.isna().all()
    assert daily[pd.Timestamp("1999-09-04")] == 0
    assert daily.mean() == pytest.approx(daily.dropna().sum() / 61)


def test_the_calendar_covers_the_requested_period_with_gaps_at_either_end():
    daily = patterns.daily_series(
        frame_of({D(2026, 3, 3): 5, D(2026, 3, 5): 7}), start=D(2026, 3, 1), end=D(2026, 3, 8)
    )
    assert [None if np.isnan(v) else v for v in daily] == [None, None, 5, None, 7, None, None]


def test_a_dst_day_with_23_local_hours_is_a_day_with_data():
    # 29 March 2026, Europe/London: 23 hours, so 92 quarter-hours; still one whole day.
    minutes = [m for m in range(0, 24 * 60, 15) if not 60 <= m < 120]
    f = pd.DataFrame({"local_date": D(2026, 3, 29), "local_minute": minutes, "offered": 2.0})
    f = pd.concat([f, frame_of({D(2026, 3, 31): 10})], ignore_index=True)
    daily = patterns.daily_series(f)
    assert daily[pd.Timestamp("2026-03-29")] == 2 * 92
    assert np.isnan(daily[pd.Timestamp("2026-03-30")])


def test_gaps_and_closed_days_are_named_apart():
    daily = july_to_september()
    assert patterns.gap_caveats(daily) == [
        "No data for 1 Aug – 31 Aug 1999 (31 days); excluded from means"
    ]
    # A closed day inside a gap is counted apart; a named closed day elsewhere is named; a day
    # closed by the weekly opening hours (no name) is not listed.
    days = daily.dropna().drop([pd.Timestamp("1999-09-06"), pd.Timestamp("1999-09-12")])
    holes = patterns.daily_series(frame_of(dict(zip(days.index.date, days, strict=True))))
    closed = {D(1999, 8, 15): "Bank holiday", D(1999, 9, 6): "Labour day", D(1999, 9, 12): ""}
    assert patterns.gap_caveats(holes, closed) == [
        "No data for 1 Aug – 31 Aug 1999 (30 days, 1 closed); excluded from means",
        "Closed on 6 Sep 1999 (Labour day); not a gap in the data, and left out of the means",
    ]
    assert patterns.gap_caveats(holes) == [
        "No data for 1 Aug – 31 Aug 1999 (31 days), 6 Sep 1999 (1 day), 12 Sep 1999 (1 day); "
        "excluded from means"
    ]
    status = patterns.day_status(daily, {D(1999, 8, 15)})
    assert status[pd.Timestamp("1999-08-15")] == "closed"
    assert status[pd.Timestamp("1999-08-16")] == "no_data"
    assert status[pd.Timestamp("1999-09-04")] == "data"
    one = patterns.daily_series(frame_of({D(1999, 1, 10): 1, D(1999, 1, 12): 1}))
    assert patterns.gap_caveats(one) == ["No data for 11 Jan 1999 (1 day); excluded from means"]
    year_end = patterns.daily_series(frame_of({D(1998, 12, 29): 1, D(1999, 1, 3): 1}))
    assert patterns.gaps_text(year_end) == "30 Dec 1998 – 2 Jan 1999 (4 days)"


# --- seasonality -----------------------------------------------------------------------------


def test_weekday_means_are_over_days_with_data_monday_first():
    daily = july_to_september()
    table = patterns.weekday_means(daily, closed={D(1999, 8, 15)})
    assert table["weekday_name"].tolist() == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    present = daily.dropna()
    overall = present.sum() / len(present)
    for _, row in table.iterrows():
        values = [v for d, v in present.items() if d.day_of_week == row["weekday"]]
        assert row["mean_per_day"] == pytest.approx(sum(values) / len(values))
        assert row["days_with_data"] == len(values)
        assert row["seasonal_index"] == pytest.approx(sum(values) / len(values) / overall)
    assert table["days_with_data"].sum() == 61
    assert table["days_without_data"].sum() == 30 and table["days_closed"].sum() == 1
    assert table.set_index("weekday_name").loc["Mon", "mean_per_day"] == 100


def test_a_month_without_data_has_no_mean_rather_than_zero():
    season = patterns.seasonality(july_to_september())["month_of_year"].set_index("month_of_year")
    assert np.isnan(season.loc[8, "mean_per_day"]) and np.isnan(season.loc[8, "seasonal_index"])
    assert season.loc[8, "days"] == 0 and season.loc[8, "days_without_data"] == 31
    present = july_to_september().dropna()
    july = present["1999-07"]
    assert season.loc[7, "mean_per_day"] == pytest.approx(july.mean())
    assert season.loc[7, "seasonal_index"] == pytest.approx(july.mean() / present.mean())


# --- moving average and trend ----------------------------------------------------------------


def test_the_moving_average_never_pulls_in_zeros_for_gaps():
    daily = patterns.daily_series(
        frame_of({D(2026, 5, d): 70 for d in range(1, 29) if d not in (10, 11, 20, 21, 22, 23)})
    )
    ma = patterns.moving_average(daily, 7)
    # Two missing days in the window: the mean of the five present days, not 5 × 70 / 7.
    assert ma[pd.Timestamp("2026-05-10")] == 70
    assert ma[pd.Timestamp("2026-05-12")] == 70
    # Four missing days of seven: too few days with data, no average.
    assert np.isnan(ma[pd.Timestamp("2026-05-21")])
    # The window must lie inside the series at both ends.
    assert ma.iloc[:3].isna().all() and ma.iloc[-3:].isna().all()
    trailing = patterns.moving_average(daily, 7, centered=False)
    assert trailing.iloc[:6].isna().all() and trailing[pd.Timestamp("2026-05-09")] == 70


def test_stl_fits_across_a_gap_but_shows_nothing_on_it():
    daily = july_to_september()
    stl = patterns.stl_decomposition(daily)
    august = stl.loc["1999-08-01":"1999-08-31"]
    assert august.isna().all().all()
    assert stl.loc["1999-07-01":"1999-07-31", "trend"].notna().all()
    assert stl.loc["1999-07-15", "trend"] == pytest.approx(daily["1999-07"].mean(), rel=0.2)
    # A long calendar with fewer than 15 days of data is too little, whatever its length.
    with pytest.raises(ValueError, match="15 days with data, got 12"):
        patterns.stl_decomposition(daily["1999-07-21":"1999-09-01"])


def test_peaks_ignore_gaps():
    top = patterns.peaks(july_to_september(), 1)
    assert top["value"].iloc[0] == 100
    assert top["ratio_to_median"].iloc[0] == pytest.approx(100 / july_to_september().median())


# --- comparisons -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "as_of", "against", "expected"),
    [
        # A running month on the 5th: 1–5 Dec against 1–5 Dec a year earlier, not all of it.
        (
            D(2026, 12, 1),
            D(2027, 1, 1),
            D(2026, 12, 5),
            "year",
            (D(2026, 12, 1), D(2026, 12, 6), D(2025, 12, 1), D(2025, 12, 6), True),
        ),
        (
            D(2026, 12, 1),
            D(2027, 1, 1),
            D(2026, 12, 5),
            "previous",
            (D(2026, 12, 1), D(2026, 12, 6), D(2026, 11, 1), D(2026, 11, 6), True),
        ),
        # 29 February 2028 against 28 February 2027: February to date is all of February 2027.
        (
            D(2028, 2, 1),
            D(2028, 3, 1),
            D(2028, 2, 29),
            "year",
            (D(2028, 2, 1), D(2028, 3, 1), D(2027, 2, 1), D(2027, 3, 1), False),
        ),
        (
            D(2028, 2, 1),
            D(2028, 3, 1),
            D(2028, 2, 28),
            "year",
            (D(2028, 2, 1), D(2028, 2, 29), D(2027, 2, 1), D(2027, 3, 1), True),
        ),
        # 31 December: the day before is 30 December; the year before, 31 December.
        (
            D(2026, 12, 31),
            D(2027, 1, 1),
            None,
            "previous",
            (D(2026, 12, 31), D(2027, 1, 1), D(2026, 12, 30), D(2026, 12, 31), False),
        ),
        (
            D(2026, 12, 31),
            D(2027, 1, 1),
            None,
            "year",
            (D(2026, 12, 31), D(2027, 1, 1), D(2025, 12, 31), D(2026, 1, 1), False),
        ),
        # March to the 30th against February: cut at February's end, not spilling into March.
        (
            D(2027, 3, 1),
            D(2027, 4, 1),
            D(2027, 3, 30),
            "previous",
            (D(2027, 3, 1), D(2027, 3, 31), D(2027, 2, 1), D(2027, 3, 1), True),
        ),
        # The day the clocks go forward (Europe: 29 March 2026) is one local date like any other.
        (
            D(2026, 3, 1),
            D(2026, 4, 1),
            D(2026, 3, 29),
            "year",
            (D(2026, 3, 1), D(2026, 3, 30), D(2025, 3, 1), D(2025, 3, 30), True),
        ),
    ],
)
def test_comparable_span(start, end, as_of, against, expected):
    span = patterns.comparable_span(start, end, as_of=as_of, against=against)
    assert (span.start, span.end, span.previous_start, span.previous_end, span.partial) == expected


def test_comparable_span_says_what_is_compared():
    span = patterns.comparable_span(D(2026, 12, 1), D(2027, 1, 1), D(2026, 12, 5), "year")
    assert span.label == (
        "1–5 Dec 2026 compared with 1–5 Dec 2025 (the same elapsed days: the period is not over)"
    )
    assert span.previous_label == "1–5 Dec 2025"


@pytest.mark.parametrize(
    ("key", "now", "tz", "previous"),
    [
        # Month to date on Saturday 5 December: 1–5 November (not 26–30 November).
        (
            "month_to_date",
            dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC),
            "Europe/London",
            (D(2026, 11, 1), D(2026, 11, 5)),
        ),
        # Week to date on a Saturday: last Monday to Saturday (not last Tuesday to Sunday).
        (
            "week_to_date",
            dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC),
            "Europe/London",
            (D(2026, 11, 23), D(2026, 11, 28)),
        ),
        # Year to date on 29 February 2028: 1 January – 28 February 2027.
        (
            "year_to_date",
            dt.datetime(2028, 2, 29, 12, tzinfo=dt.UTC),
            "Europe/London",
            (D(2027, 1, 1), D(2027, 2, 28)),
        ),
        # Today on 31 December, and on the day the clocks go forward: the day before.
        (
            "today",
            dt.datetime(2026, 12, 31, 12, tzinfo=dt.UTC),
            "Europe/London",
            (D(2026, 12, 30), D(2026, 12, 30)),
        ),
        (
            "today",
            dt.datetime(2026, 3, 29, 12, tzinfo=dt.UTC),
            "Europe/London",
            (D(2026, 3, 28), D(2026, 3, 28)),
        ),
        (
            "yesterday",
            dt.datetime(2026, 3, 30, 12, tzinfo=dt.UTC),
            "Europe/London",
            (D(2026, 3, 28), D(2026, 3, 28)),
        ),
    ],
)
def test_dashboards_compare_a_period_with_its_comparable_previous_span(key, now, tz, previous):
    period = resolve_period(key, now, tz)
    prev, span = comparable_previous(period, tz, as_of=now.astimezone(ZoneInfo(tz)).date())
    assert (prev.first_day, prev.last_day) == previous
    assert prev.start == dt.datetime.combine(previous[0], dt.time(), ZoneInfo(tz))
    assert prev.end == dt.datetime.combine(
        previous[1] + dt.timedelta(days=1), dt.time(), ZoneInfo(tz)
    )
    assert span.previous_start == previous[0]


def test_year_over_year_leaves_gaps_out_and_compares_the_same_days():
    days = {d.date(): 100.0 for d in pd.date_range("2025-07-01", "2025-12-31")}
    days.update({d.date(): 120.0 for d in pd.date_range("2026-07-01", "2026-12-05")})
    for d in pd.date_range("2026-08-01", "2026-08-31"):
        days.pop(d.date())
    days[D(2025, 12, 20)] = 10_000.0  # after the 5th: must not count against 1–5 Dec 2026
    daily = patterns.daily_series(frame_of(days))
    yoy = patterns.year_over_year(daily, as_of=D(2026, 12, 5)).set_index("period_start")
    aug = yoy.loc[pd.Timestamp("2026-08-01")]
    assert np.isnan(aug["total"]) and np.isnan(aug["mean_per_day"])
    assert np.isnan(aug["change_rel"]) and aug["days_without_data"] == 31
    dec = yoy.loc[pd.Timestamp("2026-12-01")]
    assert dec["partial"] and dec["days_with_data"] == 5
    assert dec["total"] == 600 and dec["total_year_before"] == 500
    assert dec["change_rel"] == pytest.approx(0.2)
    assert dec["compared"].startswith("1–5 Dec 2026 compared with 1–5 Dec 2025")
    jul = yoy.loc[pd.Timestamp("2026-07-01")]
    assert not jul["partial"] and jul["change_rel"] == pytest.approx(0.2)
    assert np.isnan(yoy.loc[pd.Timestamp("2025-07-01"), "change_rel"])


def test_period_change_has_no_relative_change_without_a_previous_figure():
    cur = pd.DataFrame({"k": ["a", "b"], "offered": [10.0, 5.0]})
    prev = pd.DataFrame({"k": ["a", "b"], "offered": [8.0, np.nan]})
    ch = patterns.period_change(cur, prev, ["k"], ["offered"]).set_index("k")
    assert ch.loc["a", "offered_change_rel"] == pytest.approx(0.25)
    assert np.isnan(ch.loc["b", "offered_change_rel"])


# --- forecasts -------------------------------------------------------------------------------


def history(days=42, gap=(), per_day=4, value=10.0, start="2026-01-05"):
    """Hourly history of ``days`` days from a Monday (6-hour days), ``gap`` days missing."""
    rows = []
    for i, day in enumerate(pd.date_range(start, periods=days)):
        if i in gap:
            continue
        for h in range(per_day):
            rows.append(
                {
                    "period_start": day + pd.Timedelta(hours=8 + h),
                    "offered": value * (2 if day.day_of_week == 0 else 1),
                    "handled": 5.0,
                    "handle_s": 900.0,
                }
            )
    return pd.DataFrame(rows)


def test_the_history_grid_marks_days_without_data_as_missing_not_zero():
    grid = fc.complete_grid(history(14, gap=range(7, 9)), interval_min=60)
    assert len(grid) == 14 * 24
    day7 = grid.loc["2026-01-12"]
    assert day7["offered"].isna().all()
    # An hour without a row on a day with data is a real zero.
    assert grid.loc["2026-01-05 03:00", "offered"] == 0
    assert grid.loc["2026-01-05 08:00", "offered"] == 20


def test_forecasts_learn_nothing_from_a_gap():
    h = history(42, gap=range(21, 28))
    grid = fc.complete_grid(h, interval_min=60)
    hw = fc.forecast(grid, 7, "holt_winters")
    daily = hw.groupby(hw["period_start"].dt.normalize())["offered_forecast"].sum()
    # Mondays 2 × 10 × 4 = 80, other days 40: the missing week pulls no day towards 0.
    assert daily.iloc[0] == pytest.approx(80, rel=0.05)
    assert daily.iloc[1:].to_numpy() == pytest.approx(40, rel=0.05)
    # Seasonal naive over a last week with no data falls back to the last week with data.
    gap_last = fc.complete_grid(history(21, gap=range(14, 21)), interval_min=60, end=D(2026, 1, 26))
    naive = fc.seasonal_naive(gap_last, 7)
    assert naive.sum() == pytest.approx(80 + 6 * 40)
    assert fc.aht_forecast(grid, 7).dropna().to_numpy() == pytest.approx(180)


def test_accuracy_is_measured_over_intervals_with_data_only():
    assert fc.wape([10, np.nan, 10], [12, 500, 8]) == pytest.approx(0.2)
    assert fc.bias([10, np.nan, 10], [12, 500, 10]) == pytest.approx(0.1)
    bt = fc.backtest(
        fc.complete_grid(history(42, gap=range(35, 38)), interval_min=60), holdout_weeks=2
    )
    assert not bt.summary.empty and bt.summary["wape"].notna().all()
    last = bt.folds[bt.folds["method"] == "seasonal_naive"].iloc[-1]
    # Monday to Wednesday have no data: the week's actual is Thursday to Sunday only.
    assert last["actual_total"] == 4 * 40
    issued = pd.DataFrame(
        {"period_start": pd.date_range("2026-03-02", periods=48, freq="h"), "offered_forecast": 5.0}
    )
    actual = pd.DataFrame({"period_start": [pd.Timestamp("2026-03-02 09:00")], "offered": [5]})
    acc = fc.accuracy_by_interval(actual, issued)
    assert acc["offered"].iloc[:24].notna().all() and acc["offered"].iloc[24:].isna().all()
    # Day one: one hour right, 23 hours forecast 5 where 0 arrived; day two has no data.
    assert acc.attrs["wape"] == pytest.approx(23 * 5 / 5)


# --- the patterns API: gaps, closed days and weekly closures apart ---------------------------


@pytest.mark.django_db
def test_patterns_api_tells_gaps_from_closed_days(centre, manager):
    from rest_framework.test import APIClient

    from measurements.models import ClosedDay, IntervalStat
    from pathways.models import Queue
    from tests.stakeholders.factories import interval_rows

    queue = Queue.objects.create(centre=centre, code="S", name="Sales")
    # 1–18 November 2026; the default opening hours close the centre on Sundays (no rows).
    interval_rows(centre, queue, 18, D(2026, 11, 18))
    IntervalStat.objects.filter(local_date__in=[D(2026, 11, 10), D(2026, 11, 11)]).delete()
    ClosedDay.objects.create(centre=centre, date=D(2026, 11, 11), name="Site move")
    api = APIClient()
    api.force_authenticate(manager)
    body = api.get("/api/v1/analysis/patterns/", {"start": "2026-11-01", "end": "2026-11-19"})
    body = body.json()
    status = {d["date"]: (d["status"], d["offered"]) for d in body["daily"]}
    assert len(status) == 18
    assert status["2026-11-10"] == ("no_data", None)
    assert status["2026-11-11"] == ("closed", None)
    assert status["2026-11-08"] == ("closed", None)  # a Sunday
    assert status["2026-11-09"][0] == "data" and status["2026-11-09"][1] > 0
    assert body["gaps"] == [
        "No data for 10 Nov 2026 (1 day); excluded from means",
        "Closed on 11 Nov 2026 (Site move); not a gap in the data, and left out of the means",
    ]
    weekday = {w["weekday_name"]: w for w in body["weekday"]}
    assert weekday["Sun"]["days_closed"] == 3 and weekday["Sun"]["mean_per_day"] is None
    assert weekday["Tue"]["days_without_data"] == 1 and weekday["Tue"]["days_with_data"] == 2
    assert weekday["Wed"]["days_closed"] == 1 and weekday["Wed"]["days_with_data"] == 2
    tuesdays = [
        v for d, (st, v) in status.items() if st == "data" and D.fromisoformat(d).weekday() == 1
    ]
    assert weekday["Tue"]["mean_per_day"] == pytest.approx(sum(tuesdays) / len(tuesdays))


def test_closed_days_are_zeros_in_the_forecast_history_and_a_weekday_never_open_is_closed():
    h = history(28, gap=(6, 13, 20, 27))  # every Sunday without rows
    grid = fc.complete_grid(h, interval_min=60, closed=[D(2026, 1, 11)])
    assert (grid.loc["2026-01-11", "offered"] == 0).all()
    assert grid.loc["2026-01-18", "offered"].isna().all()
    for method in fc.METHODS:
        out = fc.forecast(grid, 7, method)
        daily = out.groupby(out["period_start"].dt.normalize())["offered_forecast"].sum()
        assert out["offered_forecast"].notna().all()
        by_weekday = dict(zip(daily.index.day_of_week, daily, strict=True))
        assert by_weekday[6] == pytest.approx(0, abs=1)  # Sunday: closed, not an average day
        assert by_weekday[1] == pytest.approx(40, rel=0.05)
