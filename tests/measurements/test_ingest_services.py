"""Import batches through the services: loading, rollups, idempotency, atomicity, bad input."""
import csv
import io
import json
import os

import pytest
from django.core.management import call_command
from django.db.models import Sum

from measurements.constants import BatchStatus
from measurements.models import (
    AgentState,
    Contact,
    DataSource,
    ImportBatch,
    IntervalStat,
    RejectedRow,
    Segment,
    SurveyResponse,
)
from measurements.services.ingest import (
    UploadTooLarge,
    batch_create,
    batch_process,
    batch_retry,
    drop_folder_scan,
    rejects_csv,
    source_create,
)
from pathways.models import Queue

from . import samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(centre):
    return source_create(centre=centre, name="Bank ACD", kind="acd_ivr",
                         export_format="anonymous_bank", time_zone="Asia/Jerusalem")


@pytest.fixture(autouse=True)
def _on_commit(django_capture_on_commit_callbacks):
    """Run the enqueued (eager) ingest task as the real commit would."""
    global _capture
    _capture = django_capture_on_commit_callbacks


def _load(source, path, fmt=None):
    with _capture(execute=True):
        batch = batch_create(source=source, file=path, export_format=fmt)
    return ImportBatch.objects.get(pk=batch.pk)


def test_batch_loads_contacts_segments_rejects_and_rollups(source, tmp_path):
    batch = _load(source, samples.ab_file(tmp_path))
    assert batch.status == BatchStatus.LOADED, batch.error
    assert (batch.rows_read, batch.rows_skipped, batch.rows_rejected) == (15, 1, 2)
    assert batch.contacts_loaded == Contact.objects.count() == 12
    assert batch.segments_loaded == Segment.objects.count()
    assert {r.line for r in RejectedRow.objects.filter(batch=batch)} == {12, 15}
    codes = {n["code"] for n in batch.notes}
    assert {"phantom", "negative_vru_time", "no_server_agent", "dst_local_time"} <= codes
    assert set(Queue.objects.values_list("code", "kind")) == {("VRU", "ivr"), ("ACD", "acd")}
    totals = IntervalStat.objects.aggregate(
        offered=Sum("offered"), answered=Sum("answered"), abandoned=Sum("abandoned"),
        handled=Sum("handled"), talk=Sum("talk_s"), ivr=Sum("ivr_sessions"),
        ivr_abandoned=Sum("ivr_abandoned"), le_20=Sum("answered_le_20s"))
    # offered: served by a named agent (5, one straight to the agent) + abandoned in queue (3)
    assert totals == {"offered": 8, "answered": 5, "abandoned": 3, "handled": 5,
                      "talk": 54 + 394 + 0 + 111 + 60, "ivr": 12, "ivr_abandoned": 3,
                      "le_20": 3}
    row = IntervalStat.objects.get(queue__code="ACD", interval_start__hour=6,
                                   interval_start__minute=0, interval_start__day=1,
                                   interval_start__month=1)
    # local to the centre (Europe/London), not to the source's export zone (Asia/Jerusalem)
    assert (row.local_minute, row.customer_segment, row.contact_type) == (360, "priority", "PS")
    assert row.wait_answered_s == 17


def test_same_file_twice_is_a_duplicate_and_loads_nothing(source, tmp_path):
    path = samples.ab_file(tmp_path)
    first = _load(source, path)
    second = _load(source, path)
    assert second.status == BatchStatus.DUPLICATE
    assert f"#{first.pk}" in second.notes[0]["action"]
    assert Contact.objects.count() == 12
    assert IntervalStat.objects.aggregate(n=Sum("offered"))["n"] == 8


