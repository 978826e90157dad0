"""Each default dashboard type in real Chromium: the page draws its Plotly figures, tiles and
tables, and a screenshot is kept under var/screenshots/ for review."""
import pytest
from django.utils import timezone

from tests.stakeholders.factories import contacts, interval_rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KINDS = ["centre_staff", "executive", "vendor", "department", "own_team"]


@pytest.fixture(autouse=True)
def _fresh_widget_cache():
    from stakeholders.widgets import widget_cache_clear

    widget_cache_clear()


@pytest.fixture
def centre_data(db):
    from contactmis.models import Centre
    from measurements.models import DataSource
    from pathways.models import Agent, Queue

    centre = Centre.objects.create(name="Northwind contact centre", time_zone="Europe/London")
    today = timezone.now().astimezone(centre.tz).date()
    source = DataSource.objects.create(centre=centre, name="ACD", kind="acd")
    queues = []
    for i, (code, name, ctype) in enumerate((("SAL", "Sales", "new order"),
                                             ("BIL", "Billing", "bill query"),
                                             ("TEC", "Technical support", "fault"))):
        q = Queue.objects.create(centre=centre, code=code, name=name, site="Leeds")
        agent = Agent.objects.create(centre=centre, code=f"A{i}", name=f"Agent {name}",
                                     team="Team North" if i < 2 else "Team South")
        interval_rows(centre, q, 70, today, seed=i, agent=agent, contact_type=ctype)
        contacts(centre, source, q, today, prefix=code)
        queues.append(q)
    return queues


@pytest.mark.parametrize("kind", KINDS)
def test_default_dashboard_renders_in_chromium(kind, centre_data, page, live_server, login,
                                               screenshot, manager):
    from contactmis.services import user_create_with_role
    from stakeholders.services import stakeholder_create

    user = user_create_with_role(username=f"{kind}-user", password="viewer-pass-2026",
                                 role="viewer")
    scope = {"queues": centre_data[:2]} if kind in ("vendor", "department") else {
        "sees_whole_centre": True}
    stakeholder = stakeholder_create(name=f"{kind.replace('_', ' ').title()}", kind=kind,
                                     users=[user], **scope)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(f"{kind}-user", "viewer-pass-2026")
    page.goto(f"{live_server.url}/present/dashboards/")
    page.wait_for_selector(".dash-grid")
    dashboard = stakeholder.dashboards.get()
    assert page.url.endswith(f"/present/dashboards/{dashboard.pk}/")
    plots = page.locator(".plot")
    if plots.count():
        page.wait_for_selector(".plot .main-svg")
    drawn = page.locator(".plot .main-svg").count()
    assert drawn >= plots.count() > 0
    assert page.locator(".widget").count() == dashboard.widgets.count()
    assert errors == []
    body = page.inner_text("main")
    if kind in ("vendor", "department"):
        assert "Technical support" not in body
    path = screenshot(f"dashboard-{kind}")
    assert path.exists()


def test_manager_edits_a_dashboard_and_previews_it(centre_data, page, live_server, login,
                                                   screenshot, manager):
    from stakeholders.services import stakeholder_create

    stakeholder = stakeholder_create(name="Billing department", kind="department",
                                     queues=[centre_data[1]])
    dashboard = stakeholder.dashboards.get()
    login("manager", "manager-pass-2026")
    page.goto(f"{live_server.url}/present/dashboards/{dashboard.pk}/edit/")
    count = page.locator(".widget-list li").count()
    page.click("aside a:has-text('Weekday × hour heatmap')")
    page.fill("#id_title", "Abandon rate by weekday and hour")
    page.check("input[name=metrics][value=abandon_rate]")
    page.uncheck("input[name=metrics][value=offered]")
    page.select_option("#id_period", "last_7_days")
    page.click("button[type=submit].primary")
    page.wait_for_selector(".widget-list")
    assert page.locator(".widget-list li").count() == count + 1
    screenshot("dashboard-editor")
    page.locator(".widget-list li").last.locator("button[title='Move up']").click()
    assert "Abandon rate by weekday" in page.locator(".widget-list li").nth(count - 1).inner_text()
    page.click("text=Preview as Billing department")
    page.wait_for_selector(".preview-banner")
    page.wait_for_selector(".plot .main-svg")
    assert "Abandon rate by weekday and hour" in page.inner_text("main")
    screenshot("dashboard-preview")


def test_wallboard_in_chromium(centre_data, page, live_server, login, screenshot, manager):
    login("manager", "manager-pass-2026")
    page.goto(f"{live_server.url}/present/wallboard/")
    page.wait_for_selector(".wall-tiles")
    assert page.locator(".wall-tile").count() == 5
    assert "Sales" in page.inner_text(".wall-table")
    screenshot("wallboard")
