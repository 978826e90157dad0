"""Pushed contact and agent events (a webhook body or a JSON-lines event file) → Asterisk
``queue_log`` lines, so pushed events go through the same adapter, the same carry of open
contacts and the same live state as a followed queue_log.

An event is a JSON object::

    {"at": "2026-11-20T09:00:05Z" | 1763629205, "event": "<kind>", "contact_id": "c-1",
     "queue": "support", "agent": "anna", "channel": "chat", "customer": "C-42",
     "wait_s": 12, "talk_s": 240, "reason": "lunch"}

=========  ===========================================  ======================
event      needs                                        queue_log line
=========  ===========================================  ======================
enter      contact_id, queue (channel, customer)        ENTERQUEUE
answer     contact_id, queue, agent, wait_s             CONNECT
end        contact_id, queue, agent, wait_s, talk_s     COMPLETEAGENT
transfer   contact_id, queue, agent, wait_s, talk_s     BLINDTRANSFER
abandon    contact_id, queue, wait_s                    ABANDON
timeout    contact_id, queue, wait_s                    EXITWITHTIMEOUT
login      agent (queue)                                ADDMEMBER
logout     agent (queue)                                REMOVEMEMBER
pause      agent, reason (queue)                        PAUSE
unpause    agent (queue)                                UNPAUSE
=========  ===========================================  ======================

Values are held to the shared bounds (``bounds.py``): times in 1990–2100 and not after the
horizon, durations whole seconds 0 … 7 days (90 days of waiting for e-mail and web forms),
texts within their columns and free of ``|`` and line breaks. ``to_queue_log`` returns the lines
and, for each event it could not use, ``(index, field, reason)``.
"""
from __future__ import annotations

import json
import math

import pandas as pd

from .bounds import epoch_problem, max_wait_s, seconds, text_problem

CHANNELS = ("voice", "chat", "email", "web_form", "sms", "social")
CONTACT_EVENTS = {"enter": "ENTERQUEUE", "answer": "CONNECT", "end": "COMPLETEAGENT",
                  "transfer": "BLINDTRANSFER", "abandon": "ABANDON",
                  "timeout": "EXITWITHTIMEOUT"}
AGENT_EVENTS = {"login": "ADDMEMBER", "logout": "REMOVEMEMBER", "pause": "PAUSE",
                "unpause": "UNPAUSE"}
FIELDS = {"contact_id": "external_id", "queue": "queue", "agent": "agent",
          "customer": "customer_ref", "reason": "reason"}


def _epoch(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            ts = pd.Timestamp(value)
        except (ValueError, OverflowError):
            return None
        if ts.tzinfo is None:
            return None  # a pushed time must say its zone (or be an epoch)
        return ts.timestamp()
    return None


def event_line(event, not_after=None) -> tuple[str | None, tuple[str, str] | None]:
    """The queue_log line of one event, or ``(None, (field, reason))``."""
    if not isinstance(event, dict):
        return None, ("", "an event is a JSON object")
    kind = event.get("event")
    if kind not in CONTACT_EVENTS and kind not in AGENT_EVENTS:
        return None, ("event", f"unknown event {str(kind)[:40]!r}; known: "
                               f"{', '.join([*CONTACT_EVENTS, *AGENT_EVENTS])}")
    at = _epoch(event.get("at"))
    if at is None:
        return None, ("at", "a time with its zone (ISO 8601) or epoch seconds is required")
    if problem := epoch_problem(at, not_after):
        return None, ("at", problem)
    text = {}
    for name, kind_of in FIELDS.items():
        value = event.get(name, "")
        value = "" if value is None else value
        if not isinstance(value, str | int) or isinstance(value, bool):
            return None, (name, "must be a text")
        value = str(value)
        if "|" in value or "\n" in value or "\r" in value:
            return None, (name, "may not contain | or line breaks")
        if problem := text_problem(value, kind_of):
            return None, (name, problem)
        text[name] = value
    channel = event.get("channel") or "voice"
    if channel not in CHANNELS:
        return None, ("channel", f"unknown channel; known: {', '.join(CHANNELS)}")
    durations = {}
    for name, limit in (("wait_s", max_wait_s(channel)), ("talk_s", None)):
        value, problem = seconds(event.get(name), limit) if limit else seconds(event.get(name))
        if problem:
            return None, (name, problem)
        durations[name] = value
    needs = {"enter": ("contact_id", "queue"), "answer": ("contact_id", "queue", "agent"),
             "end": ("contact_id", "queue", "agent"),
             "transfer": ("contact_id", "queue", "agent"),
             "abandon": ("contact_id", "queue"), "timeout": ("contact_id", "queue"),
             "pause": ("agent",), "login": ("agent",), "logout": ("agent",),
             "unpause": ("agent",)}[kind]
    missing = next((n for n in needs if not text[n]), None)
    if missing:
        return None, (missing, f"required for a {kind!r} event")
    ts = f"{int(at)}"
    cid, queue, agent = text["contact_id"], text["queue"] or "NONE", text["agent"] or "NONE"
    wait, talk = durations["wait_s"], durations["talk_s"]
    data = {
        "enter": f"|{text['customer']}|1" + (f"|channel={channel}" if channel != "voice" else ""),
        "answer": f"{wait}||0", "end": f"{wait}|{talk}|1",
        "transfer": f"events|transfer|{wait}|{talk}|1", "abandon": f"1|1|{wait}",
        "timeout": f"1|1|{wait}", "pause": text["reason"], "login": "", "logout": "",
        "unpause": "",
    }[kind]
    code = CONTACT_EVENTS.get(kind) or AGENT_EVENTS[kind]
    who = agent if kind != "enter" else "NONE"
    return f"{ts}|{cid or 'NONE'}|{queue}|{who}|{code}|{data}", None


def to_queue_log(events, not_after=None) -> tuple[list[str], list[tuple[int, str, str]]]:
    """Lines for ``events`` (a list of event objects) and the problems of those not used."""
    lines, problems = [], []
    for i, event in enumerate(events):
        line, problem = event_line(event, not_after)
        if line is None:
            problems.append((i, *problem))
        else:
            lines.append(line)
    return lines, problems


def jsonl_to_queue_log(data: bytes, not_after=None) -> tuple[list[str], list[tuple[int, str,
                                                                                    str]]]:
    """Lines of a chunk of a JSON-lines event file (one event object per line; blank lines are
    skipped); problems carry the 1-based line of the chunk."""
    lines, problems = [], []
    for i, raw in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            event = json.loads(raw)
        except ValueError:
            problems.append((i, "", "not a JSON object"))
            continue
        line, problem = event_line(event, not_after)
        if line is None:
            problems.append((i, *problem))
        else:
            lines.append(line)
    return lines, problems
