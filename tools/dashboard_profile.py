"""Profile a dashboard's first view (every widget computed, as for the first viewer after an
import) as one login over one period, against the database of ``DATABASE_URL`` (build one with
``manage.py migrate && manage.py demo_setup``).

    python tools/dashboard_profile.py --login manager --dashboard 1 --period rolling_13_months
    python tools/dashboard_profile.py --login manager --wallboard --profile
    python tools/dashboard_profile.py --login manager --all            # CPU ms of each page
    python tools/dashboard_profile.py --login manager --dump figures/  # each widget's figures

``--profile`` prints pyinstrument's call tree (``pip install pyinstrument``); ``--all`` times
every dashboard the login sees for each period preset and the wallboard (median of
``--repeat`` first views); ``--dump DIR`` writes what each widget of each dashboard and period
shows (figure, tile, table, notes) as JSON, to compare the figures before and after a change.
A developer's tool, run by hand; never imported by ContactMIS.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactmis.settings")

PERIODS = ("", "today", "yesterday", "last_7_days", "week_to_date", "month_to_date",
           "quarter_to_date", "year_to_date", "rolling_13_months")


def _setup():
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]


def _client(login):
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=login))
    return client


def _url(dashboard, period, wallboard):
    if wallboard:
        return "/present/wallboard/"
    return f"/present/dashboards/{dashboard}/" + (f"?period={period}" if period else "")


def first_view(client, url, profiler=None):
    """(wall ms, CPU ms, queries, bytes) of one first view of ``url`` (caches emptied)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from stakeholders.widgets import widget_cache_clear

    widget_cache_clear()
    with CaptureQueriesContext(connection) as queries:
        if profiler is not None:
            profiler.start()
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if profiler is not None:
            profiler.stop()
    assert response.status_code == 200, (url, response.status_code)
    return wall * 1000, cpu * 1000, len(queries), len(response.content)


def _dashboards(login):
    from django.contrib.auth import get_user_model

    from stakeholders import selectors

    user = get_user_model().objects.get(username=login)
    return [d.pk for d in selectors.dashboard_list(user)]


def dump(login, out: Path, when: str = ""):
    """What each widget of each dashboard shows, per period, as JSON files in ``out``."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from stakeholders import selectors
    from stakeholders.forms import DashboardPeriodForm
    from stakeholders.widgets import dashboard_render, widget_cache_clear

    user = get_user_model().objects.get(username=login)
    import datetime as dt

    now = (dt.datetime.fromisoformat(when) if when
           else timezone.now().replace(minute=0, second=0, microsecond=0))
    out.mkdir(parents=True, exist_ok=True)
    for pk in _dashboards(login):
        dashboard = selectors.dashboard_get(user, pk)
        scope = selectors.dashboard_scope(dashboard)
        for period in PERIODS:
            form = DashboardPeriodForm({"period": period} if period else None)
            widget_cache_clear()
            results = dashboard_render(dashboard, scope, now, picked=form.picked(),
                                       compare=form.comparison())
            shown = [{"title": r.widget.title, "kind": r.widget.kind, "empty": r.empty,
                      "notes": r.notes, "definitions": r.definitions, "figure": r.figure,
                      "tile": {k: str(v) for k, v in (r.tile or {}).items()},
                      "table": r.table.to_json(orient="split", date_format="iso")
                      if r.table is not None else None} for r in results]
            (out / f"{login}-d{pk}-{period or 'own'}.json").write_text(
                json.dumps(shown, indent=1, sort_keys=True, default=str))
    print(f"written to {out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--login", default="manager")
    parser.add_argument("--dashboard", type=int)
    parser.add_argument("--period", default="", help="a period preset; empty: the widgets' own")
    parser.add_argument("--wallboard", action="store_true")
    parser.add_argument("--profile", action="store_true", help="pyinstrument's call tree")
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--dump", type=Path)
    parser.add_argument("--now", default="", help="with --dump: the instant (ISO, with zone)")
    args = parser.parse_args()
    _setup()
    if args.dump:
        dump(args.login, args.dump, args.now)
        return
    client = _client(args.login)
    if args.all:
        print(f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print("| page | period | wall ms | CPU ms | queries | KB |\n|---|---|---:|---:|---:|---:|")
        pages = [(pk, p, False) for pk in _dashboards(args.login) for p in PERIODS]
        for pk, period, wall in [*pages, (None, "", True)]:
            runs = [first_view(client, _url(pk, period, wall)) for _ in range(args.repeat)]
            name = "wallboard" if wall else f"dashboard {pk}"
            print(f"| {name} | {period or 'own'} | {statistics.median(r[0] for r in runs):,.0f} "
                  f"| {statistics.median(r[1] for r in runs):,.0f} | {runs[0][2]} "
                  f"| {runs[0][3] / 1024:,.0f} |", flush=True)
        print(f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
        return
    url = _url(args.dashboard, args.period, args.wallboard)
    first_view(client, url)  # imports and process-wide memos out of the way
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
    runs = [first_view(client, url, profiler if i == 0 else None) for i in range(args.repeat)]
    for wall, cpu, queries, size in runs:
        print(f"{url}: {wall:,.0f} ms wall, {cpu:,.0f} ms CPU, {queries} queries, "
              f"{size / 1024:,.0f} KB")
    if profiler is not None:
        print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
