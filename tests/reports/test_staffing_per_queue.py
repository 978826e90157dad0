"""Staffing per queue: each queue's Erlang C at its own configured threshold and the business
plan's target for it; a channel is the sum of its queues, never one pooled Erlang C; values
typed on the page are overrides and say so."""
import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from contactmis.scope import Scope
from measurements.models import MeasurementConfig, MetricDefinition
from pathways.models import Pathway, Queue, Step
from reports.analyses import staffing_report
from tests.reports.factories import interval_row
from tests.stakeholders.factories import business_plan

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)


def _configured(centre, queue, threshold_s):
    pathway = Pathway.objects.create(centre=centre, name=f"{queue} line", channel=queue.channel)
    step = Step.objects.create(pathway=pathway, name=str(queue), kind="queue", queue=queue,
                               position=0, is_entry=True)
    MeasurementConfig.objects.create(
        metric=MetricDefinition.objects.filter(code="service_level").order_by("version").first(),
        step=step, parameters={"threshold_s": threshold_s})


@pytest.fixture
def two_queues(centre):
    """Two voice queues with the same traffic in one interval — 50 calls of 180 s AHT in 900 s,
    A = 10 erlangs — but configured and targeted differently: Billing answers within 20 s with
    a 90 % target, Sales within 60 s with an 80 % target."""
    billing = Queue.objects.create(centre=centre, code="BILL", name="Billing")
    sales = Queue.objects.create(centre=centre, code="SALES", name="Sales")
    for queue in (billing, sales):
        interval_row(centre, queue, dt.datetime(2026, 3, 2, 9, 0, tzinfo=centre.tz),
                     offered=50, answered=50, abandoned=0, within={20: 40},
                     abandoned_within={}, talk_s=50 * 180)
    _configured(centre, billing, 20)
    _configured(centre, sales, 60)
    business_plan(centre, DAY, [("service_level", 90, billing), ("service_level", 80, sales)])
    return billing, sales


def test_each_queue_is_staffed_at_its_own_threshold_and_target(centre, two_queues):
    billing, sales = two_queues
    end = DAY + dt.timedelta(days=1)
    # Erlang C at A = 10 erlangs: 15 agents answer 90 % within 20 s; 13 answer 80 % within
    # 60 s (a blanket 80 % in 20 s would have said 14 for both).
    one = staffing_report(Scope.everything(), centre, DAY, end, queue=billing)
    assert one["tables"]["intervals"][0]["traffic_erlangs"] == pytest.approx(10.0)
    assert one["tables"]["intervals"][0]["required_agents"] == 15
    assert (one["queues"][0]["threshold_s"], one["queues"][0]["target_sl"]) == (20, 0.9)
    other = staffing_report(Scope.everything(), centre, DAY, end, queue=sales)
    assert other["tables"]["intervals"][0]["required_agents"] == 13
    assert (other["queues"][0]["threshold_s"], other["queues"][0]["target_sl"]) == (60, 0.8)
    assert "from “Test plan”" in other["queues"][0]["target_from"]
    # The channel: each queue on its own, summed — never one Erlang C over 20 erlangs.
    voice = staffing_report(Scope.everything(), centre, DAY, end, channel="voice")
    assert voice["tables"]["intervals"][0]["required_agents"] == 15 + 13
    assert {r["queue"]: r["required_agents"] for r in voice["tables"]["queues"]} == {
        "Billing": 15, "Sales": 13}
    # No choice: the first voice queue in scope, named as such.
    default = staffing_report(Scope.everything(), centre, DAY, end)
    assert default["selection"] == "Billing (the first voice queue in scope)"
    assert default["tables"]["intervals"][0]["required_agents"] == 15


def test_a_queue_without_a_plan_target_is_not_computed(manager_client, centre):
    queue = Queue.objects.create(centre=centre, code="Q", name="Claims")
    interval_row(centre, queue, dt.datetime(2026, 3, 2, 9, 0, tzinfo=centre.tz), talk_s=1800)
    report = staffing_report(Scope.everything(), centre, DAY, DAY + dt.timedelta(days=1))
    assert report["tables"] == {} and report["no_target"] == ["Claims"]
    assert report["prompt"].startswith("No service-level target is in force in the business "
                                       "plan for Claims")
    html = manager_client.get(reverse("reports:staffing"), {
        "start": "2026-03-02", "end": "2026-03-03"}).content.decode()
    assert "No service-level target is in force in the business plan for Claims" in html
    assert "No data for this period" not in html


def test_a_target_typed_on_the_page_is_an_override_and_labelled_so(manager_client, centre,
                                                                   two_queues):
    html = manager_client.get(reverse("reports:staffing"), {
        "start": "2026-03-02", "end": "2026-03-03", "queue": two_queues[1].pk,
        "target_sl": "0.85"}).content.decode()
    assert "Sales: answered within 60 s; target 85.0 % chosen here" in html
    html = manager_client.get(reverse("reports:staffing"), {
        "start": "2026-03-02", "end": "2026-03-03", "queue": two_queues[1].pk,
        "threshold_s": "20"}).content.decode()
    assert "answered within 20 s (chosen here, not the configured thresholds)" in html
    assert "target 80.0 % from “Test plan”" in html


def test_api_and_cli_choose_a_queue(api_client, manager, centre, two_queues):
    api_client.force_authenticate(manager)
    billing, sales = two_queues
    r = api_client.get("/api/v1/analysis/staffing/", {"start": "2026-03-02",
                                                        "end": "2026-03-03", "queue": sales.pk})
    assert r.json()["tables"]["intervals"][0]["required_agents"] == 13
    assert api_client.get("/api/v1/analysis/staffing/", {
        "start": "2026-03-02", "end": "2026-03-03", "queue": 999999}).status_code == 404
    out = StringIO()
    call_command("staffing", "--start", "2026-03-02", "--end", "2026-03-03", "--queue", "BILL",
                 stdout=out)
    found = json.loads(out.getvalue())
    assert found["intervals"][0]["required_agents"] == 15
    assert found["queues"][0]["threshold_basis"] == "20 s"
