"""Interval reports (Avaya CMS split/skill, Cisco CSQ, Genesys queue performance exports and
similar CSV/XLSX): one row per queue and interval with totals, loaded straight into the interval
rollups with the source's own interval length.

Columns are matched by name, case and punctuation ignored; accepted aliases:

- interval start: ``interval_start``, ``interval``, ``start``, ``start_time``, ``period_start``,
  ``date_time``; or separate ``date`` + ``time`` columns (naive → the source's time zone)
- queue: ``queue``, ``split``, ``skill``, ``csq``, ``csq_name``, ``queue_name``, ``split_skill``
- ``offered`` (calls_offered, acd_calls_offered, contacts_offered), ``answered`` (acd_calls,
  calls_handled, handled, contacts_handled), ``abandoned`` (aban_calls, calls_abandoned,
  contacts_abandoned) — required
- optional: ``answered_within_threshold`` (+ ``threshold_s``, default 20),
  ``abandoned_within_threshold``, ``flowed_out``, ``talk_s``, ``hold_s``, ``acw_s``,
  ``wait_answered_s`` (total queue time of answered), ``wait_abandoned_s``, ``wait_max_s``,
  ``interval_s`` (else inferred from the spacing of the starts, default 900), ``channel``.

Durations are totals in seconds (or ``H:MM:SS``). ``handled`` is taken equal to ``answered``.
Values are held to the shared bounds (``bounds.py``): counts are whole numbers 0 … 1,000,000,
totals of seconds at most 1,000,000 × 90 days, the longest wait at most the channel's longest
wait, the interval length 1 s … 1 day, the service-level threshold at most 1 day, starts in
1990–2100 and not after the import; within-threshold counts are at most the answered or
abandoned counts; channels are voice, chat, email, web_form, sms or social.
"""
from __future__ import annotations

import pandas as pd

from . import tabular
from .base import INTERVAL_COLUMNS, Chunk, Options, rejects_frame
from .bounds import MAX_INTERVAL_S, MAX_TOTAL_S, Checks, max_wait_s

NAME = "interval_report"
ALIASES = {
    "interval_start": ("interval", "start", "start_time", "period_start", "date_time",
                       "interval_start_time", "timestamp"),
    "date": ("day",), "time": ("interval_time", "start_hour"),
    "queue": ("split", "skill", "csq", "csq_name", "queue_name", "split_skill", "skill_name"),
    "offered": ("calls_offered", "acd_calls_offered", "contacts_offered", "offered_calls"),
    "answered": ("acd_calls", "calls_handled", "handled", "contacts_handled", "calls_answered",
                 "answered_calls"),
    "abandoned": ("aban_calls", "calls_abandoned", "contacts_abandoned", "abandoned_calls"),
    "answered_within_threshold": ("answered_within_sl", "acd_calls_within_sl", "within_sl",
                                  "service_level_calls"),
    "abandoned_within_threshold": ("abandoned_within_sl",),
    "threshold_s": ("service_level_threshold", "sl_threshold_s", "threshold"),
    "flowed_out": ("flow_out", "overflowed", "outflow"),
    "talk_s": ("talk_time", "acd_time", "talk_time_s", "handle_talk_s"),
    "hold_s": ("hold_time", "hold_time_s"),
    "acw_s": ("acw_time", "wrap_s", "wrap_up_s", "after_call_work_s"),
    "wait_answered_s": ("queue_time_answered_s", "ans_time", "total_answer_delay_s"),
    "wait_abandoned_s": ("aban_time", "queue_time_abandoned_s"),
    "wait_max_s": ("max_delay", "max_wait_s", "longest_wait_s"),
    "interval_s": ("interval_length_s", "interval_length"),
    "channel": ("media", "media_type"),
}
COUNTS = ("offered", "answered", "abandoned", "flowed_out")
SECONDS = ("talk_s", "hold_s", "acw_s", "wait_answered_s", "wait_abandoned_s", "wait_max_s")


def sniff_columns(columns) -> bool:
    found = tabular.require("", columns, {k: ALIASES[k] for k in ("queue", "offered",
                                                                   "abandoned")})
    return len(found) == 3


