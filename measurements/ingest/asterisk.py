"""Asterisk ``queue_log``: ``epoch|callid|queue|agent|event|data1|data2|…`` (epoch seconds, UTC).

Each ``callid`` becomes one contact (natural key = callid); each ENTERQUEUE opens a queue leg, so a
call passing through several queues (transfers, overflow) is one contact with several queue legs,
each followed by the agent leg that answered it. Events and their data fields:

=================  ==============================================  ===========================
event              data                                            leg outcome
=================  ==============================================  ===========================
ENTERQUEUE         url, callerid, position                         opens a queue leg
CONNECT            holdtime, bridged channel, ringtime             queue answered, agent leg
COMPLETECALLER/…   holdtime, calltime, origposition                agent leg completed
ABANDON            position, origposition, waittime                queue abandoned
EXITWITHTIMEOUT    position, origposition, waittime                queue timed out
EXITWITHKEY        key, position, origposition, waittime           queue timed out (left by key)
EXITEMPTY          position, origposition, waittime                queue timed out
TRANSFER/BLIND…    extension, context, holdtime, calltime, origpos agent leg transferred
ATTENDEDTRANSFER   method, …, holdtime, calltime, origposition     agent leg transferred
RINGNOANSWER       ringtime (ms)                                   counted (agent did not pick up)
=================  ==============================================  ===========================

Agent events (callid ``NONE``): AGENTLOGIN/ADDMEMBER … AGENTLOGOFF/REMOVEMEMBER → ``staffed``
spans, PAUSE … UNPAUSE → ``paused`` spans (reason from data1).

Values are held to the shared bounds (``bounds.py``): a line whose epoch lies outside
1990–2100 or after the import, or whose callid/queue/agent/pause reason is longer than its
column, is a reject. A wait or talk time that is not 0 … 7 days, or a caller id longer than its
column, rejects its line and the call (the call's other lines are skipped and counted, so no
half call is loaded).

Defects handled: exact duplicate lines are dropped (counted); lines out of time order are
re-ordered by epoch (counted); a call with no closing event at the end of the file is held back
(``Chunk.carry``) and completed when the next file of the same source brings its closing event.
"""
from __future__ import annotations

import re

import pandas as pd

from .base import Chunk, FormatError, Options, check_text, rejects_frame
from .bounds import epoch_problem, seconds, text_problem

NAME = "asterisk_queue_log"
LINE_RE = re.compile(r"^\d{9,11}(\.\d+)?\|[^|]*\|[^|]*\|[^|]*\|[A-Z_]+")
CALL_EVENTS = {"ENTERQUEUE", "CONNECT", "COMPLETECALLER", "COMPLETEAGENT", "ABANDON",
               "EXITWITHTIMEOUT", "EXITWITHKEY", "EXITEMPTY", "TRANSFER", "BLINDTRANSFER",
               "ATTENDEDTRANSFER", "RINGNOANSWER", "RINGCANCELED", "SYSCOMPAT", "DID",
               "INFO", "CONFIGRELOAD", "QUEUESTART"}
AGENT_EVENTS = {"ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE", "AGENTLOGIN", "AGENTLOGOFF",
                "PAUSEALL", "UNPAUSEALL", "AGENTCALLBACKLOGIN", "AGENTCALLBACKLOGOFF"}
IGNORED = {"RINGCANCELED", "SYSCOMPAT", "DID", "INFO", "CONFIGRELOAD", "QUEUESTART"}


#: Seconds after a transfer within which the call may still enter another queue in the next
#: file (a followed log is read in small pieces): its lines are handed on that long.
TRANSFER_REJOIN_S = 300


def sniff(first_line: str) -> bool:
    return bool(LINE_RE.match(first_line))


