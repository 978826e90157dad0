"""The contact-centre simulator: plausible KPIs, shapes, DST, reproducibility and the export
formats the ingest adapters read. Simulates three weeks (spring DST change, Good Friday)."""
import csv
import hashlib
import json
import re
import time
from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from measurements.simulator import default_period, period_ending, simulate, write_exports
from measurements.simulator.demand import Calendar, public_holidays
from measurements.simulator.staffing import erlang_c_agents

START, END = date(2026, 3, 16), date(2026, 4, 5)  # includes 29 March (23 h) and Good Friday
ZONE = "Europe/London"


@pytest.fixture(scope="module")
def sim():
    began = time.perf_counter()
    result = simulate(START, END, seed=1)
    print(f"\nsimulated {len(result.calendar.days)} days, {len(result.contacts):,} contacts "
          f"in {time.perf_counter() - began:.2f} s")
    return result


@pytest.fixture(scope="module")
def exported(sim, tmp_path_factory):
    out = tmp_path_factory.mktemp("sim")
    began = time.perf_counter()
    manifest = write_exports(sim, out)
    print(f"\nwrote exports in {time.perf_counter() - began:.2f} s")
    return out, manifest


def _files(manifest, name):
    source = next(s for s in manifest["sources"] if s["name"] == name)
    return source, [f["path"] for f in source["files"]]


def _local(frame_t):
    return pd.to_datetime(pd.Series(frame_t), unit="s", utc=True).dt.tz_convert(ZONE)


# -- plausibility -------------------------------------------------------------------------

def test_blended_agents_take_up_back_office_work_and_come_back_to_waiting_callers():
    from measurements.simulator.engine import BACK_OFFICE

    small = simulate(date(2026, 3, 2), date(2026, 3, 8), seed=3, scale=0.12)
    log, legs = small.agent_log, small.legs
    teams = small.agents.set_index("agent_idx")["team"]
    blended = {t.name for t in small.config.teams if t.blended}
    pauses = log[(log["kind"] == "pause") & (log["detail"] == BACK_OFFICE)]
    assert len(pauses) > 100
    assert set(teams[pauses["agent_idx"]]) <= blended  # the e-mail team never blends
    # A recall: a caller queued, then a back-office agent unpaused within ~a minute and
    # answered a call in that same second.
    unpaused = log[(log["kind"] == "unpause") & (log["detail"] == BACK_OFFICE)]
    answered = legs[legs["outcome"].isin(["answered", "transferred"])]
    picked = set(zip(answered["agent_idx"].astype(int), answered["exit_t"].round(6),
                     strict=True))
    recalls = sum((int(a), round(t, 6)) in picked for a, t in zip(
        unpaused["agent_idx"], unpaused["t"], strict=True))
    assert recalls > 50
    # Small as it is, the centre runs at plausible occupancy on every blended line.
    for channel, system in (("voice", "asterisk"), ("voice", "connect"), ("chat", None)):
        kpi = small.kpis(channel, system)
        assert 0.70 <= kpi["occupancy"] <= 0.92, (channel, system, kpi["occupancy"])


def test_in_house_voice_kpis_are_plausible(sim):
    kpi = sim.kpis("voice", "asterisk")
    print(f"\nin-house voice: SL {kpi['service_level']:.1%}, abandon {kpi['abandon_rate']:.1%}, "
          f"occupancy {kpi['occupancy']:.1%}, AHT {kpi['aht_s']:.0f} s")
    assert 0.60 <= kpi["service_level"] <= 0.95
    assert 0.02 <= kpi["abandon_rate"] <= 0.15
    assert 0.70 <= kpi["occupancy"] <= 0.92
    assert 250 <= kpi["aht_s"] <= 600


def test_every_channel_has_contacts_and_the_vendor_queue_is_served(sim):
    per_day = len(sim.contacts) / len(sim.calendar.days)
    assert 900 <= per_day <= 1600
    assert set(sim.contacts["channel"]) == {"voice", "chat", "email", "web_form"}
    vendor = sim.kpis("voice", "connect")
    assert vendor["answered"] > 0.8 * vendor["offered"]


