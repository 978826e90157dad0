"""Every ingestion adapter under arbitrary damage (property-based, with Hypothesis).

For each adapter a small real-shaped sample is built here (the Anonymous Bank one from the
first lines of a real export in the shared data folder); Hypothesis truncates it, mutates it
with hostile values (overflowing numbers, far dates, over-long texts, stray delimiters, binary
bytes) or replaces it with arbitrary bytes. Either the file fails with a message naming the
file and what was expected, or it loads with every bad line rejected and accounted for, every
value within the shared bounds (``measurements/ingest/bounds.py``), and — through the loader —
the rollups equal the stored legs and a failed file leaves nothing behind.
"""

import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from measurements.ingest import FormatError, Options, bounds, concat, read

from . import samples
from .quality_fixtures import SCRIPT

REAL_AB = Path("/work/shared/data/anonymous-bank/1999-01.tsv")
IMPORTED_AT = pd.Timestamp("2026-11-20 12:00", tz="UTC")  # the suite's pinned clock


def _real_ab_sample(rows=6) -> str:
    """The header and first ``rows`` records of a real Anonymous Bank export (README-shaped
    sample when the shared data is not on this machine)."""
    if REAL_AB.exists():
        with REAL_AB.open(encoding="utf-8", errors="replace") as fh:
            return "".join(next(fh) for _ in range(rows + 1))
    return samples.AB_HEADER + "\n" + "\n".join(samples.AB_ROWS[:rows]) + "\n"


