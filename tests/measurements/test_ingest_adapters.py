"""The pure format adapters on small real-shaped files, including every defect they handle."""
import csv
import datetime as dt

import pandas as pd
import pytest

from measurements.ingest import FormatError, Options, concat, detect_format, read

from . import samples

UTC = dt.UTC


def _read(path, fmt, **opts):
    return concat(read(path, fmt, Options(**opts)))


def _notes(result):
    return {n["code"]: n["count"] for n in result.notes.as_list()}


def _ts(text):
    return pd.Timestamp(text, tz="UTC")


class TestAnonymousBank:
    @pytest.fixture
    def result(self, tmp_path):
        return _read(samples.ab_file(tmp_path), "anonymous_bank", time_zone="Asia/Jerusalem")

    def test_every_readme_defect_is_counted_with_an_action(self, result):
        notes = _notes(result)
        assert notes["phantom"] == 1
        assert notes["negative_vru_time"] == 1
        assert notes["no_server_agent"] == 1
        assert notes["agent_zero_service"] == 1
        assert notes["hang_with_service"] == 1
        assert notes["very_long_span"] == 1
        assert notes["customer_id_zero"] == 6
        assert notes["undocumented_type"] == 1
        assert notes["straight_to_agent"] == 1
        # line 7, and line 11 whose service starts a second before its IVR exit
        assert notes["service_before_queue_exit"] == 2
        assert notes["dst_local_time"] == 1
        assert notes["not_time_ordered"] >= 1
        assert notes["missing_days"] >= 1  # 2 Jan and most of the year have no rows
        assert all(n["action"] for n in result.notes.as_list())

    def test_unidentified_callers_are_their_own_segment(self, result):
        c = result.contacts.set_index("external_id")
        assert c.loc["AA0101:1", "customer_segment"] == "priority"  # priority 2
        assert c.loc["AA0101:3", "customer_segment"] == "regular"  # priority 1
        # customer_id 0: not guessed as regular, whatever its priority code.
        assert c.loc["AA0101:2", "customer_segment"] == "unidentified"
        assert c.loc["AA0101:5", "customer_segment"] == "unidentified"
        assert (c["customer_segment"] == "unidentified").sum() == \
            (c["customer_ref"] == "").sum()
        note = next(n for n in result.notes.as_list() if n["code"] == "customer_id_zero")
        assert "“unidentified”" in note["action"]

    def test_phantom_skipped_and_bad_rows_rejected_with_line_and_field(self, result):
        assert result.rows_read == 15
        assert result.rows_skipped == 1
        rejects = result.rejects.set_index("line")
        assert rejects.loc[12, "field"] == "date"
        assert rejects.loc[15, "field"] == "outcome"
        assert len(result.contacts) == 15 - 1 - 2

    def test_outcome_mapping(self, result):
        c = result.contacts.set_index("external_id")
        assert c.loc["AA0101:1", "outcome"] == "handled"
        assert c.loc["AA0101:2", "outcome"] == "abandoned"
        assert c.loc["AA0101:2", "queue_code"] == ""  # abandoned in the IVR: not offered
        assert c.loc["AA0101:3", "queue_code"] == "ACD"
        assert c.loc["AA0101:5", "outcome"] == "error"
        assert c.loc["AA0101:5", "queue_code"] == ""
        assert c.loc["AA0101:1", "customer_segment"] == "priority"
        assert c.loc["AA0101:2", "customer_ref"] == ""
        s = result.segments.set_index(["external_id", "seq"])
        assert s.loc[("AA0101:1", 2), "wait_s"] == 17
        assert s.loc[("AA0101:1", 3), "talk_s"] == 54
        assert s.loc[("AA0101:1", 3), "agent_code"] == "MICHAL"
        assert s.loc[("AA0101:3", 2), "outcome"] == "abandoned"
        assert s.loc[("AA0101:3", 2), "wait_s"] == 153
        assert ("AA0101:8", 3) not in s.index  # HANG with service time: no agent leg
        assert s.loc[("AA0102:1", 2), "wait_s"] == 0  # straight to agent
        assert s.loc[("AA0101:2", 1), "outcome"] == "abandoned"
        assert s.loc[("AA0101:5", 1), "outcome"] == "no_agent"

    def test_local_times_become_utc_across_dst_and_midnight(self, result):
        c = result.contacts.set_index("external_id")
        assert c.loc["AA0101:1", "arrived_at"] == _ts("1999-01-01 06:00:00")  # UTC+2
        assert c.loc["AA0102:4", "arrived_at"] == _ts("1999-06-15 09:00:00")  # UTC+3 (DST)
        # 02:30 on 2 April 1999 does not exist in Israel: moved forward to 03:00 IDT
        assert c.loc["AA0102:3", "arrived_at"] == _ts("1999-04-02 00:00:00")
        s = result.segments.set_index(["external_id", "seq"])
        # queue leg from 23:50:10 to 04:50:10 the next day
        assert s.loc[("AA0101:9", 2), "left_at"] == _ts("1999-01-02 02:50:10")
        # negative IVR time: IVR leg of 0 s at the earlier time
        assert c.loc["AA0101:6", "arrived_at"] == _ts("1999-01-01 07:45:56")

    def test_wrong_delimiter_fails_fast_naming_expected_and_found(self, tmp_path):
        path = tmp_path / "ab.csv"
        path.write_text(samples.AB_HEADER.replace("\t", ",") + "\n1,2,3\n")
        with pytest.raises(FormatError, match="expected tab-separated.*found “,”"):
            _read(path, "anonymous_bank")

    def test_missing_columns_fail_fast(self, tmp_path):
        path = tmp_path / "ab.tsv"
        path.write_text("vru+line\tcall_id\tdate\n1\t2\t3\n")
        with pytest.raises(FormatError, match=r"line 1: expected.*missing \['customer_id'"):
            _read(path, "anonymous_bank")

    def test_binary_file_fails_fast(self, tmp_path):
        path = tmp_path / "ab.tsv"
        path.write_bytes(b"PK\x03\x04\x00\x00binary")
        with pytest.raises(FormatError, match="expected a text file, found binary"):
            _read(path, "anonymous_bank")

    def test_utf16_file_fails_fast(self, tmp_path):
        path = tmp_path / "ab.tsv"
        path.write_bytes((samples.AB_HEADER + "\n").encode("utf-16"))
        with pytest.raises(FormatError, match="found UTF-16"):
            _read(path, "anonymous_bank")

    def test_chunks_give_the_same_result_as_one_read(self, tmp_path):
        path = samples.ab_file(tmp_path)
        whole = _read(path, "anonymous_bank", time_zone="Asia/Jerusalem")
        chunked = _read(path, "anonymous_bank", time_zone="Asia/Jerusalem", chunk_rows=4)
        assert len(chunked.contacts) == len(whole.contacts)
        assert len(chunked.segments) == len(whole.segments)
        assert sorted(chunked.rejects["line"]) == sorted(whole.rejects["line"])


