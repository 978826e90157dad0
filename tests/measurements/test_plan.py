"""Business plans: the chain both ways, information gaps, cost per contact, target selectors,
and the plan rules (target within the metric's range, no negative budget) in forms and API."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from measurements.models import BudgetLine, MeasurementConfig, MetricDefinition, Target
from measurements.selectors import (
    kpi_targets,
    plan_chain,
    plan_cost_per_contact,
    target_in_force,
    targets_for_metric,
)
from measurements.services.design import design_object_create as create
from tests.design_factories import pathway_ivr_queue_agent, plan_with_objective, source

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def plan(centre):
    return plan_with_objective(centre)


def test_service_level_target_of_140_percent_is_refused_naming_value(plan):
    _, objective = plan
    kpi = create("kpi", objective=objective, metric_code="service_level")
    with pytest.raises(ValidationError) as exc:
        create("target", kpi=kpi, period_start=D(2026, 1, 1), period_end=D(2026, 12, 31),
               value=Decimal("140"))
    assert exc.value.message_dict["value"] == [
        "140 is outside the valid range of Service level (0 to 100 %)."]
    assert not Target.objects.exists()


def test_out_of_range_target_is_refused_in_form_and_api(manager_client, api_client, manager,
                                                        plan):
    _, objective = plan
    kpi = create("kpi", objective=objective, metric_code="service_level")
    response = manager_client.post(reverse("measurements:target-create", args=[kpi.pk]), {
        "period_start": "2026-01-01", "period_end": "2026-12-31", "value": "140"})
    assert "outside the valid range" in str(response.context["form"].errors["value"])
    api_client.force_authenticate(manager)
    response = api_client.post("/api/v1/targets/", {
        "kpi": kpi.pk, "period_start": "2026-01-01", "period_end": "2026-12-31",
        "value": "140"}, format="json")
    assert response.status_code == 400
    assert "outside the valid range" in response.json()["value"][0]
    ok = api_client.post("/api/v1/targets/", {
        "kpi": kpi.pk, "period_start": "2026-01-01", "period_end": "2026-12-31",
        "value": "80"}, format="json")
    assert ok.status_code == 201


def test_negative_budget_amount_is_refused_in_service_form_and_api(manager_client, api_client,
                                                                   manager, plan):
    plan_obj, _ = plan
    with pytest.raises(ValidationError) as exc:
        create("budget_line", plan=plan_obj, category="labour", period_start=D(2026, 1, 1),
               period_end=D(2026, 1, 31), amount=Decimal("-5"))
    assert exc.value.message_dict["amount"] == ["A budget amount cannot be negative."]
    response = manager_client.post(reverse("measurements:budget-create", args=[plan_obj.pk]), {
        "category": "labour", "period_start": "2026-01-01", "period_end": "2026-01-31",
        "amount": "-5"})
    assert "cannot be negative" in str(response.context["form"].errors["amount"])
    api_client.force_authenticate(manager)
    response = api_client.post("/api/v1/budget-lines/", {
        "plan": plan_obj.pk, "category": "labour", "period_start": "2026-01-01",
        "period_end": "2026-01-31", "amount": "-5"}, format="json")
    assert response.status_code == 400
    assert "cannot be negative" in response.json()["amount"][0]
    assert not BudgetLine.objects.exists()


def test_kpi_must_name_a_catalogue_metric(plan):
    _, objective = plan
    with pytest.raises(ValidationError) as exc:
        create("kpi", objective=objective, metric_code="happiness")
    assert "not in the metric catalogue" in exc.value.message_dict["metric_code"][0]
    with pytest.raises(ValidationError) as exc:
        create("kpi", objective=objective, metric_code="service_level", metric_variant="nope")
    assert "excl_short_abandons" in exc.value.message_dict["metric_variant"][0]


def test_period_that_ends_before_it_starts_is_refused(centre):
    with pytest.raises(ValidationError) as exc:
        create("plan", centre=centre, name="Bad", period_start=D(2026, 12, 1),
               period_end=D(2026, 1, 1))
    assert "period_end" in exc.value.message_dict


def test_information_gaps_name_unmeasured_objectives_and_budget_lines(centre, plan):
    plan_obj, fast = plan
    cheap = create("objective", plan=plan_obj, title="Keep cost per call down")
    create("objective", plan=plan_obj, title="Delight customers")  # no KPI at all
    sl = create("kpi", objective=fast, metric_code="service_level")
    cpc = create("kpi", objective=cheap, metric_code="cost_per_contact")
    target = create("target", kpi=sl, period_start=D(2026, 1, 1), period_end=D(2026, 12, 31),
                    value=Decimal("80"))
    create("budget_line", plan=plan_obj, category="labour", period_start=D(2026, 1, 1),
           period_end=D(2026, 12, 31), amount=Decimal("900000"), kpi=cpc)
    create("budget_line", plan=plan_obj, category="telecom", description="SIP trunks",
           period_start=D(2026, 1, 1), period_end=D(2026, 12, 31), amount=Decimal("40000"))
    pw = pathway_ivr_queue_agent(centre)
    create("config", metric=MetricDefinition.objects.get(code="service_level",
                                                         is_default_variant=True),
           step=pw["acd"], source=source(centre), target=target)

    chain = plan_chain(plan_obj)
    by_title = {oc.objective.title: oc for oc in chain["objectives"]}
    assert not by_title["Answer customers quickly"].gap
    assert by_title["Keep cost per call down"].gap
    assert by_title["Delight customers"].gap
    # the configuration reached the KPI through its target ("why do we measure this?")
    [kc] = by_title["Answer customers quickly"].kpis
    assert [c.step.name for c in kc.configs] == ["Billing queue"]
    assert MeasurementConfig.objects.get().kpi == sl
    assert chain["gaps"] == [
        "Objective “Keep cost per call down” has KPIs but none is measured at any pathway step.",
        "Objective “Delight customers” has no KPI.",
        "Budget line Labour 2026-01-01–2026-12-31 (no description): its KPI “cost_per_contact” "
        "is not measured.",
        "Budget line Telecom 2026-01-01–2026-12-31 (SIP trunks): no KPI tracks it.",
    ]


def test_plan_page_flags_gaps_and_shows_the_chain(manager_client, centre, plan):
    plan_obj, objective = plan
    create("kpi", objective=objective, metric_code="asa")
    page = manager_client.get(reverse("measurements:plan-detail",
                                      args=[plan_obj.pk])).content.decode()
    assert "Information gaps" in page and "no measurement configured" in page
    assert "asa v1" in page  # the definition that will produce the figures


def test_cost_per_contact_derives_from_budget_and_planned_volumes(plan):
    plan_obj, _ = plan
    jan = (D(2026, 1, 1), D(2026, 1, 31))
    create("budget_line", plan=plan_obj, category="labour", period_start=jan[0],
           period_end=jan[1], amount=Decimal("30000"))                 # shared by volume
    create("budget_line", plan=plan_obj, category="technology", channel="chat",
           period_start=jan[0], period_end=jan[1], amount=Decimal("2000"))
    create("planned_volume", plan=plan_obj, period_start=jan[0], period_end=jan[1],
           channel="voice", contacts=8000)
    create("planned_volume", plan=plan_obj, period_start=jan[0], period_end=jan[1],
           channel="chat", contacts=2000)
    rows = {r["channel"]: r for r in plan_cost_per_contact(plan_obj)}
    assert rows["voice"]["budget"] == Decimal("24000.00")
    assert rows["voice"]["cost_per_contact"] == Decimal("3.00")
    assert rows["chat"]["budget"] == Decimal("8000.00")   # 6000 share + 2000 own
    assert rows["chat"]["cost_per_contact"] == Decimal("4.00")
    assert rows[""]["cost_per_contact"] == Decimal("3.20")  # 32000 / 10000


def test_target_selectors_prefer_the_most_specific_target(centre, plan):
    from pathways.models import Queue

    _, objective = plan
    queue = Queue.objects.create(centre=centre, code="VIP")
    other = Queue.objects.create(centre=centre, code="General")
    kpi = create("kpi", objective=objective, metric_code="service_level")
    year = dict(period_start=D(2026, 1, 1), period_end=D(2026, 12, 31))
    general = create("target", kpi=kpi, value=Decimal("80"), **year)
    vip = create("target", kpi=kpi, value=Decimal("90"), queue=queue, **year)
    assert target_in_force(kpi, D(2026, 5, 1), queue=queue) == vip
    assert target_in_force(kpi, D(2026, 5, 1), queue=other) == general
    assert target_in_force(kpi, D(2026, 5, 1)) == general
    assert target_in_force(kpi, D(2027, 1, 1)) is None
    assert kpi_targets(kpi, D(2026, 3, 1), D(2026, 3, 31), queue=queue) == [vip, general]
    assert targets_for_metric("service_level", D(2026, 3, 1), D(2026, 3, 31),
                              variant="excl_short_abandons", queue=queue) == [vip, general]
    assert targets_for_metric("service_level", D(2026, 3, 1), D(2026, 3, 31),
                              variant="of_answered") == []


def test_measurement_threshold_must_be_a_kept_bucket(manager_client, api_client, manager,
                                                     centre):
    pw = pathway_ivr_queue_agent(centre)
    metric = MetricDefinition.objects.get(code="service_level", is_default_variant=True)
    response = manager_client.post(reverse("measurements:config-create"), {
        "step": pw["acd"].pk, "metric": metric.pk, "method": "timestamps", "threshold_s": 25,
        "active": "on"})
    assert "not one of the wait thresholds" in str(response.context["form"].errors["threshold_s"])
    api_client.force_authenticate(manager)
    response = api_client.post("/api/v1/measurement-configs/", {
        "step": pw["acd"].pk, "metric": metric.pk, "parameters": {"short_abandon_s": 7}},
        format="json")
    assert response.status_code == 400
    assert "short_abandon_s = 7 s" in response.json()["parameters"][0]
    response = manager_client.post(reverse("measurements:config-create"), {
        "step": pw["acd"].pk, "metric": metric.pk, "method": "timestamps", "threshold_s": 30,
        "active": "on"})
    assert response.status_code == 302
    assert MeasurementConfig.objects.get().effective_parameters == {"threshold_s": 30,
                                                                   "short_abandon_s": 5}


def test_viewer_reads_plans_by_api_but_cannot_write(api_client, viewer, plan):
    plan_obj, _ = plan
    api_client.force_authenticate(viewer)
    assert api_client.get("/api/v1/plans/").status_code == 200
    assert api_client.patch(f"/api/v1/plans/{plan_obj.pk}/", {"name": "X"},
                            format="json").status_code == 403


def test_plan_chain_api_reports_gaps(api_client, analyst, plan):
    plan_obj, _ = plan
    api_client.force_authenticate(analyst)
    body = api_client.get(f"/api/v1/plans/{plan_obj.pk}/chain/").json()
    assert body["objectives"][0]["gap"] is True
    assert body["gaps"] == ["Objective “Answer customers quickly” has no KPI."]


def test_list_endpoints_do_not_grow_queries_with_rows(api_client, analyst, plan,
                                                      django_assert_max_num_queries):
    _, objective = plan
    for code in ("asa", "aht", "abandon_rate", "occupancy"):
        kpi = create("kpi", objective=objective, metric_code=code)
        create("target", kpi=kpi, period_start=D(2026, 1, 1), period_end=D(2026, 12, 31),
               value=Decimal("10"))
    api_client.force_authenticate(analyst)
    for url in ("/api/v1/kpis/", "/api/v1/targets/", "/api/v1/metric-definitions/"):
        with django_assert_max_num_queries(6):
            assert api_client.get(url).status_code == 200


def test_manager_builds_a_plan_through_the_api(api_client, manager, centre):
    api_client.force_authenticate(manager)
    plan = api_client.post("/api/v1/plans/", {
        "centre": centre.pk, "name": "FY2027", "period_start": "2027-01-01",
        "period_end": "2027-12-31", "currency": "GBP"}, format="json")
    assert plan.status_code == 201, plan.json()
    objective = api_client.post("/api/v1/objectives/", {
        "plan": plan.json()["id"], "title": "Resolve at first contact"}, format="json").json()
    bad = api_client.post("/api/v1/kpis/", {"objective": objective["id"],
                                            "metric_code": "happiness"}, format="json")
    assert bad.status_code == 400
    assert "not in the metric catalogue" in bad.json()["metric_code"][0]
    kpi = api_client.post("/api/v1/kpis/", {"objective": objective["id"],
                                            "metric_code": "fcr"}, format="json")
    assert kpi.status_code == 201
    target = api_client.post("/api/v1/targets/", {
        "kpi": kpi.json()["id"], "period_start": "2027-01-01", "period_end": "2027-06-30",
        "value": "72.5", "channel": "voice"}, format="json")
    assert target.status_code == 201
    found = api_client.get("/api/v1/targets/", {"kpi__metric_code": "fcr",
                                                "channel": "voice"}).json()
    assert [t["value"] for t in found["results"]] == ["72.5000"]
    wrong_period = api_client.post("/api/v1/plans/", {
        "centre": centre.pk, "name": "Backwards", "period_start": "2027-12-31",
        "period_end": "2027-01-01"}, format="json")
    assert wrong_period.status_code == 400 and "period_end" in wrong_period.json()


@pytest.mark.django_db
def test_a_budget_month_by_month_is_one_gap_sentence_not_twelve(centre):
    """A plan that budgets labour month by month with no KPI behind it reads as one gap."""
    from measurements.models import BusinessPlan

    dt = datetime
    plan = BusinessPlan.objects.create(centre=centre, name="FY", period_start=dt.date(2026, 1, 1),
                                       period_end=dt.date(2026, 12, 31))
    for month in range(1, 13):
        start = dt.date(2026, month, 1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        BudgetLine.objects.create(plan=plan, category="labour", period_start=start,
                                  period_end=end, amount=Decimal("4650.00"))
    BudgetLine.objects.create(plan=plan, category="telecom", period_start=dt.date(2026, 1, 1),
                              period_end=dt.date(2026, 12, 31), amount=Decimal("900"),
                              description="SIP trunks")
    assert plan_chain(plan)["gaps"] == [
        "12 budget lines Labour 2026-01-01–2026-12-31: no KPI tracks them.",
        "Budget line Telecom 2026-01-01–2026-12-31 (SIP trunks): no KPI tracks it.",
    ]
