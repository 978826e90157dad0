"""The database queries of each default dashboard's first view (every widget computed, nothing
cached), for its widgets' own periods and for 13 months picked: pinned, so a change that reads
per widget or per row what a request reads once cannot creep in unnoticed. A change that
removes queries lowers the pins; one that must add some raises them on purpose."""
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from stakeholders.constants import StakeholderKind
from stakeholders.widgets import widget_cache_clear

from .factories import business_plan, interval_rows

# The most queries each first view may make: (the widgets' own periods, 13 months picked).
# Forecast widgets read the scope's forecast (its queues' newest forecasts and which queues took
# contacts in the previous 13 weeks): a few queries more for the centre staff, the executive and
# the wallboard than a single whole-centre forecast.
PINNED = {
    StakeholderKind.CENTRE_STAFF: (57, 76),
    StakeholderKind.OWN_TEAM: (72, 62),
    StakeholderKind.DEPARTMENT: (41, 44),
    StakeholderKind.EXECUTIVE: (66, 76),
    StakeholderKind.VENDOR: (56, 55),
}


@pytest.fixture
def dashboards(db, centre, manager, today):
    from pathways.models import Agent, Queue
    from stakeholders.services import stakeholder_create

    sales = Queue.objects.create(centre=centre, code="S", name="Sales", site="Leeds")
    billing = Queue.objects.create(centre=centre, code="B", name="Billing", site="Cork")
    agents = [Agent.objects.create(centre=centre, code=f"A{i}", name=f"Agent {i}",
                                   team=f"Team {i % 2}") for i in range(2)]
    interval_rows(centre, sales, 21, today, seed=1, agent=agents[0])
    interval_rows(centre, billing, 21, today, seed=2, agent=agents[1], pk_start=500_000)
    business_plan(centre, today, [("service_level", 80, None), ("abandon_rate", 8, None)])
    out = {}
    for kind, _label in StakeholderKind.choices:
        queues = [sales] if kind == StakeholderKind.VENDOR else [sales, billing]
        stakeholder = stakeholder_create(name=f"{kind} stakeholder", kind=kind, queues=queues,
                                         emails=[f"{kind}@example.com"])
        out[kind] = stakeholder.dashboards.get()
    return out


def _first_view_queries(client, url) -> int:
    widget_cache_clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("kind", list(PINNED), ids=[str(k) for k in PINNED])
def test_a_dashboards_first_view_makes_no_more_queries_than_pinned(dashboards, manager, kind):
    client = Client()
    client.force_login(manager)
    url = f"/present/dashboards/{dashboards[kind].pk}/"
    own = _first_view_queries(client, url)
    months = _first_view_queries(client, f"{url}?period=rolling_13_months")
    most_own, most_months = PINNED[kind]
    assert own <= most_own, f"{own} queries for the widgets' own periods, pinned {most_own}"
    assert months <= most_months, f"{months} queries for 13 months, pinned {most_months}"


# The wallboard's first view: the whole centre's tiles, a tile per channel and metric, the queue
# table and the rest of today.
WALLBOARD_PINNED = 62


def test_the_wallboards_first_view_makes_no_more_queries_than_pinned(dashboards, manager):
    client = Client()
    client.force_login(manager)
    queries = _first_view_queries(client, "/present/wallboard/")
    assert queries <= WALLBOARD_PINNED, f"{queries} queries, pinned {WALLBOARD_PINNED}"
