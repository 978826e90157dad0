"""Two vendors with their own queues and data: the viewer persona logs in as vendor A, the
outsider as vendor B. Every object of vendor B has a high id no object of A's has, and a secret
marker in its names, so a test can try all of B's ids against A's user and search every answer
for the marker."""
from datetime import datetime

import pytest
from django.utils import timezone

from .factories import business_plan, contacts, interval_rows

SECRET = "ZZSECRETB"


@pytest.fixture
def today(centre):
    return timezone.now().astimezone(centre.tz).date()


def _vendor_b(queue, outsider):
    """Vendor B built with explicit high ids (same widgets as the service's default)."""
    from stakeholders.models import Dashboard, Stakeholder, StakeholderMember, Widget
    from stakeholders.services import default_dashboard_spec

    b = Stakeholder.objects.create(pk=9101, name=f"Vendor B {SECRET}", kind="vendor",
                                   emails=[f"{SECRET.lower()}@vendor-b.example"])
    b.queues.set([queue])
    StakeholderMember.objects.create(stakeholder=b, user=outsider)
    name, description, widgets = default_dashboard_spec("vendor")
    dashboard = Dashboard.objects.create(pk=9201, stakeholder=b, name=f"{name} {SECRET}",
                                         description=description)
    for i, spec in enumerate(widgets):
        Widget.objects.create(pk=9301 + i, dashboard=dashboard, position=i,
                              **{**spec, "title": f"{spec['title']} {SECRET}"})
    Widget.objects.create(pk=9399, dashboard=dashboard, position=99, kind="time_series",
                          title=f"By queue {SECRET}", metrics=["offered"], period="today",
                          granularity="hour", breakdown="queue")
    return b


@pytest.fixture
def two_vendors(db, centre, viewer, outsider, today):
    from measurements.models import DataSource
    from pathways.models import Agent, Queue
    from stakeholders.services import stakeholder_create, widget_add

    source = DataSource.objects.create(centre=centre, name="ACD", kind="acd")
    queue_a = Queue.objects.create(centre=centre, code="VA-1", name="Vendor A sales",
                                   site="Leeds")
    queue_b = Queue.objects.create(pk=9001, centre=centre, code=f"VB-{SECRET}",
                                   name=f"Vendor B {SECRET}", site="Cork")
    agent_a = Agent.objects.create(centre=centre, code="A1", name="Alice", team="Team A")
    agent_b = Agent.objects.create(pk=9002, centre=centre, code="B1", name=f"Bob {SECRET}",
                                   team=f"Team {SECRET}")
    interval_rows(centre, queue_a, 10, today, seed=1, agent=agent_a)
    interval_rows(centre, queue_b, 10, today, seed=2, agent=agent_b,
                  contact_type=f"type-{SECRET}", segment=f"seg-{SECRET}", pk_start=900_000)
    contacts(centre, source, queue_a, today, prefix="A")
    business_plan(centre, today, [("service_level", 80, queue_a), ("asa", 30, queue_a),
                                  ("service_level", 75, None), ("abandon_rate", 8, None)])
    contacts(centre, source, queue_b, today, prefix=f"B{SECRET}", pk_start=9401)
    vendor_a = stakeholder_create(name="Vendor A", kind="vendor", queues=[queue_a],
                                  users=[viewer], emails=["ops@vendor-a.example"])
    dashboard_a = vendor_a.dashboards.get()
    widget_add(dashboard_a, kind="time_series", title="Offered by queue", metrics=["offered"],
               period="today", granularity="hour", breakdown="queue")
    vendor_b = _vendor_b(queue_b, outsider)
    b_ids = {9001, 9002, 9101, 9201, *range(9301, 9301 + vendor_b.dashboards.get()
                                            .widgets.count() - 1), 9399,
             *range(9401, 9406), 900_000, 900_001}
    return {"a": vendor_a, "b": vendor_b, "queue_a": queue_a, "queue_b": queue_b,
            "dashboard_a": dashboard_a, "dashboard_b": vendor_b.dashboards.get(),
            "source": source, "b_ids": sorted(b_ids), "now": datetime.now(tz=centre.tz)}


@pytest.fixture(autouse=True)
def _fresh_widget_cache():
    """Widget results are cached by data version; ids repeat between tests, so start clean."""
    from stakeholders.widgets import widget_cache_clear

    widget_cache_clear()
    yield
    widget_cache_clear()


# A marker in the centre's own plan: no stakeholder viewer may ever receive it.
CENTRE_ONLY = "ZZCENTREONLY"


@pytest.fixture
def centre_plan(two_vendors, centre, today):
    """The centre's business plan for the month of ``today``: an objective, a KPI, a budget of
    4,650.00 (a figure no vendor may see), planned volumes, a centre-wide target and a contract
    target per vendor queue. Names carry ``CENTRE_ONLY`` (centre-wide) or ``SECRET`` (vendor B)."""
    import datetime as dt
    from decimal import Decimal

    from measurements.models import BudgetLine, Kpi, Objective, PlannedVolume, Target
    from measurements.services.design import design_object_create

    first = today.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    plan = design_object_create("plan", centre=centre, name=f"Plan {CENTRE_ONLY}",
                                period_start=first, period_end=last, currency="EUR",
                                summary=f"Budget summary {CENTRE_ONLY}")
    objective = Objective.objects.create(plan=plan, title=f"Grow margin {CENTRE_ONLY}")
    kpi = Kpi.objects.create(objective=objective, metric_code="service_level",
                             name=f"SL {CENTRE_ONLY}", rationale=CENTRE_ONLY)
    budget = BudgetLine.objects.create(plan=plan, category="labour", period_start=first,
                                       period_end=last, amount=Decimal("4650.00"),
                                       description=f"Agents {CENTRE_ONLY}")
    volume = PlannedVolume.objects.create(plan=plan, period_start=first, period_end=last,
                                          channel="voice", contacts=1000)
    general = Target.objects.create(kpi=kpi, period_start=first, period_end=last,
                                    value=Decimal("80"))
    target_a = Target.objects.create(kpi=kpi, period_start=first, period_end=last,
                                     value=Decimal("75"), queue=two_vendors["queue_a"])
    target_b = Target.objects.create(kpi=kpi, period_start=first, period_end=last,
                                     value=Decimal("85"), queue=two_vendors["queue_b"],
                                     customer_segment=f"seg-{SECRET}")
    return {"plan": plan, "objective": objective, "kpi": kpi, "budget": budget,
            "volume": volume, "general_target": general, "target_a": target_a,
            "target_b": target_b}
