"""In real Chromium: the manager sets a source's reject share, a file above it is amber with
its share and raises a data-collection alert on the monitor page; a header-only file says
"0 data lines"."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "id,created,closed,queue,handle,status,reason\n"
MAPPING = {
    "columns": {
        "external_id": "id",
        "arrived_at": "created",
        "ended_at": "closed",
        "queue": "queue",
        "talk_s": "handle",
        "outcome": "status",
        "contact_type": "reason",
    },
    "queue_kind": "web",
    "channel": "web_form",
    "outcome_values": {"answered": "handled", "missed": "abandoned"},
}


def test_reject_share_alert_and_header_only_file(
    page, live_server, login, manager, screenshot, tmp_path, settings
):
    from contactmis.models import Centre
    from measurements.services.ingest import batch_create, batch_process, source_create

    settings.MEDIA_ROOT = tmp_path / "media"
    centre = Centre.objects.create(name="Probe centre", time_zone="Europe/London")
    source = source_create(
        centre=centre,
        name="Web forms",
        kind="web",
        export_format="generic",
        time_zone="Europe/London",
        column_mapping=MAPPING,
    )
    login(manager.username, f"{manager.username}-pass-2026")
    page.goto(f"{live_server.url}/measurements/sources/{source.pk}/edit/")
    field = page.locator("#id_reject_alert_share")
    assert field.input_value() == "0.05"
    field.fill("0.1")
    screenshot("ingest-reject-share-source-form")
    page.click("main button[type=submit]")
    source.refresh_from_db()
    assert source.reject_alert_share == 0.1

    bad = tmp_path / "forms-week-48.csv"
    bad.write_text(
        HEADER + "f-1,2026-03-02 09:00:00,2026-03-02 09:10:00,Forms,60,answered,b\n"
        "f-2,9999-12-31 09:00:00,,Forms,60,answered,b\n"
        "f-3,2026-03-02 09:03:00,,Forms,1e308,answered,b\n"
    )
    batch = batch_process(batch_create(source=source, file=bad, enqueue=False).pk)
    empty = tmp_path / "forms-week-49.csv"
    empty.write_text(HEADER)
    batch_process(batch_create(source=source, file=empty, enqueue=False).pk)

    page.goto(f"{live_server.url}/measurements/imports/")
    assert "Loaded · 2 of 3 rows rejected (67 %)" in page.locator("main").inner_text()
    assert "Loaded · 0 data lines" in page.locator("main").inner_text()
    screenshot("ingest-reject-share-imports")
    page.goto(f"{live_server.url}/measurements/imports/{batch.pk}/")
    assert page.locator("#rejects").inner_text().count("outside 1990–2100") == 1
    page.goto(f"{live_server.url}/measurements/monitor/")
    alerts = page.locator("#alerts").inner_text()
    assert (
        "Web forms: forms-week-48.csv — 2 of 3 rows rejected (66.7 %), above the "
        "source's limit of 10 %" in alerts
    )
    screenshot("ingest-reject-share-monitor")