def test_overlapping_export_replaces_the_contacts_it_contains(source, tmp_path):
    rows = samples.AB_ROWS
    _load(source, samples.ab_file(tmp_path, rows[:4], "part1.tsv"))
    # the second export repeats calls 2 and 3 (call 3 now served) and adds call 5
    served = rows[3 - 1].replace("HANG\t0:00:00\t0:00:00\t0\tNO_SERVER",
                                 "AGENT\t8:23:09\t8:25:09\t120\tMICHAL")
    batch = _load(source, samples.ab_file(tmp_path, [rows[1], served, rows[4]], "part2.tsv"))
    assert batch.contacts_replaced == 2
    assert Contact.objects.count() == 4
    assert Contact.objects.get(external_id="AA0101:3").outcome == "handled"
    assert Segment.objects.filter(contact__external_id="AA0101:3").count() == 3
    totals = IntervalStat.objects.aggregate(offered=Sum("offered"), answered=Sum("answered"),
                                            ivr=Sum("ivr_sessions"))
    assert totals == {"offered": 2, "answered": 2, "ivr": 4}


def test_a_failure_during_loading_leaves_nothing_and_the_batch_can_be_retried(
        source, tmp_path, monkeypatch):
    from measurements.services import ingest as service

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    for name in ("rollup_merge", "rollup_rebuild"):  # whichever the batch takes
        monkeypatch.setattr(service, name, broken)
    batch = _load(source, samples.ab_file(tmp_path))
    assert batch.status == BatchStatus.FAILED
    assert "disk full" in batch.error
    assert Contact.objects.count() == Segment.objects.count() == IntervalStat.objects.count() == 0
    assert RejectedRow.objects.count() == 0
    monkeypatch.undo()
    with _capture(execute=True):
        batch_retry(batch.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.LOADED
    assert batch.attempts == 2
    assert Contact.objects.count() == 12
    assert batch_process(batch.pk).contacts_loaded == 12  # a loaded batch is left alone
    assert Contact.objects.count() == 12


@pytest.mark.parametrize(("content", "message"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "expected a text file, found binary data"),
    (samples.AB_HEADER.replace("\t", ";").encode() + b"\n1;2\n", "expected tab-separated"),
    (b"vru+line\tcall_id\n1\t2\n", "expected the Anonymous Bank columns"),
    ((samples.AB_HEADER + "\n").encode("utf-16"), "found UTF-16"),
])
def test_bad_files_fail_fast_with_a_message_and_load_nothing(source, tmp_path, content, message):
    path = tmp_path / "export.tsv"
    path.write_bytes(content)
    batch = _load(source, path)
    assert batch.status == BatchStatus.FAILED
    assert message in batch.error
    assert "export.tsv" in batch.error
    assert Contact.objects.count() == 0


def test_connect_records_in_wrong_encoding_fail_fast(centre, tmp_path):
    src = source_create(centre=centre, name="Connect", kind="acd_ivr",
                        export_format="amazon_connect", time_zone="UTC")
    path = tmp_path / "ctr.json"
    path.write_bytes(samples.CONNECT_LINES[0].replace("VOICE", "VOIX é").encode("latin-1"))
    batch = _load(src, path)
    assert batch.status == BatchStatus.FAILED
    assert "expected text encoded as utf-8" in batch.error


def test_oversize_upload_is_refused_with_the_limit(source, tmp_path, settings):
    settings.CONTACTMIS_MAX_UPLOAD_BYTES = 100
    with pytest.raises(UploadTooLarge, match="over the upload limit of 0 MB"):
        batch_create(source=source, file=samples.ab_file(tmp_path))
    assert ImportBatch.objects.count() == 0


