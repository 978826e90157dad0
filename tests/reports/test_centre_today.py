""""Today" is the centre's business day everywhere (``reports.periods.centre_today``), and the
analysis pages' "Period" presets are resolved at it — with a pinned clock (never the real one)
on the awkward days: a 06:00 day boundary before dawn, a Sunday, the Europe/London DST change
days, a month end and a year end."""
from datetime import UTC, date, datetime, time
from types import SimpleNamespace

import pytest
import time_machine
from django.urls import reverse

from reports.forms import KpiFilterForm, PeriodForm
from reports.periods import centre_today, resolve_period


def _centre(day_start=time(6)):
    return SimpleNamespace(time_zone="Europe/London", day_starts_at=day_start)


def test_at_three_in_the_morning_a_six_oclock_centre_is_still_on_yesterday():
    now = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # 03:00 GMT
    assert centre_today(_centre(), now) == date(2026, 3, 9)
    assert centre_today(_centre(time(0)), now) == date(2026, 3, 10)
    assert centre_today(_centre(), datetime(2026, 3, 10, 6, 0, tzinfo=UTC)) == date(2026, 3, 10)
    assert centre_today(None, now) == date(2026, 3, 10)
    with pytest.raises(ValueError):
        centre_today(_centre(), datetime(2026, 3, 10, 3, 0))  # noqa: DTZ001 (naive on purpose)


def _form(preset, now, centre=None, form=PeriodForm):
    made = form({"preset": preset}, centre=centre or _centre(), now=now)
    assert made.is_valid(), made.errors
    return made.period()


def test_monday_before_dawn_is_still_sundays_business_day_and_its_week():
    # Monday 7 Dec 2026, 04:00 GMT: the business day is Sunday 6 Dec.
    now = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
    assert centre_today(_centre(), now) == date(2026, 12, 6)
    assert _form("today", now) == (date(2026, 12, 6), date(2026, 12, 7))
    assert _form("week_to_date", now) == (date(2026, 11, 30), date(2026, 12, 7))
    assert _form("last_week", now) == (date(2026, 11, 23), date(2026, 11, 30))
    # From 06:00 it is Monday's week.
    later = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    assert _form("week_to_date", later) == (date(2026, 12, 7), date(2026, 12, 8))
    assert _form("last_week", later) == (date(2026, 11, 30), date(2026, 12, 7))


def test_the_dst_change_days_in_london():
    # Spring: 29 Mar 2026 has 23 hours. At 05:30 BST (04:30 UTC) a 06:00 centre is still on
    # the 28th, whose business day ends at 06:00 BST: 23 hours after 06:00 GMT on the 28th.
    now = datetime(2026, 3, 29, 4, 30, tzinfo=UTC)
    assert centre_today(_centre(), now) == date(2026, 3, 28)
    period = resolve_period("today", now, "Europe/London", day_start=time(6))
    assert period.hours == 23
    assert _form("yesterday", now) == (date(2026, 3, 27), date(2026, 3, 28))
    # Autumn: 25 Oct 2026 has 25 hours; at 05:30 GMT (after the repeated hour) it is the 24th.
    now = datetime(2026, 10, 25, 5, 30, tzinfo=UTC)
    assert centre_today(_centre(), now) == date(2026, 10, 24)
    assert resolve_period("today", now, "Europe/London", day_start=time(6)).hours == 25
    assert centre_today(_centre(), datetime(2026, 10, 25, 6, 0, tzinfo=UTC)) == \
        date(2026, 10, 25)


def test_month_end_and_year_end_before_the_boundary():
    now = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)  # 04:00 BST on 1 April: still 31 March
    assert _form("month_to_date", now) == (date(2026, 3, 1), date(2026, 4, 1))
    assert _form("last_month", now) == (date(2026, 2, 1), date(2026, 3, 1))
    assert _form("quarter_to_date", now) == (date(2026, 1, 1), date(2026, 4, 1))
    assert _form("last_quarter", now) == (date(2025, 10, 1), date(2026, 1, 1))
    new_year = datetime(2027, 1, 1, 5, 0, tzinfo=UTC)  # 05:00 on 1 Jan: still 31 Dec 2026
    assert _form("today", new_year) == (date(2026, 12, 31), date(2027, 1, 1))
    assert _form("year_to_date", new_year) == (date(2026, 1, 1), date(2027, 1, 1))
    assert _form("last_year", new_year) == (date(2025, 1, 1), date(2026, 1, 1))
    assert _form("rolling_13_months", new_year) == (date(2025, 12, 1), date(2027, 1, 1))
    after = datetime(2027, 1, 1, 6, 0, tzinfo=UTC)
    assert _form("last_year", after) == (date(2026, 1, 1), date(2027, 1, 1))
    assert _form("yesterday", after) == (date(2026, 12, 31), date(2027, 1, 1))


def test_the_default_period_ends_at_the_business_day_and_dates_are_still_accepted():
    now = datetime(2027, 1, 1, 5, 0, tzinfo=UTC)
    form = KpiFilterForm(None, centre=_centre(), now=now)
    assert form.period() == (date(2026, 12, 3), date(2026, 12, 31))
    typed = PeriodForm({"start": "2026-11-01", "end": "2026-11-08"}, centre=_centre(), now=now)
    assert typed.is_valid() and typed.period() == (date(2026, 11, 1), date(2026, 11, 8))
    half = PeriodForm({"start": "2026-11-01"}, centre=_centre(), now=now)
    assert not half.is_valid() and "end" in half.errors
    bad = PeriodForm({"preset": "fortnight"}, centre=_centre(), now=now)
    assert not bad.is_valid() and "preset" in bad.errors


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["kpis", "patterns", "staffing", "queueing"])
def test_the_analysis_pages_offer_the_presets_at_the_business_day(client, manager, centre,
                                                                    name):
    centre.day_starts_at = time(6)
    centre.save()
    with time_machine.travel(datetime(2027, 1, 1, 5, 0, tzinfo=UTC), tick=False):
        client.force_login(manager)  # a session of the pinned clock's day
        page = client.get(reverse(f"reports:{name}"), {"preset": "yesterday"})
    assert page.status_code == 200
    assert page.context["period"] == (date(2026, 12, 30), date(2026, 12, 31))
    assert b'name="preset"' in page.content and b"Rolling 13 months" in page.content


def test_a_kpi_link_without_a_granularity_says_by_day_as_it_computes():
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    form = KpiFilterForm({"preset": "last_month"}, centre=_centre(), now=now)
    assert form.is_valid()
    assert form.cleaned_data["granularity"] == "day"
    assert 'value="day" selected' in str(form["granularity"])
    fine = KpiFilterForm({"preset": "yesterday", "granularity": "15min"}, centre=_centre(),
                         now=now)
    assert fine.is_valid() and fine.cleaned_data["granularity"] == "15min"
