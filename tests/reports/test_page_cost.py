"""What each analysis page costs on its first view (no filter chosen: the default period), in
database queries: pinned, so a change that reads row by row, or once per row, shows here as a
count that grows. The counts do not depend on how much data the period holds (a month of
intervals and contacts here; a year reads the same queries)."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from measurements.models import Contact, DataSource, Segment
from pathways.models import Agent, Queue
from tests.reports.factories import interval_row

pytestmark = pytest.mark.django_db

# The first view of each page: (URL name, queries). The suite's clock is 20 November 2026, so
# the default period is the 28 days before it.
FIRST_VIEW_QUERIES = {
    "reports:kpis": 23,
    "reports:patterns": 8,
    "reports:staffing": 14,
    "reports:queueing": 14,
    "reports:forecasts": 7,
    # The monitor counts its sources' months once (stale months of segmentation recounted).
    "measurements:monitor": 24,
}


def _month(centre, days: int):
    queue = Queue.objects.create(centre=centre, code="SALES", name="Sales")
    agent = Agent.objects.create(centre=centre, code="A1", name="Ann")
    source = DataSource.objects.create(centre=centre, name="ACD", kind="acd")
    first = dt.datetime(2026, 10, 23, 8, 0, tzinfo=centre.tz)
    n = 0
    for day in range(days):
        for slot in range(4):
            start = first + dt.timedelta(days=day, minutes=15 * slot)
            interval_row(centre, queue, start, offered=10 + slot, answered=8 + slot,
                         abandoned=2, talk_s=1600, acw_s=300, wait_answered_s=90,
                         staffed_s=2700)
            for k in range(3):  # three calls a quarter-hour: two answered, one abandoned
                n += 1
                arrived = start + dt.timedelta(minutes=4 * k)
                answered = k < 2
                contact = Contact.objects.create(
                    centre=centre, source=source, external_id=f"c{n}", queue=queue,
                    arrived_at=arrived, outcome="answered" if answered else "abandoned")
                wait = 20 + 15 * k
                Segment.objects.create(contact=contact, seq=1, kind="queue", queue=queue,
                                       entered_at=arrived, wait_s=wait,
                                       outcome="answered" if answered else "abandoned")
                if answered:
                    Segment.objects.create(
                        contact=contact, seq=2, kind="agent", queue=queue, agent=agent,
                        entered_at=arrived + dt.timedelta(seconds=wait),
                        left_at=arrived + dt.timedelta(seconds=wait + 300), talk_s=240,
                        hold_s=30, outcome="answered")
    return queue


def _first_view_queries(client, name):
    client.get(reverse(name))  # sessions, caches and lazy look-ups of a first request
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(name))
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("name", sorted(FIRST_VIEW_QUERIES))
def test_each_analysis_page_first_view_reads_a_pinned_number_of_queries(manager_client, centre,
                                                                       name):
    _month(centre, days=28)
    count, response = _first_view_queries(manager_client, name)
    assert b"No data for this period" not in response.content
    assert count == FIRST_VIEW_QUERIES[name], (
        f"{name}: {count} queries on a first view, pinned at {FIRST_VIEW_QUERIES[name]}")


@pytest.mark.parametrize("name", ["reports:kpis", "reports:queueing", "reports:patterns"])
def test_the_count_does_not_grow_with_the_data(manager_client, centre, name):
    _month(centre, days=7)  # a quarter of the data of the pinned view: the same queries
    count, _ = _first_view_queries(manager_client, name)
    assert count == FIRST_VIEW_QUERIES[name]
