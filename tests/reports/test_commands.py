"""The ``kpis`` and ``staffing`` management commands: exact CLI and JSON fields, named errors."""
import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from measurements.models import DataSource
from pathways.models import Queue
from tests.reports.factories import interval_row

KPI_FIELDS = ["period_start", "offered", "answered", "abandoned", "short_abandoned",
              "answered_within_threshold", "service_level", "asa_s", "aht_s", "abandon_rate",
              "occupancy",
              "sl_threshold_s", "sl_basis", "targets"]


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def data(centre):
    sales = Queue.objects.create(centre=centre, code="SALES", name="Sales")
    support = Queue.objects.create(centre=centre, code="SUP", name="Support")
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=centre.tz)
    interval_row(centre, sales, start, talk_s=1600, hold_s=80, acw_s=320, wait_answered_s=80)
    interval_row(centre, support, start + dt.timedelta(days=1), offered=0, answered=0,
                 abandoned=0, within={5: 0}, abandoned_within={5: 0})
    return sales


@pytest.mark.django_db
def test_kpis_json_has_the_documented_fields(data):
    rows = json.loads(run("kpis", "--start", "2026-03-01", "--end", "2026-03-08"))
    assert [list(r) for r in rows] == [KPI_FIELDS, KPI_FIELDS]
    first = rows[0]
    assert first["period_start"] == "2026-03-02T00:00:00+00:00"
    assert (first["offered"], first["short_abandoned"], first["answered_within_threshold"]) == \
        (10, 1, 6)
    assert first["service_level"] == pytest.approx(6 / 9)
    assert first["aht_s"] == pytest.approx(2000 / 8)
    assert rows[1]["service_level"] is None  # nothing offered: empty, not 0
    assert (first["sl_threshold_s"], first["sl_basis"], first["targets"]) == (20, "20 s", {})
    assert rows[1]["sl_threshold_s"] is None  # nothing offered: judged at no threshold


@pytest.mark.django_db
def test_kpis_by_segment_timezone_variant_and_csv(data):
    rows = json.loads(run("kpis", "--start", "2026-03-01", "--end", "2026-03-08",
                          "--granularity", "week", "--by", "queue", "--timezone", "Asia/Tokyo",
                          "--sl-threshold", "5", "--sl-variant", "of_offered"))
    assert rows[0]["queue"] == "Sales"
    assert rows[0]["period_start"] == "2026-03-02T00:00:00+09:00"
    assert rows[0]["service_level"] == pytest.approx(3 / 10)
    assert rows[0]["sl_threshold_s"] == 5
    assert rows[0]["sl_basis"] == "5 s (chosen here, not the configured thresholds)"
    text = run("kpis", "--start", "2026-03-01", "--end", "2026-03-08", "--format", "csv",
               "--by", "queue")
    assert text.splitlines()[0] == ",".join(["period_start", "queue", *KPI_FIELDS[1:]])


@pytest.mark.django_db
def test_kpis_source_filter(data, centre):
    DataSource.objects.create(centre=centre, name="ACD")
    assert json.loads(run("kpis", "--start", "2026-03-01", "--end", "2026-03-08",
                          "--source", "ACD")) == []


@pytest.mark.django_db
@pytest.mark.parametrize(("args", "message"), [
    (["--start", "2026-03-08", "--end", "2026-03-01"], "--end must be after --start"),
    (["--start", "2026-3-1x", "--end", "2026-03-08"], "is not a date in YYYY-MM-DD form"),
    (["--start", "2026-03-01", "--end", "2026-03-08", "--by", "colour"], "--by “colour”"),
    (["--start", "2026-03-01", "--end", "2026-03-08", "--sl-threshold", "25"],
     "--sl-threshold 25 is not a wait bucket"),
    (["--start", "2026-03-01", "--end", "2026-03-08", "--timezone", "Mars/Base"],
     "--timezone “Mars/Base”"),
    (["--start", "2026-03-01", "--end", "2026-03-08", "--source", "Nope"], "--source “Nope”"),
])
def test_kpis_bad_options_are_named(data, args, message):
    with pytest.raises(CommandError, match=message):
        run("kpis", *args)


def test_staffing_json_matches_the_published_example():
    out = json.loads(run("staffing", "--calls", "100", "--interval-s", "1800", "--aht-s", "180",
                         "--threshold-s", "20", "--target-sl", "0.8", "--shrinkage", "0.3",
                         "--json"))
    assert list(out) == ["traffic_erlangs", "agents", "scheduled_agents", "prob_wait",
                         "service_level", "asa_s", "occupancy"]
    assert (out["traffic_erlangs"], out["agents"], out["scheduled_agents"]) == (10.0, 14, 20)
    assert out["service_level"] == pytest.approx(0.888, abs=1e-3)