def test_anonymous_bank_real_month_counts_by_outcome_match_the_raw_file(anonymous_bank_dir):
    path = anonymous_bank_dir / "1999-02.tsv"
    raw = {"served": 0, "abandoned": 0, "no_server": 0, "phantom": 0}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["outcome"] == "PHANTOM":
                raw["phantom"] += 1
            elif row["outcome"] == "HANG":
                raw["abandoned"] += 1
            elif row["server"] == "NO_SERVER":
                raw["no_server"] += 1
            else:
                raw["served"] += 1
    result = _read(path, "anonymous_bank", time_zone="Asia/Jerusalem")
    counts = result.contacts["outcome"].value_counts().to_dict()
    assert counts == {"handled": raw["served"], "abandoned": raw["abandoned"],
                      "error": raw["no_server"]}
    assert result.rows_skipped == raw["phantom"]
    assert len(result.rejects) == 0


class TestAsterisk:
    @pytest.fixture
    def result(self, tmp_path):
        path = tmp_path / "queue_log"
        path.write_text(samples.QUEUE_LOG_1)
        return _read(path, "asterisk_queue_log")

    def test_a_call_through_two_queues_is_one_contact_with_several_legs(self, result):
        c = result.contacts.set_index("external_id")
        assert c.loc["100", "outcome"] == "handled"
        assert c.loc["100", "queue_code"] == "support"
        legs = result.segments[result.segments.external_id == "100"].sort_values("seq")
        assert list(legs.kind) == ["queue", "agent", "queue", "agent"]
        assert list(legs.queue_code) == ["support", "support", "sales", "sales"]
        assert list(legs.outcome) == ["answered", "transferred", "answered", "completed"]
        assert list(legs.wait_s) == [15, 0, 10, 0]
        assert list(legs.talk_s) == [0, 80, 0, 289]

    def test_abandon_timeout_duplicates_out_of_order_and_open_calls(self, result):
        c = result.contacts.set_index("external_id")
        assert c.loc["101", "outcome"] == "abandoned"
        assert c.loc["102", "outcome"] == "overflowed"
        assert "103" not in c.index  # still open at the end of the file: held back
        notes = _notes(result)
        assert notes["duplicate_lines"] == 1
        assert notes["out_of_order_lines"] == 1
        assert notes["open_at_end_of_file"] == 1
        assert notes["ring_no_answer"] == 1
        assert len(result.carry["asterisk_open_lines"]) == 2

    def test_open_call_completed_by_the_next_file(self, result, tmp_path):
        path = tmp_path / "queue_log.1"
        path.write_text(samples.QUEUE_LOG_2)
        nxt = concat(read(path, "asterisk_queue_log", Options(carry=result.carry)))
        c = nxt.contacts.set_index("external_id")
        assert c.loc["103", "outcome"] == "handled"
        agent = nxt.segments[(nxt.segments.external_id == "103") & (nxt.segments.kind == "agent")]
        assert agent.iloc[0]["talk_s"] == 240
        assert c.loc["104", "outcome"] == "overflowed"
        assert _notes(nxt)["completed_from_previous_file"] == 1

    def test_agent_events_become_states(self, result):
        states = result.agent_states.set_index(["agent_code", "state"])
        assert states.loc[("Agent/1002", "paused"), "reason"] == "lunch"
        staffed = states.loc[("Agent/1001", "staffed")]
        assert (staffed["ended_at"] - staffed["started_at"]).total_seconds() == 3600

    def test_after_contact_work_pause_is_busy(self, tmp_path):
        path = tmp_path / "queue_log"
        path.write_text("1700000000|NONE|NONE|Agent/7|AGENTLOGIN|\n"
                        "1700000100|NONE|NONE|Agent/7|PAUSE|ACW\n"
                        "1700000130|NONE|NONE|Agent/7|UNPAUSE|\n"
                        "1700000200|NONE|NONE|Agent/7|PAUSE|Break\n"
                        "1700000500|NONE|NONE|Agent/7|UNPAUSE|\n"
                        "1700003600|NONE|NONE|Agent/7|AGENTLOGOFF|\n")
        states = _read(path, "asterisk_queue_log").agent_states.set_index("state")
        assert states.loc["busy", "reason"] == "ACW"
        assert (states.loc["busy", "ended_at"] - states.loc["busy", "started_at"]) \
            .total_seconds() == 30
        assert states.loc["paused", "reason"] == "Break"

    def test_not_a_queue_log_fails_fast(self, tmp_path):
        path = tmp_path / "queue_log"
        path.write_text("hello,world\n1,2\n")
        with pytest.raises(FormatError, match="expected an Asterisk queue_log line"):
            _read(path, "asterisk_queue_log")


