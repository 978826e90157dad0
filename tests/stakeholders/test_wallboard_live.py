"""The live wallboard: its poll endpoint gives the floor now (callers waiting, agents' states)
within the viewer's scope, says "stale" when a followed source is silent past its quiet time,
and falls back to yesterday when today has nothing."""
import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from measurements.models import DailyStat, ImportBatch, IntervalStat, SourceFollow

from .conftest import SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def followed(two_vendors):
    """The vendors' ACD followed: a caller waits 95 s in each vendor's queue; Alice (A) is
    paused for "training" since 4 min, Bob (B) is on a call since 30 s."""
    now = int(timezone.now().timestamp())
    carry = {"asterisk_open_lines": [
        f"{now - 95}|c-a|VA-1|NONE|ENTERQUEUE||0201|1",
        f"{now - 95}|c-b|VB-{SECRET}|NONE|ENTERQUEUE||0202|1",
        f"{now - 60}|c-b2|VB-{SECRET}|NONE|ENTERQUEUE||0203|1",
        f"{now - 30}|c-b2|VB-{SECRET}|B1|CONNECT|30|x|1",
    ], "asterisk_open_agent_lines": [
        f"{now - 3600}|NONE|VA-1|A1|ADDMEMBER|",
        f"{now - 240}|NONE|VA-1|A1|PAUSE|training",
        f"{now - 3600}|NONE|VB-{SECRET}|B1|ADDMEMBER|",
    ]}
    batch = ImportBatch.objects.create(
        source=two_vendors["source"], export_format="asterisk_queue_log",
        original_name="queue_log@0", sha256="0" * 64, status="loaded", carry=carry,
        finished_at=dt.datetime.fromtimestamp(now - 2, tz=dt.UTC))
    follow = SourceFollow.objects.create(
        source=two_vendors["source"], path="/nonexistent/queue_log", quiet_s=120,
        last_line_at=dt.datetime.fromtimestamp(now - 2, tz=dt.UTC), last_batch=batch)
    follow.now = dt.datetime.fromtimestamp(now, tz=dt.UTC)
    return follow


def _poll(client, at):
    """The poll answered at the instant ``at`` (the clock held still while it runs)."""
    with time_machine.travel(at, tick=False):
        response = client.get("/present/wallboard/live/")
    assert response.status_code == 200
    return response.json()


def test_the_poll_shows_the_viewers_floor_and_nothing_outside_it(viewer_client, followed):
    data = _poll(viewer_client, followed.now)
    assert (data["stale"], data["waiting"], data["period"]) == (False, 1, "today")
    html = data["html"]
    assert "c-a" in html and "95 s" in html
    assert "Alice" in html and "training" in html and "240 s" in html
    assert SECRET not in html and "Bob" not in html and "c-b" not in html
    assert "data 2 s old" in html


def test_the_manager_sees_every_queue_and_agent(followed, manager_client):
    data = _poll(manager_client, followed.now)
    assert data["waiting"] == 2  # Bob's caller is no longer waiting: connected
    assert "Bob" in data["html"] and "on a contact" in data["html"]


def test_a_silent_source_turns_the_wallboard_stale(followed, viewer_client):
    data = _poll(viewer_client, followed.last_line_at + dt.timedelta(seconds=121))
    assert data["stale"] is True
    assert "STALE" in data["html"] and "ACD silent for 121 s (quiet time 120 s)" in data["html"]


def test_nothing_today_falls_back_to_yesterday(two_vendors, viewer_client, today):
    IntervalStat.objects.filter(local_date__gte=today).delete()
    DailyStat.objects.filter(local_date__gte=today).delete()
    response = viewer_client.get("/present/wallboard/")
    assert response.context["period"] == "yesterday"
    assert "Nothing yet today — showing yesterday." in response.content.decode()


def test_the_poll_is_denied_outside_a_login_and_for_other_stakeholders(followed, client,
                                                                       outsider):
    assert client.get("/present/wallboard/live/").status_code in (302, 404)
    client.force_login(outsider)
    data = _poll(client, followed.now)
    assert "c-a" not in data["html"] and "Alice" not in data["html"]


def test_a_dashboard_of_today_checks_for_new_data_and_one_of_the_past_does_not(
        two_vendors, viewer_client):
    from stakeholders.selectors import data_version

    two_vendors["dashboard_a"].widgets.update(period="last_7_days")
    body = viewer_client.get(f"/present/dashboards/{two_vendors['dashboard_a'].pk}/").content \
        .decode()
    # A dashboard of the last 7 days: no polling.
    assert "data-live-every" not in body
    two_vendors["dashboard_a"].widgets.update(period="today")
    body = viewer_client.get(f"/present/dashboards/{two_vendors['dashboard_a'].pk}/").content \
        .decode()
    assert f'data-live-every="10" data-version="{data_version()}"' in body
    assert "update themselves as data arrives" in body
