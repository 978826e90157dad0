"""Pathway rules, each refused with a message naming the field in the form and in the API:
a transition to a step of another pathway, a loop no entry reaches, deleting a referenced step."""
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from pathways import services
from pathways.models import Step, Transition
from tests.design_factories import interval_row, pathway_ivr_queue_agent, source

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing(centre):
    return pathway_ivr_queue_agent(centre, "Billing")


@pytest.fixture
def sales(centre):
    return pathway_ivr_queue_agent(centre, "Sales")


def test_transition_to_a_step_of_another_pathway_is_refused_by_the_service(billing, sales):
    with pytest.raises(ValidationError) as exc:
        services.transition_create(pathway=billing["pathway"], source=billing["agent"],
                                   target=sales["acd"], kind="transfer")
    assert "belongs to pathway “Sales”" in exc.value.message_dict["target"][0]
    assert not Transition.objects.filter(target=sales["acd"], source=billing["agent"]).exists()


def test_transition_to_another_pathway_is_refused_in_the_form(manager_client, billing, sales):
    url = reverse("pathways:transition-create", args=[billing["pathway"].pk])
    response = manager_client.post(url, {"source": billing["agent"].pk,
                                         "target": sales["acd"].pk, "kind": "transfer"})
    assert response.status_code == 200
    assert "belongs to pathway “Sales”" in str(response.context["form"].errors["target"])
    assert "Target:" in response.content.decode()


def test_transition_to_another_pathway_is_refused_by_the_api(api_client, manager, billing,
                                                             sales):
    api_client.force_authenticate(manager)
    response = api_client.post("/api/v1/transitions/", {
        "pathway": billing["pathway"].pk, "source": billing["agent"].pk,
        "target": sales["acd"].pk, "kind": "transfer"}, format="json")
    assert response.status_code == 400
    assert "belongs to pathway “Sales”" in response.json()["target"][0]


def test_a_loop_no_entry_reaches_is_refused_with_the_loop_named(billing):
    pathway = billing["pathway"]
    a = services.step_create(pathway=pathway, name="Orphan menu A", kind="ivr")
    b = services.step_create(pathway=pathway, name="Orphan menu B", kind="ivr")
    services.transition_create(pathway=pathway, source=a, target=b)
    with pytest.raises(ValidationError) as exc:
        services.transition_create(pathway=pathway, source=b, target=a, label="back")
    message = exc.value.message_dict["target"][0]
    assert "Orphan menu A → Orphan menu B" in message and "no entry step reaches" in message


def test_a_loop_reached_from_the_entry_is_allowed(billing):
    back = services.transition_create(pathway=billing["pathway"], source=billing["transfer"],
                                      target=billing["acd"], kind="transfer", label="requeue")
    assert back.pk


def test_unreachable_loop_is_refused_in_form_and_api(manager_client, api_client, manager,
                                                     billing):
    pathway = billing["pathway"]
    a = services.step_create(pathway=pathway, name="Loop A", kind="ivr")
    b = services.step_create(pathway=pathway, name="Loop B", kind="ivr")
    services.transition_create(pathway=pathway, source=a, target=b)
    response = manager_client.post(reverse("pathways:transition-create", args=[pathway.pk]),
                                   {"source": b.pk, "target": a.pk, "kind": "route"})
    assert "no entry step reaches" in str(response.context["form"].errors["target"])
    api_client.force_authenticate(manager)
    response = api_client.post("/api/v1/transitions/", {
        "pathway": pathway.pk, "source": b.pk, "target": a.pk}, format="json")
    assert response.status_code == 400
    assert "no entry step reaches" in response.json()["target"][0]


def test_removing_the_only_entry_of_a_loop_is_refused(billing):
    ivr = billing["ivr"]
    services.transition_create(pathway=billing["pathway"], source=billing["acd"], target=ivr,
                               kind="menu", label="0 – back to menu")
    with pytest.raises(ValidationError) as exc:
        services.step_update(ivr, is_entry=False)
    assert "is_entry" in exc.value.message_dict