def read(path, options: Options):
    name = options.name or str(path)
    encoding = check_text(path, name, ("utf-8", "latin-1"))
    rows = []
    rejects = []
    with open(path, encoding=encoding, errors="replace") as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            parts = line.split("|")
            if len(parts) < 5 or not re.match(r"^\d{9,11}(\.\d+)?$", parts[0]):
                if lineno <= 3 and not rows:
                    raise FormatError(
                        f"{name}, line {lineno}: expected an Asterisk queue_log line "
                        f"“epoch|callid|queue|agent|event|data…”, found {line[:100]!r}.")
                rejects.append((lineno, "epoch" if len(parts) >= 5 else "",
                                "not a queue_log line (epoch|callid|queue|agent|event|…)", line))
                continue
            event = parts[4].strip()
            if event not in CALL_EVENTS and event not in AGENT_EVENTS:
                rejects.append((lineno, "event", f"unknown event {event!r}", line))
                continue
            problem = epoch_problem(float(parts[0]), options.not_after)
            if problem:
                rejects.append((lineno, "epoch", problem, line))
                continue
            problem = next(((fld, p) for fld, value, kind in (
                ("callid", parts[1], "external_id"), ("queue", parts[2], "queue"),
                ("agent", parts[3], "agent"),
                ("reason", parts[5] if event in ("PAUSE", "PAUSEALL") and len(parts) > 5 else "",
                 "reason")) if (p := text_problem(value, kind))), None)
            if problem:
                rejects.append((lineno, *problem, line))
                continue
            rows.append((int(float(parts[0])), parts[1], parts[2], parts[3], event,
                         parts[5:], lineno, line))
    carry = options.carry or {}
    # Lines of calls that ended in a transfer shortly before the previous file ended: they join
    # this file's lines only when the call goes on here (it entered another queue), so the call
    # stays one contact with all its legs.
    present = {r[1] for r in rows}
    # A call left open whose callid has no line here is still open, exactly as it was: its
    # lines are handed on untouched rather than parsed again (a followed log is read in pieces
    # of a fraction of a second, while thousands of calls are open at a busy centre).
    untouched, touched, untouched_calls = [], [], set()
    for line in carry.get("asterisk_open_lines", []):
        callid = line.split("|", 2)[1]
        if callid in present:
            touched.append(line)
        else:
            untouched.append(line)
            untouched_calls.add(callid)
    carried = [*touched, *carry.get("asterisk_open_agent_lines", []),
               *(line for line in carry.get("asterisk_transferred_lines", [])
                 if line.split("|")[1] in present)]
    carry_rows = [(int(float(p[0])), p[1], p[2], p[3], p[4], p[5:], 0, "|".join(p))
                  for p in (c.split("|") for c in carried)]
    chunk = Chunk(rows_read=len(rows) + len(rejects))
    chunk.rejects = rejects_frame(rejects)
    all_rows = carry_rows + rows
    # Exact duplicate lines (a log shipped twice, a re-sent tail) are dropped.
    seen = set()
    unique = []
    for r in all_rows:
        if r[7] in seen:
            chunk.duplicates += 1
            continue
        seen.add(r[7])
        unique.append(r)
    chunk.notes.add("duplicate_lines", chunk.duplicates, "identical lines loaded once")
    out_of_order = sum(1 for a, b in zip(unique, unique[1:], strict=False) if b[0] < a[0])
    chunk.notes.add("out_of_order_lines", out_of_order, "lines re-ordered by their epoch")
    unique.sort(key=lambda r: r[0])  # stable: same-second events keep file order
    if carry_rows:
        chunk.notes.add("completed_from_previous_file",
                        len({r[1] for r in carry_rows if r[1] != "NONE"}),
                        "calls left open by the previous file completed with this file's events")

    calls: dict[str, list] = {}
    agent_rows = []
    for r in unique:
        if r[4] in AGENT_EVENTS:
            agent_rows.append(r)
        elif r[4] not in IGNORED:
            calls.setdefault(r[1], []).append(r)
    contacts, segments, open_lines, transferred = [], [], [], []
    ring_no_answer = 0
    call_rejects = []
    skipped = 0
    for callid, events in calls.items():
        result = _call(callid, events)
        ring_no_answer += result["ring_no_answer"]
        if result["problems"] or result["contact"] is None:
            # A call with a value out of range (or no ENTERQUEUE) is rejected whole: its
            # offending line is the reject, its other lines of this file are skipped.
            problems = result["problems"] or [
                (events[0][6], "event", "call has no ENTERQUEUE event", events[0][7])]
            problems = [p for p in problems if p[0]]  # lines of this file only
            call_rejects.extend(problems)
            lines = {p[0] for p in problems}
            skipped += sum(1 for r in events if r[6] and r[6] not in lines)
            continue
        if result["open"]:
            open_lines.extend(r[7] for r in events)
            continue
        contacts.append(result["contact"])
        segments.extend(result["segments"])
        if result["contact"]["outcome"] == "transferred_out":
            transferred.append((result["contact"]["ended_at"], [r[7] for r in events]))
    if call_rejects:
        chunk.rejects = pd.concat([f for f in (chunk.rejects, rejects_frame(call_rejects))
                                   if len(f)], ignore_index=True)
    chunk.rows_skipped += skipped
    chunk.notes.add("rejected_call_lines", skipped,
                    "other lines of calls rejected for a value out of range or a missing "
                    "ENTERQUEUE: skipped, so no partial call is loaded")
    chunk.notes.add("ring_no_answer", ring_no_answer,
                    "agent rang without answering: counted here, not a leg")
    open_calls = len(untouched_calls) + len({line.split("|", 2)[1] for line in open_lines})
    open_lines = untouched + open_lines
    chunk.notes.add("open_at_end_of_file", open_calls,
                    "calls with no closing event held back; completed when the next file "
                    "of this source brings their closing event")
    chunk.agent_states, open_agent_lines = _agent_states(agent_rows)
    last_epoch = unique[-1][0] if unique else 0
    chunk.carry = {"asterisk_open_lines": open_lines,
                   "asterisk_open_agent_lines": open_agent_lines,
                   "asterisk_transferred_lines": [
                       line for ended, lines in transferred
                       if ended >= last_epoch - TRANSFER_REJOIN_S for line in lines]}
    if contacts:
        chunk.contacts = pd.DataFrame(contacts)
        for col in ("arrived_at", "ended_at"):
            chunk.contacts[col] = pd.to_datetime(chunk.contacts[col], unit="s", utc=True)
    if segments:
        seg = pd.DataFrame(segments)
        for col in ("entered_at", "answered_at", "left_at"):
            seg[col] = pd.to_datetime(seg[col], unit="s", utc=True)
        chunk.segments = seg
    chunk.notes.add("agent_state_open", len(open_agent_lines),
                    "agent login or pause with no end in this file: held back; loaded as a "
                    "span when the next file of this source brings its end")
    yield chunk


