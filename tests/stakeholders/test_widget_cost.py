"""The cost-per-contact widget takes its cost from the business plan's budget for the channels
it shows (budget lines and planned volumes), never from a cost typed into it; where no budget
covers the figure, or the viewer sees only part of the centre, it is not measured."""
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from contactmis.scope import Scope
from stakeholders import widgets
from tests.reports.factories import interval_row

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 3, 10, 30, tzinfo=ZoneInfo("Europe/London"))
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


@pytest.fixture
def cost_tile(centre):
    from measurements.models import BudgetLine, BusinessPlan, PlannedVolume
    from pathways.models import Queue
    from stakeholders.models import Dashboard
    from stakeholders.services import stakeholder_create, widget_add

    calls = Queue.objects.create(centre=centre, code="CALLS", name="Calls")
    mail = Queue.objects.create(centre=centre, code="MAIL", name="Mailbox", kind="cms",
                                channel="email")
    day = dt.datetime(2026, 3, 2, 9, 0, tzinfo=centre.tz)
    interval_row(centre, calls, day, offered=10, answered=8, abandoned=2)
    interval_row(centre, mail, day, offered=30, answered=30, abandoned=0, within={},
                 abandoned_within={})
    plan = BusinessPlan.objects.create(centre=centre, name="Plan", period_start=MARCH[0],
                                       period_end=MARCH[1])
    # March: voice 3,100 of its own (100 a day); 6,200 shared by the planned volumes
    # (voice 300, e-mail 100): voice 4,650, e-mail 1,550 (50 a day).
    BudgetLine.objects.create(plan=plan, category="labour", channel="voice",
                              period_start=MARCH[0], period_end=MARCH[1], amount=3_100)
    BudgetLine.objects.create(plan=plan, category="it", period_start=MARCH[0],
                              period_end=MARCH[1], amount=6_200)
    PlannedVolume.objects.create(plan=plan, period_start=MARCH[0], period_end=MARCH[1],
                                 channel="voice", contacts=300)
    PlannedVolume.objects.create(plan=plan, period_start=MARCH[0], period_end=MARCH[1],
                                 channel="email", contacts=100)
    board = stakeholder_create(name="Board", kind="executive", sees_whole_centre=True,
                               with_dashboard=False)
    dashboard = Dashboard.objects.create(stakeholder=board, name="Cost")
    return widget_add(dashboard, kind="kpi_tile", title="Cost per contact on 2 March",
                      metrics=["cost_per_contact"], period="custom", granularity="day",
                      custom_start=dt.date(2026, 3, 2), custom_end=dt.date(2026, 3, 2),
                      options={"cost_per_month": 999_999})


def test_cost_per_contact_is_the_plans_budget_over_contacts_handled(cost_tile):
    from measurements.selectors.plan import channel_budgets

    budgets = channel_budgets(_centre(), *MARCH)
    assert budgets["voice"].per_day[dt.date(2026, 3, 2)] == pytest.approx(7_750 / 31)
    assert budgets["email"].budget == pytest.approx(1_550)
    tile = widgets.widget_result(cost_tile, Scope.everything(), NOW).tile
    # (7,750 + 1,550) / 31 for the day, over 8 calls and 30 e-mails handled; the typed-in
    # option is ignored.
    assert tile["value"] == pytest.approx(9_300 / 31 / 38)
    cost_tile.options = {"channels": ["voice"]}
    assert widgets.widget_result(cost_tile, Scope.everything(), NOW).tile["value"] == \
        pytest.approx(7_750 / 31 / 8)


def _centre():
    from contactmis.selectors import centre_current

    return centre_current()


def test_cost_per_contact_is_not_measured_without_a_budget_or_for_part_of_the_centre(
        cost_tile):
    from measurements.models import BudgetLine, PlannedVolume

    queue_scope = Scope(queue_ids=frozenset({_calls()}))  # a vendor's queue
    assert _nan(widgets.widget_result(cost_tile, queue_scope, NOW).tile["value"])
    cost_tile.options = {}
    BudgetLine.objects.all().update(amount=Decimal("0"))
    PlannedVolume.objects.all().delete()
    widgets.widget_cache_clear()
    assert _nan(widgets.widget_result(cost_tile, Scope.everything(), NOW).tile["value"])


def _calls():
    from pathways.models import Queue

    return Queue.objects.get(code="CALLS").pk


def _nan(value):
    return value is None or value != value
