"""Walk the navigation of a centre as one login, as a browser would: every page of the side
menu, then every period the page offers up to 13 months — the dashboard period presets
(``?period=``) and, on pages with a date range (``start``/``end``), the same spans as dates —
and each dashboard reachable from a page of the menu. Records the server's render time and the
HTML size of every page, with the CPU time the request took in this process (on SQLite the
database works in-process too, so it is the page's whole cost, whatever else the machine is
running). Used by ``test_page_walk.py``; runs against any Django test client."""
from __future__ import annotations

import datetime as dt
import gc
import os
import re
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

PERIOD_PRESETS = ("today", "yesterday", "last_7_days", "week_to_date", "month_to_date",
                  "quarter_to_date", "year_to_date", "rolling_13_months")
TARGET_S = 1.0
TARGET_BYTES = 1_000_000
_NAV = re.compile(r'<nav id="sidenav".*?</nav>', re.S)
_HREF = re.compile(r'href="([^"#]+)"')
_LABEL = re.compile(r'<a href="([^"#]+)"[^>]*>([^<]*)</a>')
# Walk only the pages whose title contains one of these (comma-separated, any case), e.g.
# ``CONTACTMIS_PAGE_WALK_ONLY="KPIs,Queueing"``; unset or empty: every page.
ONLY_ENV = "CONTACTMIS_PAGE_WALK_ONLY"


def only() -> list[str]:
    """The title filters of :data:`ONLY_ENV` (lower case); empty: walk every page."""
    return [part.strip().lower() for part in os.environ.get(ONLY_ENV, "").split(",")
            if part.strip()]


def wanted(label: str, filters: list[str]) -> bool:
    return not filters or any(f in label.lower() for f in filters)


@dataclass
class Visit:
    user: str
    label: str
    url: str
    status: int
    seconds: float
    size: int
    cpu_seconds: float = 0.0
    gc_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.seconds < TARGET_S and self.size < TARGET_BYTES


def date_spans(today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """The presets as ``start``/``end`` (end exclusive) for pages with a date range."""
    month = today.replace(day=1)
    quarter = month.replace(month=(month.month - 1) // 3 * 3 + 1)
    back13 = month.replace(year=month.year - 1) if month.month != 1 else month
    back13 = (back13.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return [("yesterday", today - dt.timedelta(days=1), today),
            ("last_7_days", today - dt.timedelta(days=7), today),
            ("month_to_date", month, today + dt.timedelta(days=1)),
            ("quarter_to_date", quarter, today + dt.timedelta(days=1)),
            ("year_to_date", today.replace(month=1, day=1), today + dt.timedelta(days=1)),
            ("rolling_13_months", back13, today)]


_GC = {"start": 0.0, "total": 0.0}


def _gc_timer(phase, info):
    if phase == "start":
        _GC["start"] = time.perf_counter()
    else:
        _GC["total"] += time.perf_counter() - _GC["start"]


def _get(client, user, label, url, visits):
    if _gc_timer not in gc.callbacks:
        gc.callbacks.append(_gc_timer)
    gc_before = _GC["total"]
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get(url, follow=True)  # a menu entry may lead on (a viewer's dashboard)
    body = response.content if not getattr(response, "streaming", False) else b"".join(
        response.streaming_content)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    visits.append(Visit(user, label, url, response.status_code, seconds, len(body), cpu,
                        _GC["total"] - gc_before))
    return body.decode("utf-8", "replace") if response.status_code == 200 else ""


def menu(html: str) -> list[tuple[str, str]]:
    nav = _NAV.search(html)
    if not nav:
        return []
    return [(label.strip(), href) for href, label in _LABEL.findall(nav.group(0))
            if href.startswith("/") and not href.startswith(("/admin", "/api"))]


def walk(client, user: str, today: dt.date, filters: list[str] | None = None) -> list[Visit]:
    """Every page of the menu and its periods; ``filters`` (default :func:`only`): only the
    pages whose title contains one of them (the home page is read for its menu all the same)."""
    filters = only() if filters is None else filters
    visits: list[Visit] = []
    home = _get(client, user, "Home", "/", visits)
    if not wanted("Home", filters):
        visits.clear()
    pages = menu(home)
    seen = {"/"}
    dashboards: list[tuple[str, str]] = []
    for label, href in pages:
        if href in seen:
            continue
        seen.add(href)
        if not wanted(label, filters):
            continue
        html = _get(client, user, label, href, visits)
        for link in sorted(set(_HREF.findall(html))):
            path = urlsplit(link).path
            if re.fullmatch(r"/present/dashboards/\d+/", path) and path not in seen:
                seen.add(path)
                dashboards.append((f"{label} › dashboard {path.split('/')[3]}", path))
        _periods(client, user, label, href, html, today, visits)
    for label, href in dashboards:
        if not wanted(label, filters):
            continue
        html = _get(client, user, label, href, visits)
        _periods(client, user, label, href, html, today, visits)
    return visits


# The KPI page's heaviest views: each fine granularity over the longest span it is drawn for
# (the form's limits), whole and broken down by the dimensions with the most members; a day
# over 13 months by agent.
FINE_VIEWS = [("15min", 31, ""), ("15min", 31, "queue"), ("15min", 31, "agent"),
              ("30min", 62, "queue"), ("hour", 92, "queue"), ("day", 396, "agent")]


def _periods(client, user, label, href, html, today, visits):
    base = href.split("?")[0]
    if 'name="granularity"' in html and 'name="by"' in html:
        for granularity, days, by in FINE_VIEWS:
            query = {"start": (today - dt.timedelta(days=days)).isoformat(),
                     "end": today.isoformat(), "granularity": granularity}
            if by:
                query["by"] = by
            _get(client, user, f"{label} [{granularity}, {days} days"
                 + (f", by {by}]" if by else "]"), f"{base}?{urlencode(query)}", visits)
    if 'name="period"' in html:
        for key in PERIOD_PRESETS:
            _get(client, user, f"{label} [{key}]", f"{base}?{urlencode({'period': key})}", visits)
    elif 'name="start"' in html and 'name="end"' in html:
        for key, start, end in date_spans(today):
            query = urlencode({"start": start.isoformat(), "end": end.isoformat()})
            _get(client, user, f"{label} [{key}]", f"{base}?{query}", visits)


def table(visits: list[Visit]) -> list[str]:
    """Markdown rows: page, render time and size against the targets."""
    lines = ["| login | page | ms | CPU ms | of which GC ms | KB | within 1 s and 1 MB |",
             "|---|---|---:|---:|---:|---:|---|"]
    for v in visits:
        verdict = "yes" if v.ok else (f"HTTP {v.status}" if v.status != 200 else "**no**")
        lines.append(f"| {v.user} | {v.label} | {v.seconds * 1000:,.0f} "
                     f"| {v.cpu_seconds * 1000:,.0f} | {v.gc_seconds * 1000:,.0f} "
                     f"| {v.size / 1024:,.0f} | {verdict} |")
    return lines
