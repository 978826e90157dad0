"""Reporting periods in the centre's local time, DST-safe (pure; no database)."""
from datetime import UTC, date, datetime, time

import pytest

from reports.periods import resolve_period

LONDON = "Europe/London"


def at(y, m, d, h=12, minute=0):
    return datetime(y, m, d, h, minute, tzinfo=UTC)


def test_yesterday_after_the_spring_change_is_23_hours():
    period = resolve_period("yesterday", at(2026, 3, 30), LONDON)
    assert (period.first_day, period.last_day) == (date(2026, 3, 29), date(2026, 3, 29))
    assert period.hours == 23
    assert period.start_utc == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
    assert period.end_utc == datetime(2026, 3, 29, 23, 0, tzinfo=UTC)


def test_yesterday_after_the_autumn_change_is_25_hours():
    period = resolve_period("yesterday", at(2026, 10, 26), LONDON)
    assert period.hours == 25
    assert period.start_utc == datetime(2026, 10, 24, 23, 0, tzinfo=UTC)


def test_today_starts_at_local_midnight_not_utc_midnight():
    # 23:30 UTC on 1 July is already 2 July in London (BST, UTC+1).
    period = resolve_period("today", at(2026, 7, 1, 23, 30), LONDON)
    assert period.first_day == date(2026, 7, 2)
    assert period.start_utc == datetime(2026, 7, 1, 23, 0, tzinfo=UTC)
    assert period.partial


def test_last_7_days_are_the_complete_days_before_today():
    period = resolve_period("last_7_days", at(2026, 11, 23), LONDON)
    assert (period.first_day, period.last_day) == (date(2026, 11, 16), date(2026, 11, 22))
    assert period.days == 7 and not period.partial


@pytest.mark.parametrize("key,first", [
    ("week_to_date", date(2026, 11, 23)),  # a Monday
    ("month_to_date", date(2026, 11, 1)),
    ("quarter_to_date", date(2026, 10, 1)),
    ("year_to_date", date(2026, 1, 1)),
    ("rolling_13_months", date(2025, 11, 1)),
])
def test_to_date_periods_start_where_they_should(key, first):
    period = resolve_period(key, at(2026, 11, 23), LONDON)
    assert period.first_day == first
    expected_last = date(2026, 11, 30) if key == "rolling_13_months" else date(2026, 11, 23)
    assert period.last_day == expected_last


def test_week_to_date_on_a_sunday_runs_from_monday():
    period = resolve_period("week_to_date", at(2026, 11, 29), LONDON)
    assert period.first_day == date(2026, 11, 23) and period.days == 7


def test_rolling_13_months_across_a_year_boundary():
    period = resolve_period("rolling_13_months", at(2026, 1, 15), LONDON)
    assert (period.first_day, period.last_day) == (date(2025, 1, 1), date(2026, 1, 31))


def test_custom_period_includes_both_days_and_spans_the_dst_change():
    period = resolve_period("custom", at(2026, 11, 23), LONDON, date(2026, 3, 28),
                            date(2026, 3, 30))
    assert period.days == 3
    assert period.hours == 71


@pytest.mark.parametrize("kwargs,message", [
    ({"key": "fortnight"}, "Unknown period “fortnight”"),
    ({"key": "custom"}, "needs a first and a last day"),
    ({"key": "custom", "custom_start": date(2026, 2, 2), "custom_end": date(2026, 2, 1)},
     "is before the first day"),
])
def test_bad_periods_are_refused_with_a_clear_message(kwargs, message):
    key = kwargs.pop("key")
    with pytest.raises(ValueError, match=message):
        resolve_period(key, at(2026, 11, 23), LONDON, **kwargs)


def test_a_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        resolve_period("today", datetime(2026, 11, 23, 12), LONDON)  # noqa: DTZ001


# --- the centre's business day (a day boundary other than midnight) ---------------------------

SIX = time(6)


