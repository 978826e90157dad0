"""Every demo login visits every page of its navigation on a loaded demo: no server error, no
chart drawn without data."""
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from contactmis.management.commands.demo_setup import DEMO_LOGINS
from contactmis.roles import VIEWER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Points drawn by each Plotly chart on the page (Plotly's own trace lengths after decoding).
CHART_POINTS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(el => ({
  id: el.id || el.className,
  points: (el._fullData || []).reduce((n, t) => {
    const arr = t.x || t.y || t.z || t.values || t.labels || (t.node && t.node.label) || [];
    return n + (t._length || arr.length || 0);
  }, 0)}))"""


@pytest.fixture
def demo(tmp_path):
    """Two weeks of the demo centre up to yesterday (the pages' default periods end today)."""
    call_command("demo_setup", "--skip-data", stdout=io.StringIO())
    end = timezone.localdate() - timedelta(days=1)
    call_command("demo_load", "--out", str(tmp_path), "--scale", "0.3",
                 "--start", str(end - timedelta(days=13)), "--end", str(end),
                 stdout=io.StringIO())


@pytest.mark.parametrize("username", [login[0] for login in DEMO_LOGINS])
def test_every_navigation_page_works_for_each_demo_login(page, live_server, login, demo,
                                                         username, screenshot):
    password = {u: p for u, p, *_ in DEMO_LOGINS}[username]
    # Stakeholder viewers (the vendor, the team leader) see their own few pages.
    viewer = {u: role for u, _, role, *_ in DEMO_LOGINS}[username] == VIEWER
    login(username, password)
    links = page.eval_on_selector_all(
        "nav#sidenav a", "els => els.map(a => [a.textContent.trim(), a.getAttribute('href')])")
    links = [(label, href) for label, href in links
             if href.startswith("/") and not href.startswith(("/admin", "/api"))]
    assert len(links) >= (3 if viewer else 15), links
    problems, charts_drawn = [], 0
    for label, href in links:
        response = page.goto(f"{live_server.url}{href}")
        page.wait_for_load_state("networkidle")
        if response is None or response.status >= 400:
            problems.append(f"{label} {href}: HTTP {response.status if response else '—'}")
            continue
        if page.locator("text=Server Error").count():
            problems.append(f"{label} {href}: server error text")
        for chart in page.evaluate(CHART_POINTS):
            charts_drawn += 1
            if chart["points"] == 0:
                problems.append(f"{label} {href}: empty chart {chart['id']}")
    screenshot(f"demo-tour-{username}")
    assert problems == [], "\n".join(problems)
    assert charts_drawn >= (1 if viewer else 10)