def read(path, options: Options):
    name = options.name or str(path)
    found, delimiter, encoding = tabular.header(path, name)
    match = tabular.require(name, found, ALIASES)
    missing = [f for f in ("queue", "offered", "answered", "abandoned") if f not in match]
    if "interval_start" not in match and not ("date" in match and "time" in match):
        missing.insert(0, "interval_start (or date + time)")
    if missing:
        raise tabular.missing_error(name, "interval report", missing, found, delimiter)
    frames = []
    chunk = Chunk()
    rejects = []
    for frame in tabular.chunks(path, name, delimiter, encoding, options.chunk_rows):
        chunk.rows_read += len(frame) + len(tabular.bad_line_rejects(frame))
        rejects.extend(tabular.bad_line_rejects(frame))
        if len(frame):
            frames.append(_map(frame, match, options.time_zone, rejects, options.not_after))
    chunk.rejects = rejects_frame(rejects)
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=INTERVAL_COLUMNS)
    if len(data) and "interval_s" not in match:
        spacing = (data.sort_values("interval_start").groupby("queue_code")["interval_start"]
                   .diff().dt.total_seconds())
        spacing = spacing[spacing > 0]
        length = int(spacing.min()) if len(spacing) else 900
        data["interval_s"] = length
        chunk.notes.add("interval_length_inferred", 1,
                        f"interval length taken from the spacing of the starts: {length} s")
    dup = data.duplicated(["queue_code", "interval_start", "channel"], keep="last")
    chunk.duplicates = int(dup.sum())
    chunk.notes.add("repeated_interval", chunk.duplicates,
                    "same queue and interval twice in the file: the last row kept")
    chunk.intervals = data[~dup].reset_index(drop=True)
    yield chunk


CHANNELS = ("voice", "chat", "email", "web_form", "sms", "social")


def _map(frame, match, tz, rejects, not_after=None):
    checks = Checks(frame.index, lambda line: ",".join(frame.loc[line].astype(str)), not_after)
    reject = checks.reject
    if "interval_start" in match:
        text = frame[match["interval_start"]]
    else:
        text = frame[match["date"]].astype(str) + " " + frame[match["time"]].astype(str)
    start_field = match.get("interval_start", match.get("date"))
    start = tabular.parse_times(text, None, tz)
    reject(start.isna(), start_field, "interval start is not a date/time")
    checks.times(start, start_field)
    queue = frame[match["queue"]].astype(str).str.strip()
    reject(queue.eq(""), match["queue"], "empty queue")
    checks.texts(queue, match["queue"], "queue")
    channel = (frame[match["channel"]].astype(str).str.strip().str.lower().replace("", "voice")
               if "channel" in match else pd.Series("voice", index=frame.index))
    if "channel" in match:
        reject(~channel.isin(CHANNELS), match["channel"],
               f"channel must be one of {list(CHANNELS)}")
    out = pd.DataFrame(index=frame.index)
    for fld in COUNTS + ("answered_within_threshold", "abandoned_within_threshold"):
        if fld in match:
            values = frame[match[fld]].astype(str).str.strip().replace("", "0")
            out[fld] = checks.counts(values, match[fld])
    for fld, limit in (("threshold_s", MAX_INTERVAL_S), ("interval_s", MAX_INTERVAL_S)):
        if fld in match:
            values = frame[match[fld]].astype(str).str.strip().replace("", "0")
            out[fld] = checks.counts(values, match[fld], limit)
            if fld == "interval_s":
                reject(out[fld].eq(0), match[fld], "an interval length of 0 s")
    for fld in SECONDS:
        if fld in match:
            texts = frame[match[fld]].astype(str).str.strip().replace("", "0")
            limit = channel.map(max_wait_s) if fld == "wait_max_s" else MAX_TOTAL_S
            out[fld] = checks.durations(tabular.parse_seconds(texts), match[fld], limit,
                                        text=texts)
    if {"offered", "answered", "abandoned"} <= set(out):
        reject(out["answered"] + out["abandoned"] > out["offered"], match["answered"],
               "answered + abandoned exceeds offered")
    for fld, of in (("answered_within_threshold", "answered"),
                    ("abandoned_within_threshold", "abandoned")):
        if fld in out and of in out:
            reject(out[fld] > out[of], match[fld], f"{fld.replace('_', ' ')} exceeds {of}")
    rejects.extend(checks.rows)
    keep = ~checks.bad
    out = out[keep]
    result = pd.DataFrame({"queue_code": queue[keep], "queue_kind": "acd",
                           "channel": channel[keep], "contact_type": "", "customer_segment": "",
                           "interval_start": start[keep]})
    for fld in ("offered", "answered", "abandoned", "flowed_out", *SECONDS,
                "answered_within_threshold", "abandoned_within_threshold", "threshold_s",
                "interval_s"):
        if fld in out:
            result[fld] = out[fld].astype("int64")
    result["handled"] = result["answered"]
    if "threshold_s" not in result and "answered_within_threshold" in result:
        result["threshold_s"] = 20
    return result
