"""Anonymous Bank call records (tab-separated ACD+IVR export, Technion SEE lab, 1999).

One contact per record (natural key ``<vru+line>:<call_id>``). Every record has an IVR leg
(routing point ``VRU``); a record that reached the agent queue has a queue leg (``ACD``); a
record served by a named agent has an agent leg. Mapping of ``outcome``:

- ``PHANTOM``: a virtual call, skipped and counted (``rows_skipped``, note ``phantom``).
- ``HANG`` with ``q_time`` 0: abandoned in the IVR, not offered to the queue.
- ``HANG`` with ``q_time`` > 0: offered, abandoned in the queue after ``q_time`` seconds.
- ``AGENT`` with a named ``server``: offered, answered after ``q_time`` seconds (0 when it went
  straight to an agent), handled by ``server`` for ``ser_time`` seconds (talk_s).
- ``AGENT`` with ``NO_SERVER``: ended without an agent, not offered (contact outcome ``error``).

``priority`` 0/1 → customer segment ``regular``, 2 → ``priority``, except ``customer_id`` 0
(caller not identified) → ``unidentified``, counted in a note; ``type`` is the contact type.
Times are naive local clock times (give the source ``Asia/Jerusalem``); they are made UTC here,
DST-safe. Spans crossing midnight are rebuilt by chaining each clock time to the previous one.
Every defect of the README is counted in the notes with the action taken. Values beyond the
shared bounds (``bounds.py``) are rejects with their line and field: ``q_time``/``ser_time``
0 … 7 days, ``vru_time`` within ±7 days (negative IVR times are a documented defect), a date in
1990–2100 and not after the import, texts that fit their columns.
"""
from __future__ import annotations

import csv

import numpy as np
import pandas as pd

from . import tabular
from .base import Chunk, FormatError, Options, check_text, localize, rejects_frame
from .bounds import Checks

NAME = "anonymous_bank"
COLUMNS = ["vru+line", "call_id", "customer_id", "priority", "type", "date", "vru_entry",
           "vru_exit", "vru_time", "q_start", "q_exit", "q_time", "outcome", "ser_start",
           "ser_exit", "ser_time", "server"]
KNOWN_TYPES = {"PS", "PE", "IN", "NE", "NW", "TT"}
IVR_CODE = "VRU"
QUEUE_CODE = "ACD"
DAY_S = 86400
# A clock time up to an hour "before" the previous one is a clock skew or a negative span, not a
# jump over midnight (the longest real span is 61,437 s, well under a day minus an hour).
SKEW_TOLERANCE_S = 3600
# Callers with customer_id 0 cannot be told apart (priority or regular): their own segment.
UNIDENTIFIED = "unidentified"


def sniff(first_line: str) -> bool:
    return first_line.startswith("vru+line\tcall_id")


def _clock_s(series: pd.Series) -> pd.Series:
    """``H:MM:SS`` clock times → seconds after midnight (NaN when not a valid time of day).

    Vectorised: the texts become a fixed-width (8 characters) array whose code points are
    checked and combined by numpy, with no Python call per value."""
    text = series.fillna("").astype(str).to_numpy(dtype="U9")
    lens = np.strings.str_len(text)
    fixed = np.where(lens == 7, np.strings.add("0", text), text).astype("U8")
    codes = fixed.view(np.uint32).reshape(-1, 8).astype(np.int64)
    digits = codes - ord("0")
    is_digit = (digits >= 0) & (digits <= 9)
    shaped = ((lens == 7) | (lens == 8)) & (codes[:, 2] == ord(":")) & \
        (codes[:, 5] == ord(":")) & is_digit[:, [0, 1, 3, 4, 6, 7]].all(axis=1) & \
        (digits[:, 3] <= 5) & (digits[:, 6] <= 5)
    secs = ((digits[:, 0] * 10 + digits[:, 1]) * 3600 + (digits[:, 3] * 10 + digits[:, 4]) * 60
            + digits[:, 6] * 10 + digits[:, 7]).astype(float)
    secs[~shaped] = np.nan
    out = pd.Series(secs, index=series.index)
    return out.where(out < DAY_S)


def _after(prev_abs: pd.Series, clock: pd.Series) -> pd.Series:
    """Absolute seconds of ``clock`` taken as the first time at or after ``prev_abs`` (allowing
    a small backwards skew)."""
    delta = (clock - prev_abs) % DAY_S
    delta = delta.where(delta <= DAY_S - SKEW_TOLERANCE_S, delta - DAY_S)
    return prev_abs + delta


