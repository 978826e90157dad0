"""Data collection pages and API: sources, mapping set-up, uploads, batches, rejects."""
import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from measurements.models import DataSource, ImportBatch
from measurements.services.ingest import source_create

from . import samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(centre):
    return source_create(centre=centre, name="Bank ACD", kind="acd_ivr",
                         export_format="anonymous_bank", time_zone="Asia/Jerusalem")


@pytest.fixture(autouse=True)
def _run_on_commit(django_capture_on_commit_callbacks):
    global _capture
    _capture = django_capture_on_commit_callbacks


def _upload(name, content):
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content)


def test_empty_states(manager_client, centre):
    page = manager_client.get(reverse("measurements:source-list")).content.decode()
    assert "No data sources yet" in page
    page = manager_client.get(reverse("measurements:batch-list")).content.decode()
    assert "No data source to upload to" in page and "No imports yet" in page


def test_source_create_form_says_what_is_wrong(manager_client, centre):
    url = reverse("measurements:source-create")
    response = manager_client.post(url, {"name": "X", "kind": "acd", "export_format": "auto",
                                         "time_zone": "Mars/Olympus", "expected_cadence": "daily"})
    assert response.status_code == 200
    assert "is not a known IANA time zone" in response.content.decode()
    response = manager_client.post(url, {"name": "Chat", "kind": "web",
                                         "export_format": "generic", "time_zone": "UTC",
                                         "expected_cadence": "daily"})
    src = DataSource.objects.get(name="Chat")
    assert response.url == reverse("measurements:source-mapping", args=[src.pk])


