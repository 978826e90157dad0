"""Pages and API of measurement tests and of the collection monitor; alert e-mails."""
import pytest
from django.urls import reverse

from measurements.models import Alert, MeasurementTest, MonitorSettings, RunStatus
from measurements.services.testing import measurement_test_run, measurement_test_save

from .quality_fixtures import EXPECTED, SCRIPT

pytestmark = pytest.mark.django_db


def _known(centre, config):
    return measurement_test_save(MeasurementTest(
        centre=centre, name="Billing SL", kind="known_answer", config=config, script=SCRIPT,
        expected=EXPECTED))


def test_test_list_is_empty_then_lists_tests_with_last_result(manager_client, centre, billing):
    page = manager_client.get(reverse("measurements:test-list"))
    assert page.status_code == 200 and "No measurement tests yet" in page.text
    test = _known(centre, billing["config"])
    measurement_test_run(test)
    page = manager_client.get(reverse("measurements:test-list"))
    assert "Billing SL" in page.text and "Passed" in page.text


def test_manager_writes_runs_and_sees_a_failing_figure(manager_client, centre, billing):
    form = {"name": "Billing SL", "kind": "known_answer", "config": billing["config"].pk,
            "script": SCRIPT, "expected_figures": "service_level = 50\noffered = 4",
            "tolerance": "0.01", "dataset_format": "auto", "active": "on"}
    page = manager_client.post(reverse("measurements:test-create"), form)
    assert page.status_code == 302, page.content.decode()[:2000]
    test = MeasurementTest.objects.get()
    assert test.expected == {"service_level": 50.0, "offered": 4.0}
    page = manager_client.post(reverse("measurements:test-run", args=[test.pk]), follow=True)
    assert "1 of 2 figure(s) differ" in page.text
    assert "33.3333" in page.text and "differs" in page.text


def test_test_form_names_the_bad_script_line(manager_client, centre, billing):
    form = {"name": "Bad", "kind": "known_answer", "config": billing["config"].pk,
            "script": "date 2026-03-02\n09:00:00 queue Billing 5s; talk 10s",
            "expected_figures": "offered = x", "tolerance": "0.01", "dataset_format": "auto"}
    page = manager_client.post(reverse("measurements:test-create"), form)
    assert page.status_code == 400
    assert "Line 2" in page.text and "line 1: “x” is not a number" in page.text
    assert not MeasurementTest.objects.exists()


def test_viewer_cannot_open_tests_or_monitor(viewer_client):
    assert viewer_client.get(reverse("measurements:test-list")).status_code in (403, 404)
    assert viewer_client.get(reverse("measurements:monitor")).status_code in (403, 404)


def test_api_creates_runs_and_lists_history(centre, billing, manager):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(manager)
    made = api.post("/api/v1/measurement-tests/", {
        "name": "API SL", "kind": "known_answer", "config": billing["config"].pk,
        "script": SCRIPT, "expected": {"service_level": 33.33}}, format="json")
    assert made.status_code == 201, made.json()
    run = api.post(f"/api/v1/measurement-tests/{made.json()['id']}/run/")
    assert run.status_code == 201 and run.json()["status"] == "passed"
    assert run.json()["ran_by"] == "manager"
    history = api.get(f"/api/v1/measurement-tests/{made.json()['id']}/runs/")
    assert [r["status"] for r in history.json()] == ["passed"]
    bad = api.post("/api/v1/measurement-tests/", {
        "name": "API bad", "kind": "known_answer", "config": billing["config"].pk,
        "script": "date 2026-03-02\n9:00 nowhere", "expected": {"offered": 1}}, format="json")
    assert bad.status_code == 400 and "Line 2" in str(bad.json()["script"])
    alerts = api.get("/api/v1/alerts/").json()
    rows = alerts["results"] if isinstance(alerts, dict) else alerts
    assert rows == []  # the passing run raised nothing


def test_failed_test_is_on_home_page_and_emailed_with_text_and_html(
        manager_client, centre, billing, mailoutbox):
    config = billing["config"]
    config.parameters = {"threshold_s": 45}
    config.save()
    run = measurement_test_run(_known(centre, config))
    assert run.status == RunStatus.FAILED
    home = manager_client.get("/")
    assert "measurement test(s) not passing" in home.text and "Billing SL" in home.text
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["manager@example.org"]
    assert "Billing SL" in mail.body and "failed" in mail.body
    html = mail.alternatives[0][0]
    assert mail.alternatives[0][1] == "text/html" and "<table" in html and "Billing SL" in html
    # Passing again resolves the alert; failing again re-opens it and mails once more.
    config.parameters = {"threshold_s": 20}
    config.save()
    measurement_test_run(run.test)
    assert not Alert.objects.filter(resolved_at__isnull=True).exists()
    assert len(mailoutbox) == 1


def test_monitor_page_empty_state_and_thresholds_form(manager_client, centre):
    page = manager_client.get(reverse("measurements:monitor"))
    assert page.status_code == 200 and "No data sources yet" in page.text
    bad = manager_client.post(reverse("measurements:monitor-settings"), {
        "stale_after_h": 24, "missing_intervals": 4, "volume_ratio": 0.5,
        "unassigned_share": 2})
    assert bad.status_code == 400
    assert "A share between 0 and 1." in bad.text and "Must be above 1" in bad.text
    ok = manager_client.post(reverse("measurements:monitor-settings"), {
        "stale_after_h": 12, "missing_intervals": 8, "volume_ratio": 2.5,
        "unassigned_share": 0.2, "email": "on"})
    assert ok.status_code == 302
    assert MonitorSettings.objects.get(centre=centre).volume_ratio == 2.5


def test_test_list_page_and_api_do_not_query_per_test(manager_client, centre, billing, manager,
                                                      django_assert_max_num_queries):
    from rest_framework.test import APIClient

    for i in range(6):
        test = measurement_test_save(MeasurementTest(
            centre=centre, name=f"SL {i}", kind="known_answer", config=billing["config"],
            script=SCRIPT, expected={"offered": 4}))
        measurement_test_run(test)
    with django_assert_max_num_queries(12):
        page = manager_client.get(reverse("measurements:test-list"))
    assert page.text.count("Passed") == 6
    api = APIClient()
    api.force_authenticate(manager)
    with django_assert_max_num_queries(8):
        listed = api.get("/api/v1/measurement-tests/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["last_run"]["status"] for r in rows] == ["passed"] * 6