def read(path, options: Options):
    """Yield :class:`Chunk` objects for the file at ``path`` (see the module docstring)."""
    name = options.name or str(path)
    encoding = check_text(path, name, ("utf-8", "latin-1"))
    with open(path, encoding=encoding, errors="replace") as fh:
        header = fh.readline().rstrip("\r\n")
    found = header.split("\t")
    if len(found) == 1 and ("," in header or ";" in header):
        sep = "," if "," in header else ";"
        raise FormatError(f"{name}: expected tab-separated columns, found “{sep}” as the "
                          f"delimiter in the header line: {header[:120]!r}.")
    missing = [c for c in COLUMNS if c not in found]
    if missing:
        raise FormatError(f"{name}, line 1: expected the Anonymous Bank columns {COLUMNS}; "
                          f"missing {missing}; found {found[:20]}.")
    daily = pd.Series(dtype="int64")
    previous_key = None
    unsorted = 0
    # Rows with more or fewer fields than the header are rejected with their line (never
    # skipped unseen): ``tabular.chunks`` numbers rows by their line in the file.
    for frame in tabular.chunks(path, name, "\t", encoding, options.chunk_rows,
                                quoting=csv.QUOTE_NONE, errors="replace",
                                skipinitialspace=False):
        chunk = tabular.with_bad_lines(_map(frame, options) if len(frame) else Chunk(), frame)
        days = chunk.contacts.pop("_local_date") if "_local_date" in chunk.contacts else None
        if days is not None and len(days):
            daily = daily.add(days.value_counts(), fill_value=0)
            first = days.iloc[0]
            if previous_key is not None and first < previous_key:
                unsorted += 1
            sorted_dates = days.to_numpy()
            unsorted += int((sorted_dates[1:] < sorted_dates[:-1]).sum())
            previous_key = days.iloc[-1]
        yield chunk
    final = Chunk()
    if unsorted:
        final.notes.add("not_time_ordered", unsorted,
                        "rows are sorted by IVR line, not by time; intervals are rebuilt from "
                        "timestamps so order does not matter")
    _day_notes(daily, final)
    yield final


def _day_notes(daily: pd.Series, chunk: Chunk):
    if daily.empty:
        return
    daily.index = pd.to_datetime(daily.index)
    full = pd.date_range(daily.index.min(), daily.index.max(), freq="D")
    missing = [d.strftime("%Y-%m-%d") for d in full if d not in daily.index]
    if missing:
        chunk.notes.add("missing_days", len(missing),
                        "no records for " + ", ".join(missing[:20])
                        + (f" and {len(missing) - 20} more days" if len(missing) > 20 else "")
                        + "; kept as gaps (no data), not as zero traffic")
    median = daily.median()
    heavy = daily[daily > 2.5 * median]
    if len(heavy):
        chunk.notes.add("day_volume_outlier", len(heavy),
                        "unusually many records on " + ", ".join(
                            f"{d:%Y-%m-%d} ({int(n)}, median {int(median)})"
                            for d, n in heavy.items()) + "; loaded as recorded")


