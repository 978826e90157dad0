"""The stakeholder register: pages, forms with clear errors, the API, default dashboards."""
import pytest

from stakeholders.constants import StakeholderKind
from stakeholders.models import Dashboard, Stakeholder

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(centre):
    from pathways.models import Queue

    return Queue.objects.create(centre=centre, code="Q1", name="Billing")


def _form(**overrides):
    data = {"name": "Billing department", "kind": "department", "granularity": "day",
            "cadence": "weekly", "emails": "a@example.org\nb@example.org",
            "information_needs": "Volumes and reasons for billing contacts."}
    data.update(overrides)
    return data


@pytest.mark.parametrize("kind", StakeholderKind.values)
def test_each_type_gets_its_default_dashboard(kind):
    from stakeholders.services import default_dashboard_spec, stakeholder_create

    s = stakeholder_create(name=f"S {kind}", kind=kind, sees_whole_centre=True)
    dashboard = s.dashboards.get()
    name, _, widgets = default_dashboard_spec(kind)
    assert dashboard.name == name and dashboard.is_default
    assert [w.title for w in dashboard.widgets.all()] == [w["title"] for w in widgets]
    assert [w.position for w in dashboard.widgets.all()] == list(range(len(widgets)))


def test_manager_registers_a_stakeholder_through_the_form(manager_client, queue, viewer):
    response = manager_client.post("/present/stakeholders/new/", _form(
        queues=[queue.pk], users=[viewer.pk], channels=["voice"], sites="Leeds, Cork"))
    assert response.status_code == 302
    s = Stakeholder.objects.get(name="Billing department")
    assert s.emails == ["a@example.org", "b@example.org"]
    assert s.sites == ["Leeds", "Cork"] and s.channels == ["voice"]
    assert list(s.queues.all()) == [queue]
    assert s.members.get().user == viewer
    assert Dashboard.objects.filter(stakeholder=s, name="Volumes and reasons").exists()
    detail = manager_client.get(response["Location"]).content.decode()
    assert "Billing department" in detail and "Volumes and reasons" in detail


@pytest.mark.parametrize("overrides,field,message", [
    ({"emails": "ok@example.org, not-an-address"}, "emails", "not-an-address"),
    ({"name": ""}, "name", "This field is required"),
    ({"kind": "alien"}, "kind", "Select a valid choice"),
])
def test_the_form_names_what_is_wrong(manager_client, queue, overrides, field, message):
    response = manager_client.post("/present/stakeholders/new/",
                                   _form(queues=[queue.pk], **overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert not Stakeholder.objects.exists()


def test_a_stakeholder_without_a_scope_is_refused_with_the_reason(manager_client):
    response = manager_client.post("/present/stakeholders/new/", _form())
    assert response.status_code == 400
    assert "Give this stakeholder a data scope" in response.content.decode()
    assert not Stakeholder.objects.exists()


def test_a_user_belongs_to_at_most_one_stakeholder(manager_client, queue, viewer):
    from stakeholders.services import stakeholder_create

    stakeholder_create(name="Vendor A", kind="vendor", queues=[queue], users=[viewer])
    response = manager_client.post("/present/stakeholders/new/",
                                   _form(queues=[queue.pk], users=[viewer.pk]))
    assert response.status_code == 400
    assert "already logs in as “Vendor A”" in response.content.decode()
    assert Stakeholder.objects.count() == 1


def test_editing_changes_scope_and_users(manager_client, queue, viewer):
    from stakeholders.services import stakeholder_create

    s = stakeholder_create(name="Execs", kind="executive", sees_whole_centre=True)
    response = manager_client.post(f"/present/stakeholders/{s.pk}/edit/", _form(
        name="Execs", kind="executive", queues=[queue.pk], users=[viewer.pk]))
    assert response.status_code == 302
    s.refresh_from_db()
    assert not s.sees_whole_centre and list(s.queues.all()) == [queue]
    from contactmis.scope import scope_for_user

    assert scope_for_user(viewer).queue_ids == frozenset({queue.pk})


def test_analyst_reads_the_register_but_cannot_change_it(analyst_client, queue):
    from stakeholders.services import stakeholder_create

    s = stakeholder_create(name="Execs", kind="executive", sees_whole_centre=True)
    assert analyst_client.get("/present/stakeholders/").status_code == 200
    assert analyst_client.get(f"/present/stakeholders/{s.pk}/").status_code == 200
    # The analyst's role sees the register but may not change it: 403 (a viewer gets 404).
    assert analyst_client.get("/present/stakeholders/new/").status_code == 403
    assert analyst_client.post(f"/present/stakeholders/{s.pk}/delete/").status_code == 403
    assert Stakeholder.objects.filter(pk=s.pk).exists()


def test_empty_register_explains_what_to_do(manager_client):
    body = manager_client.get("/present/stakeholders/").content.decode()
    assert "No stakeholders yet" in body and "Register the first stakeholder" in body


def test_register_list_does_not_query_per_stakeholder(manager_client, queue,
                                                      django_assert_max_num_queries):
    from stakeholders.services import stakeholder_create

    for i in range(6):
        stakeholder_create(name=f"Vendor {i}", kind="vendor", queues=[queue])
    with django_assert_max_num_queries(20):
        assert manager_client.get("/present/stakeholders/").status_code == 200


def test_api_creates_a_stakeholder_with_its_dashboard_and_refuses_bad_input(api_client,
                                                                            manager, queue,
                                                                            viewer):
    api_client.force_authenticate(manager)
    response = api_client.post("/api/v1/stakeholders/", {
        "name": "Vendor A", "kind": "vendor", "queues": [queue.pk], "users": ["viewer"],
        "emails": ["ops@vendor.example"]}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["users"] == ["viewer"] and len(body["dashboards"]) == 1
    bad = api_client.post("/api/v1/stakeholders/", {"name": "X", "kind": "vendor",
                                                    "emails": ["nope"], "queues": [queue.pk]},
                          format="json")
    assert bad.status_code == 400 and "emails" in bad.json()
    no_scope = api_client.post("/api/v1/stakeholders/", {"name": "Y", "kind": "vendor"},
                               format="json")
    assert no_scope.status_code == 400 and "data scope" in str(no_scope.json())
    assert Stakeholder.objects.count() == 1


def test_viewer_cannot_write_through_the_api(api_client, viewer, queue):
    api_client.force_authenticate(viewer)
    response = api_client.post("/api/v1/stakeholders/", {"name": "Z", "kind": "vendor",
                                                         "queues": [queue.pk]}, format="json")
    assert response.status_code == 403
    assert not Stakeholder.objects.exists()


def test_home_panel_points_each_persona_to_its_place(two_vendors, client, viewer, manager):
    client.force_login(viewer)
    body = client.get("/").content.decode()
    assert "Your dashboard" in body and "Contract performance" in body
    client.force_login(manager)
    assert "2 stakeholders registered" in client.get("/").content.decode()