def _referenced_step(centre, billing):
    from measurements.models import MeasurementConfig, MetricDefinition

    MeasurementConfig.objects.create(
        metric=MetricDefinition.objects.get(code="service_level", is_default_variant=True),
        step=billing["acd"], source=source(centre))
    row = interval_row(centre, billing["queue"], datetime.date(2026, 3, 2), offered=10)
    row.step = billing["acd"]
    row.save()
    return billing["acd"]


def test_deleting_a_referenced_step_is_refused_with_the_list_of_references(centre, billing):
    step = _referenced_step(centre, billing)
    with pytest.raises(ValidationError) as exc:
        services.step_delete(step)
    message = exc.value.message_dict["step"][0]
    assert "1 measurement configs (Service level at Billing queue)" in message
    assert "1 interval stats" in message
    assert Step.objects.filter(pk=step.pk).exists()


def test_deleting_a_referenced_step_in_the_browser_shows_what_refers_to_it(manager_client,
                                                                            centre, billing):
    step = _referenced_step(centre, billing)
    url = reverse("pathways:step-delete", args=[step.pk])
    page = manager_client.get(url).content.decode()
    assert "cannot be deleted while these refer to it" in page
    assert "Service level at Billing queue" in page
    response = manager_client.post(url)
    assert response.status_code == 409
    assert Step.objects.filter(pk=step.pk).exists()


def test_deleting_a_referenced_step_by_api_answers_409_with_references(api_client, manager,
                                                                       centre, billing):
    step = _referenced_step(centre, billing)
    api_client.force_authenticate(manager)
    response = api_client.delete(f"/api/v1/steps/{step.pk}/")
    assert response.status_code == 409
    body = response.json()
    assert "cannot be deleted" in body["step"][0]
    assert {r["what"] for r in body["referenced_by"]} == {"measurement configs",
                                                            "interval stats"}


def test_an_unreferenced_step_is_deleted_with_its_transitions(billing):
    services.step_delete(billing["transfer"])
    assert not Step.objects.filter(pk=billing["transfer"].pk).exists()
    assert billing["pathway"].transitions.count() == 2


def test_pathway_page_draws_every_step_and_observed_volumes(manager_client, centre, billing):
    day = datetime.date(2026, 3, 2)
    interval_row(centre, billing["ivr_queue"], day, ivr_sessions=120, ivr_to_queue=90,
                 ivr_contained=30)
    interval_row(centre, billing["queue"], day, offered=90, answered=80, abandoned=10,
                 handled=80, transfers=7)
    page = manager_client.get(reverse("pathways:pathway-detail",
                                      args=[billing["pathway"].pk])).content.decode()
    for name in ("Main menu", "Billing queue", "Agent", "Transfer to retention"):
        assert f'data-step="{name}"' in page
    assert "120 contacts" in page and "90 contacts" in page and "80 contacts" in page
    assert "7 contacts" in page  # transfers from the agents of the queue
    assert "2 – Billing · 90" in page  # the menu option carried the 90 offered to the queue


def test_observed_volumes_selector_uses_interval_sums(centre, billing):
    from pathways.selectors import pathway_observed_volumes

    day = datetime.date(2026, 3, 2)
    for minute in (540, 555):
        interval_row(centre, billing["queue"], day, minute, offered=10, answered=9, handled=9,
                     transfers=1)
    volumes = pathway_observed_volumes(billing["pathway"])
    assert volumes["steps"][billing["acd"].pk] == 20
    assert volumes["steps"][billing["agent"].pk] == 18
    assert volumes["steps"][billing["transfer"].pk] == 2
    assert volumes["start_date"] == day - datetime.timedelta(days=27)


def test_analyst_reads_pathways_but_cannot_edit(analyst_client, billing):
    assert analyst_client.get(reverse("pathways:pathway-list")).status_code == 200
    assert analyst_client.get(reverse("pathways:step-create",
                                      args=[billing["pathway"].pk])).status_code == 403


