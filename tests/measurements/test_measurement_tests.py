"""Measurement tests: each kind, a deliberately wrong measurement, the sandbox, bad data sets,
deleting a data source, and the run after an import."""
import datetime as dt

import pytest
from django.core.files.base import ContentFile

from measurements.ingest import scripted
from measurements.models import (
    Contact,
    DataSource,
    ImportBatch,
    IntervalStat,
    MeasurementTest,
    RunStatus,
    Segment,
)
from measurements.models import TestRun as Run
from measurements.services.testing import (
    expected_parse,
    measurement_test_run,
    measurement_test_save,
)

from .quality_fixtures import EXPECTED, SCRIPT

pytestmark = pytest.mark.django_db
_save = measurement_test_save


def _known(centre, config, script=SCRIPT, expected=EXPECTED, **kw):
    return _save(MeasurementTest(centre=centre, name="Billing SL", kind="known_answer",
                                     config=config, script=script, expected=expected, **kw))


def test_scripted_parser_reads_every_clause():
    contacts = scripted.parse(SCRIPT)
    assert len(contacts) == 5
    first = contacts[0]
    assert (first.ivr_s, first.ivr_option, first.queue, first.wait_s, first.queue_end,
            first.agent, first.talk_s, first.agent_end) == (20, "2", "Billing", 10, "answered",
                                                            "ann", 180, "transferred")
    assert contacts[4].ivr_end == "contained" and contacts[4].queue == ""
    assert contacts[0].arrived == dt.datetime(2026, 3, 2, 9, 0, 5)  # noqa: DTZ001 - local clock


@pytest.mark.parametrize(("text", "line", "reason"), [
    ("date 2026-03-02\n9:00 queue Billing ten; answered", 2, "expected a duration like"),
    ("date 2026-03-02\n# c\n09:00:00 IVR 5s; answered", 3, "before any “queue"),
    ("date 2026-03-02\n09:00:00 queue Billing 5s", 2, "say how it ended"),
    ("date 2026-13-02\n09:00:00 IVR 5s", 1, "is not a date"),
    ("date 2026-03-02\nnine o'clock IVR", 2, "starts with its arrival time"),
    ("date 2026-03-02\n09:00:00 IVR 5s; dance", 2, "unknown clause “dance”"),
    ("09:00:00 IVR 5s", 1, "no date"),
])
def test_scripted_parser_names_line_and_reason(text, line, reason):
    with pytest.raises(scripted.ScriptError) as err:
        scripted.parse(text, "my script")
    assert err.value.line == line
    assert reason in str(err.value)
    assert f"my script, line {line}" in str(err.value)


def test_expected_figures_parse_with_line_numbers():
    assert expected_parse("service_level = 33.3 %\n\noffered=4") == {"service_level": 33.3,
                                                                     "offered": 4.0}
    with pytest.raises(ValueError, match="line 2: “many” is not a number"):
        expected_parse("offered = 4\nanswered = many")


def test_known_answer_passes_with_hand_computed_figures(centre, billing, manager):
    test = _known(centre, billing["config"])
    run = measurement_test_run(test, user=manager)
    assert run.status == RunStatus.PASSED, run.comparisons
    got = {c["figure"]: c["actual"] for c in run.comparisons}
    assert got["service_level"] == pytest.approx(33.3333, abs=1e-3)
    assert got["offered"] == 4 and got["transfers"] == 1 and got["asa"] == 22.5
    assert run.ran_by == manager and run.period_start is not None
    assert "threshold_s=20" in run.comparisons[0]["detail"]


def test_known_answer_catches_a_wrong_threshold(centre, billing):
    """The expected figures assume T = 20 s; a configuration measuring at 45 s must fail, with
    both numbers shown."""
    config = billing["config"]
    config.parameters = {"threshold_s": 45}
    config.save()
    run = measurement_test_run(_known(centre, config))
    assert run.status == RunStatus.FAILED
    wrong = [c for c in run.comparisons if not c["ok"]]
    assert [c["figure"] for c in wrong] == ["service_level"]
    assert wrong[0]["expected"] == 33.33 and wrong[0]["actual"] == pytest.approx(66.6667, 1e-3)
    assert "threshold_s=45" in wrong[0]["detail"]
    assert "1 of 8 figure(s) differ" in run.message


