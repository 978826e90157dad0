"""Every measurement-design page renders for a manager, reads for an analyst, and refuses
editing to analysts and everything to stakeholder viewers."""
from decimal import Decimal

import pytest
from django.urls import reverse

from measurements.models import MetricDefinition
from measurements.services.design import design_object_create as create
from tests.design_factories import pathway_ivr_queue_agent, plan_with_objective, source

pytestmark = pytest.mark.django_db


@pytest.fixture
def design(centre):
    plan, objective = plan_with_objective(centre)
    kpi = create("kpi", objective=objective, metric_code="service_level")
    target = create("target", kpi=kpi, period_start=plan.period_start,
                    period_end=plan.period_end, value=Decimal("80"))
    budget = create("budget_line", plan=plan, category="telecom", amount=Decimal("100"),
                    period_start=plan.period_start, period_end=plan.period_end)
    volume = create("planned_volume", plan=plan, period_start=plan.period_start,
                    period_end=plan.period_end, contacts=1000)
    pw = pathway_ivr_queue_agent(centre)
    metric = MetricDefinition.objects.get(code="service_level", is_default_variant=True)
    config = create("config", metric=metric, step=pw["acd"], source=source(centre), kpi=kpi)
    return {"plan": plan, "objective": objective, "kpi": kpi, "target": target,
            "budget": budget, "volume": volume, "pw": pw, "metric": metric, "config": config}


def _edit_urls(d):
    return [
        reverse("measurements:plan-create"),
        reverse("measurements:plan-update", args=[d["plan"].pk]),
        reverse("measurements:objective-create", args=[d["plan"].pk]),
        reverse("measurements:objective-update", args=[d["objective"].pk]),
        reverse("measurements:kpi-create", args=[d["objective"].pk]),
        reverse("measurements:kpi-update", args=[d["kpi"].pk]),
        reverse("measurements:target-create", args=[d["kpi"].pk]),
        reverse("measurements:target-update", args=[d["target"].pk]),
        reverse("measurements:target-delete", args=[d["target"].pk]),
        reverse("measurements:budget-create", args=[d["plan"].pk]),
        reverse("measurements:budget-update", args=[d["budget"].pk]),
        reverse("measurements:budget-delete", args=[d["budget"].pk]),
        reverse("measurements:volume-create", args=[d["plan"].pk]),
        reverse("measurements:volume-update", args=[d["volume"].pk]),
        reverse("measurements:volume-delete", args=[d["volume"].pk]),
        reverse("measurements:metric-create"),
        reverse("measurements:metric-new-version", args=[d["metric"].pk]),
        reverse("measurements:config-create"),
        reverse("measurements:config-update", args=[d["config"].pk]),
        reverse("measurements:config-delete", args=[d["config"].pk]),
        reverse("pathways:pathway-create"),
        reverse("pathways:pathway-update", args=[d["pw"]["pathway"].pk]),
        reverse("pathways:pathway-delete", args=[d["pw"]["pathway"].pk]),
        reverse("pathways:step-create", args=[d["pw"]["pathway"].pk]),
        reverse("pathways:step-update", args=[d["pw"]["agent"].pk]),
        reverse("pathways:transition-create", args=[d["pw"]["pathway"].pk]),
    ]


def _read_urls(d):
    return [
        reverse("measurements:plan-list"),
        reverse("measurements:plan-detail", args=[d["plan"].pk]),
        reverse("measurements:metric-list"),
        reverse("measurements:metric-detail", args=[d["metric"].pk]),
        reverse("measurements:config-list"),
        reverse("measurements:pathway-coverage", args=[d["pw"]["pathway"].pk]),
        reverse("pathways:pathway-list"),
        reverse("pathways:pathway-detail", args=[d["pw"]["pathway"].pk]),
    ]


def test_manager_opens_every_page(manager_client, design):
    for url in _read_urls(design) + _edit_urls(design):
        assert manager_client.get(url).status_code == 200, url


def test_analyst_reads_but_cannot_edit(analyst_client, design):
    for url in _read_urls(design):
        page = analyst_client.get(url)
        assert page.status_code == 200, url
        assert "Add objective" not in page.content.decode()
    for url in _edit_urls(design):
        assert analyst_client.get(url).status_code == 403, url
        assert analyst_client.post(url, {}).status_code == 403, url


def test_viewer_gets_no_design_page(viewer_client, design):
    for url in _read_urls(design):
        assert viewer_client.get(url).status_code == 404, url


def test_viewer_outside_scope_gets_404_from_the_pathway_api(api_client, viewer, design):
    api_client.force_authenticate(viewer)
    pathway = design["pw"]["pathway"]
    assert api_client.get(f"/api/v1/pathways/{pathway.pk}/").status_code == 404
    assert api_client.get("/api/v1/steps/").json()["count"] == 0
    assert api_client.get("/api/v1/measurement-configs/coverage/",
                          {"pathway": pathway.pk}).status_code == 404


def test_deleting_a_plan_object_in_the_browser(manager_client, design):
    response = manager_client.post(reverse("measurements:budget-delete",
                                           args=[design["budget"].pk]))
    assert response.status_code == 302
    assert response["Location"].endswith(f"/plans/{design['plan'].pk}/#budget")
    assert not design["plan"].budget_lines.exists()


def test_plan_created_in_the_browser_lands_on_its_page(manager_client, centre):
    response = manager_client.post(reverse("measurements:plan-create"), {
        "name": "H2 2026", "period_start": "2026-07-01", "period_end": "2026-12-31",
        "currency": "EUR"})
    assert response.status_code == 302
    page = manager_client.get(response["Location"]).content.decode()
    assert "H2 2026" in page and "No objectives yet" in page
    bad = manager_client.post(reverse("measurements:plan-create"), {
        "name": "Backwards", "period_start": "2026-12-31", "period_end": "2026-01-01",
        "currency": "EUR"})
    assert "ends (2026-01-01) before it starts" in str(bad.context["form"].errors["period_end"])