def _map(frame: pd.DataFrame, options: Options) -> Chunk:
    chunk = Chunk(rows_read=len(frame))
    notes = chunk.notes
    rejects = []

    def reject(mask, fld, reason):
        for line in frame.index[mask]:
            rejects.append((int(line), fld, reason, "\t".join(frame.loc[line, COLUMNS])))
        return mask

    bad = pd.Series(False, index=frame.index)
    short = frame["server"].eq("")
    bad |= reject(short, "server", "fewer than 17 tab-separated fields (server is empty)")
    outcome = frame["outcome"].str.strip()
    bad |= reject(~bad & ~outcome.isin(["AGENT", "HANG", "PHANTOM"]), "outcome",
                  "outcome must be AGENT, HANG or PHANTOM")
    date = pd.to_datetime(frame["date"], format="%y%m%d", errors="coerce")
    bad |= reject(~bad & date.isna(), "date", "date is not YYMMDD")
    clocks = {}
    for col in ("vru_entry", "vru_exit", "q_start", "q_exit", "ser_start", "ser_exit"):
        clocks[col] = _clock_s(frame[col])
        bad |= reject(~bad & clocks[col].isna(), col, f"{col} is not a H:MM:SS time")
    nums = {}
    for col in ("vru_time", "q_time", "ser_time"):
        nums[col] = pd.to_numeric(frame[col], errors="coerce")
        bad |= reject(~bad & nums[col].isna(), col, f"{col} is not a whole number of seconds")
    # The shared bounds (durations, dates, texts): one reason per line, after the checks above.
    checks = Checks(frame.index, lambda line: "\t".join(frame.loc[line, COLUMNS]),
                    options.not_after)
    checks.bad |= bad
    checks.times(date.dt.tz_localize("UTC"), "date")
    checks.durations(nums["vru_time"].abs(), "vru_time")
    for col in ("q_time", "ser_time"):
        nums[col] = checks.durations(nums[col], col)
    for col, kind in (("customer_id", "customer_ref"), ("type", "contact_type"),
                      ("server", "agent")):
        checks.texts(frame[col].str.strip(), col, kind)
    checks.texts(frame["vru+line"].str.strip() + ":" + frame["call_id"].str.strip(), "call_id",
                 "external_id")
    rejects.extend(checks.rows)
    bad = checks.bad
    nums["vru_time"] = nums["vru_time"].where(~bad, 0)
    chunk.rejects = rejects_frame(rejects)

    phantom = ~bad & outcome.eq("PHANTOM")
    chunk.rows_skipped = int(phantom.sum())
    notes.add("phantom", chunk.rows_skipped, "virtual calls skipped (not contacts)")
    keep = ~bad & ~phantom
    f = frame[keep]
    outcome = outcome[keep]
    date = date[keep]
    c = {k: v[keep] for k, v in clocks.items()}
    n = {k: v[keep].astype("int64") for k, v in nums.items()}
    if f.empty:
        return chunk

    server = f["server"].str.strip()
    q_time = n["q_time"]
    named = server.ne("NO_SERVER") & server.ne("")
    served = outcome.eq("AGENT") & named
    no_server = outcome.eq("AGENT") & ~named
    queued_hang = outcome.eq("HANG") & q_time.gt(0)
    ivr_hang = outcome.eq("HANG") & q_time.le(0)
    queued = served | queued_hang

    entry = c["vru_entry"]
    exit_ = _after(entry, c["vru_exit"])
    negative = exit_ < entry
    notes.add("negative_vru_time", int(negative.sum()),
              "IVR exit before entry: the IVR leg is taken as 0 s at the exit time and the "
              "contact arrives at the earlier of the two")
    start = entry.where(~negative, exit_)
    exit_ = exit_.where(~negative, start)
    has_q = c["q_start"].gt(0) | c["q_exit"].gt(0)
    q_start = _after(exit_, c["q_start"]).where(has_q, exit_)
    q_exit = _after(q_start, c["q_exit"]).where(has_q, q_start + q_time.clip(lower=0))
    has_ser = c["ser_start"].gt(0) | c["ser_exit"].gt(0)
    ser_start = _after(q_exit, c["ser_start"]).where(has_ser, q_exit)
    ser_exit = _after(ser_start, c["ser_exit"]).where(has_ser, ser_start + n["ser_time"])
    straight = served & ~has_q
    notes.add("straight_to_agent", int(straight.sum()),
              "AGENT records with no queue times: counted as offered and answered with 0 s wait")
    notes.add("service_before_queue_exit", int((served & has_ser & (ser_start < q_exit)).sum()),
              "service start before queue exit (subsystem clocks differ): wait taken from "
              "q_time, service from ser_time")
    notes.add("no_server_agent", int(no_server.sum()),
              "AGENT records without a named server: not agent-served, not offered to the queue "
              "(contact outcome error / no agent)")
    notes.add("agent_zero_service", int((served & n["ser_time"].eq(0)).sum()),
              "named agent with ser_time 0: counted as handled with 0 s talk")
    notes.add("hang_with_service", int((outcome.eq("HANG") & n["ser_time"].gt(0)).sum()),
              "HANG records with ser_time > 0: no agent leg created, service time ignored")
    long_span = (q_time > 3 * 3600) | (n["ser_time"] > 3 * 3600)
    notes.add("very_long_span", int(long_span.sum()),
              "queue wait or service over 3 hours (max "
              f"{int(max(q_time.max(), n['ser_time'].max()))} s): loaded as recorded")
    unknown_type = ~f["type"].isin(KNOWN_TYPES)
    notes.add("undocumented_type", int(unknown_type.sum()),
              "contact types not in the README (" + ", ".join(
                  sorted(f.loc[unknown_type, "type"].unique())[:10]) + "): kept as recorded")
    no_customer = f["customer_id"].isin(["0", ""])
    notes.add("customer_id_zero", int(no_customer.sum()),
              "customer_id 0 (caller not identified; a documented recording bug for callers who "
              f"did not queue): customer reference left empty, customer segment "
              f"“{UNIDENTIFIED}” (not guessed as regular)")

    local_day = date.dt.normalize()

    def ts(seconds):
        naive = local_day + pd.to_timedelta(seconds, unit="s")
        return naive

    naive = {"start": ts(start), "exit": ts(exit_), "q_start": ts(q_start),
             "q_exit": ts(q_exit), "ser_start": ts(ser_start), "ser_exit": ts(ser_exit)}
    tz = options.time_zone
    strict = naive["start"].dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    notes.add("dst_local_time", int(strict.isna().sum()),
              f"arrival clock time falls in a DST change hour of {tz}: non-existent times "
              "moved forward, repeated times taken as the second (standard-time) pass")
    utc = {k: localize(v, tz) for k, v in naive.items()}

    ext = f["vru+line"].str.strip() + ":" + f["call_id"].str.strip()
    segment_label = f["priority"].map({"0": "regular", "1": "regular", "2": "priority"}) \
        .fillna(f["priority"]).mask(no_customer, UNIDENTIFIED)
    contact_outcome = pd.Series("abandoned", index=f.index)
    contact_outcome[served] = "handled"
    contact_outcome[no_server] = "error"
    ended = utc["exit"].where(~queued, utc["q_exit"])
    ended = ended.where(~served, utc["ser_exit"])
    contacts = pd.DataFrame({
        "external_id": ext, "channel": "voice", "arrived_at": utc["start"],
        "ended_at": ended, "customer_ref": f["customer_id"].where(~no_customer, ""),
        "customer_segment": segment_label, "contact_type": f["type"], "outcome": contact_outcome,
        "queue_code": pd.Series(QUEUE_CODE, index=f.index).where(queued, ""),
    })
    contacts["_local_date"] = local_day.dt.strftime("%Y-%m-%d")

    ivr_outcome = pd.Series("to_queue", index=f.index)
    ivr_outcome[ivr_hang] = "abandoned"
    ivr_outcome[no_server] = "no_agent"
    ivr = pd.DataFrame({
        "external_id": ext, "seq": 1, "kind": "ivr", "queue_code": IVR_CODE, "queue_kind": "ivr",
        "agent_code": "", "entered_at": utc["start"], "answered_at": pd.NaT,
        "left_at": utc["exit"], "wait_s": 0, "talk_s": 0, "hold_s": 0, "acw_s": 0,
        "outcome": ivr_outcome,
    })
    qmask = queued
    queue = pd.DataFrame({
        "external_id": ext[qmask], "seq": 2, "kind": "queue", "queue_code": QUEUE_CODE,
        "queue_kind": "acd", "agent_code": "", "entered_at": utc["q_start"][qmask],
        "answered_at": utc["q_exit"][qmask].where(served[qmask]),
        "left_at": utc["q_exit"][qmask], "wait_s": q_time[qmask].clip(lower=0),
        "talk_s": 0, "hold_s": 0, "acw_s": 0,
        "outcome": pd.Series("abandoned", index=f.index)[qmask].mask(served[qmask], "answered"),
    })
    agent = pd.DataFrame({
        "external_id": ext[served], "seq": 3, "kind": "agent", "queue_code": QUEUE_CODE,
        "queue_kind": "acd", "agent_code": server[served],
        "entered_at": utc["ser_start"][served], "answered_at": utc["ser_start"][served],
        "left_at": utc["ser_exit"][served], "wait_s": 0,
        "talk_s": n["ser_time"][served].clip(lower=0), "hold_s": 0, "acw_s": 0,
        "outcome": "completed",
    })
    chunk.contacts = contacts
    chunk.segments = pd.concat([ivr, queue, agent], ignore_index=True)
    return chunk