def test_a_24_hour_centre_is_still_on_yesterdays_business_day_before_its_boundary():
    # 05:59 local (GMT) on 10 March: the business day that began at 06:00 on 9 March runs on.
    period = resolve_period("today", at(2026, 3, 10, 5, 59), LONDON, day_start=SIX)
    assert (period.first_day, period.last_day) == (date(2026, 3, 9), date(2026, 3, 9))
    assert period.start_utc == datetime(2026, 3, 9, 6, 0, tzinfo=UTC)
    assert period.end_utc == datetime(2026, 3, 10, 6, 0, tzinfo=UTC)
    assert period.shifted and period.local_dates == (date(2026, 3, 9), date(2026, 3, 10))
    assert period.label == "Today (Mon 09 Mar 2026, from 06:00)"
    # At 06:00 the new business day starts; yesterday is then the one that just ended.
    later = resolve_period("today", at(2026, 3, 10, 6, 0), LONDON, day_start=SIX)
    assert later.first_day == date(2026, 3, 10)
    yesterday = resolve_period("yesterday", at(2026, 3, 10, 6, 0), LONDON, day_start=SIX)
    assert (yesterday.start_utc, yesterday.end_utc) == (period.start_utc, period.end_utc)
    assert not yesterday.partial


def test_midnight_boundary_keeps_calendar_days():
    period = resolve_period("today", at(2026, 3, 10, 5, 59), LONDON, day_start=time(0))
    assert period.first_day == date(2026, 3, 10) and not period.shifted


def test_business_day_across_the_spring_change_is_23_hours():
    # London moves from GMT to BST at 01:00 UTC on 29 March 2026.
    period = resolve_period("today", at(2026, 3, 29, 4, 0), LONDON, day_start=SIX)
    assert period.first_day == date(2026, 3, 28)
    assert period.start_utc == datetime(2026, 3, 28, 6, 0, tzinfo=UTC)
    assert period.end_utc == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)  # 06:00 BST
    assert period.hours == 23


def test_business_day_across_the_autumn_change_is_25_hours():
    # London moves from BST back to GMT at 01:00 UTC on 25 October 2026.
    period = resolve_period("yesterday", at(2026, 10, 25, 12, 0), LONDON, day_start=SIX)
    assert period.first_day == date(2026, 10, 24)
    assert period.start_utc == datetime(2026, 10, 24, 5, 0, tzinfo=UTC)  # 06:00 BST
    assert period.end_utc == datetime(2026, 10, 25, 6, 0, tzinfo=UTC)  # 06:00 GMT
    assert period.hours == 25


def test_a_boundary_the_clocks_skip_starts_the_day_just_past_the_gap():
    # 01:00 does not exist in London on 29 March 2026: that business day starts at 02:00 BST.
    period = resolve_period("today", at(2026, 3, 29, 12, 0), LONDON, day_start=time(1))
    assert period.start_utc == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert period.end_utc == datetime(2026, 3, 30, 0, 0, tzinfo=UTC)  # 01:00 BST on the 30th
    assert period.hours == 23


def test_business_day_at_the_year_end():
    # 03:00 on New Year's Day is still the business day of 31 December.
    now = at(2027, 1, 1, 3, 0)
    today = resolve_period("today", now, LONDON, day_start=SIX)
    assert today.first_day == date(2026, 12, 31)
    assert today.local_dates == (date(2026, 12, 31), date(2027, 1, 1))
    assert resolve_period("yesterday", now, LONDON, day_start=SIX).first_day == date(2026, 12, 30)
    # Month and year to date are counted from that business day: December, 2026.
    assert resolve_period("month_to_date", now, LONDON, day_start=SIX).first_day == \
        date(2026, 12, 1)
    assert resolve_period("year_to_date", now, LONDON, day_start=SIX).label == \
        "Year to date (2026)"


def test_business_day_at_a_month_end_in_a_leap_year():
    period = resolve_period("yesterday", at(2028, 3, 1, 5, 0), LONDON, day_start=SIX)
    assert period.first_day == date(2028, 2, 28)
    period = resolve_period("today", at(2028, 3, 1, 5, 0), LONDON, day_start=SIX)
    assert period.first_day == date(2028, 2, 29)
    assert period.end_utc == datetime(2028, 3, 1, 6, 0, tzinfo=UTC)
