"""In real Chromium, as the vendor: change a dashboard's period and comparison (the figures
change, the scope holds), then drill from a 13-month service level to the abandoned contacts of
one 15-minute interval and open one contact's journey."""
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from tests.stakeholders.factories import interval_rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OTHER = "Zebra outsourcing"


@pytest.fixture(autouse=True)
def _fresh_widget_cache():
    from stakeholders.widgets import widget_cache_clear

    widget_cache_clear()


@pytest.fixture
def vendor(db):
    from contactmis.models import Centre
    from contactmis.services import user_create_with_role
    from measurements.models import Contact, DataSource, Segment
    from pathways.models import Queue
    from stakeholders.services import stakeholder_create, widget_add

    centre = Centre.objects.create(name="Northwind", time_zone="Europe/London")
    today = timezone.now().astimezone(centre.tz).date()
    source = DataSource.objects.create(centre=centre, name="ACD", kind="acd")
    mine = Queue.objects.create(centre=centre, code="SAL", name="Sales", site="Leeds")
    other = Queue.objects.create(centre=centre, code="ZEB", name=OTHER, site="Cork")
    interval_rows(centre, mine, 40, today, seed=1)
    interval_rows(centre, other, 40, today, seed=2)
    at = datetime.combine(today - timedelta(days=1), time(10, 20), tzinfo=centre.tz)
    for i, (outcome, wait) in enumerate((("abandoned", 95), ("handled", 12))):
        contact = Contact.objects.create(centre=centre, source=source, external_id=f"C-{i}",
                                         channel="voice", queue=mine, outcome=outcome,
                                         arrived_at=at + timedelta(minutes=i))
        Segment.objects.create(contact=contact, seq=1, kind="queue", queue=mine,
                               entered_at=contact.arrived_at, wait_s=wait,
                               outcome="abandoned" if outcome == "abandoned" else "answered")
    user = user_create_with_role(username="vendor-user", password="viewer-pass-2026",
                                 role="viewer")
    stakeholder = stakeholder_create(name="Sales vendor", kind="vendor", queues=[mine],
                                     users=[user])
    dashboard = stakeholder.dashboards.get()
    widget = widget_add(dashboard, kind="kpi_tile", title="Service level, 13 months",
                        metrics=["service_level"], period="rolling_13_months",
                        granularity="month")
    return {"dashboard": dashboard, "widget": widget, "day": at.date()}


def test_period_comparison_and_drill_to_abandoned_contacts(vendor, page, live_server, login,
                                                           screenshot):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login("vendor-user", "viewer-pass-2026")
    page.goto(f"{live_server.url}/present/dashboards/{vendor['dashboard'].pk}/")
    page.wait_for_selector(".dash-grid")
    before = page.locator(".tile-value").all_inner_texts()
    page.select_option("select[name=period]", "last_7_days")
    page.wait_for_url("**period=last_7_days**")
    assert page.locator(".tile-value").all_inner_texts() != before  # figures change
    # The time series draws the previous 7 days as a dashed grey line on this week's days.
    compared = page.evaluate("""() => Array.from(document.querySelectorAll('.plot'))
      .flatMap(el => (el.data || []).filter(t => t.meta === 'comparison'))
      .map(t => ({dash: t.line.dash, n: t.x.length}))""")
    assert compared and all(c["dash"] == "dash" and c["n"] > 0 for c in compared), compared
    page.select_option("select[name=compare]", "year")
    page.wait_for_url("**compare=year**")
    assert "period=last_7_days" in page.url
    compared = page.locator(".tile-compare").all_inner_texts()
    assert compared and all("vs " in c for c in compared)
    assert OTHER not in page.content()  # the scope holds
    screenshot("dashboard-period-compare")

    page.goto(f"{live_server.url}/present/widgets/{vendor['widget'].pk}/drill/")
    day = vendor["day"]
    page.get_by_role("link", name=f"{day:%B %Y}").click()
    page.get_by_role("link", name=f"{day:%a %d %b %Y}").click()
    page.get_by_role("link", name=f"{day:%a %d %b} 10:00").click()
    page.get_by_role("link", name=f"{day:%a %d %b} 10:15").click()
    page.wait_for_url("**grain=15min**")
    assert page.locator("#contacts tbody tr").count() == 2
    page.get_by_label("Abandoned only").check()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**abandoned=on**")
    assert "grain=15min" in page.url
    crumbs = page.locator(".drill-crumbs").inner_text()
    assert f"{day:%B %Y}" in crumbs and "10:15" in crumbs
    contacts = page.locator("#contacts tbody tr").all_inner_texts()
    assert len(contacts) == 1 and "C-0" in contacts[0] and "95 s" in contacts[0]
    screenshot("drill-abandoned-contacts")
    page.get_by_role("link", name="C-0").click()
    page.wait_for_selector("h1:has-text('Contact C-0')")
    assert "Abandoned" in page.locator("table").inner_text()
    assert OTHER not in page.content()
    assert not errors, errors
