"""The calendar's awkward days, on purpose: the suite's clock set to a Sunday that is also the
spring-forward day of Europe/London, the fall-back day, a 29 February and the last day of a year.
Dashboards, drill-down, exports and scheduled reports must each give the right days and hours."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from reports.periods import resolve_period
from tests.conftest import AWKWARD_DAYS

from .factories import last_open_day

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
AWKWARD = [pytest.param(when, marks=pytest.mark.clock(when), id=name)
           for name, when in AWKWARD_DAYS.items()]
# Hours in the local day the clock is set to (23 when the clocks go forward, 25 when back).
HOURS_TODAY = {date(2027, 3, 28): 23, date(2026, 10, 25): 25}


@pytest.mark.parametrize("when", AWKWARD)
def test_the_suite_clock_is_the_awkward_day(when, centre):
    now = timezone.now()
    assert abs(now - when) < timedelta(minutes=5)
    today = resolve_period("today", now, centre.time_zone)
    assert today.first_day == when.date()
    assert today.hours == HOURS_TODAY.get(when.date(), 24)


@pytest.mark.parametrize("when", AWKWARD)
def test_drill_down_and_export_on_an_awkward_day(when, two_vendors, viewer_client):
    widget = two_vendors["dashboard_a"].widgets.get(breakdown="queue", kind="time_series")
    day = last_open_day(when.astimezone(LONDON).date())
    response = viewer_client.get(f"/present/widgets/{widget.pk}/drill/",
                                 {"at": f"{day}T09:00:00", "key": two_vendors["queue_a"].pk})
    assert response.status_code == 200
    assert len(list(response.context["intervals"])) == 4  # an hourly point: four intervals
    # The factory's contacts arrive today at 09:05–09:09, whether or not the centre is open.
    assert len(list(response.context["contacts"])) == (5 if day == when.date() else 0)
    # The widget shows "today": on a day the centre is closed its export has the period and no
    # rows (a gap, not zeros).
    export = viewer_client.get(f"/present/widgets/{widget.pk}/export.csv")
    assert export.status_code == 200
    text = export.content.decode("utf-8-sig")
    assert f"Today ({when.astimezone(LONDON):%a %d %b %Y})" in text
    assert ("Vendor A sales" in text) == (day == when.date())
    assert ",0," not in text


@pytest.mark.parametrize("when", AWKWARD)
def test_every_widget_of_the_vendor_dashboard_renders_on_an_awkward_day(when, two_vendors,
                                                                       viewer_client):
    response = viewer_client.get(f"/present/dashboards/{two_vendors['dashboard_a'].pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Vendor A sales" in body and "ZZSECRETB" not in body


@pytest.mark.parametrize("template,run_at,first,last,hours", [
    # Sunday 28 March 2027, 07:00 BST: "yesterday" is Saturday, a whole 24 hours.
    ("daily", datetime(2027, 3, 28, 6, 0, tzinfo=UTC), date(2027, 3, 27), date(2027, 3, 27), 24),
    # Monday 29 March 2027: yesterday was the 23-hour Sunday; last week had 167 hours.
    ("daily", datetime(2027, 3, 29, 6, 0, tzinfo=UTC), date(2027, 3, 28), date(2027, 3, 28), 23),
    ("weekly", datetime(2027, 3, 29, 6, 0, tzinfo=UTC), date(2027, 3, 22), date(2027, 3, 28),
     167),
    # Monday 26 October 2026: yesterday was the 25-hour Sunday.
    ("daily", datetime(2026, 10, 26, 7, 0, tzinfo=UTC), date(2026, 10, 25), date(2026, 10, 25),
     25),
    # 1 March 2028: February of a leap year has 29 days.
    ("monthly", datetime(2028, 3, 1, 7, 0, tzinfo=UTC), date(2028, 2, 1), date(2028, 2, 29),
     29 * 24),
    # 1 January 2027: the month and the year that just ended.
    ("monthly", datetime(2027, 1, 1, 7, 0, tzinfo=UTC), date(2026, 12, 1), date(2026, 12, 31),
     31 * 24),
    ("annual", datetime(2027, 1, 1, 7, 0, tzinfo=UTC), date(2026, 1, 1), date(2026, 12, 31),
     365 * 24),
])
def test_a_scheduled_report_on_an_awkward_day_covers_the_right_days(
        template, run_at, first, last, hours, centre, viewer):
    """The schedule is created the evening before its run; the sender runs at 07:00 local and
    builds the period that just ended, with its true number of hours."""
    from pathways.models import Queue
    from stakeholders.models import ReportRun, ReportSchedule, RunStatus
    from stakeholders.reporting import schedule_save, send_due_reports
    from stakeholders.services import stakeholder_create

    queue = Queue.objects.create(centre=centre, code="Q1", name="Sales")
    stakeholder = stakeholder_create(name="Board", kind="executive", queues=[queue],
                                     users=[viewer], emails=["board@example.org"])
    cadence = {"annual": "annually"}.get(template, template)
    with time_machine.travel(run_at - timedelta(hours=12), tick=False):
        schedule = schedule_save(ReportSchedule(
            stakeholder=stakeholder, name=f"{template} report", template=template,
            cadence=cadence, time_of_day=time(7, 0), time_zone="Europe/London",
            weekday=0, day_of_month=1, formats=["pdf"]))
    with time_machine.travel(run_at, tick=False):
        send_due_reports()
    run = ReportRun.objects.get(schedule=schedule)
    assert (run.period_first_day, run.period_last_day) == (first, last)
    assert (run.period_end - run.period_start) == timedelta(hours=hours)
    assert run.status == RunStatus.SENT and len(mail.outbox) == 1