def _call(callid, events):
    problems = []

    def dur(value, field, lineno, line):
        value, problem = seconds(value)
        if problem:
            problems.append((lineno, field, problem, line))
        return value

    segments = []
    contact = None
    current_q = None
    current_a = None
    ring = 0
    outcome = None
    seq = 0
    last_ts = events[0][0]
    for ts, _cid, queue, agent, event, data, lineno, line in events:
        last_ts = max(last_ts, ts)
        if event == "ENTERQUEUE":
            seq += 1
            current_q = {"external_id": callid, "seq": seq, "kind": "queue", "queue_code": queue,
                         "queue_kind": "acd", "agent_code": "", "entered_at": ts,
                         "answered_at": None, "left_at": None, "wait_s": 0, "talk_s": 0,
                         "hold_s": 0, "acw_s": 0, "outcome": "open"}
            segments.append(current_q)
            if contact is None:
                caller = data[1] if len(data) > 1 else ""
                if problem := text_problem(caller, "customer_ref"):
                    problems.append((lineno, "callerid", problem, line))
                # ``channel=chat`` after the position: pushed events of other channels
                # (``events.py``) ride the same lines.
                channel = next((d[8:] for d in data[3:] if d.startswith("channel=")), "voice")
                contact = {"external_id": callid, "channel": channel, "arrived_at": ts,
                           "ended_at": None, "customer_ref": caller,
                           "customer_segment": "", "contact_type": "", "outcome": "abandoned",
                           "queue_code": queue}
        elif current_q is None:
            continue
        elif event == "RINGNOANSWER":
            ring += 1
        elif event == "CONNECT":
            current_q.update(answered_at=ts, left_at=ts, outcome="answered",
                             wait_s=dur(data[0] if data else 0, "holdtime", lineno, line))
            seq += 1
            current_a = {"external_id": callid, "seq": seq, "kind": "agent", "queue_code": queue,
                         "queue_kind": "acd", "agent_code": agent, "entered_at": ts,
                         "answered_at": ts, "left_at": None, "wait_s": 0, "talk_s": 0,
                         "hold_s": 0, "acw_s": 0, "outcome": "open"}
            segments.append(current_a)
        elif event in ("COMPLETECALLER", "COMPLETEAGENT", "TRANSFER", "BLINDTRANSFER",
                       "ATTENDEDTRANSFER"):
            if current_a is None:
                continue
            if event.startswith("COMPLETE"):
                calltime = dur(data[1] if len(data) > 1 else 0, "calltime", lineno, line)
                current_a.update(outcome="completed")
                outcome = "handled"
            else:
                nums = [d for d in data if re.fullmatch(r"\d+", d or "")]
                calltime = dur(nums[-2] if len(nums) >= 3 else (nums[-1] if nums else 0),
                               "calltime", lineno, line)
                current_a.update(outcome="transferred")
                outcome = "transferred_out"
            current_a.update(left_at=ts, talk_s=calltime)
            current_a = None
        elif event in ("ABANDON", "EXITWITHTIMEOUT", "EXITWITHKEY", "EXITEMPTY"):
            wait = dur(data[3] if event == "EXITWITHKEY" and len(data) > 3 else
                       (data[2] if len(data) > 2 else ts - current_q["entered_at"]),
                       "waittime", lineno, line)
            current_q.update(left_at=ts, wait_s=wait,
                             outcome="abandoned" if event == "ABANDON" else "timed_out")
            outcome = "abandoned" if event == "ABANDON" else "overflowed"
    is_open = any(s["outcome"] == "open" for s in segments)
    if contact is not None and not is_open:
        if any(s["kind"] == "agent" and s["outcome"] == "completed" for s in segments):
            outcome = "handled"
        contact["outcome"] = outcome or "abandoned"
        contact["ended_at"] = last_ts
    if contact is not None and not is_open:
        problem = next((f"{s['kind']} leg lasts {int(s['left_at'] - s['entered_at'])} s: "
                        + p for s in segments if s["left_at"] is not None
                        and (p := seconds(s["left_at"] - s["entered_at"])[1])), None)
        if problem:
            problems.append((events[-1][6], "epoch", problem, events[-1][7]))
    return {"contact": contact, "segments": segments, "open": is_open and contact is not None,
            "ring_no_answer": ring, "problems": problems}


