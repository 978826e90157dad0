"""Occupancy and staffed time from the agent-state feeds: one definition (busy / (busy +
available), sums of seconds), the same figure on the KPI page, in staffing's actual agents,
in the per-agent table and on the dashboards; no feed is a gap, not zero."""
import datetime as dt
import math

import pytest

from contactmis.scope import Scope
from measurements.models import AgentIntervalStat
from pathways.models import Agent, Queue
from reports.analyses import kpi_report, staffing_report
from reports.selectors import agent_kpi_frame, component_sums, kpi_frame, period_kpi_frame
from tests.reports.factories import interval_row
from tests.stakeholders.factories import business_plan

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)  # a Monday in winter: London local time = UTC
END = DAY + dt.timedelta(days=1)


def _agent_row(centre, agent, minute, queue=None, **values):
    AgentIntervalStat.objects.create(
        centre=centre, agent=agent, queue=queue, local_date=DAY, local_minute=minute, weekday=0,
        interval_start=dt.datetime(2026, 3, 2, minute // 60, minute % 60, tzinfo=dt.UTC),
        **values)


@pytest.fixture
def floor(centre):
    """Two voice queues and two agents. The workforce feed gives agent states without a queue
    (as the demo's WFM exports do); the agent legs say who handled what:

    ========  =====  =========  =====  ==========  ===========================
    agent     when   staffed    busy   available   handled (handling seconds)
    ========  =====  =========  =====  ==========  ===========================
    Ann       09:00  900        600    200         Sales 10 (3,000 s)
    Bob       09:00  900        300    500         Sales 2 (1,000), Support 3 (1,000)
    Ann       09:15  900        450    450
    ========  =====  =========  =====  ==========  ===========================

    Occupancy = (600 + 300 + 450) / (600 + 300 + 450 + 200 + 500 + 450) = 1,350 / 2,500 = 54 %.
    Bob's queue-less time is shared half and half (1,000 s handling on each queue)."""
    sales = Queue.objects.create(centre=centre, code="SALES", name="Sales")
    support = Queue.objects.create(centre=centre, code="SUP", name="Support")
    ann = Agent.objects.create(centre=centre, code="A", name="Ann", team="Red")
    bob = Agent.objects.create(centre=centre, code="B", name="Bob", team="Blue")
    _agent_row(centre, ann, 540, sales, handled=10, talk_s=3000)
    _agent_row(centre, bob, 540, sales, handled=2, talk_s=1000)
    _agent_row(centre, bob, 540, support, handled=3, talk_s=1000)
    _agent_row(centre, ann, 540, staffed_s=900, busy_s=600, available_s=200)
    _agent_row(centre, bob, 540, staffed_s=900, busy_s=300, available_s=500)
    _agent_row(centre, ann, 555, staffed_s=900, busy_s=450, available_s=450)
    for minute in (0, 15):
        interval_row(centre, sales, dt.datetime(2026, 3, 2, 9, minute, tzinfo=centre.tz),
                     offered=10, answered=10, abandoned=0, within={20: 10},
                     abandoned_within={}, talk_s=2000)
    interval_row(centre, support, dt.datetime(2026, 3, 2, 9, 0, tzinfo=centre.tz),
                 offered=3, answered=3, abandoned=0, within={20: 3},
                     abandoned_within={}, talk_s=1000)
    return sales, support


def test_kpi_page_staffing_and_agent_table_agree_on_occupancy(centre, floor):
    sales, support = floor
    whole = Scope.everything()
    # The KPI page (whole scope, and its default grouping by channel).
    page = kpi_report(whole, centre, DAY, END)
    assert page["tables"]["kpis"][0]["occupancy"] == pytest.approx(1350 / 2500)
    by_channel = kpi_frame(whole, centre, DAY, END, "day", ["channel"])
    assert by_channel.set_index("channel").loc["voice", "occupancy"] == pytest.approx(0.54)
    # The per-agent table: its sums are the same seconds.
    agents = agent_kpi_frame(whole, centre, DAY, END, "day", ["agent"]).set_index("agent")
    assert agents.loc["Ann", "occupancy"] == pytest.approx(1050 / 1700)
    assert agents.loc["Bob", "occupancy"] == pytest.approx(300 / 800)
    team_total = agent_kpi_frame(whole, centre, DAY, END, "year", [])
    assert team_total["occupancy"].iloc[0] == pytest.approx(0.54)
    # Per queue: Sales has Ann's time and half of Bob's; Support the other half of Bob's.
    queues = period_kpi_frame(whole, centre, DAY, END, ["queue"]).set_index("queue")
    assert queues.loc["Sales", "occupancy"] == pytest.approx((600 + 450 + 150) /
                                                             (600 + 450 + 150 + 200 + 450 + 250))
    assert queues.loc["Support", "occupancy"] == pytest.approx(150 / 400)
    # Staffing's actual agents = staffed seconds / interval length, for the queue chosen.
    business_plan(centre, DAY, [("service_level", 80, None)])
    staffing = staffing_report(whole, centre, DAY, END, channel="voice")
    actual = {r["period_start"][11:16]: r["actual_agents"]
              for r in staffing["tables"]["intervals"]}
    assert actual == {"09:00": pytest.approx(2.0), "09:15": pytest.approx(1.0)}
    one = staffing_report(whole, centre, DAY, END, queue=sales)
    assert [r["actual_agents"] for r in one["tables"]["intervals"]] == [
        pytest.approx((900 + 450) / 900), pytest.approx(1.0)]
    # Dashboards read the same seconds (a tile's sums over the whole scope).
    sums = component_sums(whole, DAY, END, "day")
    assert sums["busy_s"].sum() / (sums["busy_s"].sum() + sums["available_s"].sum()) == \
        pytest.approx(0.54)


def test_no_agent_state_feed_is_a_gap_not_zero(centre):
    queue = Queue.objects.create(centre=centre, code="Q", name="Claims")
    interval_row(centre, queue, dt.datetime(2026, 3, 2, 9, 0, tzinfo=centre.tz), talk_s=1600)
    row = kpi_frame(Scope.everything(), centre, DAY, END).iloc[0]
    assert math.isnan(row["occupancy"])
    business_plan(centre, DAY, [("service_level", 80, None)])
    staffing = staffing_report(Scope.everything(), centre, DAY, END)
    assert staffing["tables"]["intervals"][0]["actual_agents"] is None


def test_a_scoped_viewer_sees_only_the_agent_time_of_its_queues(centre, floor):
    sales, support = floor
    only_support = Scope(queue_ids=frozenset({support.pk}))
    row = kpi_frame(only_support, centre, DAY, END).iloc[0]
    assert row["occupancy"] == pytest.approx(150 / 400)


def test_scoped_team_and_agent_tables_keep_their_share_of_queue_less_time(centre, floor):
    """Before, a scope of some queues dropped the state time a feed gives without a queue and
    kept only the busy time on the agent legs: every agent showed 100 %."""
    sales, support = floor
    only_support = Scope(queue_ids=frozenset({support.pk}))
    agents = agent_kpi_frame(only_support, centre, DAY, END, "day", ["agent"])
    assert list(agents["agent"]) == ["Bob"]
    assert agents["occupancy"].iloc[0] == pytest.approx(150 / 400)
    sums = component_sums(only_support, DAY, END, "day", "agent")
    assert sums["busy_s"].sum() / (sums["busy_s"].sum() + sums["available_s"].sum()) == \
        pytest.approx(150 / 400)
    only_sales = Scope(queue_ids=frozenset({sales.pk}))
    teams = agent_kpi_frame(only_sales, centre, DAY, END, "day", ["team"]).set_index("team")
    assert teams.loc["Red", "occupancy"] == pytest.approx(1050 / 1700)  # Ann: all on Sales
    assert teams.loc["Blue", "occupancy"] == pytest.approx(150 / 400)   # half of Bob


def test_kpis_command_prints_the_same_occupancy(centre, floor):
    import json
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("kpis", "--start", DAY.isoformat(), "--end", END.isoformat(), "--by", "queue",
                 stdout=out)
    rows = {r["queue"]: r for r in json.loads(out.getvalue())}
    assert rows["Sales"]["occupancy"] == pytest.approx((600 + 450 + 150) /
                                                   (600 + 450 + 150 + 200 + 450 + 250))
    assert rows["Support"]["occupancy"] == pytest.approx(150 / 400)
    out = StringIO()
    call_command("kpis", "--start", DAY.isoformat(), "--end", END.isoformat(),
                 "--by", "contact_type", stdout=out)
    # Agent time has no contact type: null, never a made-up 0.
    assert all(r["occupancy"] is None for r in json.loads(out.getvalue()))