def test_sandbox_never_touches_live_data(centre, billing, tmp_path):
    """Live contacts, legs, rollups, batches and sources are exactly as before, the sandbox's
    rows are gone, and no import-triggered work was queued for the sandbox."""
    from measurements.services.ingest import batch_create, batch_process

    live = DataSource.objects.create(centre=centre, name="ACD", kind="acd_ivr",
                                     time_zone=centre.time_zone)
    path = tmp_path / "live.txt"
    path.write_text(SCRIPT.replace("2026-03-02", "2026-03-03"))
    batch_process(batch_create(source=live, file=path, export_format="scripted_contacts",
                               enqueue=False).pk)

    def snapshot():
        return (list(Contact.objects.values_list("pk", "source_id", "external_id", "outcome")),
                list(Segment.objects.values_list("pk", "contact_id", "wait_s")),
                list(IntervalStat.objects.values_list("pk", "source_id", "offered",
                                                      "answered_le_20s")),
                list(ImportBatch.objects.values_list("pk", "status")),
                list(DataSource.objects.values_list("pk", "name")))

    before = snapshot()
    assert before[0], "live data is loaded"
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        run = measurement_test_run(_known(centre, billing["config"]))
    assert run.status == RunStatus.PASSED
    assert snapshot() == before
    # The sandbox really ran the pipeline (inserted rows) and then rolled them back.
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "INSERT INTO measurements_contact" in sql and "ROLLBACK TO SAVEPOINT" in sql.upper()
    assert not DataSource.objects.filter(name__startswith="sandbox").exists()


def test_known_answer_from_an_uploaded_export(centre, billing):
    """A data set in another supported format (an interval report CSV) loads in the sandbox."""
    csv = ("interval_start,queue,offered,answered,abandoned,answered_within_threshold,"
           "threshold_s,wait_answered_s\n"
           "2026-03-02 09:00,Billing,10,8,2,6,20,120\n"
           "2026-03-02 09:15,Billing,10,9,1,9,20,60\n")
    test = MeasurementTest(centre=centre, name="Interval report", kind="known_answer",
                           config=billing["config"],
                           expected={"offered": 20, "answered": 17, "answered_le_20s": 15})
    test.dataset.save("report.csv", ContentFile(csv.encode()), save=False)
    test.dataset_name = "report.csv"
    measurement_test_save(test)
    run = measurement_test_run(test)
    assert run.status == RunStatus.PASSED, (run.message, run.comparisons)


def test_bad_known_answer_data_set_is_errored_with_file_line_and_reason(centre, billing):
    bad = ("interval_start,queue,offered,answered,abandoned\n"
           "2026-03-02 09:00,Billing,10,8,2\n"
           "2026-03-02 09:15,Billing,ten,9,1\n")
    test = MeasurementTest(centre=centre, name="Broken", kind="known_answer",
                           config=billing["config"], expected={"offered": 20})
    test.dataset.save("broken.csv", ContentFile(bad.encode()), save=False)
    test.dataset_name = "broken.csv"
    measurement_test_save(test)
    run = measurement_test_run(test)
    assert run.status == RunStatus.ERRORED
    assert "broken.csv" in run.message and "line 3" in run.message, run.message
    assert run.comparisons == []
    assert not Contact.objects.exists() and not IntervalStat.objects.exists()


def test_unreadable_known_answer_file_is_errored_not_failed(centre, billing):
    test = MeasurementTest(centre=centre, name="Binary", kind="known_answer",
                           config=billing["config"], expected={"offered": 1})
    test.dataset.save("calls.csv", ContentFile(b"PK\x03\x04\x00\x00binary"), save=False)
    test.dataset_name = "calls.csv"
    measurement_test_save(test)
    run = measurement_test_run(test)
    assert run.status == RunStatus.ERRORED and "calls.csv" in run.message


def test_script_errors_are_refused_when_saving(centre, billing):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as err:
        _known(centre, billing["config"], script="date 2026-03-02\n09:00 queue Billing 5")
    assert "Line 2" in str(err.value.message_dict["script"])


def _live(centre, script):
    from measurements.services.ingest import batch_create, batch_process

    source = DataSource.objects.create(centre=centre, name="ACD", kind="acd_ivr",
                                       time_zone=centre.time_zone)
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "calls.txt"
        path.write_text(script)
        batch = batch_process(batch_create(source=source, file=path,
                                           export_format="scripted_contacts", enqueue=False).pk)
    assert batch.status == "loaded", batch.error
    return source, batch


def test_conservation_passes_then_catches_a_broken_rollup(centre, billing):
    source, _ = _live(centre, SCRIPT)
    test = _save(MeasurementTest(centre=centre, name="Conservation", kind="conservation",
                                     source=source, tolerance=0))
    assert measurement_test_run(test).status == RunStatus.PASSED
    IntervalStat.objects.filter(source=source, offered__gt=0).update(abandoned=0)
    run = measurement_test_run(test)
    assert run.status == RunStatus.FAILED
    bad = run.failures[0]
    assert "offered 4 ≠ answered 2 + abandoned 0 + flowed out 0 + still waiting 0" in bad["detail"]