# format → (sample text, saved mapping)
SAMPLES = {
    "anonymous_bank": (_real_ab_sample(), None),
    "asterisk_queue_log": (samples.QUEUE_LOG_1, None),
    "amazon_connect": ("\n".join(samples.CONNECT_LINES[:5]) + "\n", None),
    "generic": (samples.CHAT_CSV, samples.CHAT_MAPPING),
    "survey": (samples.SURVEY_CSV, None),
    "interval_report": (samples.INTERVAL_CSV, None),
    "scripted_contacts": (SCRIPT, None),
}
FORMATS = sorted(SAMPLES)
HOSTILE = [
    b"\t",
    b"|",
    b",",
    b";",
    b"\n",
    b'"',
    b"{",
    b"}",
    b"99999999999999999999999",
    b"1e308",
    b"9223372036854775808",
    b"-1",
    b"inf",
    b"9999-12-31",
    b"2099-01-01",
    b"0001-01-01",
    b"991345",
    b"x" * 250,
    b"\x00",
    b"\xff\xfe",
    b"",
    b"NaN",
    b"null",
]
# Modest by default so the suite stays fast; CMIS_PROPERTY_EXAMPLES=500 for a deeper hunt.
EXAMPLES = int(os.environ.get("CMIS_PROPERTY_EXAMPLES", "25"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _read(tmp_path, fmt, data: bytes):
    path = tmp_path / "sample.txt"
    path.write_bytes(data)
    return concat(
        read(
            path,
            fmt,
            Options(
                mapping=SAMPLES[fmt][1],
                time_zone="Europe/London",
                chunk_rows=3,
                name="sample.txt",
                not_after=IMPORTED_AT,
            ),
        )
    )


def _accounted(fmt, result):
    """Each data line (record) read is loaded, rejected, skipped with a reason or a counted
    duplicate — nothing vanishes."""
    rejects = len(result.rejects)
    other = rejects + result.rows_skipped + result.duplicates
    loaded = {
        "generic": len(result.contacts),
        "anonymous_bank": len(result.contacts),
        "survey": len(result.surveys),
        "interval_report": len(result.intervals),
        "scripted_contacts": len(result.contacts),
    }
    if fmt in loaded:
        assert loaded[fmt] + other == result.rows_read, (loaded[fmt], other, result.rows_read)
    else:  # event logs and record chains: several lines make one contact
        assert len(result.contacts) + other <= result.rows_read
        assert not len(result.contacts) or result.rows_read > other
    if rejects:
        assert result.rejects["line"].astype(int).ge(1).all()
        assert result.rejects["reason"].astype(str).str.len().gt(0).all()
    if result.rows_skipped:
        assert result.notes.items, "skipped rows carry a note saying why"


def _bounded(result):
    horizon = bounds.horizon(IMPORTED_AT)
    contacts, segments = result.contacts, result.segments
    if len(contacts):
        arrived = pd.to_datetime(contacts["arrived_at"], utc=True)
        ended = pd.to_datetime(contacts["ended_at"], utc=True)
        assert arrived.between(bounds.TIME_MIN, horizon).all()
        assert (ended.isna() | (ended >= arrived)).all()
        for col, kind in (
            ("external_id", "external_id"),
            ("contact_type", "contact_type"),
            ("customer_ref", "customer_ref"),
            ("customer_segment", "customer_segment"),
        ):
            assert (
                contacts[col].fillna("").astype(str).str.len().le(bounds.TEXT_LIMITS[kind]).all()
            ), col
    if len(segments):
        for col in ("wait_s", "talk_s", "hold_s", "acw_s"):
            values = pd.to_numeric(segments[col])
            assert values.between(0, bounds.MAX_ASYNC_DURATION_S).all(), col
        entered = pd.to_datetime(segments["entered_at"], utc=True)
        assert entered.between(bounds.TIME_MIN, horizon).all()
        assert segments["queue_code"].fillna("").astype(str).str.len().le(120).all()
        assert segments["agent_code"].fillna("").astype(str).str.len().le(120).all()
    if len(result.intervals):
        frame = result.intervals
        for col in ("offered", "answered", "abandoned"):
            assert frame[col].between(0, bounds.MAX_COUNT).all(), col
        assert (frame["answered"] + frame["abandoned"] <= frame["offered"]).all()
        for col in ("talk_s", "hold_s", "acw_s"):
            if col in frame:
                assert frame[col].between(0, bounds.MAX_TOTAL_S).all(), col
    if len(result.surveys):
        csat = result.surveys["csat"].dropna()
        assert csat.between(1, 5).all()


def _check(tmp_path, fmt, data: bytes):
    try:
        result = _read(tmp_path, fmt, data)
    except FormatError as exc:
        message = str(exc)
        assert "sample.txt" in message, message  # names the file …
        if fmt != "scripted_contacts":  # … and what was expected (scripts name the clause)
            assert "expected" in message, message
        return None
    _accounted(fmt, result)
    _bounded(result)
    return result


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_sample_loads_cleanly(tmp_path, fmt):
    result = _check(tmp_path, fmt, SAMPLES[fmt][0].encode())
    assert result is not None and result.rows_read > 0
    assert len(result.contacts) + len(result.surveys) + len(result.intervals) > 0


@pytest.mark.parametrize("fmt", FORMATS)
@PROPERTY
@given(data=st.data())
def test_any_truncation_fails_with_a_message_or_is_accounted_for(tmp_path, fmt, data):
    sample = SAMPLES[fmt][0].encode()
    cut = data.draw(st.integers(min_value=0, max_value=len(sample)))
    _check(tmp_path, fmt, sample[:cut])


@pytest.mark.parametrize("fmt", FORMATS)
@PROPERTY
@given(data=st.data())
def test_any_mutation_fails_with_a_message_or_is_accounted_for(tmp_path, fmt, data):
    sample = bytearray(SAMPLES[fmt][0].encode())
    edits = data.draw(
        st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=len(sample) - 1),
                st.integers(min_value=0, max_value=12),
                st.sampled_from(HOSTILE),
            ),
            min_size=1,
            max_size=5,
        )
    )
    for at, width, replacement in sorted(edits, reverse=True):
        sample[at : at + width] = replacement
    _check(tmp_path, fmt, bytes(sample))


@pytest.mark.parametrize("fmt", FORMATS)
@PROPERTY
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_fail_with_a_message_or_are_accounted_for(tmp_path, fmt, data):
    _check(tmp_path, fmt, data)


# --- every hostile value, one per adapter, is a reject naming line and field -------------------

AB_GOOD = (
    "AA0101\t33118\t27997683\t2\tPS\t990101\t6:55:20\t6:55:26\t6\t6:55:26\t6:55:43\t17\t"
    "AGENT\t6:55:43\t6:56:37\t54\tMICHAL"
)