def test_api_permissions_and_no_n_plus_one(api_client, analyst, centre, billing,
                                           django_assert_max_num_queries):
    pathway_ivr_queue_agent(centre, "Sales")
    api_client.force_authenticate(analyst)
    with django_assert_max_num_queries(6):
        response = api_client.get("/api/v1/steps/", {"pathway": billing["pathway"].pk})
    assert response.status_code == 200 and response.json()["count"] == 4
    assert api_client.post("/api/v1/pathways/", {"centre": centre.pk, "name": "X"},
                           format="json").status_code == 403


def test_home_panel_counts_unmeasured_steps(manager_client, billing):
    page = manager_client.get("/").content.decode()
    assert "1 pathway, 4 steps." in page and "4 steps with no measurement." in page


def test_deleting_the_only_way_into_a_loop_is_refused(billing):
    back = services.transition_create(pathway=billing["pathway"], source=billing["transfer"],
                                      target=billing["acd"], kind="transfer", label="requeue")
    into_queue = billing["pathway"].transitions.get(source=billing["ivr"])
    with pytest.raises(ValidationError) as exc:
        services.transition_delete(into_queue)
    assert "unreachable from every entry step" in exc.value.message_dict["transition"][0]
    services.transition_delete(back)  # an edge inside a reachable loop may go
    assert not Transition.objects.filter(pk=back.pk).exists()


def test_manager_builds_a_pathway_through_the_api(api_client, manager, centre):
    from pathways.models import Queue

    queue = Queue.objects.create(centre=centre, code="Q1")
    api_client.force_authenticate(manager)
    pathway = api_client.post("/api/v1/pathways/", {"centre": centre.pk, "name": "Chat",
                                                    "channel": "chat"}, format="json").json()
    ids = []
    for name, kind, extra in [("Web chat", "web", {"queue": queue.pk}),
                              ("Chat adviser", "agent", {})]:
        response = api_client.post("/api/v1/steps/", {
            "pathway": pathway["id"], "name": name, "kind": kind,
            "measurement_methods": ["timestamps"], **extra}, format="json")
        assert response.status_code == 201, response.json()
        ids.append(response.json()["id"])
    assert Step.objects.get(pk=ids[0]).is_entry  # the first step is the entry
    response = api_client.post("/api/v1/transitions/", {
        "pathway": pathway["id"], "source": ids[0], "target": ids[1]}, format="json")
    assert response.status_code == 201
    bad = api_client.post("/api/v1/steps/", {"pathway": pathway["id"], "name": "X",
                                            "kind": "teleport"}, format="json")
    assert bad.status_code == 400 and "kind" in bad.json()
    listing = api_client.get("/api/v1/transitions/", {"pathway": pathway["id"]}).json()
    assert listing["count"] == 1


def test_pathway_page_shows_volumes_for_the_chosen_period(manager_client, centre, billing):
    interval_row(centre, billing["queue"], datetime.date(2026, 2, 10), offered=30)
    interval_row(centre, billing["queue"], datetime.date(2026, 3, 10), offered=50)
    url = reverse("pathways:pathway-detail", args=[billing["pathway"].pk])
    page = manager_client.get(url, {"start": "2026-02-01", "end": "2026-02-28"})
    assert page.context["volumes"]["steps"][billing["acd"].pk] == 30
    page = manager_client.get(url)  # default: the 28 days up to the latest data
    assert page.context["volumes"]["steps"][billing["acd"].pk] == 50
    page = manager_client.get(url, {"start": "2026-03-01", "end": "2026-02-01"})
    assert "The end is before the start." in page.content.decode()


def test_unknown_measurement_method_is_refused(billing):
    with pytest.raises(ValidationError) as exc:
        services.step_update(billing["agent"], measurement_methods=["telepathy"])
    assert "Unknown measurement method 'telepathy'" in exc.value.message_dict[
        "measurement_methods"][0]