#: PAUSE reasons that mean after-contact work: the agent is busy (occupancy), not paused.
ACW_REASONS = {"acw", "wrap", "wrapup", "wrap-up", "wrap up", "after call work",
               "after-call work", "after contact work", "after-contact work"}


def _agent_states(rows):
    spans = []
    open_login: dict = {}
    open_pause: dict = {}
    for ts, _cid, queue, agent, event, data, _lineno, line in rows:
        q = "" if queue in ("NONE", "") else queue
        if event in ("AGENTLOGIN", "ADDMEMBER", "AGENTCALLBACKLOGIN"):
            open_login.setdefault((agent, q), (ts, line))
        elif event in ("AGENTLOGOFF", "REMOVEMEMBER", "AGENTCALLBACKLOGOFF"):
            start = open_login.pop((agent, q), None)
            if start is not None and ts > start[0]:
                spans.append((agent, q, "staffed", start[0], ts, ""))
        elif event in ("PAUSE", "PAUSEALL"):
            open_pause.setdefault((agent, q), (ts, data[0] if data else "", line))
        elif event in ("UNPAUSE", "UNPAUSEALL"):
            started = open_pause.pop((agent, q), None)
            if started is not None and ts > started[0]:
                state = "busy" if started[1].strip().lower() in ACW_REASONS else "paused"
                spans.append((agent, q, state, started[0], ts, started[1]))
    frame = pd.DataFrame(spans, columns=["agent_code", "queue_code", "state", "started_at",
                                         "ended_at", "reason"])
    for col in ("started_at", "ended_at"):
        frame[col] = pd.to_datetime(frame[col], unit="s", utc=True)
    # Logins and pauses still open: their lines are handed to the next file (``Chunk.carry``).
    return frame, [v[-1] for v in open_login.values()] + [v[-1] for v in open_pause.values()]


def live_state(carry: dict | None) -> dict:
    """What is happening now, from the lines a read left open (``Chunk.carry``).

    Returns ``{"waiting": [(queue, callid, entered_epoch)], "on_contact": [(queue, agent, callid,
    since_epoch)], "logged_in": [(agent, queue, since_epoch)], "paused": [(agent, queue, reason,
    since_epoch)]}``; epochs are UTC seconds. A call waits from its latest ENTERQUEUE until a
    CONNECT; a connected call is "on a contact" until its closing event; ``queue`` is ``""`` for
    an agent login not bound to a queue.
    """
    carry = carry or {}
    calls: dict[str, list] = {}
    for line in carry.get("asterisk_open_lines", []):
        p = line.split("|")
        calls.setdefault(p[1], []).append((int(float(p[0])), p[2], p[3], p[4]))
    waiting, on_contact = [], []
    for callid, events in calls.items():
        events.sort(key=lambda e: e[0])
        state = None
        for ts, queue, agent, event in events:
            if event == "ENTERQUEUE":
                state = ("waiting", queue, callid, ts)
            elif event == "CONNECT":
                state = ("on_contact", queue, agent, callid, ts)
            elif event in ("COMPLETECALLER", "COMPLETEAGENT", "TRANSFER", "BLINDTRANSFER",
                           "ATTENDEDTRANSFER", "ABANDON", "EXITWITHTIMEOUT", "EXITWITHKEY",
                           "EXITEMPTY"):
                state = None
        if state and state[0] == "waiting":
            waiting.append(state[1:])
        elif state:
            on_contact.append(state[1:])
    logged_in, paused = [], []
    for line in carry.get("asterisk_open_agent_lines", []):
        p = line.split("|")
        queue = "" if p[2] in ("NONE", "") else p[2]
        if p[4] in ("PAUSE", "PAUSEALL"):
            paused.append((p[3], queue, p[5] if len(p) > 5 else "", int(float(p[0]))))
        else:
            logged_in.append((p[3], queue, int(float(p[0]))))
    return {"waiting": sorted(waiting, key=lambda w: w[2]), "on_contact": on_contact,
            "logged_in": logged_in, "paused": paused}