@pytest.mark.parametrize(
    "column,value,field",
    [
        (11, "99999999999999999999999", "q_time"),
        (11, "1e308", "q_time"),
        (15, "9223372036854775808", "ser_time"),
        (15, "-5", "ser_time"),
        (15, "604801", "ser_time"),
        (5, "991345", "date"),
        (5, "990230", "date"),
        (5, "680101", "date"),
        (4, "T" * 61, "type"),
        (16, "A" * 121, "server"),
        (8, "1e308", "vru_time"),
    ],
)
def test_anonymous_bank_values_beyond_range_are_rejects(tmp_path, column, value, field):
    bad = AB_GOOD.split("\t")
    bad[column] = value
    bad[1] = "2"
    text = samples.AB_HEADER + "\n" + AB_GOOD + "\n" + "\t".join(bad) + "\n"
    result = _read(tmp_path, "anonymous_bank", text.encode())
    assert list(result.contacts.external_id) == ["AA0101:33118"]
    assert [(int(r.line), r.field) for r in result.rejects.itertuples()] == [(3, field)]
    _accounted("anonymous_bank", result)


@pytest.mark.parametrize(
    "line,field",
    [
        ("1700000020|100|support|Agent/1001|CONNECT|1e308|1700000005.1|3", "holdtime"),
        ("1700000020|100|support|Agent/1001|CONNECT|9223372036854775808|x|3", "holdtime"),
        ("1700000020|100|support|Agent/1001|CONNECT|-4|x|3", "holdtime"),
        ("4102444800|100|support|Agent/1001|CONNECT|15|x|3", "epoch"),
        ("99999999999|100|support|Agent/1001|CONNECT|15|x|3", "epoch"),
        ("1700000020|100|support|" + "A" * 121 + "|CONNECT|15|x|3", "agent"),
    ],
)
def test_asterisk_values_beyond_range_reject_the_line_and_skip_the_call(tmp_path, line, field):
    text = (
        "\n".join(
            [
                "1700000005|100|support|NONE|ENTERQUEUE||0201234567|1",
                line,
                "1700000400|100|support|Agent/1001|COMPLETECALLER|15|380|1",
                "1700000200|101|support|NONE|ENTERQUEUE||0207654321|1",
                "1700000245|101|support|NONE|ABANDON|1|1|45",
            ]
        )
        + "\n"
    )
    result = _read(tmp_path, "asterisk_queue_log", text.encode())
    assert list(result.contacts.external_id) == ["101"]
    assert [(int(r.line), r.field) for r in result.rejects.itertuples()] == [(2, field)]
    assert result.rows_read == 5
    # the reject, the call's other lines (skipped, with a note) and the good call's two lines
    if field in ("holdtime",):
        assert result.rows_skipped == 2 and "rejected_call_lines" in result.notes.items


CTR = (
    '{{"ContactId": "c-{n}", "Channel": "{channel}", "InitiationTimestamp": "{start}", '
    '"DisconnectTimestamp": "{end}", "Queue": {{"Name": "{queue}", "Duration": {wait}}}, '
    '"Agent": {{"Username": "anna", "ConnectedToAgentTimestamp": "{start}", '
    '"AgentInteractionDuration": {talk}}}}}'
)
CTR_GOOD = {
    "channel": "VOICE",
    "start": "2026-03-02T09:00:00Z",
    "end": "2026-03-02T09:05:00Z",
    "queue": "Billing",
    "wait": 20,
    "talk": 200,
}


@pytest.mark.parametrize(
    "change,field",
    [
        ({"talk": "1e308"}, "Agent.AgentInteractionDuration"),
        ({"talk": "9223372036854775808"}, "Agent.AgentInteractionDuration"),
        ({"talk": "-1"}, "Agent.AgentInteractionDuration"),
        ({"wait": "700000"}, "Queue.Duration"),
        ({"start": "2099-01-01T00:00:00Z", "end": "2099-01-01T00:05:00Z"}, "InitiationTimestamp"),
        ({"start": "9999-12-31T00:00:00Z", "end": "9999-12-31T00:05:00Z"}, "InitiationTimestamp"),
        ({"end": "2026-03-02T08:00:00Z"}, "DisconnectTimestamp"),
        ({"queue": "Q" * 121}, "Queue.Name"),
    ],
)
def test_amazon_connect_values_beyond_range_are_rejects(tmp_path, change, field):
    text = CTR.format(n=1, **CTR_GOOD) + "\n" + CTR.format(n=2, **{**CTR_GOOD, **change}) + "\n"
    result = _read(tmp_path, "amazon_connect", text.encode())
    assert list(result.contacts.external_id) == ["c-1"]
    assert [(int(r.line), r.field) for r in result.rejects.itertuples()] == [(2, field)]


