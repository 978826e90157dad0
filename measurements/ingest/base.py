"""Shared pieces of the pure format adapters: the canonical frames, notes, rejects, errors.

An adapter turns one export file into :class:`Chunk` objects (several for large files, so they
stream). Every timestamp in the frames is UTC (``datetime64[ns, UTC]``); every duration is whole
seconds. Queue, agent and IVR routing points are named by their code in the source data
(``queue_code``/``agent_code``); the loader resolves codes to rows.

Frames and their columns:

- ``contacts``: external_id, channel, arrived_at, ended_at, customer_ref, customer_segment,
  contact_type, outcome, queue_code (first ACD/digital queue, ``""`` when it never queued)
- ``segments``: external_id, seq, kind, queue_code, queue_kind (``ivr``/``acd``/``web``/``cms``),
  agent_code, entered_at, answered_at, left_at, wait_s, talk_s, hold_s, acw_s, outcome.
  An agent leg that answered a queue leg directly follows it (``seq`` + 1).
- ``surveys``: external_id, contact_ref, responded_at, csat, nps, resolved_first_time, comment
- ``agent_states``: agent_code, queue_code, state, started_at, ended_at, reason
- ``intervals``: queue_code, queue_kind, channel, contact_type, customer_segment,
  interval_start, interval_s and the additive IntervalStat quantities (interval reports only)
- ``rejects``: line (1-based line in the file), field, reason, raw
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field

import pandas as pd

CHUNK_ROWS = 200_000

CONTACT_COLUMNS = ["external_id", "channel", "arrived_at", "ended_at", "customer_ref",
                   "customer_segment", "contact_type", "outcome", "queue_code"]
SEGMENT_COLUMNS = ["external_id", "seq", "kind", "queue_code", "queue_kind", "agent_code",
                   "entered_at", "answered_at", "left_at", "wait_s", "talk_s", "hold_s", "acw_s",
                   "outcome"]
SURVEY_COLUMNS = ["external_id", "contact_ref", "responded_at", "csat", "nps",
                  "resolved_first_time", "comment"]
AGENT_STATE_COLUMNS = ["agent_code", "queue_code", "state", "started_at", "ended_at", "reason"]
INTERVAL_QUANTITIES = ["offered", "answered", "abandoned", "flowed_out", "handled",
                       "transfers", "escalations", "wait_answered_s", "wait_abandoned_s",
                       "wait_max_s", "talk_s", "hold_s", "acw_s", "staffed_s", "available_s",
                       "busy_s"]
INTERVAL_COLUMNS = ["queue_code", "queue_kind", "channel", "contact_type", "customer_segment",
                    "interval_start", "interval_s", *INTERVAL_QUANTITIES]
REJECT_COLUMNS = ["line", "field", "reason", "raw"]

# The bounds every adapter holds values to live in ``bounds.py`` (one place for all adapters).


class FormatError(ValueError):
    """The file is not the declared format at all; nothing from it may be loaded.

    The message names the file, what was expected and what was found.
    """


def empty(columns):
    return pd.DataFrame(columns=columns, dtype=object)


@dataclass
class Notes:
    """Defects found in a file and what the adapter did about each: ``{code: [count, action]}``."""

    items: dict = field(default_factory=dict)

    def add(self, code, count, action):
        count = int(count)
        if count <= 0:
            return
        if code in self.items:
            self.items[code][0] += count
        else:
            self.items[code] = [count, action]

    def merge(self, other):
        for code, (count, action) in other.items.items():
            self.add(code, count, action)

    def as_list(self):
        """``[{"code", "count", "action"}]`` as stored on the import batch."""
        return [{"code": c, "count": n, "action": a} for c, (n, a) in self.items.items()]


@dataclass
class Chunk:
    """Part of a file mapped into the canonical frames (see the module docstring)."""

    contacts: pd.DataFrame = field(default_factory=lambda: empty(CONTACT_COLUMNS))
    segments: pd.DataFrame = field(default_factory=lambda: empty(SEGMENT_COLUMNS))
    surveys: pd.DataFrame = field(default_factory=lambda: empty(SURVEY_COLUMNS))
    agent_states: pd.DataFrame = field(default_factory=lambda: empty(AGENT_STATE_COLUMNS))
    intervals: pd.DataFrame = field(default_factory=lambda: empty(INTERVAL_COLUMNS))
    rejects: pd.DataFrame = field(default_factory=lambda: empty(REJECT_COLUMNS))
    rows_read: int = 0
    rows_skipped: int = 0
    duplicates: int = 0
    notes: Notes = field(default_factory=Notes)
    carry: dict | None = None


@dataclass
class Options:
    """What an adapter needs besides the file.

    ``time_zone``: IANA zone of naive timestamps in the file. ``mapping``: the saved column
    mapping (generic format, see ``generic.py``). ``carry``: state handed from the previous
    file of the same source (Asterisk calls still open at its end). ``chunk_rows``: rows per chunk.
    ``not_after``: the moment of the import; a time more than a day after it is a reject (see
    ``bounds.py``; ``None``: only the 1990–2100 window applies).
    """

    time_zone: str = "UTC"
    mapping: dict | None = None
    carry: dict | None = None
    chunk_rows: int = CHUNK_ROWS
    name: str = ""
    not_after: pd.Timestamp | None = None


def localize(series: pd.Series, time_zone: str) -> pd.Series:
    """Naive local timestamps → UTC. Times that do not exist (spring-forward gap) are shifted
    forward; ambiguous ones (autumn fall-back hour) are taken as the second (standard-time) pass."""
    if getattr(series.dt, "tz", None) is not None:
        return series.dt.tz_convert("UTC")
    return series.dt.tz_localize(time_zone, ambiguous=False,
                                 nonexistent="shift_forward").dt.tz_convert("UTC")


def mapped(values: pd.Series, mapping: dict) -> pd.Series:
    """``values.map(mapping)`` (missing where a value has no entry, or is missing), each
    distinct value looked up once: a chunk's codes and statuses hold a few distinct texts over
    hundreds of thousands of rows."""
    codes, uniques = pd.factorize(values)
    looked = pd.Series(uniques).map(mapping).array
    return pd.Series(pd.api.extensions.take(looked, codes, allow_fill=True),
                     index=values.index)


def rejects_frame(rows) -> pd.DataFrame:
    if not rows:
        return empty(REJECT_COLUMNS)
    return pd.DataFrame(rows, columns=REJECT_COLUMNS)


def check_text(path, name, encodings=("utf-8",)) -> str:
    """Fail fast on binary or wrongly encoded files; returns the encoding to read with."""
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if not head:
        raise FormatError(f"{name}: the file is empty (expected a header line and data rows).")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise FormatError(f"{name}: expected text encoded as {' or '.join(encodings)}, found "
                          "UTF-16 (byte-order mark); save the export as UTF-8.")
    if b"\x00" in head or head[:4] in (b"PK\x03\x04", b"%PDF", b"\x89PNG") or \
            head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise FormatError(f"{name}: expected a text file, found binary data "
                          f"(first bytes {head[:8]!r}).")
    for enc in encodings:
        try:
            head.decode(enc)
            return enc
        except UnicodeDecodeError as exc:
            if len(head) == 65536 and exc.start > len(head) - 4:
                # a multi-byte character cut at the end of the sample (not of the file)
                return enc
            last = exc
    raise FormatError(f"{name}: expected text encoded as {' or '.join(encodings)}, found bytes "
                      f"that are not ({last.reason} at byte {last.start}).")


def open_text(path, encoding) -> io.TextIOBase:
    return open(path, encoding=encoding, newline="")  # noqa: SIM115 - caller closes


def head_lines(path, n=5, encoding="utf-8") -> list[str]:
    out = []
    with open(path, encoding=encoding, errors="replace") as fh:
        for line in fh:
            out.append(line.rstrip("\r\n"))
            if len(out) >= n:
                break
    return out


def concat(chunks: Iterator[Chunk]) -> Chunk:
    """Join chunks into one (tests and small files)."""
    out = Chunk()
    parts = {k: [] for k in ("contacts", "segments", "surveys", "agent_states", "intervals",
                             "rejects")}
    for chunk in chunks:
        for k in parts:
            frame = getattr(chunk, k)
            if len(frame):
                parts[k].append(frame)
        out.rows_read += chunk.rows_read
        out.rows_skipped += chunk.rows_skipped
        out.duplicates += chunk.duplicates
        out.notes.merge(chunk.notes)
        if chunk.carry is not None:
            out.carry = chunk.carry
    for k, frames in parts.items():
        if frames:
            setattr(out, k, pd.concat(frames, ignore_index=True))
    return out
