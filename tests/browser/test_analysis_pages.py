"""The analysis pages in real Chromium, with three weeks of data: charts draw, tables fill,
empty states read clearly. Screenshots go to var/screenshots/analysis-*.png."""
import datetime as dt

import numpy as np
import pytest

from contactmis.models import Centre
from measurements.models import Contact, DataSource, Segment
from pathways.models import Queue
from tests.reports.factories import interval_row
from tests.stakeholders.factories import business_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
START = dt.date(2026, 2, 2)


def _seed():
    centre = Centre.objects.create(name="Leeds contact centre", time_zone="Europe/London")
    source = DataSource.objects.create(centre=centre, name="ACD")
    sales = Queue.objects.create(centre=centre, code="SALES", name="Sales", site="Leeds")
    support = Queue.objects.create(centre=centre, code="SUP", name="Support", site="York")
    ivr = Queue.objects.create(centre=centre, code="IVR", name="Main IVR", kind="ivr")
    rng = np.random.default_rng(3)
    for day in range(21):
        date = START + dt.timedelta(days=day)
        weekday_factor = 1.0 if date.weekday() < 5 else 0.4
        for slot in range(8 * 4, 20 * 4):
            minute = slot * 15
            shape = 1.0 + 0.8 * np.exp(-((minute - 600) / 90) ** 2) + 0.5 * np.exp(
                -((minute - 900) / 120) ** 2)
            local = dt.datetime.combine(date, dt.time(minute // 60, minute % 60),
                                        tzinfo=centre.tz)
            for queue, level in ((sales, 12), (support, 6)):
                offered = int(rng.poisson(level * shape * weekday_factor))
                answered = int(rng.binomial(offered, 0.9))
                abandoned = offered - answered
                within = int(rng.binomial(answered, 0.75))
                interval_row(centre, queue, local, offered=offered, answered=answered,
                             abandoned=abandoned, within={5: within // 2, 20: within},
                             abandoned_within={5: abandoned // 3, 20: abandoned // 2},
                             talk_s=answered * 200, hold_s=answered * 15, acw_s=answered * 40,
                             wait_answered_s=answered * 18, wait_abandoned_s=abandoned * 45,
                             transfers=answered // 10, staffed_s=int(900 * level * 0.35),
                             busy_s=int(answered * 255), available_s=int(900 * level * 0.1))
            interval_row(centre, ivr, local, offered=0, answered=0, abandoned=0,
                         within={5: 0}, abandoned_within={5: 0}, ivr_sessions=30,
                         ivr_contained=9, ivr_to_queue=19, ivr_abandoned=2)
    arrivals = dt.datetime(2026, 2, 9, 9, 0, tzinfo=centre.tz)
    for i in range(400):
        at = arrivals + dt.timedelta(minutes=int(rng.integers(0, 60 * 8 * 5)))
        wait = int(rng.exponential(40))
        patience = rng.exponential(150)
        abandoned = patience < wait
        contact = Contact.objects.create(centre=centre, source=source, external_id=f"c{i}",
                                         queue=sales, arrived_at=at,
                                         outcome="abandoned" if abandoned else "handled")
        Segment.objects.create(contact=contact, seq=1, kind="queue", queue=sales,
                               entered_at=at, wait_s=int(min(wait, patience)),
                               outcome="abandoned" if abandoned else "answered")
        if not abandoned:
            Segment.objects.create(contact=contact, seq=2, kind="agent", queue=sales,
                                   entered_at=at, talk_s=int(rng.lognormal(5, 0.7)),
                                   hold_s=0, outcome="completed")
    # The plan's service-level target: staffing sizes each queue for it (there is no default).
    business_plan(centre, START, [("service_level", 80, None)])
    return centre


def test_analysis_pages_with_data(page, live_server, login, manager, screenshot):
    _seed()
    login("manager", "manager-pass-2026")
    period = "start=2026-02-02&end=2026-02-23"
    for name, query in (("kpis", f"{period}&granularity=day&by=queue"),
                        ("patterns", period), ("staffing", "start=2026-02-10&end=2026-02-11"),
                        ("queueing", period)):
        page.goto(f"{live_server.url}/analysis/{name}/?{query}")
        page.wait_for_selector(".chart .main-svg")
        assert page.locator(".chart .main-svg").count() >= 1
        assert "No data for this period" not in page.content()
        screenshot(f"analysis-{name}")
    page.goto(f"{live_server.url}/analysis/forecasts/")
    page.fill("#id_history_start", "2026-02-02")
    page.fill("#id_history_end", "2026-02-23")
    page.select_option("#id_method", "holt_winters")
    page.click("text=Issue forecast")
    page.wait_for_selector(".chart .main-svg")
    assert "Forecast issued" in page.content()
    screenshot("analysis-forecasts")


def test_empty_state_and_named_errors(page, live_server, login, manager, screenshot):
    Centre.objects.create(name="Empty centre", time_zone="Europe/London")
    login("manager", "manager-pass-2026")
    page.goto(f"{live_server.url}/analysis/kpis/?start=2026-02-02&end=2026-02-09")
    assert "No data for this period" in page.content()
    screenshot("analysis-kpis-empty")
    page.goto(f"{live_server.url}/analysis/kpis/?start=2026-02-09&end=2026-02-02")
    assert "The end date must be after the start date." in page.content()
