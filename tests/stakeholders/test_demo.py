"""The demo pipeline on one simulated week: ingestion through the normal batch pipeline, the
content it creates, and plausible KPIs computed by the product itself (reports.selectors)."""
import io
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from contactmis.scope import Scope, scope_for_user
from measurements.models import (
    BusinessPlan,
    Contact,
    DataSource,
    ImportBatch,
    MeasurementConfig,
    RejectedRow,
)
from pathways.models import Agent, Pathway, Queue, Step
from reports.selectors import agent_kpi_frame, kpi_frame
from stakeholders.demo import demo_load, demo_wipe, generic_mapping

START, END = date(2026, 3, 2), date(2026, 3, 8)  # Monday to Sunday, local days


@pytest.fixture(scope="module")
def demo_week(django_db_setup, django_db_blocker, tmp_path_factory):
    """One week at full scale (occupancy needs a centre of realistic size), loaded once."""
    out = tmp_path_factory.mktemp("demo")
    with django_db_blocker.unblock():
        call_command("demo_setup", "--skip-data", stdout=io.StringIO())
        result = demo_load(out_dir=out, scale=1.0, start=START, end=END, log=lambda *_: None)
        yield result, out
        # Loaded outside the per-test transactions: leave the database as other modules expect.
        demo_wipe(result.centre)
        result.centre.delete()
        get_user_model().objects.filter(username__in=["manager", "analyst", "vendor"]).delete()


@pytest.fixture
def loaded(demo_week, db):
    return demo_week[0]


def test_every_file_loads_and_nothing_is_rejected(loaded):
    assert loaded.failed == []
    assert ImportBatch.objects.exclude(status="loaded").count() == 0
    assert loaded.batches == ImportBatch.objects.count() == 5
    assert loaded.rows_rejected == RejectedRow.objects.count() == 0
    # Web forms and e-mails not yet worked when the export was taken are skipped, not loaded.
    crm = ImportBatch.objects.get(source__name="Digital contacts (CRM)")
    assert 0 < crm.rows_skipped < 0.1 * crm.rows_read


def test_centre_queues_agents_and_content(loaded):
    centre = loaded.centre
    assert centre.name == loaded.manifest["centre"]["name"]
    assert centre.opening_hours["6"] == []
    vendor = Queue.objects.get(code="Sales – Vendor")
    assert "vendor" in vendor.site.lower()
    assert Queue.objects.get(code="Main IVR").kind == "ivr"
    assert not Queue.objects.filter(name="").exists()
    assert not Agent.objects.filter(team="").exists()
    plan = BusinessPlan.objects.get()
    assert plan.objectives.count() >= 5 and plan.budget_lines.exists()
    assert plan.planned_volumes.filter(channel="voice").exists()
    voice = Pathway.objects.get(name="Inbound calls")
    kinds = set(voice.transitions.values_list("kind", flat=True))
    assert {"menu", "overflow", "transfer", "escalation", "route"} <= kinds
    assert not Step.objects.filter(kind__in=["queue", "agent", "web"], queue=None).exists()
    assert MeasurementConfig.objects.filter(step__queue=vendor).exists()
    assert Pathway.objects.filter(channel__in=["chat", "email", "web_form"]).count() == 3


def test_measurement_tests_pass_and_the_monitor_raises_no_alarm(loaded):
    assert loaded.tests and set(loaded.tests.values()) == {"passed"}, loaded.tests
    assert loaded.alerts == []


def test_stakeholders_of_every_type_with_dashboards_and_schedules(loaded):
    from stakeholders.constants import StakeholderKind
    from stakeholders.models import Stakeholder

    assert set(Stakeholder.objects.values_list("kind", flat=True)) == set(StakeholderKind.values)
    for stakeholder in Stakeholder.objects.all():
        assert stakeholder.dashboards.exists(), stakeholder
        assert stakeholder.report_schedules.filter(next_run_at__isnull=False).exists()
    vendor = Stakeholder.objects.get(kind="vendor")
    assert list(vendor.queues.values_list("code", flat=True)) == ["Sales – Vendor"]
    # The demo "vendor" login sees the vendor queue only.
    scope = scope_for_user(get_user_model().objects.get(username="vendor"))
    assert scope.queue_ids == frozenset([Queue.objects.get(code="Sales – Vendor").pk])


def test_loading_twice_changes_nothing(loaded, tmp_path):
    counts = (Contact.objects.count(), DataSource.objects.count(), Pathway.objects.count(),
              BusinessPlan.objects.count())
    call_command("demo_load", "--out", str(tmp_path), "--start", str(START), "--end", str(END))
    assert (Contact.objects.count(), DataSource.objects.count(), Pathway.objects.count(),
            BusinessPlan.objects.count()) == counts


def test_kpis_of_the_simulated_week_are_plausible(loaded):
    centre = loaded.centre
    in_house = frozenset(Queue.objects.filter(channel="voice", kind="acd")
                         .exclude(site__icontains="vendor").values_list("pk", flat=True))
    assert len(in_house) == 4
    end = date.fromordinal(END.toordinal() + 1)  # exclusive
    voice = kpi_frame(Scope(queue_ids=in_house), centre, START, end, granularity="year")
    assert len(voice) == 1
    row = voice.iloc[0]
    assert 0.60 <= row["service_level"] <= 0.95, row["service_level"]
    assert 0.02 <= row["abandon_rate"] <= 0.15, row["abandon_rate"]
    # Occupancy comes from the per-agent rollup: only the in-house ACD logs agent states.
    agents = agent_kpi_frame(Scope.everything(), centre, START, end, "year", [], None, None)
    assert 0.70 <= agents.iloc[0]["occupancy"] <= 0.92, agents.iloc[0]["occupancy"]


def test_generic_mapping_turns_the_manifest_around():
    spec = {"kind": "web", "time_zone": "Europe/London",
            "column_mapping": {"contact_id": "external_id", "handle_s": "handle_s",
                               "created_at": "arrived_at", "team": "team"}}
    mapping = generic_mapping(spec)
    assert mapping["columns"] == {"external_id": "contact_id", "talk_s": "handle_s",
                                  "arrived_at": "created_at"}
    assert mapping["queue_kind"] == "web"