#: Events that end a call's presence on the floor (it no longer waits nor talks).
_CALL_ENDS = {"COMPLETECALLER", "COMPLETEAGENT", "TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER",
              "ABANDON", "EXITWITHTIMEOUT", "EXITWITHKEY", "EXITEMPTY"}


def live_index(state: dict | None) -> dict:
    """:func:`live_state`'s answer keyed for :func:`live_advance`: ``waiting`` by callid →
    ``(queue, entered)``, ``on_contact`` by callid → ``(queue, agent, since)``, ``logged_in``
    by ``(agent, queue)`` → since, ``paused`` by ``(agent, queue)`` → ``(reason, since)``."""
    state = state or {}
    return {"waiting": {c: (q, t) for q, c, t in state.get("waiting", [])},
            "on_contact": {c: (q, a, t) for q, a, c, t in state.get("on_contact", [])},
            "logged_in": {(a, q): t for a, q, t in state.get("logged_in", [])},
            "paused": {(a, q): (r, t) for a, q, r, t in state.get("paused", [])}}


def live_listing(index: dict) -> dict:
    """The keyed live state back in :func:`live_state`'s shape (lists, waiting oldest first)."""
    return {"waiting": sorted(([q, c, t] for c, (q, t) in index["waiting"].items()),
                              key=lambda w: w[2]),
            "on_contact": [[q, a, c, t] for c, (q, a, t) in index["on_contact"].items()],
            "logged_in": [[a, q, t] for (a, q), t in index["logged_in"].items()],
            "paused": [[a, q, r, t] for (a, q), (r, t) in index["paused"].items()]}


def live_advance(index: dict, lines) -> dict:
    """Move the keyed live state ``index`` (:func:`live_index`) on by the queue_log ``lines``
    appended since it was taken, in place, with the rules :func:`live_state` reads from the
    lines a read left open — so a follower can say who waits *before* it loads the lines (the
    micro-batch's carry gives the same state once loaded). Lines that are not queue_log lines
    are skipped here (the load rejects them with their reason). Returns ``index``."""
    rows = []
    for line in lines:
        p = line.rstrip("\r\n").split("|")
        if len(p) < 5 or not LINE_RE.match(line):
            continue
        rows.append((int(float(p[0])), p))
    rows.sort(key=lambda r: r[0])  # stable, as the adapter orders a file
    waiting, talking = index["waiting"], index["on_contact"]
    logged_in, paused = index["logged_in"], index["paused"]
    for ts, p in rows:
        callid, queue, agent, event = p[1], p[2], p[3], p[4].strip()
        if event == "ENTERQUEUE":
            talking.pop(callid, None)
            waiting[callid] = (queue, ts)
        elif event == "CONNECT":
            if callid in waiting or callid in talking:
                waiting.pop(callid, None)
                talking[callid] = (queue, agent, ts)
        elif event in _CALL_ENDS:
            waiting.pop(callid, None)
            talking.pop(callid, None)
        elif event in AGENT_EVENTS:
            key = (agent, "" if queue in ("NONE", "") else queue)
            if event in ("AGENTLOGIN", "ADDMEMBER", "AGENTCALLBACKLOGIN"):
                logged_in.setdefault(key, ts)
            elif event in ("AGENTLOGOFF", "REMOVEMEMBER", "AGENTCALLBACKLOGOFF"):
                logged_in.pop(key, None)
            elif event in ("PAUSE", "PAUSEALL"):
                paused.setdefault(key, (p[5] if len(p) > 5 else "", ts))
            elif event in ("UNPAUSE", "UNPAUSEALL"):
                paused.pop(key, None)
    return index
