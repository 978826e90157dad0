"""Generic CSV/XLSX exports read through a saved column mapping (CRM/case systems, web forms,
chat and e-mail platforms, IVR session exports, other ACDs).

The mapping is saved on the data source (``DataSource.column_mapping``) and is JSON::

    {
      "columns": {                      # canonical field -> header of the column in the file
        "external_id": "Case ID",       # required: the contact's id, unique per source
        "arrived_at": "Created",        # required: when the contact arrived (date + time)
        "queue": "Queue",               # routing point code (ACD queue, chat queue, IVR app)
        "answered_at": "Accepted",      # when an agent answered/accepted (date + time)
        "ended_at": "Closed",           # when it ended
        "wait_s": "Wait",               # queue wait; default answered_at - arrived_at
        "talk_s": "Handle",  "hold_s": "Hold",  "acw_s": "Wrap",
        "outcome": "Status",            # mapped through "outcome_values"
        "agent": "Owner",  "channel": "Channel",  "contact_type": "Reason",
        "customer_ref": "Customer",  "customer_segment": "Tier"
      },
      "datetime_format": "%d/%m/%Y %H:%M",   # optional strptime format; default: ISO / mixed
      "time_zone": "Europe/London",          # optional; default: the data source's time zone
      "duration_unit": "s",                  # s | ms | min | h; "H:MM:SS" texts always accepted
      "delimiter": ",",                      # optional; default: sniffed
      "sheet": "Sheet1",                     # optional, XLSX only
      "channel": "chat",                     # constant channel when there is no channel column
      "queue": "WEB-CHAT",                   # constant routing point when there is no queue column
      "queue_kind": "web",                   # acd | web | cms | ivr  (ivr: IVR session export)
      "outcome_values": {"Resolved": "handled", "Abandoned": "abandoned"},
      "channel_values": {"Live chat": "chat", "Mail": "email"}
    }

Canonical outcomes: handled, abandoned, self_served, overflowed, callback, transferred_out, error,
and open (not finished when exported: the row is skipped and counted, not loaded).
Without ``outcome``, a row with ``answered_at`` (or an agent, or talk time) is handled, else
abandoned. Channels: voice, chat, email, web_form, sms, social.

A workforce (agent-state) export is read with ``"records": "agent_states"``: each row is one
span of one agent in one state, and ``columns`` maps ``agent``, ``state``, ``started_at``,
``ended_at`` (all required), ``reason`` and ``queue`` (optional)::

    {"records": "agent_states",
     "columns": {"agent": "Agent", "state": "Status", "started_at": "From", "ended_at": "To",
                 "reason": "Reason code"},
     "state_values": {"Logged in": "staffed", "On contact": "busy", "Not ready": "paused"}}

Canonical states: staffed (logged in), available, busy (handling contacts, wrap-up included)
and paused (breaks, training, offline work); spans may overlap (busy and paused inside
staffed). Occupancy = busy / (busy + available), available = staffed − paused − busy when the
export has no available spans.

Each contact row becomes one contact. For ``queue_kind`` acd/web/cms it gets a queue leg (answered,
abandoned, or timed out for overflowed/transferred_out) and, when answered, an agent leg with the
talk/hold/ACW seconds. For ``queue_kind`` ``ivr`` it gets one IVR leg: self_served → contained,
abandoned → abandoned, error → ended without an agent (a closed message, a failure), anything
else → passed to a queue.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import tabular
from .base import Chunk, FormatError, Options, mapped, rejects_frame
from .bounds import ASYNC_CHANNELS, TEXT_LIMITS, Checks, max_wait_s

NAME = "generic"
FIELDS = ("external_id", "arrived_at", "queue", "answered_at", "ended_at", "wait_s", "talk_s",
          "hold_s", "acw_s", "outcome", "agent", "channel", "contact_type", "customer_ref",
          "customer_segment")
REQUIRED = ("external_id", "arrived_at")
OUTCOMES = {"handled", "abandoned", "self_served", "overflowed", "callback", "transferred_out",
            "error", "open"}
CHANNELS = {"voice", "chat", "email", "web_form", "sms", "social"}
QUEUE_KINDS = {"acd", "web", "cms", "ivr"}
RECORDS = ("contacts", "agent_states")
STATE_FIELDS = ("agent", "state", "started_at", "ended_at", "reason", "queue")
STATE_REQUIRED = ("agent", "state", "started_at", "ended_at")
STATES = {"staffed", "available", "busy", "paused"}


def validate_mapping(mapping: dict | None) -> list[str]:
    """Problems with a mapping, as sentences (empty list: usable)."""
    if not mapping or not isinstance(mapping, dict):
        return ["no column mapping is saved for this data source"]
    problems = []
    cols = mapping.get("columns") or {}
    if not isinstance(cols, dict):
        return ["“columns” must map canonical fields to column headers"]
    records = mapping.get("records", "contacts")
    if records not in RECORDS:
        return [f"records must be one of {list(RECORDS)}, not {records!r}"]
    fields, required = ((STATE_FIELDS, STATE_REQUIRED) if records == "agent_states"
                        else (FIELDS, REQUIRED))
    unknown = sorted(set(cols) - set(fields))
    if unknown:
        problems.append(f"unknown canonical fields {unknown} (known: {list(fields)})")
    problems += [f"the “{f}” column is required" for f in required if not cols.get(f)]
    bad_states = sorted(set((mapping.get("state_values") or {}).values()) - STATES)
    if bad_states:
        problems.append(f"state_values map to unknown states {bad_states} (known "
                        f"{sorted(STATES)})")
    if len(str(mapping.get("queue") or "")) > TEXT_LIMITS["queue"]:
        problems.append(f"the constant queue is longer than {TEXT_LIMITS['queue']} characters")
    if mapping.get("queue_kind", "acd") not in QUEUE_KINDS:
        problems.append(f"queue_kind must be one of {sorted(QUEUE_KINDS)}")
    bad = sorted(set((mapping.get("outcome_values") or {}).values()) - OUTCOMES)
    if bad:
        problems.append(f"outcome_values map to unknown outcomes {bad} (known {sorted(OUTCOMES)})")
    if mapping.get("channel") and mapping["channel"] not in CHANNELS:
        problems.append(f"channel must be one of {sorted(CHANNELS)}")
    return problems


def preview(path, name, delimiter=None, rows=10):
    """``(columns, first rows as lists of strings)`` for the mapping set-up page."""
    columns, delimiter, encoding = tabular.header(path, name, delimiter)
    frame = next(tabular.chunks(path, name, delimiter, encoding, rows), pd.DataFrame())
    return columns, frame.head(rows).astype(str).values.tolist()


def read(path, options: Options):
    name = options.name or str(path)
    mapping = options.mapping or {}
    problems = validate_mapping(mapping)
    if problems:
        raise FormatError(f"{name}: the column mapping cannot be used: " + "; ".join(problems))
    cols = mapping["columns"]
    found, delimiter, encoding = tabular.header(path, name, mapping.get("delimiter"))
    missing = [c for c in cols.values() if c and c not in found]
    if missing:
        raise tabular.missing_error(name, "mapped", missing, found, delimiter)
    tz = mapping.get("time_zone") or options.time_zone
    mapper = _map_states if mapping.get("records") == "agent_states" else _map
    for frame in tabular.chunks(path, name, delimiter, encoding, options.chunk_rows,
                                mapping.get("sheet")):
        chunk = mapper(frame, mapping, tz, options.not_after) if len(frame) else Chunk()
        yield tabular.with_bad_lines(chunk, frame)


def _raw(frame):
    return lambda line: ",".join(str(v) for v in frame.loc[line])


def _map_states(frame: pd.DataFrame, mapping: dict, tz: str, not_after=None) -> Chunk:
    """Agent-state rows → ``agent_states``; rows without an agent, with a state not in the
    mapping, an unreadable or out-of-range time, a span ending before it starts or longer
    than 7 days, or an over-long agent/reason text are rejected."""
    cols = {k: v for k, v in mapping["columns"].items() if v}
    chunk = Chunk(rows_read=len(frame))
    checks = Checks(frame.index, _raw(frame), not_after)
    reject = checks.reject

    def col(fld):
        if fld not in cols:
            return pd.Series("", index=frame.index)
        return frame[cols[fld]].astype(str).str.strip()

    agent = col("agent")
    reject(agent.eq(""), cols["agent"], "empty agent")
    checks.texts(agent, cols["agent"], "agent")
    for fld in ("reason", "queue"):
        if fld in cols:
            checks.texts(col(fld), cols[fld], fld)
    raw_state = col("state")
    values = mapping.get("state_values") or {}
    lowered = raw_state.str.lower()
    state = mapped(raw_state, values).astype(object).fillna(
        lowered.where(lowered.isin(STATES)).astype(object))
    reject(state.isna(), cols["state"],
           f"state not in the mapping's state_values {sorted(values)} nor one of "
           f"{sorted(STATES)}")
    fmt = mapping.get("datetime_format")
    times = {}
    for fld in ("started_at", "ended_at"):
        times[fld] = tabular.parse_times(col(fld), fmt, tz)
        reject(times[fld].isna(), cols[fld],
               f"not a date/time{' in format ' + fmt if fmt else ''}")
        checks.times(times[fld], cols[fld])
    checks.order(times["started_at"], times["ended_at"], cols["ended_at"],
                 "the span ends before it starts")
    checks.durations((times["ended_at"] - times["started_at"]).dt.total_seconds(),
                     cols["ended_at"])
    chunk.rejects = rejects_frame(checks.rows)
    keep = ~checks.bad
    chunk.agent_states = pd.DataFrame({
        "agent_code": agent[keep], "queue_code": col("queue")[keep],
        "state": state[keep].astype(str), "started_at": times["started_at"][keep],
        "ended_at": times["ended_at"][keep], "reason": col("reason")[keep],
    }).reset_index(drop=True)
    return chunk


def _map(frame: pd.DataFrame, mapping: dict, tz: str, not_after=None) -> Chunk:
    cols = {k: v for k, v in mapping["columns"].items() if v}
    chunk = Chunk(rows_read=len(frame))
    checks = Checks(frame.index, _raw(frame), not_after)
    reject = checks.reject
    stripped: dict = {}

    def col(fld, default=""):
        if fld not in cols:
            return pd.Series(default, index=frame.index)
        if fld not in stripped:  # each column is stripped once, however often it is used
            stripped[fld] = frame[cols[fld]].astype(str).str.strip()
        return stripped[fld]

    ext = col("external_id")
    reject(ext.eq(""), cols["external_id"], "empty contact id")
    for fld in TEXT_LIMITS:
        if fld in cols:
            checks.texts(col(fld), cols[fld], fld)
    chan_values = mapping.get("channel_values") or {}
    chan_raw = col("channel", mapping.get("channel", "voice"))
    channel = mapped(chan_raw, chan_values).astype(object).fillna(chan_raw.str.lower()).replace(
        "", mapping.get("channel", "voice"))
    reject(~channel.isin(CHANNELS), cols.get("channel", "channel"),
           f"channel must be one of {sorted(CHANNELS)}")
    fmt = mapping.get("datetime_format")
    times = {}
    for fld in ("arrived_at", "answered_at", "ended_at"):
        if fld in cols:
            text = col(fld)
            times[fld] = tabular.parse_times(text, fmt, tz)
            reject(times[fld].isna() & text.ne(""), cols[fld],
                   f"not a date/time{' in format ' + fmt if fmt else ''} between 1990 and 2100")
            checks.times(times[fld], cols[fld])
        else:
            times[fld] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    reject(times["arrived_at"].isna(), cols["arrived_at"], "arrival time is empty")
    for fld in ("answered_at", "ended_at"):
        if fld in cols:
            checks.order(times["arrived_at"], times[fld], cols[fld],
                         f"{fld.replace('_at', '')} before the arrival time")
    # The span of a contact and its queue wait are bounded by its channel (e-mail and web forms
    # are answered in days); talk, hold and wrap-up by 7 days on every channel.
    wait_limit = pd.Series(np.where(channel.isin(list(ASYNC_CHANNELS)), max_wait_s("email"),
                                    max_wait_s(None)), index=frame.index)
    if "ended_at" in cols:
        checks.durations((times["ended_at"] - times["arrived_at"]).dt.total_seconds(),
                         cols["ended_at"], wait_limit)
    unit = mapping.get("duration_unit", "s")
    secs = {}
    for fld in ("wait_s", "talk_s", "hold_s", "acw_s"):
        text = col(fld)
        if fld in cols:
            secs[fld] = checks.durations(tabular.parse_seconds(text, unit), cols[fld],
                                         wait_limit if fld == "wait_s" else max_wait_s(None),
                                         text=text)
        else:
            secs[fld] = pd.Series(0, index=frame.index, dtype="int64")
    bad = checks.bad
    agent = col("agent")
    out_raw = col("outcome")
    values = mapping.get("outcome_values") or {}
    lowered = out_raw.str.lower()
    outcome = mapped(out_raw, values).astype(object).fillna(
        lowered.where(lowered.isin(OUTCOMES)).astype(object))
    answered_hint = times["answered_at"].notna() | agent.ne("") | secs["talk_s"].gt(0)
    if "outcome" in cols:
        reject(outcome.isna() & out_raw.ne(""), cols["outcome"],
               f"outcome not in the mapping's outcome_values {sorted(values)}")
    outcome = outcome.where(outcome.notna() & out_raw.ne(""),
                            pd.Series(np.where(answered_hint, "handled", "abandoned"),
                                      index=frame.index, dtype=object))
    queue = col("queue", mapping.get("queue", "")).replace("", mapping.get("queue", "") or "")
    reject(queue.eq(""), cols.get("queue", "queue"),
           "no routing point: map a queue column or set a constant queue")
    bad = checks.bad
    # Not finished when the file was exported: skipped and counted; the export that closes
    # the contact loads it (contacts are upserted on their id).
    still_open = outcome.eq("open") & ~bad
    chunk.rows_skipped = int(still_open.sum())
    chunk.notes.add("open_at_end", chunk.rows_skipped,
                    "contacts still open at the end of the export: not loaded until an export "
                    "closes them")
    bad = bad | still_open
    dup = ext.duplicated(keep="last") & ~bad
    chunk.duplicates = int(dup.sum())
    chunk.notes.add("repeated_contact_id", chunk.duplicates,
                    "contact id repeated in the file: the last row kept")
    chunk.rejects = rejects_frame(checks.rows)
    keep = ~bad & ~dup
    f = {k: v[keep] for k, v in times.items()}
    s = {k: v[keep] for k, v in secs.items()}
    ext, agent, outcome, channel, queue = ext[keep], agent[keep], outcome[keep], channel[keep], \
        queue[keep]
    if ext.empty:
        return chunk
    arrived = f["arrived_at"]
    answered = f["answered_at"].where(f["answered_at"].notna() | ~outcome.eq("handled"), arrived)
    wait = s["wait_s"].where(s["wait_s"].gt(0) | ("wait_s" in cols),
                             ((answered.fillna(f["ended_at"]) - arrived).dt.total_seconds())
                             .fillna(0).clip(lower=0).round().astype("int64"))
    handle = s["talk_s"] + s["hold_s"]
    ended = f["ended_at"].fillna(answered + pd.to_timedelta(handle, unit="s")).fillna(
        arrived + pd.to_timedelta(wait, unit="s"))
    kind = mapping.get("queue_kind", "acd")
    chunk.contacts = pd.DataFrame({
        "external_id": ext, "channel": channel, "arrived_at": arrived, "ended_at": ended,
        "customer_ref": col("customer_ref")[keep], "customer_segment":
        col("customer_segment")[keep], "contact_type": col("contact_type")[keep],
        "outcome": outcome, "queue_code": queue if kind != "ivr" else "",
    })
    base = {"external_id": ext, "queue_code": queue, "queue_kind": kind, "hold_s": 0, "acw_s": 0}
    if kind == "ivr":
        ivr_out = mapped(outcome, {"self_served": "contained", "abandoned": "abandoned",
                                  "error": "no_agent"}).fillna("to_queue")
        chunk.segments = pd.DataFrame({**base, "seq": 1, "kind": "ivr", "agent_code": "",
                                       "entered_at": arrived, "answered_at": pd.NaT,
                                       "left_at": ended, "wait_s": 0, "talk_s": 0,
                                       "outcome": ivr_out})
        return chunk
    is_answered = outcome.eq("handled") | (outcome.eq("transferred_out") & answered_hint[keep])
    q_out = pd.Series("abandoned", index=ext.index).mask(is_answered, "answered").mask(
        ~is_answered & outcome.isin(["overflowed", "transferred_out", "callback"]), "timed_out")
    queue_seg = pd.DataFrame({**base, "seq": 1, "kind": "queue", "agent_code": "",
                              "entered_at": arrived, "answered_at": answered.where(is_answered),
                              "left_at": answered.where(is_answered, ended), "wait_s": wait,
                              "talk_s": 0, "outcome": q_out})
    a = is_answered
    agent_seg = pd.DataFrame({
        "external_id": ext[a], "queue_code": queue[a], "queue_kind": kind, "seq": 2,
        "kind": "agent", "agent_code": agent[a], "entered_at": answered[a],
        "answered_at": answered[a], "left_at": ended[a], "wait_s": 0, "talk_s": s["talk_s"][a],
        "hold_s": s["hold_s"][a], "acw_s": s["acw_s"][a],
        "outcome": mapped(outcome[a], {"transferred_out": "transferred"}).fillna("completed"),
    })
    chunk.segments = pd.concat([queue_seg, agent_seg], ignore_index=True)
    return chunk


def ensure_mapping_columns(found, mapping):
    """Raise FormatError when mapped headers are missing from ``found``."""
    missing = [c for c in (mapping.get("columns") or {}).values() if c and c not in found]
    if missing:
        raise FormatError(f"expected mapped columns {missing}; found {found[:25]}")