class TestAmazonConnect:
    @pytest.fixture
    def result(self, tmp_path):
        path = tmp_path / "ctr.json"
        path.write_text("\n".join(samples.CONNECT_LINES) + "\n")
        return _read(path, "amazon_connect")

    def test_latest_version_wins(self, result):
        c = result.contacts.set_index("external_id")
        assert c.loc["c-1", "outcome"] == "handled"
        assert _notes(result)["superseded_versions"] == 1
        legs = result.segments[result.segments.external_id == "c-1"]
        assert list(legs.kind) == ["queue", "agent"]

    def test_transfer_chain_is_one_contact(self, result):
        assert "c-3" not in set(result.contacts.external_id)
        legs = result.segments[result.segments.external_id == "c-2"].sort_values("seq")
        assert list(legs.queue_code) == ["BasicQueue", "BasicQueue", "Billing", "Billing"]
        assert list(legs.outcome) == ["answered", "transferred", "answered", "completed"]
        assert list(legs.hold_s) == [0, 30, 0, 0]
        assert list(legs.acw_s) == [0, 45, 0, 30]

    def test_flow_only_chat_is_self_served_and_bad_lines_rejected(self, result):
        c = result.contacts.set_index("external_id")
        assert c.loc["c-4", "outcome"] == "self_served"
        assert c.loc["c-4", "channel"] == "chat"
        assert list(result.rejects["line"]) == [6]

    def test_json_array_is_accepted(self, tmp_path):
        path = tmp_path / "ctr.json"
        path.write_text("[" + ",".join(samples.CONNECT_LINES[:5]) + "]")
        assert len(_read(path, "amazon_connect").contacts) == 3


def test_interval_report_rows_keep_the_source_interval_length(tmp_path):
    path = tmp_path / "cms.csv"
    path.write_text(samples.INTERVAL_CSV)
    result = _read(path, "interval_report", time_zone="Europe/London")
    iv = result.intervals.set_index(["queue_code", "interval_start"])
    row = iv.loc[("Sales", _ts("2026-03-02 09:00"))]
    assert (row.offered, row.answered, row.abandoned, row.answered_within_threshold) == \
        (40, 35, 5, 30)
    assert row.interval_s == 1800
    assert row.wait_max_s == 95
    assert list(result.rejects["line"]) == [5]
    assert result.rejects.iloc[0]["field"] == "ACD Calls Offered"