def test_asterisk_open_call_is_completed_by_the_next_file(centre, tmp_path):
    src = source_create(centre=centre, name="PBX", kind="acd",
                        export_format="asterisk_queue_log", time_zone="UTC")
    (tmp_path / "q1").write_text(samples.QUEUE_LOG_1)
    (tmp_path / "q2").write_text(samples.QUEUE_LOG_2)
    first = _load(src, tmp_path / "q1")
    assert first.status == BatchStatus.LOADED, first.error
    assert not Contact.objects.filter(external_id="103").exists()
    assert AgentState.objects.filter(state="paused", reason="lunch").count() == 1
    second = _load(src, tmp_path / "q2")
    assert second.status == BatchStatus.LOADED, second.error
    assert Contact.objects.get(external_id="103").outcome == "handled"
    assert Contact.objects.count() == 5
    legs = Segment.objects.filter(contact__external_id="100").order_by("seq")
    assert [s.queue.code for s in legs] == ["support", "support", "sales", "sales"]
    stats = IntervalStat.objects.aggregate(offered=Sum("offered"), transfers=Sum("transfers"),
                                           flowed=Sum("flowed_out"))
    assert stats == {"offered": 6, "transfers": 1, "flowed": 2}
    from measurements.models import AgentIntervalStat

    per_agent = {code: AgentIntervalStat.objects.filter(agent__code=code).aggregate(
        handled=Sum("handled"), talk=Sum("talk_s"), staffed=Sum("staffed_s"))
        for code in ("Agent/1001", "Agent/1002")}
    assert per_agent["Agent/1001"] == {"handled": 2, "talk": 80 + 240, "staffed": 3600}
    assert per_agent["Agent/1002"]["handled"] == 1
    assert per_agent["Agent/1002"]["talk"] == 289
    # The queue_log has logins and pauses only: busy = talk + hold of the agent's calls,
    # available = logged in − paused − busy (occupancy 320 / 3600).
    occupancy = AgentIntervalStat.objects.filter(agent__code="Agent/1001").aggregate(
        busy=Sum("busy_s"), available=Sum("available_s"))
    assert occupancy == {"busy": 80 + 240, "available": 3600 - 320}


def test_interval_report_goes_straight_into_rollups(centre, tmp_path):
    src = source_create(centre=centre, name="CMS", kind="acd", export_format="interval_report",
                        time_zone="Europe/London")
    (tmp_path / "cms.csv").write_text(samples.INTERVAL_CSV)
    batch = _load(src, tmp_path / "cms.csv")
    assert batch.status == BatchStatus.LOADED, batch.error
    assert batch.intervals_loaded == 3 and batch.rows_rejected == 1
    row = IntervalStat.objects.get(queue__code="Sales", local_minute=9 * 60)
    assert (row.interval_s, row.offered, row.answered_le_20s, row.handled) == (1800, 40, 30, 35)
    again = tmp_path / "cms2.csv"
    again.write_text(samples.INTERVAL_CSV + "2026-03-02,10:30,Sales,1,1,0,1,20,60,0,10,5\n")
    _load(src, again)
    assert IntervalStat.objects.filter(queue__code="Sales").aggregate(n=Sum("offered"))["n"] == 91


def test_generic_chat_and_survey_link_to_contacts(centre, tmp_path):
    chat = source_create(centre=centre, name="Chat", kind="web", export_format="generic",
                         time_zone="Europe/London", column_mapping=samples.CHAT_MAPPING)
    (tmp_path / "chats.csv").write_text(samples.CHAT_CSV)
    batch = _load(chat, tmp_path / "chats.csv")
    assert batch.status == BatchStatus.LOADED, batch.error
    assert Queue.objects.get(code="Chat-EN").channel == "chat"
    assert IntervalStat.objects.aggregate(n=Sum("offered"))["n"] == 3
    survey = source_create(centre=centre, name="Survey", kind="survey", export_format="survey",
                           time_zone="Europe/London")
    (tmp_path / "survey.csv").write_text(samples.SURVEY_CSV.replace("100,", "ch-1,"))
    batch = _load(survey, tmp_path / "survey.csv")
    assert (batch.surveys_loaded, batch.surveys_unmatched, batch.rows_rejected) == (2, 1, 1)
    assert SurveyResponse.objects.get(external_id="r-1").contact.external_id == "ch-1"
    assert SurveyResponse.objects.get(external_id="r-2").contact is None


def test_survey_responses_loaded_before_their_contacts_are_linked_when_the_contacts_arrive(
        centre, tmp_path):
    survey = source_create(centre=centre, name="Survey", kind="survey", export_format="survey",
                           time_zone="Europe/London")
    (tmp_path / "survey.csv").write_text(samples.SURVEY_CSV.replace("100,", "ch-1,"))
    batch = _load(survey, tmp_path / "survey.csv")
    assert (batch.surveys_loaded, batch.surveys_unmatched) == (2, 2)
    chat = source_create(centre=centre, name="Chat", kind="web", export_format="generic",
                         time_zone="Europe/London", column_mapping=samples.CHAT_MAPPING)
    (tmp_path / "chats.csv").write_text(samples.CHAT_CSV)
    batch = _load(chat, tmp_path / "chats.csv")
    assert batch.status == BatchStatus.LOADED, batch.error
    assert SurveyResponse.objects.get(external_id="r-1").contact.external_id == "ch-1"
    assert SurveyResponse.objects.get(external_id="r-2").contact is None  # no such contact
    assert {"code": "surveys_linked", "count": 1}.items() <= next(
        n for n in batch.notes if n["code"] == "surveys_linked").items()
    # Loading the same contacts again (an overlapping export) keeps the link.
    (tmp_path / "chats-again.csv").write_text(samples.CHAT_CSV + "\n")
    assert _load(chat, tmp_path / "chats-again.csv").contacts_replaced > 0
    assert SurveyResponse.objects.get(external_id="r-1").contact.external_id == "ch-1"


