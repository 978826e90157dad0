"""Survey responses (CSV/XLSX): one row per response.

Columns (matched by name, case and punctuation ignored): ``response_id`` (id, survey_id;
optional — without it the natural key is ``line:<n>`` of the file, so re-sending the same file
replaces rather than duplicates), ``contact_ref`` (contact_id, call_id, case_id, reference —
required: matched to a contact's external id), ``responded_at`` (date, submitted_at),
``csat`` (1–5), ``nps`` (0–10), ``resolved_first_time`` (fcr, resolved: yes/no, true/false,
1/0), ``comment`` (free text). At least one of csat, nps, resolved_first_time is required.
Out-of-range scores are rejects; responses whose reference matches no contact are kept and
counted by the loader.
"""
from __future__ import annotations

import pandas as pd

from . import tabular
from .base import Chunk, Options, rejects_frame
from .bounds import Checks

NAME = "survey"
ALIASES = {
    "response_id": ("id", "survey_id", "response"),
    "contact_ref": ("contact_id", "call_id", "case_id", "reference", "contact_reference",
                    "contact"),
    "responded_at": ("date", "submitted_at", "response_time", "timestamp", "responded"),
    "csat": ("satisfaction", "csat_score"),
    "nps": ("nps_score", "likelihood_to_recommend", "recommend"),
    "resolved_first_time": ("fcr", "resolved", "first_contact_resolution"),
    "comment": ("comments", "verbatim", "free_text", "feedback"),
}
YES = {"yes", "y", "true", "1", "t"}
NO = {"no", "n", "false", "0", "f"}


def sniff_columns(columns) -> bool:
    found = tabular.require("", columns, ALIASES)
    return "contact_ref" in found and bool({"csat", "nps"} & set(found))


def read(path, options: Options):
    name = options.name or str(path)
    found, delimiter, encoding = tabular.header(path, name)
    match = tabular.require(name, found, ALIASES)
    missing = [] if "contact_ref" in match else ["contact_ref"]
    if not {"csat", "nps", "resolved_first_time"} & set(match):
        missing.append("csat or nps or resolved_first_time")
    if missing:
        raise tabular.missing_error(name, "survey", missing, found, delimiter)
    for frame in tabular.chunks(path, name, delimiter, encoding, options.chunk_rows):
        chunk = _map(frame, match, options.time_zone, options.not_after) if len(frame) \
            else Chunk()
        yield tabular.with_bad_lines(chunk, frame)


def _map(frame, match, tz, not_after=None):
    chunk = Chunk(rows_read=len(frame))
    checks = Checks(frame.index, lambda line: ",".join(frame.loc[line].astype(str)), not_after)
    reject = checks.reject

    def col(fld):
        return frame[match[fld]].astype(str).str.strip() if fld in match else \
            pd.Series("", index=frame.index)

    ref = col("contact_ref")
    reject(ref.eq(""), match["contact_ref"], "empty contact reference")
    checks.texts(ref, match["contact_ref"], "contact_ref")
    if "response_id" in match:
        checks.texts(col("response_id"), match["response_id"], "external_id")
    scores = {}
    for fld, lo, hi in (("csat", 1, 5), ("nps", 0, 10)):
        text = col(fld)
        v = pd.to_numeric(text, errors="coerce")
        reject((text.ne("") & (v.isna() | (v < lo) | (v > hi) | (v % 1 != 0))),
               match.get(fld, fld), f"{fld} must be a whole number {lo}–{hi}")
        scores[fld] = v.where(~checks.bad)
    fcr_text = col("resolved_first_time").str.lower()
    fcr = fcr_text.map(lambda v: True if v in YES else (False if v in NO else None))
    reject(fcr_text.ne("") & fcr.isna(), match.get("resolved_first_time", ""),
           "resolved_first_time must be yes/no")
    when_text = col("responded_at")
    when = tabular.parse_times(when_text, None, tz) if "responded_at" in match else \
        pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    reject(when.isna() & when_text.ne(""), match.get("responded_at", ""), "not a date/time")
    checks.times(when, match.get("responded_at", ""))
    rid = col("response_id")
    rid = rid.where(rid.ne(""), pd.Series([f"line:{i}" for i in frame.index], index=frame.index))
    chunk.rejects = rejects_frame(checks.rows)
    keep = ~checks.bad
    chunk.surveys = pd.DataFrame({
        "external_id": rid[keep], "contact_ref": ref[keep], "responded_at": when[keep],
        "csat": scores["csat"][keep].astype("Int64"), "nps": scores["nps"][keep].astype("Int64"),
        "resolved_first_time": fcr[keep], "comment": col("comment")[keep],
    })
    return chunk