def test_ground_truth_counts_add_up(sim):
    qi = sim.queue_intervals
    assert (qi["answered"] + qi["abandoned"] + qi["flowed_out"] + qi["open"]
            == qi["offered"]).all()
    assert qi.loc[qi["channel"].isin(["email", "web_form"]), "abandoned"].sum() == 0
    assert (qi["answered_in_sl"] <= qi["answered"]).all()
    ti = sim.team_intervals
    assert (ti["busy_s"] + ti["paused_s"] <= ti["staffed_s"] + 1.0).all()
    assert (ti["staffed_s"] <= 900 * 200).all()


def test_ivr_contains_self_service_and_passes_the_rest_to_queues(sim):
    voice = sim.contacts[sim.contacts["channel"] == "voice"]
    share = voice["ivr_outcome"].value_counts(normalize=True)
    assert 0.08 <= share["self_served"] <= 0.25
    assert share["to_queue"] >= 0.6
    assert {"abandoned", "closed"} <= set(share.index)


def test_transfers_escalations_and_overflow_happen(sim):
    legs = sim.legs
    assert (legs["transfer_kind"] == "escalation").sum() > 50
    assert (legs["transfer_kind"] == "transfer").sum() > 50
    overflow = legs[legs["outcome"] == "overflowed"]
    assert len(overflow) > 0
    assert set(overflow["target"]) == {"Customer Service"}


# -- shapes ---------------------------------------------------------------------------------

def test_weekdays_are_busier_than_saturdays_and_sundays(sim):
    voice = sim.contacts[sim.contacts["channel"] == "voice"]
    local = _local(voice["arrived_t"])
    per_day = local.dt.date.value_counts()
    weekday = np.mean([n for d, n in per_day.items()
                       if d.weekday() < 5 and d not in sim.calendar.holidays])
    saturday = np.mean([n for d, n in per_day.items() if d.weekday() == 5])
    sunday = np.mean([n for d, n in per_day.items() if d.weekday() == 6])
    assert weekday > 1.6 * saturday > 1.6 * sunday


def test_voice_peaks_mid_morning_and_is_quiet_at_night(sim):
    voice = sim.contacts[sim.contacts["channel"] == "voice"]
    local = _local(voice["arrived_t"])
    weekday = local[(local.dt.day_of_week < 5)]
    by_hour = weekday.dt.hour.value_counts().reindex(range(24), fill_value=0)
    assert by_hour.idxmax() in (10, 11)
    assert by_hour[10] > 8 * by_hour[3]
    assert by_hour[14] > by_hour[8]


def test_annual_seasonality_peaks_in_winter_and_dips_in_august():
    from measurements.simulator.config import default_centre
    from measurements.simulator.demand import day_volumes

    cal = Calendar.build(date(2025, 1, 1), date(2025, 12, 31), ZONE)
    voice = default_centre().streams[0]
    forecast, actual = day_volumes(cal, voice, 0.0, np.random.default_rng(1))
    month = np.array([d.month for d in cal.days])
    monthly = {m: forecast[month == m].sum() / (month == m).sum() for m in range(1, 13)}
    assert monthly[1] > monthly[5] > monthly[8]
    assert monthly[1] > 1.15 * monthly[8]
    assert 0.85 < actual.sum() / forecast.sum() < 1.15


def test_good_friday_is_closed_for_agents(sim):
    good_friday = date(2026, 4, 3)
    assert good_friday in public_holidays(2026)
    legs = sim.legs[sim.legs["channel"] == "voice"]
    local_days = _local(legs["enter_t"]).dt.date
    assert (local_days == good_friday).sum() == 0
    voice = sim.contacts[sim.contacts["channel"] == "voice"]
    on_day = voice[_local(voice["arrived_t"]).dt.date == good_friday]
    assert len(on_day) > 0 and set(on_day["ivr_outcome"]) <= {"self_served", "closed",
                                                              "abandoned"}