def test_an_e_mail_may_wait_days_but_not_beyond_its_bound(tmp_path):
    days = {"channel": "EMAIL", "end": "2026-03-12T09:00:00Z", "wait": 10 * 86_400}
    too_long = {"channel": "EMAIL", "end": "2026-08-12T09:00:00Z", "wait": 100 * 86_400}
    text = (
        CTR.format(n=1, **{**CTR_GOOD, **days})
        + "\n"
        + CTR.format(n=2, **{**CTR_GOOD, **too_long})
        + "\n"
    )
    result = _read(tmp_path, "amazon_connect", text.encode())
    assert list(result.contacts.external_id) == ["c-1"]
    assert result.segments.wait_s.max() == 10 * 86_400
    assert list(result.rejects.field) == ["Queue.Duration"]


def test_a_chain_with_a_bad_record_is_rejected_whole(tmp_path):
    first = samples.CONNECT_LINES[1]
    second = samples.CONNECT_LINES[2].replace(
        '"AgentInteractionDuration": 220', '"AgentInteractionDuration": 1e308'
    )
    result = _read(tmp_path, "amazon_connect", (first + "\n" + second + "\n").encode())
    assert result.contacts.empty and result.segments.empty
    rejects = {int(r.line): (r.field, r.reason) for r in result.rejects.itertuples()}
    assert rejects[2][0] == "Agent.AgentInteractionDuration"
    assert rejects[1] == (
        "InitialContactId",
        "part of a transfer chain whose record on line 2 was rejected",
    )


@pytest.mark.parametrize(
    "row,field",
    [
        ("2026-03-02,11:00,Sales,99999999999999999999999,1,1,1,20,60,0,0,10", "ACD Calls Offered"),
        ("2026-03-02,11:00,Sales,10,5,1,1,20,1e308,0,0,10", "Talk Time"),
        ("2026-03-02,11:00,Sales,10,5,1,1,20,60,0,0,9223372036854775808", "Max Delay"),
        ("2026-03-02,11:00,Sales,10,-5,1,1,20,60,0,0,10", "ACD Calls"),
        ("2026-03-02,11:00,Sales,10,5.5,1,1,20,60,0,0,10", "ACD Calls"),
        ("2026-03-02,11:00,Sales,10,5,1,6,20,60,0,0,10", "Answered Within SL"),
        ("2099-03-02,11:00,Sales,10,5,1,1,20,60,0,0,10", "Date"),
        ("9999-03-02,11:00,Sales,10,5,1,1,20,60,0,0,10", "Date"),
        ("2026-03-02,11:00," + "S" * 121 + ",10,5,1,1,20,60,0,0,10", "Split/Skill"),
    ],
)
def test_interval_report_values_beyond_range_are_rejects(tmp_path, row, field):
    header, good = samples.INTERVAL_CSV.splitlines()[:2]
    result = _read(tmp_path, "interval_report", f"{header}\n{good}\n{row}\n".encode())
    assert len(result.intervals) == 1
    assert [(int(r.line), r.field) for r in result.rejects.itertuples()] == [(3, field)]
    _accounted("interval_report", result)


@pytest.mark.parametrize(
    "row,field",
    [
        ("r-9,100,2099-03-02 10:00,5,10,yes,x", "Submitted At"),
        ("r-9,100,9999-03-02 10:00,5,10,yes,x", "Submitted At"),
        ("r-9," + "1" * 201 + ",2026-03-02 10:00,5,10,yes,x", "Call ID"),
        ("r-9,100,2026-03-02 10:00,1e308,10,yes,x", "CSAT"),
    ],
)
def test_survey_values_beyond_range_are_rejects(tmp_path, row, field):
    header, good = samples.SURVEY_CSV.splitlines()[:2]
    result = _read(tmp_path, "survey", f"{header}\n{good}\n{row}\n".encode())
    assert list(result.surveys.external_id) == ["r-1"]
    assert [(int(r.line), r.field) for r in result.rejects.itertuples()] == [(3, field)]


@pytest.mark.parametrize(
    "bad,reason",
    [
        ("09:00:05 queue Billing 99999999999s; answered", "not a duration of 0 to 7 days"),
        ("09:00:05 queue " + "Q" * 121 + " 5s; answered", "longer than 120 characters"),
    ],
)
def test_scripted_values_beyond_range_fail_the_script_naming_line_and_clause(tmp_path, bad, reason):
    with pytest.raises(FormatError, match=f"sample.txt, line 2: .*{reason}"):
        _read(tmp_path, "scripted_contacts", f"date 2026-03-02\n{bad}\n".encode())
    with pytest.raises(FormatError, match="line 1: 2101-03-02 is outside 1990–2100"):
        _read(tmp_path, "scripted_contacts", b"date 2101-03-02\n09:00:00 IVR 5s\n")


