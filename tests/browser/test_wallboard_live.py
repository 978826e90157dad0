"""The live wallboard in Chromium: its figures change without a page reload as lines arrive
in the followed queue_log, and a source silent past its quiet time turns it "stale"."""
import datetime as dt

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_wallboard_moves_as_events_arrive_and_goes_stale(centre, page, live_server, login,
                                                            screenshot, manager, tmp_path,
                                                            clock):
    from measurements.services.follow import follow_create, follow_poll
    from measurements.services.ingest import source_create

    source = source_create(centre=centre, name="PBX", kind="acd",
                           export_format="asterisk_queue_log", time_zone="UTC")
    follow = follow_create(source=source, path=str(tmp_path / "queue_log"), quiet_s=60)
    t0 = int(timezone.now().timestamp())

    def arrive(*lines):
        with open(follow.path, "a") as fh:
            fh.write("".join(line + "\n" for line in lines))
        follow_poll(follow)

    arrive(f"{t0 - 900}|NONE|sales|Agent/7|ADDMEMBER|",
           f"{t0 - 600}|c1|sales|NONE|ENTERQUEUE||0201|1",
           f"{t0 - 590}|c1|sales|Agent/7|CONNECT|10|x|1",
           f"{t0 - 400}|c1|sales|Agent/7|COMPLETECALLER|10|190|1",
           f"{t0 - 20}|c2|sales|NONE|ENTERQUEUE||0202|1")
    login("manager", "manager-pass-2026")
    page.goto(f"{live_server.url}/present/wallboard/")
    page.wait_for_selector("#wall-queues")
    page.evaluate("window.__notReloaded = true")
    assert page.inner_text("#wall-queues .wall-waiting") == "1"
    assert "c2" in page.inner_text("#wall-callers")
    offered = page.locator(".wall-tile .wall-value").first.inner_text()
    assert offered == "1"  # c1 is complete; c2 is still waiting, not yet a contact

    arrive(f"{t0 + 1}|c3|sales|NONE|ENTERQUEUE||0203|1",
           f"{t0 + 2}|c4|sales|NONE|ENTERQUEUE||0204|1",
           f"{t0 + 3}|c2|sales|NONE|ABANDON|1|1|23")
    page.wait_for_function(
        "document.querySelector('#wall-queues .wall-waiting').textContent.trim() === '2'",
        timeout=15_000)
    page.wait_for_function(
        "document.querySelector('.wall-tile .wall-value').textContent.trim() === '2'",
        timeout=15_000)  # c2 abandoned: offered today 2
    assert page.evaluate("window.__notReloaded") is True
    assert "c3" in page.inner_text("#wall-callers") and "c2" not in page.inner_text(
        "#wall-callers")
    assert "STALE" not in page.inner_text("#wall-live")
    screenshot("wallboard-live")

    clock.move_to(dt.datetime.fromtimestamp(t0 + 70, tz=dt.UTC))  # 67 s of silence > 60 s
    page.wait_for_selector(".wall-stale", timeout=15_000)
    assert "PBX silent for" in page.inner_text(".wall-stale")
    assert page.evaluate("getComputedStyle(document.querySelector('.wall-stale'))"
                         ".backgroundColor") != "rgba(0, 0, 0, 0)"
    assert page.evaluate("window.__notReloaded") is True
    screenshot("wallboard-stale")