def test_interval_report_missing_columns_names_expected_and_found(tmp_path):
    path = tmp_path / "cms.csv"
    path.write_text("Date;Time;Split;Offered\n2026-03-02;09:00;Sales;4\n")
    with pytest.raises(FormatError, match=r"expected interval report columns \['answered'"):
        _read(path, "interval_report")


class TestGeneric:
    def test_chat_export_through_a_mapping(self, tmp_path):
        path = tmp_path / "chats.csv"
        path.write_text(samples.CHAT_CSV)
        result = _read(path, "generic", mapping=samples.CHAT_MAPPING, time_zone="Europe/London")
        c = result.contacts.set_index("external_id")
        assert set(c.index) == {"ch-1", "ch-2", "ch-3"}
        assert c.loc["ch-1", "channel"] == "chat"
        assert c.loc["ch-2", "outcome"] == "abandoned"
        s = result.segments.set_index(["external_id", "seq"])
        assert s.loc[("ch-1", 1), "wait_s"] == 30
        assert s.loc[("ch-1", 2), "talk_s"] == 565
        assert s.loc[("ch-2", 1), "wait_s"] == 120
        rejects = result.rejects.set_index("line")
        assert rejects.loc[5, "field"] == "Started"
        assert rejects.loc[6, "field"] == "Status"

    def test_contacts_still_open_are_skipped_not_rejected(self, tmp_path):
        path = tmp_path / "forms.csv"
        path.write_text("id,created,queue,status\n"
                        "f-1,2026-03-02 09:00:00,Web forms,answered\n"
                        "f-2,2026-03-02 23:50:00,Web forms,open\n")
        mapping = {"columns": {"external_id": "id", "arrived_at": "created", "queue": "queue",
                               "outcome": "status"}, "queue_kind": "web",
                   "channel": "web_form", "outcome_values": {"answered": "handled"}}
        result = _read(path, "generic", mapping=mapping, time_zone="Europe/London")
        assert list(result.contacts.external_id) == ["f-1"]
        assert result.rejects.empty
        assert result.rows_skipped == 1
        assert _notes(result)["open_at_end"] == 1

    def test_ivr_session_export(self, tmp_path):
        path = tmp_path / "ivr.csv"
        path.write_text(samples.IVR_CSV)
        result = _read(path, "generic", mapping=samples.IVR_MAPPING)
        s = result.segments.set_index("external_id")
        assert list(s.kind.unique()) == ["ivr"]
        assert s.loc["s-1", "outcome"] == "contained"
        assert s.loc["s-2", "outcome"] == "to_queue"
        assert s.loc["s-3", "outcome"] == "abandoned"
        assert s.loc["s-4", "outcome"] == "no_agent"  # closed message: not passed to a queue

    STATES_MAPPING = {"records": "agent_states",
                      "columns": {"agent": "Agent", "state": "Status", "started_at": "From",
                                  "ended_at": "To", "reason": "Reason"},
                      "state_values": {"Logged in": "staffed", "On contact": "busy",
                                       "Not ready": "paused"}}

    def test_agent_state_export(self, tmp_path):
        path = tmp_path / "states.csv"
        path.write_text("Agent,Status,From,To,Reason\n"
                        "chat.001,Logged in,2026-03-02 08:00:00,2026-03-02 16:00:00,\n"
                        "chat.001,On contact,2026-03-02 08:05:00,2026-03-02 08:14:30,\n"
                        "chat.001,Not ready,2026-03-02 10:00:00,2026-03-02 10:15:00,Break\n"
                        "chat.001,available,2026-03-02 11:00:00,2026-03-02 11:01:00,\n")
        result = _read(path, "generic", mapping=self.STATES_MAPPING, time_zone="Europe/London")
        states = result.agent_states
        assert list(states.state) == ["staffed", "busy", "paused", "available"]
        assert states.started_at.iloc[0] == _ts("2026-03-02 08:00")  # GMT in March
        assert states.ended_at.iloc[1] == _ts("2026-03-02 08:14:30")
        assert states.reason.iloc[2] == "Break"
        assert result.contacts.empty and result.rejects.empty

    def test_agent_state_rows_with_defects_are_rejected_with_their_line(self, tmp_path):
        path = tmp_path / "states.csv"
        path.write_text("Agent,Status,From,To,Reason\n"
                        ",Logged in,2026-03-02 08:00:00,2026-03-02 16:00:00,\n"
                        "chat.002,Lunch,2026-03-02 12:00:00,2026-03-02 12:30:00,\n"
                        "chat.002,Logged in,yesterday,2026-03-02 16:00:00,\n"
                        "chat.002,Logged in,2026-03-02 16:00:00,2026-03-02 08:00:00,\n"
                        "chat.002,Logged in,2026-03-02 08:00:00,2026-03-02 16:00:00,\n")
        result = _read(path, "generic", mapping=self.STATES_MAPPING, time_zone="UTC")
        assert len(result.agent_states) == 1
        rejects = result.rejects.set_index("line")
        assert rejects.loc[2, "field"] == "Agent" and "empty agent" in rejects.loc[2, "reason"]
        assert rejects.loc[3, "field"] == "Status" and "Lunch" not in rejects.loc[3, "reason"]
        assert rejects.loc[4, "field"] == "From"
        assert "ends before it starts" in rejects.loc[5, "reason"]

    def test_agent_state_mapping_problems_are_named(self, tmp_path):
        from measurements.ingest.generic import validate_mapping

        assert validate_mapping({**self.STATES_MAPPING, "records": "calls"}) == [
            "records must be one of ['contacts', 'agent_states'], not 'calls'"]
        problems = validate_mapping({"records": "agent_states",
                                     "columns": {"agent": "A", "state": "S", "started_at": "F"},
                                     "state_values": {"Talking": "talking"}})
        assert "the “ended_at” column is required" in problems
        assert any("unknown states ['talking']" in p for p in problems)

    def test_mapping_naming_absent_columns_fails_fast(self, tmp_path):
        path = tmp_path / "chats.csv"
        path.write_text(samples.CHAT_CSV.replace("Conversation", "Chat ID"))
        with pytest.raises(FormatError, match=r"expected mapped columns \['Conversation'\]"):
            _read(path, "generic", mapping=samples.CHAT_MAPPING)

    def test_semicolon_file_is_read_with_its_own_delimiter(self, tmp_path):
        path = tmp_path / "chats.csv"
        path.write_text(samples.CHAT_CSV.replace(",", ";"))
        result = _read(path, "generic", mapping=samples.CHAT_MAPPING)
        assert len(result.contacts) == 3

    def test_xlsx_export(self, tmp_path):
        from io import StringIO

        frame = pd.read_csv(StringIO(samples.CHAT_CSV), dtype=str, keep_default_na=False)
        path = tmp_path / "chats.xlsx"
        frame.to_excel(path, index=False)
        result = _read(path, "auto", mapping=samples.CHAT_MAPPING)
        assert len(result.contacts) == 3