# --- through the loader: rollups equal the stored legs; a failed file leaves nothing -------------


def _assert_sound(batch):
    from django.db.models import Count, Q, Sum

    from measurements.models import Contact, IntervalStat, RejectedRow, Segment

    stored = {
        "contacts": Contact.objects.filter(batch=batch).count(),
        "rejects": RejectedRow.objects.filter(batch=batch).count(),
    }
    if batch.status == "failed":
        assert batch.error
        assert stored == {"contacts": 0, "rejects": 0}
        assert not IntervalStat.objects.filter(source=batch.source).exists()
        return
    assert batch.status == "loaded", batch.error
    assert stored == {"contacts": batch.contacts_loaded, "rejects": batch.rows_rejected}
    legs = Segment.objects.filter(contact__source=batch.source)
    queue = legs.filter(kind="queue").aggregate(
        offered=Count("id"),
        answered=Count("id", filter=Q(outcome="answered")),
        wait=Sum("wait_s", filter=Q(outcome="answered")),
    )
    totals = IntervalStat.objects.filter(source=batch.source).aggregate(
        offered=Sum("offered"), answered=Sum("answered"), wait=Sum("wait_answered_s")
    )
    if batch.export_format != "interval_report":
        assert {k: v or 0 for k, v in totals.items()} == {k: v or 0 for k, v in queue.items()}
    talk = IntervalStat.objects.filter(source=batch.source).aggregate(t=Sum("talk_s"))["t"]
    assert 0 <= (talk or 0) <= bounds.MAX_TOTAL_S


DB_FORMATS = [
    "anonymous_bank",
    "asterisk_queue_log",
    "amazon_connect",
    "generic",
    "interval_report",
    "survey",
]


@pytest.mark.django_db
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_loaded_files_keep_rollups_equal_to_their_legs(centre, tmp_path, data):
    from measurements.services.ingest import batch_create, batch_process, source_create

    fmt = data.draw(st.sampled_from(DB_FORMATS))
    sample = bytearray(SAMPLES[fmt][0].encode())
    edits = data.draw(
        st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=len(sample) - 1), st.sampled_from(HOSTILE)
            ),
            max_size=3,
        )
    )
    for at, replacement in sorted(edits, reverse=True):
        sample[at : at + 1] = replacement
    n = centre.sources.count()
    source = source_create(
        centre=centre,
        name=f"Feed {n}",
        kind="acd",
        export_format=fmt,
        time_zone="Asia/Jerusalem" if fmt == "anonymous_bank" else "Europe/London",
        column_mapping=SAMPLES[fmt][1] or {},
    )
    path = tmp_path / f"feed-{n}.txt"
    path.write_bytes(bytes(sample))
    batch = batch_process(batch_create(source=source, file=path, enqueue=False).pk)
    _assert_sound(batch)


def test_a_column_mixing_naive_times_and_offsets_is_read_row_by_row(tmp_path):
    # Found by the mutation property: one "-" after a time made pandas refuse the whole column.
    text = (
        samples.CHAT_CSV.splitlines()[0]
        + "\n"
        + "ch-1,2026-03-02 09:00:05,,2026-03-02 09:10:00,Chat-EN,,Missed,,x\n"
        + "ch-2,2026-03-02 09:01:00+01:00,,2026-03-02 09:03:00,Chat-EN,,Missed,,x\n"
        + "ch-3,2026-03-02 09:02:00-,,2026-03-02 09:12:00,Chat-EN,,Missed,,x\n"
    )
    mapping = {**samples.CHAT_MAPPING, "datetime_format": None}
    path = tmp_path / "chat.csv"
    path.write_text(text)
    result = concat(read(path, "generic", Options(mapping=mapping, time_zone="Europe/London")))
    assert list(result.contacts.external_id) == ["ch-1", "ch-2"]
    assert list(result.contacts.arrived_at.dt.strftime("%H:%M")) == ["09:00", "08:01"]
    assert [(int(r.line), r.field) for r in result.rejects.itertuples()] == [(4, "Started")]
