"""Report schedules and the archive in real Chromium: a manager creates a schedule in the form,
previews it, and the archive shows the report as e-mailed; screenshots go to var/screenshots/."""
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.stakeholders.factories import interval_rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _copy_day_to_yesterday(today):
    """The factory skips Sundays; make sure "yesterday" has data by copying the day before."""
    from measurements.models import IntervalStat
    from measurements.services.daily import daily_rollup_refresh

    yesterday = today - timedelta(days=1)
    if IntervalStat.objects.filter(local_date=yesterday).exists():
        return
    source = today - timedelta(days=2)
    copies = []
    for row in IntervalStat.objects.filter(local_date=source):
        row.pk = None
        row.local_date = yesterday
        row.weekday = yesterday.weekday()
        row.interval_start += timedelta(days=1)
        copies.append(row)
    IntervalStat.objects.bulk_create(copies)
    daily_rollup_refresh(None, [yesterday])  # as the rollup services do


def test_manager_schedules_previews_and_reads_a_report(page, live_server, login, screenshot,
                                                       manager):
    from contactmis.models import Centre
    from pathways.models import Agent, Queue
    from stakeholders.models import ReportRun, ReportSchedule
    from stakeholders.services import stakeholder_create

    centre = Centre.objects.create(name="Northwind contact centre", time_zone="Europe/London")
    today = timezone.now().astimezone(centre.tz).date()
    queue = Queue.objects.create(centre=centre, code="BIL", name="Billing", site="Leeds")
    agent = Agent.objects.create(centre=centre, code="A1", name="Alice", team="North")
    interval_rows(centre, queue, 30, today - timedelta(days=1), agent=agent)
    _copy_day_to_yesterday(today)
    stakeholder = stakeholder_create(name="Billing department", kind="department",
                                     queues=[queue], emails=["billing-lead@example.org"])
    login("manager", "manager-pass-2026")
    page.goto(f"{live_server.url}/present/report-schedules/")
    screenshot("report-schedules-empty")
    page.click("text=Create the first schedule")
    page.select_option("#id_stakeholder", str(stakeholder.pk))
    page.fill("#id_name", "Billing daily")
    page.select_option("#id_template", "daily")
    page.select_option("#id_cadence", "daily")
    page.fill("#id_time_of_day", "07:00")
    page.fill("#id_time_zone", "Europe/London")
    page.fill("#id_extra_recipients", "not an address")
    page.click("button[type=submit].primary")
    assert "not a valid e-mail address" in page.inner_text("main")
    screenshot("report-schedule-form-error")
    page.fill("#id_extra_recipients", "head-of-billing@example.org")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/present/report-schedules/")
    assert ReportSchedule.objects.get().recipients() == ["billing-lead@example.org",
                                                         "head-of-billing@example.org"]
    screenshot("report-schedules")
    page.click("button:has-text('Preview')")
    page.wait_for_selector("iframe.report-frame")
    run = ReportRun.objects.get()
    frame = page.frame_locator("iframe.report-frame")
    frame.locator("img.chart").first.wait_for()
    assert "Daily service report" in frame.locator("h1").inner_text()
    assert frame.locator("img.chart").first.evaluate("i => i.naturalWidth") > 0
    screenshot("report-run-preview")
    page.goto(f"{live_server.url}/present/reports/")
    assert run.period_label in page.inner_text("main")
    screenshot("report-archive")