def test_generic_source_needs_a_usable_mapping(centre):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="the “arrived_at” column is required"):
        source_create(centre=centre, name="CRM", kind="crm", export_format="generic",
                      time_zone="UTC", column_mapping={"columns": {"external_id": "id"}})


def test_rejects_csv_neutralises_formulas(centre, tmp_path):
    src = source_create(centre=centre, name="Survey", kind="survey", export_format="survey",
                        time_zone="UTC")
    path = tmp_path / "survey.csv"
    path.write_text("Response ID,Call ID,CSAT\nr-1,=cmd|' /C calc'!A0,9\n")
    batch = _load(src, path)
    out = io.StringIO()
    rejects_csv(batch, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["line", "field", "reason", "raw"]
    assert rows[1][0] == "2"
    assert rows[1][3].startswith("'r-1") or rows[1][3].startswith("r-1")
    assert all(not cell.startswith("=") for row in rows for cell in row)


def test_ingest_command_prints_a_json_summary_per_file(centre, tmp_path):
    path = samples.ab_file(tmp_path)
    out = io.StringIO()
    call_command("ingest", str(path), "--format", "anonymous_bank", "--source", "AB",
                 "--timezone", "Asia/Jerusalem", "--json", stdout=out)
    summary = json.loads(out.getvalue().splitlines()[0])
    assert summary["status"] == "loaded"
    assert (summary["rows_read"], summary["contacts_loaded"], summary["rows_rejected"]) == \
        (15, 12, 2)
    assert set(summary) == {"batch_id", "file", "format", "rows_read", "contacts_loaded",
                            "segments_loaded", "rows_rejected", "duplicates_skipped", "status",
                            "error"}
    assert DataSource.objects.get(name="AB").time_zone == "Asia/Jerusalem"


def _written_ago(path, seconds):
    """Set the file's modification time ``seconds`` before the suite's clock (the machine's own
    clock may be anywhere)."""
    from django.utils import timezone

    stamp = timezone.now().timestamp() - seconds
    os.utime(path, (stamp, stamp))


def test_drop_folder_files_are_picked_up_once_and_moved(source, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    source.drop_folder = str(folder)
    source.save()
    samples.ab_file(folder, name="jan.tsv")
    (folder / "broken.tsv").write_bytes(b"\x00\x01binary")
    (folder / "writing.tsv").write_text("still being written")
    _written_ago(folder / "jan.tsv", 60)
    _written_ago(folder / "broken.tsv", 60)
    _written_ago(folder / "writing.tsv", 2)
    batches = drop_folder_scan(source, settle_s=5)
    assert sorted(b.status for b in batches) == ["failed", "loaded"]
    assert (folder / "writing.tsv").exists()  # changed 2 s ago: left for the next scan
    assert (folder / "done" / "jan.tsv").exists()
    assert (folder / "failed" / "broken.tsv").exists()
    (folder / "writing.tsv").unlink()
    assert drop_folder_scan(source, settle_s=0) == []


def test_anonymous_bank_real_month_loaded_counts_by_outcome(centre, anonymous_bank_dir):
    src = source_create(centre=centre, name="AB", kind="acd_ivr",
                        export_format="anonymous_bank", time_zone="Asia/Jerusalem")
    path = anonymous_bank_dir / "1999-02.tsv"
    raw = {"handled": 0, "abandoned": 0, "error": 0}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["outcome"] == "HANG":
                raw["abandoned"] += 1
            elif row["outcome"] == "AGENT":
                raw["handled" if row["server"] != "NO_SERVER" else "error"] += 1
    batch = _load(src, path)
    assert batch.status == BatchStatus.LOADED, batch.error
    loaded = dict(Contact.objects.values_list("outcome").annotate(n=__import__(
        "django.db.models", fromlist=["Count"]).Count("id")))
    assert loaded == raw
    stats = IntervalStat.objects.aggregate(answered=Sum("answered"), ivr=Sum("ivr_sessions"))
    assert stats == {"answered": raw["handled"], "ivr": sum(raw.values())}


def test_bulk_load_defers_the_quality_checks(source, tmp_path, monkeypatch):
    from measurements import tasks
    from measurements.services.ingest import batch_process, quality_checks_deferred

    calls = []
    monkeypatch.setattr(tasks.quality_after_import, "delay", calls.append)
    first = batch_create(source=source, file=samples.ab_file(tmp_path), enqueue=False)
    with quality_checks_deferred(), _capture(execute=True):
        assert batch_process(first.pk).status == BatchStatus.LOADED
    assert calls == []  # the bulk loader runs the checks once at the end
    pbx = source_create(centre=source.centre, name="PBX", kind="acd",
                        export_format="asterisk_queue_log", time_zone="UTC")
    (tmp_path / "q1").write_text(samples.QUEUE_LOG_1)
    second = batch_create(source=pbx, file=tmp_path / "q1", enqueue=False)
    with _capture(execute=True):
        assert batch_process(second.pk).status == BatchStatus.LOADED
    assert calls == [second.pk]


def test_watch_folder_command_scans_once(source, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    source.drop_folder = str(folder)
    source.save()
    samples.ab_file(folder, name="feb.tsv")
    _written_ago(folder / "feb.tsv", 60)
    out = io.StringIO()
    call_command("watch_folder", "--once", "--settle", "0", stdout=out)
    assert "feb.tsv → batch" in out.getvalue() and "loaded (12 contacts, 2 rejected)" in \
        out.getvalue()
    assert (folder / "done" / "feb.tsv").exists()


def test_scan_drop_folders_task_is_scheduled():
    from contactmis.celery import app

    entry = app.conf.beat_schedule["ingest-drop-folders"]
    assert entry["task"] == "measurements.tasks.scan_drop_folders"
    assert entry["options"]["expires"] > 0


def test_drop_folders_are_watched_through_the_minute(source, tmp_path):
    # A file dropped while the minute's task is already running is loaded within a scan
    # interval, not at the next minute.
    import threading

    from measurements.tasks import scan_drop_folders

    folder = tmp_path / "drop"
    folder.mkdir()
    source.drop_folder = str(folder)
    source.save()
    staging = tmp_path / "staging"
    staging.mkdir()
    samples.ab_file(staging, name="mar.tsv")
    _written_ago(staging / "mar.tsv", 60)
    timer = threading.Timer(0.3, lambda: (staging / "mar.tsv").rename(folder / "mar.tsv"))
    timer.start()
    ids = scan_drop_folders.delay(duration_s=1.5, interval_s=0.1).get()
    timer.join()
    assert len(ids) == 1
    assert ImportBatch.objects.get(pk=ids[0]).status == BatchStatus.LOADED
    assert (folder / "done" / "mar.tsv").exists()


def test_a_folder_another_worker_is_scanning_is_left_to_it(source, tmp_path):
    from django.core.cache import cache

    from measurements.services.drop_folders import _claim_key, drop_folders_scan

    folder = tmp_path / "drop"
    folder.mkdir()
    source.drop_folder = str(folder)
    source.save()
    samples.ab_file(folder, name="apr.tsv")
    _written_ago(folder / "apr.tsv", 60)
    cache.set(_claim_key(source.pk), "another worker", 60)
    try:
        assert drop_folders_scan(settle_s=0) == []
        assert (folder / "apr.tsv").exists()
    finally:
        cache.delete(_claim_key(source.pk))
    assert [b.status for b in drop_folders_scan(settle_s=0)] == ["loaded"]
    assert cache.get(_claim_key(source.pk)) is None  # released after the scan
