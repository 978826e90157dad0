"""Scripted test contacts: a small line format a manager can type, read into the canonical frames.

One contact per line; clauses separated by ``;``; times are local clock times of the centre::

    date 2026-03-02
    # time; what happened, in order
    09:00:05 IVR option 2 20s; queue Billing 35s; answered by ann; talk 180s; transfer Billing
    09:02:00 IVR 15s; queue Billing 4s; abandoned
    09:03:10 IVR 40s; self-service
    09:04:00 queue Sales 95s; flowed out
    09:05:00 IVR 8s; hang up

Clauses:

- ``IVR [Ns] [option X]`` — an IVR leg of N seconds (default 0); the contact is passed to the
  queue that follows, or ends there with ``self-service`` (contained) or ``hang up`` (abandoned
  in the IVR).
- ``queue <code> Ns`` — waits N seconds in queue ``<code>``; then ``answered [by <agent>]``,
  ``abandoned`` or ``flowed out``.
- ``talk Ns``, ``hold Ns``, ``wrap Ns`` — the agent's handling; ``transfer [<code>]`` or
  ``escalate`` ends the agent leg as transferred / escalated.
- ``type <x>``, ``segment <x>``, ``channel <voice|chat|email|…>`` — contact attributes.

A line starting with ``#`` is a comment; ``date YYYY-MM-DD`` sets the day of the lines after it.
Errors name the line and the clause (:class:`ScriptError`). Values are held to the shared bounds
(``bounds.py``): dates in 1990–2100, durations 0 … 7 days, codes and attributes no longer than
their columns.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import pandas as pd

from .base import (
    CONTACT_COLUMNS,
    SEGMENT_COLUMNS,
    Chunk,
    FormatError,
    Options,
    check_text,
    localize,
)
from .bounds import MAX_DURATION_S, TEXT_LIMITS, TIME_MAX, TIME_MIN, duration_reason

NAME = "scripted_contacts"
IVR_CODE = "IVR"
CHANNELS = {"voice", "chat", "email", "web_form", "sms", "social"}

_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_SECONDS = re.compile(r"^(\d+)\s*s$")


class ScriptError(FormatError):
    """A scripted line that cannot be read: ``line`` is 1-based, ``reason`` says why."""

    def __init__(self, name, line, reason):
        self.name, self.line, self.reason = name, line, reason
        super().__init__(f"{name}, line {line}: {reason}")


@dataclass
class ScriptedContact:
    """One parsed line; times are naive local clock times, durations whole seconds."""

    line: int
    arrived: dt.datetime
    ivr_s: int | None = None
    ivr_option: str = ""
    ivr_end: str = ""  # "", "contained", "abandoned"
    queue: str = ""
    wait_s: int = 0
    queue_end: str = ""  # "answered", "abandoned", "flowed_out"
    agent: str = ""
    talk_s: int = 0
    hold_s: int = 0
    acw_s: int = 0
    agent_end: str = "completed"
    transfer_to: str = ""
    contact_type: str = ""
    segment: str = ""
    channel: str = "voice"
    extra: dict = field(default_factory=dict)


def _seconds(text, name, line, what):
    m = _SECONDS.match(text.strip())
    if not m:
        raise ScriptError(name, line, f"{what}: expected a duration like “35s”, found "
                                      f"“{text.strip()}”")
    value = int(m.group(1))
    if value > MAX_DURATION_S:
        raise ScriptError(name, line, f"{what}: {duration_reason(MAX_DURATION_S)}, found "
                                      f"“{text.strip()}”")
    return value


def _text(value, kind, name, line, what):
    limit = TEXT_LIMITS[kind]
    if len(value) > limit:
        raise ScriptError(name, line, f"{what}: longer than {limit} characters")
    return value


def parse(text: str, name: str = "script", default_date: dt.date | None = None
          ) -> list[ScriptedContact]:
    """Parse scripted test contacts; raises :class:`ScriptError` at the first bad line."""
    day = default_date
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower().startswith("date "):
            try:
                day = dt.date.fromisoformat(line[5:].strip())
            except ValueError:
                raise ScriptError(name, number, f"“{line[5:].strip()}” is not a date "
                                                "(YYYY-MM-DD)") from None
            if not TIME_MIN.year <= day.year < TIME_MAX.year:
                raise ScriptError(name, number, f"{day:%Y-%m-%d} is outside 1990–2100")
            continue
        out.append(_parse_line(line, number, name, day))
    if not out:
        raise ScriptError(name, 1, "no test contacts: write one contact per line, e.g. "
                                   "“09:00:05 IVR 20s; queue Billing 35s; answered; talk 180s”")
    return out


def _parse_line(line, number, name, day):
    head, _, rest = line.partition(" ")
    m = _TIME.match(head)
    if not m:
        raise ScriptError(name, number, f"a contact line starts with its arrival time "
                                        f"(HH:MM:SS), found “{head}”")
    hours, minutes, secs = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if hours > 23 or minutes > 59 or secs > 59:
        raise ScriptError(name, number, f"“{head}” is not a clock time")
    if day is None:
        raise ScriptError(name, number, "no date: add a line “date YYYY-MM-DD” first")
    contact = ScriptedContact(number, dt.datetime.combine(day, dt.time(hours, minutes, secs)))
    for clause in (c.strip() for c in rest.split(";")):
        if clause:
            _clause(contact, clause, number, name)
    if contact.ivr_s is None and not contact.queue:
        raise ScriptError(name, number, "the contact goes nowhere: give an “IVR …” or a "
                                        "“queue <code> Ns” clause")
    if contact.queue and not contact.queue_end:
        raise ScriptError(name, number, f"queue {contact.queue}: say how it ended "
                                        "(answered, abandoned or flowed out)")
    if contact.queue_end != "answered" and (contact.talk_s or contact.agent):
        raise ScriptError(name, number, "talk time or agent given but the contact was not "
                                        "answered")
    return contact


def _clause(c, clause, number, name):
    words = clause.split()
    verb = words[0].lower()
    args = words[1:]
    if verb == "ivr":
        c.ivr_s = 0
        i = 0
        while i < len(args):
            if args[i].lower() == "option" and i + 1 < len(args):
                c.ivr_option = args[i + 1]
                i += 2
            else:
                c.ivr_s = _seconds(args[i], name, number, "IVR")
                i += 1
    elif verb in ("self-service", "contained"):
        c.ivr_end = "contained"
    elif verb in ("hang", "hangup", "hung"):
        if c.queue:
            raise ScriptError(name, number, "“hang up” is for the IVR; in a queue write "
                                            "“abandoned”")
        c.ivr_end = "abandoned"
    elif verb == "queue":
        if len(args) != 2:
            raise ScriptError(name, number, f"“{clause}”: write “queue <code> <N>s”")
        c.queue = _text(args[0], "queue", name, number, "queue")
        c.wait_s = _seconds(args[1], name, number, f"queue {args[0]}")
    elif verb in ("answered", "abandoned", "flowed"):
        if not c.queue:
            raise ScriptError(name, number, f"“{verb}” before any “queue <code> Ns” clause")
        c.queue_end = {"flowed": "flowed_out"}.get(verb, verb)
        if verb == "answered" and len(args) >= 2 and args[0].lower() == "by":
            c.agent = _text(args[1], "agent", name, number, "agent")
    elif verb in ("talk", "hold", "wrap", "acw"):
        if len(args) != 1:
            raise ScriptError(name, number, f"“{clause}”: write “{verb} <N>s”")
        value = _seconds(args[0], name, number, verb)
        attr = {"talk": "talk_s", "hold": "hold_s"}.get(verb, "acw_s")
        setattr(c, attr, value)
    elif verb == "transfer":
        c.agent_end = "transferred"
        c.transfer_to = args[0] if args else ""
    elif verb == "escalate":
        c.agent_end = "escalated"
    elif verb in ("type", "segment", "channel"):
        if not args:
            raise ScriptError(name, number, f"“{verb}” needs a value")
        value = " ".join(args)
        if verb == "channel":
            if value not in CHANNELS:
                raise ScriptError(name, number, f"unknown channel “{value}” (known: "
                                                f"{', '.join(sorted(CHANNELS))})")
            c.channel = value
        else:
            kind = "contact_type" if verb == "type" else "customer_segment"
            setattr(c, "contact_type" if verb == "type" else "segment",
                    _text(value, kind, name, number, verb))
    else:
        raise ScriptError(name, number, f"unknown clause “{clause}” (known: IVR, queue, "
                                        "answered, abandoned, flowed out, self-service, hang up, "
                                        "talk, hold, wrap, transfer, escalate, type, segment, "
                                        "channel)")


def frames(contacts: list[ScriptedContact], time_zone: str) -> Chunk:
    """Canonical contacts and segments for parsed scripted contacts (times made UTC)."""
    crow, srow = [], []
    for c in contacts:
        ext = f"test-{c.line}"
        t = pd.Timestamp(c.arrived)
        seq = 0
        if c.ivr_s is not None:
            seq += 1
            ivr_end = c.ivr_end or ("to_queue" if c.queue else "contained")
            srow.append([ext, seq, "ivr", IVR_CODE, "ivr", "", t, pd.NaT,
                         t + pd.Timedelta(seconds=c.ivr_s), 0, 0, 0, 0, ivr_end])
            t = t + pd.Timedelta(seconds=c.ivr_s)
        ended = t
        if c.queue:
            seq += 1
            left = t + pd.Timedelta(seconds=c.wait_s)
            answered = left if c.queue_end == "answered" else pd.NaT
            outcome = {"flowed_out": "timed_out"}.get(c.queue_end, c.queue_end)
            srow.append([ext, seq, "queue", c.queue, "acd", "", t, answered, left, c.wait_s,
                         0, 0, 0, outcome])
            ended = left
            if c.queue_end == "answered":
                seq += 1
                end = left + pd.Timedelta(seconds=c.talk_s + c.hold_s + c.acw_s)
                srow.append([ext, seq, "agent", c.queue, "acd", c.agent or "test-agent", left,
                             left, end, 0, c.talk_s, c.hold_s, c.acw_s, c.agent_end])
                ended = end
        if c.queue_end == "answered":
            outcome = "handled"
        elif c.queue_end == "flowed_out":
            outcome = "overflowed"
        elif c.queue or c.ivr_end == "abandoned":
            outcome = "abandoned"
        else:
            outcome = "self_served"
        crow.append([ext, c.channel, pd.Timestamp(c.arrived), ended, "", c.segment,
                     c.contact_type, outcome, c.queue])
    contacts_f = pd.DataFrame(crow, columns=CONTACT_COLUMNS)
    segments_f = pd.DataFrame(srow, columns=SEGMENT_COLUMNS)
    for col in ("arrived_at", "ended_at"):
        contacts_f[col] = localize(pd.to_datetime(contacts_f[col]), time_zone)
    for col in ("entered_at", "answered_at", "left_at"):
        segments_f[col] = localize(pd.to_datetime(segments_f[col]), time_zone)
    return Chunk(rows_read=len(contacts), contacts=contacts_f, segments=segments_f)


def read(path, options: Options):
    """Adapter entry point: a text file of scripted test contacts."""
    name = options.name or str(path)
    encoding = check_text(path, name, ("utf-8-sig",))
    with open(path, encoding=encoding) as fh:
        text = fh.read()
    yield frames(parse(text, name), options.time_zone)
