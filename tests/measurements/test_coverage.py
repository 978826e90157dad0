"""The coverage view: every step and exit, which measurements capture it from which system, and
which steps have none."""
import pytest
from django.urls import reverse

from measurements.models import MetricDefinition
from measurements.selectors import pathway_coverage
from measurements.services.design import design_object_create as create
from tests.design_factories import pathway_ivr_queue_agent, source

pytestmark = pytest.mark.django_db


@pytest.fixture
def measured_queue(centre):
    pw = pathway_ivr_queue_agent(centre)
    acd = source(centre, "Avaya CMS export")
    create("config", metric=MetricDefinition.objects.get(code="service_level",
                                                         is_default_variant=True),
           step=pw["acd"], source=acd)
    create("config", metric=MetricDefinition.objects.get(code="ivr_containment"),
           step=pw["ivr"], source=source(centre, "IVR log", "ivr"), method="counts")
    create("config", metric=MetricDefinition.objects.get(code="aht"), step=pw["agent"],
           source=acd, method="durations")
    return pw


def test_unmeasured_transfer_step_is_reported(measured_queue):
    coverage = pathway_coverage(measured_queue["pathway"])
    assert coverage["unmeasured"] == [measured_queue["transfer"]]
    rows = {r["step"].name: r for r in coverage["rows"]}
    assert rows["Billing queue"]["systems"] == ["Avaya CMS export (ACD)"]
    assert rows["Main menu"]["role"] == "entry"
    assert rows["Transfer to retention"]["role"] == "exit"  # no way out: an exit of the map
    assert rows["Transfer to retention"]["measured"] is False
    assert coverage["measured_count"] == 3


def test_coverage_page_flags_the_unmeasured_step(analyst_client, measured_queue):
    page = analyst_client.get(reverse("measurements:pathway-coverage",
                                      args=[measured_queue["pathway"].pk])).content.decode()
    assert "1 step with no measurement:" in page
    assert "Transfer to retention." in page
    assert 'class="node kind-transfer flagged"' in page


def test_coverage_api_lists_each_step(api_client, analyst, measured_queue):
    api_client.force_authenticate(analyst)
    rows = api_client.get("/api/v1/measurement-configs/coverage/",
                          {"pathway": measured_queue["pathway"].pk}).json()
    assert {r["step_name"]: r["measured"] for r in rows} == {
        "Main menu": True, "Billing queue": True, "Agent": True,
        "Transfer to retention": False}
    bad = api_client.get("/api/v1/measurement-configs/coverage/", {"pathway": "x"})
    assert bad.status_code == 400 and "pathway" in bad.json()


def test_fully_measured_pathway_reports_no_gap(measured_queue):
    create("config", metric=MetricDefinition.objects.get(code="transfer_rate"),
           step=measured_queue["transfer"], method="counts")
    assert pathway_coverage(measured_queue["pathway"])["unmeasured"] == []


def test_coverage_and_config_list_say_why_each_measurement_is_taken(analyst_client, centre,
                                                                    measured_queue):
    from measurements.models import MeasurementConfig
    from tests.design_factories import plan_with_objective

    _, objective = plan_with_objective(centre)
    kpi = create("kpi", objective=objective, metric_code="service_level", name="Billing SL")
    config = MeasurementConfig.objects.get(step=measured_queue["acd"])
    config.kpi = kpi
    config.save()
    page = analyst_client.get(reverse("measurements:config-list")).content.decode()
    assert "Plan 2026 › Answer customers quickly › Billing SL" in page
    page = analyst_client.get(reverse("measurements:pathway-coverage",
                                      args=[measured_queue["pathway"].pk])).content.decode()
    assert "Why: Plan 2026 › Answer customers quickly › Billing SL" in page


def test_config_list_says_when_a_newer_version_is_in_force(analyst_client, measured_queue):
    import datetime

    from django.utils import timezone

    from measurements.services.design import metric_definition_new_version

    v1 = MetricDefinition.objects.get(code="service_level", is_default_variant=True)
    since = timezone.localdate() - datetime.timedelta(days=3)
    metric_definition_new_version(v1, effective_from=since,
                                  parameters={"threshold_s": 30, "short_abandon_s": 5})
    page = analyst_client.get(reverse("measurements:config-list")).content.decode()
    assert f"v2 in force since {since:%-d %b %Y}" in page