def test_dst_days_have_23_and_25_hours_of_intervals():
    cal = Calendar.build(date(2026, 3, 28), date(2026, 3, 30), ZONE)
    assert list(np.bincount(cal.iv_day)) == [96, 92, 96]
    cal = Calendar.build(date(2026, 10, 24), date(2026, 10, 26), ZONE)
    assert list(np.bincount(cal.iv_day)) == [96, 100, 96]
    # the repeated hour appears twice in local minutes on the 25-hour day
    minutes = cal.iv_minute[cal.iv_day == 1]
    assert (minutes == 60).sum() == 2


def test_simulating_across_autumn_dst_keeps_contacts_on_their_local_day():
    result = simulate(date(2026, 10, 24), date(2026, 10, 26), seed=4)
    local = _local(result.contacts["arrived_t"]).dt.date
    assert set(local) == {date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)}


def test_sunday_has_no_agent_handled_voice_but_e_mail_still_arrives(sim):
    sunday = date(2026, 3, 22)
    legs = sim.legs
    day = _local(legs["enter_t"]).dt.date == sunday
    assert legs.loc[day & (legs["channel"] == "voice")].empty
    assert (legs.loc[day, "channel"] == "email").sum() > 10


# -- reproducibility ---------------------------------------------------------------------

def _digest(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_byte_identical_files_and_another_seed_does_not(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write_exports(simulate(date(2026, 5, 4), date(2026, 5, 10), seed=9), a)
    write_exports(simulate(date(2026, 5, 4), date(2026, 5, 10), seed=9), b)
    write_exports(simulate(date(2026, 5, 4), date(2026, 5, 10), seed=10), c)
    assert _digest(a) == _digest(b)
    assert _digest(a)["acd-asterisk/queue_log-2026-05.log"] != \
        _digest(c)["acd-asterisk/queue_log-2026-05.log"]


def test_scale_multiplies_volume():
    small = simulate(date(2026, 5, 4), date(2026, 5, 10), seed=2, scale=0.5)
    full = simulate(date(2026, 5, 4), date(2026, 5, 10), seed=2)
    assert 0.4 < len(small.contacts) / len(full.contacts) < 0.6


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="scale must be positive"):
        simulate(date(2026, 5, 4), date(2026, 5, 10), scale=0)
    with pytest.raises(ValueError, match="before start"):
        simulate(date(2026, 5, 10), date(2026, 5, 4))


# -- export formats -----------------------------------------------------------------------

QUEUE_LOG_EVENTS = {
    # event: number of data fields after the event name
    "ENTERQUEUE": 3, "CONNECT": 3, "COMPLETECALLER": 3, "COMPLETEAGENT": 3, "ABANDON": 3,
    "EXITWITHTIMEOUT": 3, "TRANSFER": 5, "ADDMEMBER": 1, "REMOVEMEMBER": 1, "PAUSE": 1,
    "UNPAUSE": 1, "AGENTLOGIN": 1, "AGENTLOGOFF": 2, "RINGNOANSWER": 1,
}
LINE = re.compile(r"^(\d{10})\|([^|]+)\|([^|]+)\|([^|]+)\|([A-Z]+)((?:\|[^|\n]*)*)$")


def test_asterisk_queue_log_lines_follow_the_real_syntax(exported):
    out, manifest = exported
    _, paths = _files(manifest, "In-house ACD (Asterisk)")
    assert paths == ["acd-asterisk/queue_log-2026-03.log", "acd-asterisk/queue_log-2026-04.log"]
    calls = defaultdict(list)
    seen = set()
    for rel in paths:
        last = 0
        for n, line in enumerate((out / rel).read_text().splitlines(), 1):
            m = LINE.match(line)
            assert m, f"{rel}:{n}: {line!r}"
            epoch, callid, queue, agent, event, data = m.groups()
            assert event in QUEUE_LOG_EVENTS, f"{rel}:{n}: unknown event {event}"
            assert len(data.split("|")) - 1 == QUEUE_LOG_EVENTS[event], f"{rel}:{n}: {line}"
            assert int(epoch) >= last, f"{rel}:{n}: out of time order"
            last = int(epoch)
            seen.add(event)
            if callid != "NONE":
                calls[callid].append((int(epoch), queue, agent, event, data.split("|")[1:]))
    assert seen == set(QUEUE_LOG_EVENTS)
    for events in calls.values():
        enter = {}
        for epoch, queue, _agent, event, fields in events:
            if event == "ENTERQUEUE":
                enter[queue] = epoch
                assert fields[1].startswith("+44")
            elif event == "CONNECT":
                assert int(fields[0]) == epoch - enter[queue]  # holdtime = wait in queue
            elif event in ("ABANDON", "EXITWITHTIMEOUT"):
                assert int(fields[2]) == epoch - enter[queue]
                assert int(fields[0]) >= 1 and int(fields[1]) >= 1
        kinds = [e[3] for e in events]
        if "EXITWITHTIMEOUT" in kinds:
            i = kinds.index("EXITWITHTIMEOUT")
            assert kinds[i + 1] == "ENTERQUEUE" and events[i + 1][0] == events[i][0]
            assert events[i + 1][1] == "Customer Service"


def test_connect_contact_records_are_valid_json_with_ctr_fields(exported):
    out, manifest = exported
    _, paths = _files(manifest, "Sales vendor (Amazon Connect)")
    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    by_id, transfers = {}, 0
    for rel in paths:
        for n, line in enumerate((out / rel).read_text(encoding="utf-8").splitlines(), 1):
            rec = json.loads(line)
            by_id[rec["ContactId"]] = rec
            assert rec["Channel"] == "VOICE", f"{rel}:{n}"
            assert iso.match(rec["InitiationTimestamp"]) and iso.match(rec["DisconnectTimestamp"])
            q = rec["Queue"]
            assert q["Name"] == "Sales – Vendor"
            wait = (datetime.fromisoformat(q["DequeueTimestamp"])
                    - datetime.fromisoformat(q["EnqueueTimestamp"])).total_seconds()
            assert abs(wait - q["Duration"]) <= 1
            if rec["Agent"]:
                a = rec["Agent"]
                assert a["Username"].startswith("vendor.")
                assert a["AgentInteractionDuration"] > 0
                assert {"ConnectedToAgentTimestamp", "CustomerHoldDuration",
                        "AfterContactWorkDuration"} <= set(a)
            if rec["InitiationMethod"] == "TRANSFER":
                transfers += 1
    assert transfers > 0
    for rec in by_id.values():
        if rec["PreviousContactId"] in by_id:
            prev = by_id[rec["PreviousContactId"]]
            assert prev["NextContactId"] == rec["ContactId"]
            assert rec["InitialContactId"] == (prev["InitialContactId"] or prev["ContactId"])


def _read_csv(out, paths):
    rows = []
    for rel in paths:
        with (out / rel).open(newline="", encoding="utf-8") as fh:
            rows += list(csv.DictReader(fh))
    return rows


def connect_initial(out, manifest):
    """ContactIds of the vendor's initial (not transferred) contact records."""
    ids = set()
    for rel in _files(manifest, "Sales vendor (Amazon Connect)")[1]:
        for line in (out / rel).read_text().splitlines():
            rec = json.loads(line)
            if rec["InitiationMethod"] == "INBOUND":
                ids.add(rec["ContactId"])
    return ids


def test_ivr_sessions_link_to_the_acd_and_the_vendor(exported):
    out, manifest = exported
    _, ivr_paths = _files(manifest, "IVR sessions")
    sessions = _read_csv(out, ivr_paths)
    acd = set()
    for rel in _files(manifest, "In-house ACD (Asterisk)")[1]:
        acd |= {line.split("|")[1] for line in (out / rel).read_text().splitlines()
                if "|ENTERQUEUE|" in line}
    connect = set()
    for rel in _files(manifest, "Sales vendor (Amazon Connect)")[1]:
        connect |= {json.loads(line)["ContactId"] for line in (out / rel).read_text().splitlines()}
    to_queue = [s for s in sessions if s["outcome"] == "to_queue"]
    assert to_queue
    for s in to_queue:
        target = connect if s["queue"] == "Sales – Vendor" else acd
        assert s["session_id"] in target, s
    # reconciliation: every queued call is an IVR session passed to a queue, and vice versa
    assert {s["session_id"] for s in to_queue} == acd | connect_initial(out, manifest)
    for s in sessions:
        assert s["outcome"] in {"self_served", "to_queue", "abandoned", "closed"}
        assert s["started_at"] <= s["ended_at"]


def test_csv_columns_match_the_manifest_mapping_and_local_times(exported):
    out, manifest = exported
    assert manifest["centre"]["time_zone"] == ZONE
    for source in manifest["sources"]:
        for f in source["files"]:
            data = (out / f["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == f["sha256"]
            assert f["path"].endswith(f"{f['month']}.{f['path'].rsplit('.', 1)[1]}")
        if "column_mapping" not in source:
            continue
        assert source["time_zone"] == ZONE
        header = (out / source["files"][0]["path"]).read_text().splitlines()[0].split(",")
        assert list(source["column_mapping"]) == header
    # the repeated spring-forward hour does not exist locally: no 01:xx times on 29 March
    sessions = _read_csv(out, _files(manifest, "IVR sessions")[1])
    assert not [s for s in sessions if s["started_at"].startswith("2026-03-29 01:")]


def test_crm_contacts_have_response_times_in_their_channel_scale(exported):
    out, manifest = exported
    rows = _read_csv(out, _files(manifest, "Digital contacts (CRM)")[1])
    waits = defaultdict(list)
    for r in rows:
        if r["first_response_at"]:
            wait = (datetime.fromisoformat(r["first_response_at"])
                    - datetime.fromisoformat(r["created_at"])).total_seconds()
            waits[r["channel"]].append(wait)
            assert int(r["handle_s"]) > 0 and r["agent"]
    assert np.median(waits["chat"]) < 120
    assert np.median(waits["email"]) > 600


def test_surveys_refer_to_handled_contacts_with_valid_scores(exported, sim):
    out, manifest = exported
    rows = _read_csv(out, _files(manifest, "Post-contact survey")[1])
    assert len(rows) > 500
    ids = set(sim.contacts["external_id"])
    csat_by_comment = defaultdict(list)
    for r in rows:
        assert r["contact_ref"] in ids
        assert 1 <= int(r["csat"]) <= 5 and 0 <= int(r["nps"]) <= 10
        assert r["resolved_first_time"] in ("yes", "no")
        if r["comment"]:
            csat_by_comment["good" if "thank" in r["comment"].lower() or "great" in
                            r["comment"].lower() else "other"].append(int(r["csat"]))
    unresolved = [int(r["csat"]) for r in rows if r["resolved_first_time"] == "no"]
    resolved = [int(r["csat"]) for r in rows if r["resolved_first_time"] == "yes"]
    assert np.mean(resolved) > np.mean(unresolved) + 0.5
    assert np.mean(csat_by_comment["good"]) > np.mean(csat_by_comment["other"])


def test_manifest_describes_queues_teams_and_ground_truth(exported):
    out, manifest = exported
    assert {q["name"] for q in manifest["queues"]} >= {"Billing", "Sales – Vendor", "Chat"}
    assert [q["vendor"] for q in manifest["queues"] if q["name"] == "Sales – Vendor"] == [True]
    assert all(t["agents"] for t in manifest["teams"])
    for truth in manifest["ground_truth"].values():
        assert (out / truth["path"]).exists()
    kinds = {s["name"]: s["kind"] for s in manifest["sources"]}
    assert kinds["IVR sessions"] == "ivr" and kinds["Post-contact survey"] == "survey"


# -- planning helpers ----------------------------------------------------------------------

def test_erlang_c_agents_matches_textbook_figures():
    # 10 Erlangs, AHT 180 s, 80 % in 20 s needs 14 agents (classic worked example)
    assert erlang_c_agents(10.0, 180.0, 20.0, 0.8, 1.0) == 14
    assert erlang_c_agents(0.0, 180.0, 20.0, 0.8, 1.0) == 0


def test_default_period_is_thirteen_months_up_to_yesterday():
    now = datetime(2026, 11, 23, 0, 30, tzinfo=ZoneInfo(ZONE))
    assert default_period(ZONE, now) == (date(2025, 11, 1), date(2026, 11, 22))
    assert period_ending(date(2026, 1, 31)) == (date(2025, 1, 1), date(2026, 1, 31))
