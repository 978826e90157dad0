"""The KPI table is paged: a page of rows at a time with links before and after that keep the
filters, every row reachable, the exports still every row."""
import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse

from pathways.models import Queue
from reports.views import KpiView
from tests.reports.factories import interval_row

pytestmark = pytest.mark.django_db
PERIOD = {"start": "2026-02-02", "end": "2026-02-09", "granularity": "15min", "by": "queue"}


@pytest.fixture
def quarter_hours(centre):
    queue = Queue.objects.create(centre=centre, code="SALES", name="Sales")
    start = dt.datetime(2026, 2, 2, 8, 0, tzinfo=centre.tz)
    for day in range(7):  # 7 days × 5 quarter-hours: 35 rows
        for slot in range(5):
            interval_row(centre, queue, start + dt.timedelta(days=day, minutes=15 * slot),
                         offered=10 + slot, answered=8 + slot, abandoned=2, talk_s=1600,
                         acw_s=300, wait_answered_s=90, staffed_s=2700)
    return queue


def _periods(html):
    table = html.split('id="table-kpis"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr><td>([^<]+)</td>", table)


def test_the_kpi_table_pages_through_every_row_keeping_the_filters(manager_client,
                                                                   quarter_hours, monkeypatch):
    monkeypatch.setattr(KpiView, "ROWS_PER_PAGE", 15)
    url = reverse("reports:kpis")
    first = manager_client.get(url, PERIOD).content.decode()
    assert "Rows 1–15 of 35 (page 1 of 3)" in first
    assert 'rel="prev"' not in first
    following = re.search(r'<a href="([^"]+)#table-kpis" rel="next">', first).group(1)
    assert "granularity=15min" in following and "by=queue" in following
    assert "rows_page=2" in following
    second = manager_client.get(url + following.replace("&amp;", "&")).content.decode()
    assert "Rows 16–30 of 35 (page 2 of 3)" in second and 'rel="prev"' in second
    last = manager_client.get(url, {**PERIOD, "rows_page": 3}).content.decode()
    assert "Rows 31–35 of 35 (page 3 of 3)" in last and 'rel="next"' not in last
    seen = _periods(first) + _periods(second) + _periods(last)
    assert len(seen) == 35 and len(set(seen)) == 35  # every period once
    assert seen == sorted(seen)
    # Past the last page: the last page; not a number: 404 naming the parameter.
    assert "Rows 31–35 of 35" in manager_client.get(url, {**PERIOD, "rows_page": 9}
                                                    ).content.decode()
    bad = manager_client.get(url, {**PERIOD, "rows_page": "x"})
    assert bad.status_code == 404
    # The download of the table holds every row, whatever page is shown, and does not list
    # the page as a filter.
    body = manager_client.get(url, {**PERIOD, "rows_page": 2, "export": "csv",
                                    "table": "kpis"}).content.decode("utf-8-sig")
    assert "rows_page" not in body
    rows = list(csv.reader(io.StringIO(body.split("\n\n", 1)[-1] if "\n\n" in body else body)))
    assert sum(1 for r in rows if r and r[0].startswith("2026-02-")) == 35


def test_a_short_table_has_no_pager(manager_client, quarter_hours):
    html = manager_client.get(reverse("reports:kpis"), {**PERIOD, "granularity": "day"}
                              ).content.decode()
    assert len(_periods(html)) == 7
    assert "Rows 1–" not in html
