"""Hostile query-string and JSON parameters get an answer naming the parameter (404 on a page,
400 from the API), never a server error; a widget's custom period is checked when saved."""
import pytest

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"


@pytest.mark.parametrize("query", [
    {"forecast": "abc"}, {"forecast": "-1"}, {"forecast": HUGE}])
def test_the_forecast_page_refuses_a_bad_forecast_id(two_vendors, manager_client, query):
    assert manager_client.get("/analysis/forecasts/", query).status_code == 404


@pytest.mark.parametrize("query", [
    {"stakeholder": "abc"}, {"stakeholder": HUGE}, {"queue": HUGE}, {"queue": "-3"}])
def test_the_wallboard_refuses_bad_ids(two_vendors, client, manager, viewer, query):
    for user in (manager, viewer):
        client.force_login(user)
        assert client.get("/present/wallboard/", query).status_code == 404, (user, query)


@pytest.mark.parametrize("query", [
    {"source": "abc"}, {"source": HUGE}, {"status": "exploded"}])
def test_the_import_list_refuses_bad_filters(two_vendors, manager_client, query):
    assert manager_client.get("/measurements/imports/", query).status_code == 404


def test_the_import_list_still_filters_by_source_and_status(two_vendors, manager_client):
    source = two_vendors["source"].pk
    assert manager_client.get("/measurements/imports/",
                              {"source": source, "status": "loaded"}).status_code == 200


@pytest.mark.parametrize("at", ["9999-12-31", "9999-12-31T23:45", "0001-01-01",
                                "2026-13-45", "2026-11-20T09:00+05:00", "abc"])
def test_a_drill_down_outside_the_calendar_is_404(two_vendors, viewer_client, at):
    widget = two_vendors["dashboard_a"].widgets.first()
    assert viewer_client.get(f"/present/widgets/{widget.pk}/drill/",
                             {"at": at}).status_code == 404


def test_a_drill_down_at_a_time_of_plotly_still_works(two_vendors, viewer_client):
    widget = two_vendors["dashboard_a"].widgets.get(breakdown="queue", kind="time_series")
    day = two_vendors["now"].date()
    for at in (f"{day}T09:00", f"{day}T09:00:00", f"{day} 09:00:00.000"):
        response = viewer_client.get(f"/present/widgets/{widget.pk}/drill/", {"at": at})
        assert response.status_code == 200, at


@pytest.mark.parametrize("start,end,field", [
    ("9999-12-30", "9999-12-31", "custom_start"), ("2026-11-01", "9999-12-31", "custom_end"),
    ("0001-01-01", "2026-11-01", "custom_start")])
def test_a_widget_with_a_custom_period_beyond_the_calendar_is_refused(
        two_vendors, api_client, manager, start, end, field):
    api_client.force_authenticate(manager)
    response = api_client.post("/api/v1/widgets/", {
        "dashboard": two_vendors["dashboard_a"].pk, "kind": "kpi_tile", "title": "Far",
        "metrics": ["offered"], "period": "custom", "custom_start": start, "custom_end": end,
        "granularity": "day"}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert "1990–2100" in response.json()[field][0]
    dashboard = api_client.get(f"/api/v1/dashboards/{two_vendors['dashboard_a'].pk}/data/")
    assert dashboard.status_code == 200


def test_a_widget_with_a_custom_period_inside_the_calendar_is_accepted(two_vendors, api_client,
                                                                       manager):
    api_client.force_authenticate(manager)
    response = api_client.post("/api/v1/widgets/", {
        "dashboard": two_vendors["dashboard_a"].pk, "kind": "kpi_tile", "title": "November",
        "metrics": ["offered"], "period": "custom", "custom_start": "2026-11-01",
        "custom_end": "2026-11-30", "granularity": "day"}, format="json")
    assert response.status_code == 201, response.json()
    data = api_client.get(f"/api/v1/widgets/{response.json()['id']}/data/")
    assert data.status_code == 200


def test_the_widget_api_gives_labels_as_they_are_and_files_neutralise_them(two_vendors,
                                                                          api_client, manager,
                                                                          client):
    queue = two_vendors["queue_a"]
    queue.name = "=cmd|' /C calc'!A0"
    queue.save()
    widget = two_vendors["dashboard_a"].widgets.get(breakdown="queue", kind="time_series")
    api_client.force_authenticate(manager)
    body = api_client.get(f"/api/v1/widgets/{widget.pk}/data/").content.decode()
    assert "=cmd|" in body and "'=cmd" not in body
    client.force_login(manager)
    response = client.get(f"/present/widgets/{widget.pk}/export.csv")
    csv_body = b"".join(response.streaming_content) if response.streaming else response.content
    assert "=cmd|" not in csv_body.decode().replace("'=cmd|", "")
