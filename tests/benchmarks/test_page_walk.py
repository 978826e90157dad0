"""Every page of the demo centre, as each demo login, for every period up to 13 months: render
time and HTML size against the targets (under 1 s and under 1 MB per page).

Run with ``make bench``. The demo centre is built once (``demo_setup``, 13 months of the
simulated centre up to yesterday, into the test database); then each demo login walks the side
menu, each dashboard reachable from it and each period the page offers
(``tests/benchmarks/pagewalk.py``) twice: first with an empty cache (the first viewer of the
day after an import, every widget computed) and again (the next viewers), in a process warmed
up as a web worker is (``contactmis.startup.warm_up``). Times are the
server's whole request in-process (Django test client: middleware, scope, queries, template),
on whatever else the machine is running — ``uptime``'s load is printed with the figures. The
full table goes to docs/page-walk.md, a summary to docs/benchmarks.md.
"""
import datetime as dt
import gc
import io
import os
import platform
import statistics

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from contactmis.management.commands.demo_setup import DEMO_LOGINS
from contactmis.startup import warm_up
from stakeholders.widgets import widget_cache_clear
from tests.benchmarks import pagewalk
from tests.benchmarks.figures import record
from tests.conftest import REPO

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db(transaction=True)]
PAGE_WALK_MD = REPO / "docs" / "page-walk.md"


def _load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def test_every_page_of_the_demo_for_every_login_and_period(settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("demo_setup", stdout=io.StringIO())
    today = timezone.localdate()
    warm_up()  # as a web worker starts (contactmis.wsgi)
    before = _load()
    runs = {}
    try:
        for username, *_ in DEMO_LOGINS:
            client = Client()
            client.force_login(get_user_model().objects.get(username=username))
            widget_cache_clear()
            runs[(username, "first view")] = pagewalk.walk(client, username, today)
            runs[(username, "again")] = pagewalk.walk(client, username, today)
    finally:
        gc.unfreeze()
    after = _load()

    summary = [f"Machine: {platform.machine()}, {os.cpu_count()} cores; {before} before, "
               f"{after} after. Full table: [page-walk.md](page-walk.md).", "",
               "Wall time depends on what else the machine runs; CPU time is the request's own "
               "cost in this process (the SQLite database included).", "",
               "| login | run | pages | median ms | slowest ms | over 1 s | median CPU ms "
               "| slowest CPU ms | over 1 s of CPU | largest KB | over 1 MB | errors |",
               "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    detail = ["# Page walk of the demo centre", "",
              f"_{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}; {before} before, {after} "
              "after. Target: each page under 1 s and under 1 MB of HTML. CPU ms: the request's "
              "own CPU time in the test process (SQLite included)._", ""]
    for (username, run), visits in runs.items():
        if not visits:  # a walk of some pages this login does not have
            continue
        ms = [v.seconds * 1000 for v in visits]
        slow = [v for v in visits if v.seconds >= pagewalk.TARGET_S]
        cpu = [v.cpu_seconds * 1000 for v in visits]
        slow_cpu = [v for v in visits if v.cpu_seconds >= pagewalk.TARGET_S]
        big = [v for v in visits if v.size >= pagewalk.TARGET_BYTES]
        errors = [v for v in visits if v.status != 200]
        summary.append(f"| {username} | {run} | {len(visits)} | {statistics.median(ms):,.0f} "
                       f"| {max(ms):,.0f} | {len(slow)} | {statistics.median(cpu):,.0f} "
                       f"| {max(cpu):,.0f} | {len(slow_cpu)} "
                       f"| {max(v.size for v in visits) / 1024:,.0f} | {len(big)} "
                       f"| {len(errors)} |")
        detail += [f"## {username}, {run}", "",
                   *pagewalk.table(sorted(visits, key=lambda v: -v.seconds)), ""]
    if pagewalk.only():  # a walk of some pages: the table printed, the full walk's files kept
        print("\n".join([f"Only pages titled: {', '.join(pagewalk.only())}", *summary, "",
                         *detail]))
        assert all(v.status == 200 for visits in runs.values() for v in visits)
        return
    PAGE_WALK_MD.write_text("\n".join(detail))
    first, again = runs[("manager", "first view")], runs[("manager", "again")]
    headline = (f"manager, first view: {sum(v.seconds >= pagewalk.TARGET_S for v in first)} "
                f"of {len(first)} pages over 1 s "
                f"({sum(v.cpu_seconds >= pagewalk.TARGET_S for v in first)} over 1 s of CPU), "
                f"{sum(v.size >= pagewalk.TARGET_BYTES for v in first)} over 1 MB; again: "
                f"median {statistics.median(v.seconds * 1000 for v in again):,.0f} ms")
    record("Page walk of the demo centre (each login, every page and period up to 13 months)",
           summary, headline=headline)
    assert all(v.status == 200 for visits in runs.values() for v in visits), [
        (v.user, v.url, v.status) for visits in runs.values() for v in visits if v.status != 200]
    for username, *_ in DEMO_LOGINS:  # every login reached its pages and their periods
        # Stakeholder viewers (the vendor, the team leader) are held to a viewer's few pages.
        assert len(runs[(username, "first view")]) >= (
            10 if username in ("vendor", "teamlead") else 40)