def test_completeness_finds_intervals_missing_in_opening_hours(centre, billing):
    centre.opening_hours = {"0": [["09:00", "10:00"]]}  # 2026-03-02 is a Monday
    centre.save()
    source, _ = _live(centre, SCRIPT + "09:31:00 IVR 5s; self-service\n")
    test = _save(MeasurementTest(centre=centre, name="Complete", kind="completeness",
                                     source=source, tolerance=0))
    run = measurement_test_run(test)
    assert run.status == RunStatus.FAILED
    assert run.comparisons[0]["expected"] == 4 and run.comparisons[0]["actual"] == 2
    assert "2 missing" in run.comparisons[0]["detail"]
    test.tolerance = 2
    test.save()
    assert measurement_test_run(test).status == RunStatus.PASSED


def test_range_rules_find_long_waits_and_answers_without_agent(centre, billing):
    source, _ = _live(centre, SCRIPT)
    test = _save(MeasurementTest(centre=centre, name="Ranges", kind="range",
                                     source=source, tolerance=0, rules={"max_wait_s": 40}))
    run = measurement_test_run(test)
    assert run.status == RunStatus.FAILED
    by = {c["figure"]: c for c in run.comparisons}
    assert by["waits over 40 s"]["actual"] == 1  # the 50 s abandon
    assert by["answers without an agent"]["actual"] == 0
    Segment.objects.filter(kind="agent", agent__code="bob").update(agent=None)
    run = measurement_test_run(test)
    by = {c["figure"]: c for c in run.comparisons}
    assert by["answers without an agent"]["actual"] == 1
    assert "test-4" in by["answers without an agent"]["detail"]  # bob: line 4


def test_reconciliation_offered_versus_ivr_transfers(centre, billing):
    source, _ = _live(centre, SCRIPT)
    test = _save(MeasurementTest(centre=centre, name="ACD vs IVR",
                             kind="reconciliation", source=source,
                             reconcile="offered_vs_ivr", tolerance=0))
    run = measurement_test_run(test)
    assert run.status == RunStatus.PASSED, run.comparisons
    assert run.comparisons[0]["actual"] == 4 and run.comparisons[0]["expected"] == 4
    IntervalStat.objects.filter(source=source, offered__gt=0).update(offered=6)
    run = measurement_test_run(test)
    assert run.status == RunStatus.FAILED
    assert "offered (ACD) 6 vs IVR transfers to queue 4" in run.failures[0]["detail"]


def test_reconciliation_answered_versus_handled(centre, billing):
    source, _ = _live(centre, SCRIPT)
    test = _save(MeasurementTest(centre=centre, name="Answered vs handled",
                                     kind="reconciliation", source=source,
                                     reconcile="answered_vs_handled", tolerance=0))
    assert measurement_test_run(test).status == RunStatus.PASSED


def test_deleting_a_data_source_keeps_its_test_history(centre, billing):
    source = DataSource.objects.create(centre=centre, name="Old ACD", kind="acd",
                                       time_zone=centre.time_zone)
    test = _save(MeasurementTest(centre=centre, name="Old ACD complete",
                                     kind="completeness", source=source))
    run = measurement_test_run(test)
    assert run.status == RunStatus.ERRORED and "No data" in run.message
    source.delete()
    test.refresh_from_db()
    assert test.source is None and test.source_name == "Old ACD"
    assert Run.objects.get(pk=run.pk).source_name == "Old ACD"
    assert test.subject == "Old ACD"


def test_tests_run_after_every_import_for_the_period_it_touched(
        centre, billing, django_capture_on_commit_callbacks):
    from measurements.services.ingest import batch_create, batch_process

    source = DataSource.objects.create(centre=centre, name="ACD", kind="acd_ivr",
                                       time_zone=centre.time_zone)
    test = _save(MeasurementTest(centre=centre, name="Conservation", kind="conservation",
                                     source=source))
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "calls.txt"
        path.write_text(SCRIPT)
        batch = batch_create(source=source, file=path, export_format="scripted_contacts",
                             enqueue=False)
        with django_capture_on_commit_callbacks(execute=True):
            batch = batch_process(batch.pk)
    run = test.runs.get()
    assert run.status == RunStatus.PASSED
    assert run.trigger.startswith(f"after import #{batch.pk}")
    assert (run.period_start, run.period_end) == (batch.period_start, batch.period_end)


def test_quality_caveats_name_failing_tests_for_overlapping_periods(centre, billing):
    from contactmis.scope import Scope
    from measurements.selectors import quality_caveats

    config = billing["config"]
    config.parameters = {"threshold_s": 45}
    config.save()
    run = measurement_test_run(_known(centre, config))
    assert run.status == RunStatus.FAILED
    caveats = quality_caveats(Scope.everything(), dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert len(caveats) == 1 and "Billing SL" in caveats[0] and "failed" in caveats[0]
    assert quality_caveats(Scope.everything(), dt.date(2026, 5, 1), dt.date(2026, 5, 31)) == []
