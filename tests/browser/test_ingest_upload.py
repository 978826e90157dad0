"""In real Chromium: upload an export by drag-and-drop page, watch processing progress, open the
batch, download its rejects."""
import csv
import io
import threading

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_thread(monkeypatch, settings):
    """Run each enqueued batch in a background thread, as a worker process would: the page then
    polls a batch that is really being processed."""
    from django.db import connection, transaction

    from measurements.services import ingest as service

    settings.CONTACTMIS_INGEST_CHUNK_ROWS = 5000
    threads = []

    def run(batch_id):
        try:
            service.batch_process(batch_id)
        finally:
            connection.close()

    def enqueue(batch_id):
        def start():
            thread = threading.Thread(target=run, args=(batch_id,), daemon=True)
            threads.append(thread)
            thread.start()
        transaction.on_commit(start)

    monkeypatch.setattr(service, "_enqueue", enqueue)
    yield threads
    for thread in threads:
        thread.join(timeout=120)


@pytest.fixture
def export_file(anonymous_bank_dir, tmp_path):
    """One real month plus three broken rows (bad date, bad outcome, bad time)."""
    lines = (anonymous_bank_dir / "1999-04.tsv").read_text().splitlines()
    bad = lines[1].split("\t")
    broken = [
        "\t".join([*bad[:5], "990231", *bad[6:]]),
        "\t".join([*bad[:12], "=SUM(A1)", *bad[13:]]),
        "\t".join([*bad[:6], "25:99:00", *bad[7:]]),
    ]
    path = tmp_path / "bank-1999-04.tsv"
    path.write_text("\n".join([*lines, *broken]) + "\n")
    return path


def test_upload_watch_progress_open_batch_download_rejects(page, live_server, login, manager,
                                                            screenshot, worker_thread,
                                                            export_file):
    from contactmis.models import Centre
    from measurements.models import Contact, ImportBatch
    from measurements.services.ingest import source_create

    centre = Centre.objects.create(name="Anonymous Bank", time_zone="Asia/Jerusalem")
    source_create(centre=centre, name="Bank ACD/IVR", kind="acd_ivr",
                  export_format="anonymous_bank", time_zone="Asia/Jerusalem")
    login("manager", "manager-pass-2026")
    page.goto(f"{live_server.url}/measurements/imports/")
    screenshot("ingest-imports-empty")
    page.select_option("#id_source", label="Bank ACD/IVR")
    page.set_input_files("#id_files", str(export_file))
    assert "bank-1999-04.tsv" in page.locator("#chosen").inner_text()
    page.click("#upload-button")
    page.wait_for_function(
        "() => /imports\\/[0-9]+\\/$/.test(location.pathname) "
        "|| !document.querySelector('#upload-errors').hidden", timeout=60_000)
    assert page.url.rstrip("/").split("/")[-1].isdigit(), page.locator("body").inner_text()
    # processing progress: the counts grow while the batch is running
    page.wait_for_function(
        "() => Number(document.querySelector('[data-count=rows_read]').textContent) > 0 "
        "|| document.querySelector('#status .badge').dataset.status === 'loaded'",
        timeout=60_000)
    screenshot("ingest-batch-progress")
    # Loaded with 3 rows rejected: amber, with the share of rejected rows.
    page.wait_for_selector("#status .badge.warn[data-status=loaded]", timeout=120_000)
    page.wait_for_selector("#rejects")
    assert "3 of" in page.locator("#status .badge").inner_text()
    screenshot("ingest-batch-loaded")
    batch = ImportBatch.objects.get()
    assert batch.status == "loaded"
    assert batch.rows_rejected == 3
    assert Contact.objects.count() == batch.contacts_loaded > 30_000
    assert page.locator("[data-count=contacts_loaded]").inner_text() == \
        str(batch.contacts_loaded)
    assert "phantom" in page.locator("#notes").inner_text()

    with page.expect_download() as download_info:
        page.click("#rejects-csv")
    path = download_info.value.path()
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.reader(io.StringIO(fh.read())))
    assert rows[0] == ["line", "field", "reason", "raw"]
    assert [r[1] for r in rows[1:]] == ["date", "outcome", "vru_entry"]
    assert all(not cell.startswith("=") for row in rows for cell in row)

    page.goto(f"{live_server.url}/measurements/imports/")
    assert "bank-1999-04.tsv" in page.locator("#batches").inner_text()
    screenshot("ingest-imports-list")
    page.goto(f"{live_server.url}/measurements/sources/")
    screenshot("ingest-sources")
    page.goto(f"{live_server.url}/")
    assert "Data collection" in page.content()
    screenshot("ingest-home")


def test_column_mapping_set_up_with_a_preview(page, live_server, login, manager, screenshot,
                                              tmp_path, settings):
    from contactmis.models import Centre
    from measurements.models import DataSource
    from tests.measurements import samples

    settings.MEDIA_ROOT = tmp_path / "media"
    Centre.objects.create(name="Demo centre", time_zone="Europe/London")
    login("manager", "manager-pass-2026")
    page.goto(f"{live_server.url}/measurements/sources/new/")
    page.fill("#id_name", "Web chat")
    page.select_option("#id_kind", "web")
    page.select_option("#id_export_format", "generic")
    page.fill("#id_time_zone", "Europe/London")
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/mapping/")
    sample = tmp_path / "chats.csv"
    sample.write_text(samples.CHAT_CSV)
    page.set_input_files("#id_sample", str(sample))
    page.click("text=Show its first rows")
    page.wait_for_selector("table.preview")
    assert "ch-1" in page.locator("table.preview").inner_text()
    for field, column in (("external_id", "Conversation"), ("arrived_at", "Started"),
                          ("answered_at", "Accepted"), ("ended_at", "Closed"),
                          ("queue", "Team"), ("agent", "Agent"), ("outcome", "Status")):
        page.select_option(f"#id_col_{field}", column)
    page.fill("#id_datetime_format", "%d/%m/%Y %H:%M:%S")
    page.select_option("#id_channel", "chat")
    page.select_option("#id_queue_kind", "web")
    page.fill("#id_outcome_values", "{not json")
    page.click("text=Save mapping")
    assert "Not valid JSON" in page.locator("form.card").last.inner_text()
    screenshot("ingest-mapping-error")
    page.fill("#id_outcome_values", '{"Resolved": "handled", "Missed": "abandoned"}')
    page.click("text=Save mapping")
    page.wait_for_url("**/measurements/sources/")
    assert "mapped" in page.locator("table").inner_text()
    source = DataSource.objects.get(name="Web chat")
    assert source.column_mapping["columns"]["queue"] == "Team"
    page.goto(f"{live_server.url}/measurements/sources/{source.pk}/mapping/")
    screenshot("ingest-mapping")