def test_analyst_cannot_edit_sources_but_can_upload(analyst_client, source):
    assert analyst_client.get(reverse("measurements:source-create")).status_code == 403
    with _capture(execute=True):
        response = analyst_client.post(
            reverse("measurements:batch-upload"),
            {"source": source.pk, "export_format": "auto",
             "files": [_upload("a.tsv", samples.AB_HEADER + "\n" + samples.AB_ROWS[0] + "\n")]},
            HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    assert ImportBatch.objects.get().status == "loaded"


def test_viewer_gets_no_collection_pages(viewer_client, source):
    assert viewer_client.get(reverse("measurements:batch-list")).status_code == 404


def test_mapping_setup_with_a_preview_of_the_first_rows(manager_client, centre):
    src = source_create(centre=centre, name="Chat", kind="web", export_format="auto",
                        time_zone="Europe/London")
    url = reverse("measurements:source-mapping", args=[src.pk])
    assert "No sample yet" in manager_client.get(url).content.decode()
    manager_client.post(url, {"sample": _upload("chats.csv", samples.CHAT_CSV)})
    page = manager_client.get(url).content.decode()
    assert "<th>Conversation</th>" in page and "ch-1" in page
    form = {"col_external_id": "Conversation", "col_arrived_at": "", "duration_unit": "s",
            "channel": "chat", "queue_kind": "web", "outcome_values": "{bad json"}
    page = manager_client.post(url, form).content.decode()
    assert "Not valid JSON" in page
    assert "This field is required" in page
    form.update(col_arrived_at="Started", col_answered_at="Accepted", col_queue="Team",
                col_outcome="Status", datetime_format="%d/%m/%Y %H:%M:%S",
                outcome_values='{"Resolved": "handled", "Missed": "abandoned"}')
    response = manager_client.post(url, form)
    assert response.status_code == 302
    src.refresh_from_db()
    assert src.column_mapping["columns"]["queue"] == "Team"
    assert src.column_mapping["outcome_values"]["Missed"] == "abandoned"


def test_multi_file_upload_then_detail_progress_and_rejects_csv(manager_client, source,
                                                                tmp_path):
    rows = samples.AB_ROWS
    files = [_upload("one.tsv", samples.AB_HEADER + "\n" + "\n".join(rows) + "\n"),
             _upload("two.tsv", samples.AB_HEADER + "\n" + rows[0] + "\n")]
    with _capture(execute=True):
        response = manager_client.post(reverse("measurements:batch-upload"),
                                       {"source": source.pk, "export_format": "auto",
                                        "files": files}, HTTP_ACCEPT="application/json")
    body = response.json()
    assert [b["name"] for b in body["batches"]] == ["one.tsv", "two.tsv"]
    batch = ImportBatch.objects.get(original_name="one.tsv")
    progress = manager_client.get(reverse("measurements:batch-progress", args=[batch.pk]))
    data = progress.json()
    assert (data["status"], data["finished"], data["rows_rejected"]) == ("loaded", True, 2)
    page = manager_client.get(body["batches"][0]["url"]).content.decode()
    assert "negative_vru_time" in page and "Download all rejects" in page
    response = manager_client.get(reverse("measurements:batch-rejects-csv", args=[batch.pk]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert [r[0] for r in rows] == ["line", "12", "15"]
    listing = manager_client.get(reverse("measurements:batch-list")).content.decode()
    assert "one.tsv" in listing and "two.tsv" in listing


def test_upload_without_files_or_with_oversize_file_says_why(manager_client, source, settings):
    url = reverse("measurements:batch-upload")
    response = manager_client.post(url, {"source": source.pk, "export_format": "auto"},
                                   HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == ["Choose at least one file."]
    settings.CONTACTMIS_MAX_UPLOAD_BYTES = 50
    response = manager_client.post(url, {"source": source.pk, "export_format": "auto",
                                         "files": [_upload("big.tsv", "x" * 100)]},
                                   HTTP_ACCEPT="application/json")
    assert "big.tsv: 0.0 MB is over the upload limit" in response.json()["errors"][0]


def test_api_upload_returns_a_pollable_batch(api_client, manager, source,
                                             django_assert_max_num_queries):
    api_client.force_authenticate(manager)
    with _capture(execute=True):
        response = api_client.post("/api/v1/import-batches/", {
            "source": source.pk, "export_format": "anonymous_bank",
            "file": _upload("jan.tsv", samples.AB_HEADER + "\n" + "\n".join(samples.AB_ROWS))},
            format="multipart")
    assert response.status_code == 201, response.content
    batch_id = response.json()["id"]
    polled = api_client.get(f"/api/v1/import-batches/{batch_id}/").json()
    assert polled["status"] == "loaded" and polled["contacts_loaded"] == 12
    rejects = api_client.get(f"/api/v1/import-batches/{batch_id}/rejects/").json()
    assert [r["line"] for r in rejects["results"]] == [12, 15]
    with _capture(execute=True):
        again = api_client.post("/api/v1/import-batches/", {
            "source": source.pk, "file": _upload("jan-again.tsv", samples.AB_HEADER + "\n" +
                                                 "\n".join(samples.AB_ROWS))},
            format="multipart")
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    with django_assert_max_num_queries(6):
        listing = api_client.get("/api/v1/import-batches/")
    assert listing.json()["count"] == 2


def test_api_sources_manager_writes_analyst_reads(api_client, manager, analyst, centre):
    api_client.force_authenticate(analyst)
    assert api_client.post("/api/v1/data-sources/", {}, format="json").status_code == 403
    api_client.force_authenticate(manager)
    response = api_client.post("/api/v1/data-sources/", {
        "name": "CRM", "kind": "crm", "export_format": "generic", "time_zone": "UTC",
        "column_mapping": {"columns": {"external_id": "id"}}}, format="json")
    assert response.status_code == 400
    assert "arrived_at" in str(response.json())
    api_client.force_authenticate(analyst)
    assert api_client.get("/api/v1/data-sources/").status_code == 200


def test_home_panel_summarises_collection(manager_client, source, tmp_path):
    page = manager_client.get("/").content.decode()
    assert "Data collection" in page and "nothing imported yet" in page


def test_mapping_page_shows_the_saved_mapping_and_edits_from_it(manager_client, centre):
    src = source_create(centre=centre, name="Chat", kind="web", export_format="auto",
                        time_zone="Europe/London")
    src.column_mapping = {"columns": {"external_id": "Conversation", "arrived_at": "Started",
                                      "queue": "Team"},
                          "duration_unit": "min", "channel": "chat", "queue_kind": "web",
                          "delimiter": ";", "outcome_values": {"Missed": "abandoned"}}
    src.save()
    url = reverse("measurements:source-mapping", args=[src.pk])
    response = manager_client.get(url)
    page = response.content.decode()
    # The saved mapping, in words, without a sample uploaded again.
    assert "Saved mapping" in page
    assert "<td>Arrived at</td><td><code>Started</code></td>" in page
    assert "<td>Durations in</td><td>minutes</td>" in page
    assert "<td>Column separator</td><td>;</td>" in page
    assert "read as abandoned" in page
    # The form starts from it.
    form = response.context["form"]
    assert form["col_queue"].value() == "Team" and form["duration_unit"].value() == "min"
    assert ('<option value="Started" selected>Started</option>' in page)
    # Saving an edit keeps what the form does not edit (the separator).
    response = manager_client.post(url, {
        "col_external_id": "Conversation", "col_arrived_at": "Started", "col_queue": "",
        "duration_unit": "s", "channel": "chat", "queue_kind": "web", "queue": "CHAT"})
    assert response.status_code == 302
    src.refresh_from_db()
    assert src.column_mapping["delimiter"] == ";"
    assert src.column_mapping["columns"] == {"external_id": "Conversation",
                                             "arrived_at": "Started"}
    assert src.column_mapping["duration_unit"] == "s" and "outcome_values" not in \
        src.column_mapping


def test_agent_state_mapping_is_shown_not_edited_as_contacts(manager_client, centre):
    src = source_create(centre=centre, name="WFM", kind="wfm", export_format="auto",
                        time_zone="Europe/London")
    src.column_mapping = {"records": "agent_states",
                          "columns": {"agent": "Agent", "state": "Status",
                                      "started_at": "From", "ended_at": "To"},
                          "state_values": {"On contact": "busy"}}
    src.save()
    url = reverse("measurements:source-mapping", args=[src.pk])
    page = manager_client.get(url).content.decode()
    assert "read as agent states" in page and "<code>Status</code>" in page
    assert "File value “On contact”" in page and "Save mapping" not in page
    assert manager_client.post(url, {"col_external_id": "Agent"}).status_code == 404
    src.refresh_from_db()
    assert src.column_mapping["records"] == "agent_states"
