"""The issue's scenario in real Chromium: a manager writes a scripted test contact for the Billing
service-level measurement, runs it and sees it pass; changes the measurement's threshold, runs it
again and sees it fail with the differing figures. Then the collection monitor page."""
import pytest

from tests.measurements.quality_fixtures import SCRIPT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_tests_a_measurement_then_breaks_it(page, live_server, login, manager,
                                                   screenshot):
    from contactmis.models import Centre
    from measurements.models import MeasurementConfig, MetricDefinition
    from pathways.models import Pathway, Queue, Step
    from tests.design_factories import ensure_metric_catalogue

    ensure_metric_catalogue()
    centre = Centre.objects.create(name="Northwind Contact Centre", time_zone="Europe/London")
    queue = Queue.objects.create(centre=centre, code="Billing", name="Billing")
    pathway = Pathway.objects.create(centre=centre, name="Billing line")
    step = Step.objects.create(pathway=pathway, name="Billing queue", kind="queue", queue=queue)
    metric = MetricDefinition.objects.get(code="service_level", variant="excl_short_abandons",
                                          version=1)
    MeasurementConfig.objects.create(metric=metric, step=step, parameters={"threshold_s": 20})
    base = live_server.url
    login("manager", "manager-pass-2026")

    page.goto(f"{base}/measurements/tests/")
    screenshot("quality-tests-empty")
    page.click("text=Write the first test")
    page.fill("#id_name", "Billing service level: four test calls")
    page.select_option("#id_kind", label="Known answer")
    page.select_option("#id_config", label="Service level at Billing queue")
    page.fill("#id_script", "date 2026-03-02\n09:00 queue Billing ten seconds; answered")
    page.fill("#id_expected_figures", "service_level = 33.33\noffered = 4")
    page.click("form button.primary")
    error = page.locator(".field-error").first.inner_text()
    assert "Line 2: “queue Billing ten seconds”: write “queue <code> <N>s”" in error
    screenshot("quality-test-form-error")

    page.fill("#id_script", SCRIPT.strip())
    page.fill("#id_expected_figures",
              "service_level = 33.33\noffered = 4\nanswered = 2\nabandoned = 2\nasa = 22.5")
    page.click("form button.primary")
    page.click("text=Run now")
    latest = page.locator("#latest-run")
    assert "Passed" in latest.inner_text()
    assert "All 5 figure(s) match." in latest.inner_text()
    screenshot("quality-test-passed")

    # The measurement is changed: the service-level threshold becomes 45 s.
    page.click("text=Edit the measurement")
    page.fill("#id_threshold_s", "45")
    page.click("form button.primary")
    page.goto(f"{base}/measurements/tests/")
    page.click("text=Billing service level: four test calls")
    page.click("text=Run now")
    latest = page.locator("#latest-run")
    text = latest.inner_text()
    assert "Failed" in text and "1 of 5 figure(s) differ." in text
    row = page.locator("tr.row-fail")
    assert row.count() == 1
    cells = row.inner_text()
    assert "service_level" in cells and "33.33" in cells and "66.6667" in cells
    assert "threshold_s=45" in cells
    screenshot("quality-test-failed")

    # History keeps both runs; the home page says a test is failing.
    history = page.locator("section:has(h2:text('Run history')) tbody tr")
    assert history.count() == 2
    page.goto(f"{base}/")
    assert "measurement test(s) not passing" in page.content()
    screenshot("quality-home")
    page.goto(f"{base}/measurements/monitor/")
    assert "No data sources yet" in page.content()


def test_monitor_page_shows_real_defects_with_a_timeline(page, live_server, login, manager,
                                                        screenshot, anonymous_bank_dir):
    """January and May of the real data: the timeline marks 11–12 January as missing and 23 May
    as unusual; alerts and thresholds are on the page."""
    from contactmis.models import Centre
    from measurements.services.monitor import monitor_check
    from tests.measurements.test_monitor_real_data import bank_source, load_months

    centre = Centre.objects.create(name="Anonymous Bank", time_zone="Asia/Jerusalem")
    source = bank_source(centre)
    load_months(source, anonymous_bank_dir, ["01", "05"])
    monitor_check(centre, email=False)
    login("manager", "manager-pass-2026")
    page.goto(f"{live_server.url}/measurements/monitor/")
    page.wait_for_selector("#monitor-timeline .main-svg")
    # The completeness heatmap: one row for the feed, 11–12 January red (no data).
    cells = page.evaluate("""() => {
        const d = document.getElementById("monitor-timeline").data[0];
        const i = d.x.indexOf("1999-01-11");
        return [d.type, d.y.length, d.z[0][i], d.z[0][i + 1], d.z[0][i + 2]];
    }""")
    assert cells == ["heatmap", 1, 0, 0, 2]
    assert "Anonymous Bank" in page.locator("#feeds").inner_text() or \
        source.name in page.locator("#feeds").inner_text()
    text = page.locator(f"#source-{source.pk}").inner_text()
    assert "Mon 11 Jan 1999, Tue 12 Jan 1999" in text
    assert "Sun 23 May 1999" in text
    assert "negative_vru_time" in text and "no_server_agent" in text
    alerts = page.locator("#alerts").inner_text()
    assert "no data at all on Mon 11 Jan 1999" in alerts
    assert "agent records without an agent" in alerts
    screenshot("quality-monitor")
    page.fill("#id_volume_ratio", "1")
    page.click("#thresholds button.primary")
    assert "Must be above 1" in page.locator("#thresholds .field-error").inner_text()