def test_staffing_with_agents_and_patience_adds_abandon_prob():
    out = json.loads(run("staffing", "--calls", "100", "--interval-s", "1800", "--aht-s", "180",
                         "--threshold-s", "20", "--agents", "21", "--shrinkage", "0.3",
                         "--patience-s", "120", "--json"))
    assert out["agents"] == 21 and out["scheduled_agents"] == 30
    assert 0 <= out["abandon_prob"] < 0.01


@pytest.mark.parametrize(("args", "message"), [
    (["--shrinkage", "1.3", "--target-sl", "0.8"], "--shrinkage must be between 0 and 0.99"),
    (["--target-sl", "80"], "--target-sl must be between"),
    ([], "Give --agents, or a target"),
])
def test_staffing_bad_options_are_named(args, message):
    with pytest.raises(CommandError, match=message):
        run("staffing", "--calls", "100", "--interval-s", "1800", "--aht-s", "180",
            "--threshold-s", "20", "--json", *args)


@pytest.mark.django_db
def test_kpis_judge_each_queue_at_its_configured_threshold_with_the_plans_targets(centre):
    """Calls at the catalogue's 20 s and e-mails configured at 24 h: per channel each row names
    its threshold and its plan target; the whole-centre row counts each contact against its own
    queue's threshold (a ratio of sums) and names no single threshold."""
    from tests.reports.test_pages import _calls_and_emails
    from tests.stakeholders.factories import business_plan

    _calls_and_emails(centre)
    mail = Queue.objects.get(code="MAIL")
    business_plan(centre, dt.date(2026, 2, 18), [("service_level", 90, mail),
                                                 ("service_level", 80, None), ("asa", 25, None)])
    by_channel = {r["channel"]: r for r in json.loads(run(
        "kpis", "--start", "2026-02-18", "--end", "2026-02-19", "--by", "channel"))}
    assert by_channel["voice"]["sl_threshold_s"] == 20
    assert by_channel["voice"]["service_level"] == pytest.approx(6 / 9)
    assert by_channel["voice"]["targets"] == {"service_level": 0.8, "asa_s": 25.0}
    assert by_channel["email"]["sl_threshold_s"] == 86400
    assert by_channel["email"]["sl_basis"] == "24 h"
    assert by_channel["email"]["service_level"] == pytest.approx(1.0)
    assert by_channel["email"]["targets"]["service_level"] == pytest.approx(0.9)
    whole, = json.loads(run("kpis", "--start", "2026-02-18", "--end", "2026-02-19"))
    assert whole["sl_threshold_s"] is None
    assert whole["sl_basis"] == "each queue's own threshold"
    assert whole["service_level"] == pytest.approx((6 + 10) / (9 + 10))
    assert whole["asa_s"] is None  # seconds and hours are not averaged together
    assert whole["targets"] == {"service_level": 0.8, "asa_s": 25.0}
    overridden, = json.loads(run("kpis", "--start", "2026-02-18", "--end", "2026-02-19",
                                 "--sl-threshold", "20"))
    assert overridden["sl_threshold_s"] == 20
    assert overridden["service_level"] == pytest.approx((6 + 0) / (9 + 10))


@pytest.mark.django_db
def test_a_centre_wide_time_target_never_judges_channels_answered_in_hours(centre):
    """The plan's centre-wide ASA target of 25 s is about calls: e-mails, configured at 24 h,
    have no ASA target unless the plan gives them one."""
    from tests.reports.test_pages import _calls_and_emails
    from tests.stakeholders.factories import business_plan

    _calls_and_emails(centre)
    business_plan(centre, dt.date(2026, 2, 18), [("asa", 25, None), ("abandon_rate", 8, None)])
    rows = {r["channel"]: r for r in json.loads(run(
        "kpis", "--start", "2026-02-18", "--end", "2026-02-19", "--by", "channel"))}
    assert rows["voice"]["targets"] == {"asa_s": 25.0, "abandon_rate": 0.08}
    assert rows["email"]["targets"] == {"abandon_rate": 0.08}


@pytest.mark.django_db
@pytest.mark.parametrize("command", ["kpis", "queueing"])
def test_analysis_commands_read_their_period_the_same_way(data, command):
    for args, words in ((["--start", "9999-12-31", "--end", "2026-03-08"], "outside 1990–2100"),
                        (["--start", "2026-03-08", "--end", "2026-03-01"], "--end must be after"),
                        (["--start", "03/01/2026", "--end", "2026-03-08"], "not a date"),
                        (["--start", "2026-03-01", "--end", "2026-03-08", "--timezone", "Mars"],
                         "not an IANA time zone"),
                        (["--start", "2026-03-01", "--end", "2026-03-08", "--source", "nope"],
                         "no data source of that name")):
        with pytest.raises(CommandError, match=words):
            run(command, *args)