def test_survey_scores_validated(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text(samples.SURVEY_CSV)
    result = _read(path, "survey")
    assert list(result.surveys.external_id) == ["r-1", "r-2"]
    assert result.surveys["resolved_first_time"].tolist() == [True, False]
    assert result.rejects.iloc[0]["line"] == 4
    assert "csat must be a whole number 1–5" in result.rejects.iloc[0]["reason"]


@pytest.mark.parametrize(("content", "expected"), [
    (samples.AB_HEADER + "\n", "anonymous_bank"),
    (samples.QUEUE_LOG_1, "asterisk_queue_log"),
    ("\n".join(samples.CONNECT_LINES[:2]), "amazon_connect"),
    (samples.INTERVAL_CSV, "interval_report"),
    (samples.SURVEY_CSV, "survey"),
])
def test_format_auto_sniffs(tmp_path, content, expected):
    path = tmp_path / "export"
    path.write_text(content)
    assert detect_format(path) == expected


def test_format_auto_unknown_names_what_it_found(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(FormatError, match=r"could not recognise.*found columns \['a', 'b', 'c'\]"):
        detect_format(path)


def test_repeated_autumn_hour_is_taken_as_standard_time(tmp_path):
    # Israel fell back on 3 September 1999 at 02:00 IDT → 01:00 IST: 01:30 happened twice.
    row = ("AA0101\t1\t0\t0\tPS\t990903\t1:30:00\t1:30:10\t10\t0:00:00\t0:00:00\t0\tHANG\t"
           "0:00:00\t0:00:00\t0\tNO_SERVER")
    result = _read(samples.ab_file(tmp_path, [row]), "anonymous_bank",
                   time_zone="Asia/Jerusalem")
    assert result.contacts.iloc[0]["arrived_at"] == _ts("1999-09-02 23:30:00")
    assert _notes(result)["dst_local_time"] == 1
