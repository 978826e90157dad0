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
"""
from __future__ import annotations

import pandas as pd

from . import tabular
from .base import INTERVAL_COLUMNS, Chunk, Options, rejects_frame

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
            frames.append(_map(frame, match, options.time_zone, rejects))
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


def _map(frame, match, tz, rejects):
    bad = pd.Series(False, index=frame.index)

    def reject(mask, fld, reason):
        for line in frame.index[mask & ~bad]:
            rejects.append((int(line), fld, reason, ",".join(frame.loc[line].astype(str))[:500]))
        return mask

    if "interval_start" in match:
        text = frame[match["interval_start"]]
    else:
        text = frame[match["date"]].astype(str) + " " + frame[match["time"]].astype(str)
    start = tabular.parse_times(text, None, tz)
    bad |= reject(start.isna(), match.get("interval_start", match.get("date")),
                  "interval start is not a date/time")
    queue = frame[match["queue"]].astype(str).str.strip()
    bad |= reject(queue.eq(""), match["queue"], "empty queue")
    out = pd.DataFrame(index=frame.index)
    for fld in COUNTS + ("answered_within_threshold", "abandoned_within_threshold",
                         "threshold_s", "interval_s"):
        if fld in match:
            v = pd.to_numeric(frame[match[fld]].astype(str).str.strip().replace("", "0"),
                              errors="coerce")
            bad |= reject(v.isna() | (v < 0), match[fld], "not a non-negative number")
            out[fld] = v
    for fld in SECONDS:
        if fld in match:
            v = tabular.parse_seconds(frame[match[fld]].replace("", "0"))
            bad |= reject(v.isna() | (v < 0), match[fld], "not a non-negative duration")
            out[fld] = v
    if {"offered", "answered", "abandoned"} <= set(out):
        over = out["answered"] + out["abandoned"] > out["offered"]
        bad |= reject(over.fillna(False), match["answered"],
                      "answered + abandoned exceeds offered")
    out = out[~bad].fillna(0)
    result = pd.DataFrame({"queue_code": queue[~bad], "queue_kind": "acd",
                           "channel": (frame[match["channel"]].str.lower()[~bad]
                                       if "channel" in match else "voice"),
                           "contact_type": "", "customer_segment": "",
                           "interval_start": start[~bad]})
    for fld in ("offered", "answered", "abandoned", "flowed_out", *SECONDS,
                "answered_within_threshold", "abandoned_within_threshold", "threshold_s",
                "interval_s"):
        if fld in out:
            result[fld] = out[fld].round().astype("int64")
    result["handled"] = result["answered"]
    if "threshold_s" not in result and "answered_within_threshold" in result:
        result["threshold_s"] = 20
    return result

