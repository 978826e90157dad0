"""Amazon Connect contact trace records (CTRs): JSON, one record per line or one array.

Records are delivered at least once and updated later, so for each ``ContactId`` only the version
with the latest ``LastUpdateTimestamp`` is kept (older versions counted as duplicates). Transfers
create new CTRs chained by ``InitialContactId``/``PreviousContactId``/``NextContactId``: the whole
chain is one contact (natural key = the initial ContactId) and each CTR adds its legs in
``InitiationTimestamp`` order:

- a CTR with ``Queue``: a queue leg (``Queue.Name``) entered at ``EnqueueTimestamp``, left at
  ``DequeueTimestamp``, ``wait_s`` = ``Queue.Duration``; answered when ``Agent`` is present,
  else transferred (a next CTR exists) or abandoned;
- a CTR with ``Agent``: an agent leg (``Agent.Username``) from ``ConnectedToAgentTimestamp``,
  ``talk_s`` = AgentInteractionDuration, ``hold_s`` = CustomerHoldDuration, ``acw_s`` =
  AfterContactWorkDuration; outcome transferred when a next CTR exists, else completed;
- a CTR with neither: a contact-flow (IVR) leg at routing point ``flow:<channel>``, contained
  when the chain ends there, else passed on.

Channel VOICE/CHAT/TASK/EMAIL → voice/chat/web_form/email. Timestamps are ISO 8601 UTC.

Values are held to the shared bounds (``bounds.py``): a record whose timestamps are not ISO
times in 1990–2100 and before the import, that disconnects before it starts, whose durations
are not 0 … 7 days (the queue wait of an e-mail or task up to 90 days), whose ``Queue``/``Agent``
is not an object or whose names are longer than their columns is a reject naming the field; the
other records of its transfer chain are rejected with it, so no contact loads without a leg.
"""
from __future__ import annotations

import json

import pandas as pd

from .base import Chunk, FormatError, Options, check_text, rejects_frame
from .bounds import MAX_DURATION_S, max_wait_s, seconds, text_problem, time_problem

NAME = "amazon_connect"
CHANNELS = {"VOICE": "voice", "CHAT": "chat", "TASK": "web_form", "EMAIL": "email"}


def sniff(first_line: str) -> bool:
    s = first_line.lstrip("\ufeff ").strip()
    return s.startswith(("[", "{")) and ("ContactId" in s or s in ("[", "{", "[{"))


def _records(path, name, encoding):
    try:
        with open(path, encoding=encoding) as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        raise FormatError(f"{name}: expected text encoded as {encoding}, found bytes that are "
                          f"not ({exc.reason} at byte {exc.start}).") from exc
    stripped = text.lstrip("\ufeff \r\n\t")
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise FormatError(f"{name}, line {exc.lineno}: expected a JSON array of contact "
                              f"records, found invalid JSON ({exc.msg}).") from exc
        return [(i + 1, r, json.dumps(r)[:500]) for i, r in enumerate(data)], []
    if not stripped.startswith("{"):
        raise FormatError(f"{name}: expected Amazon Connect contact records (JSON objects, one "
                          f"per line, or an array), found {stripped[:60]!r}.")
    out, bad = [], []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append((lineno, json.loads(line), line[:500]))
        except json.JSONDecodeError as exc:
            bad.append((lineno, "", f"not a JSON object ({exc.msg})", line[:500]))
    if not out:
        raise FormatError(f"{name}: expected one JSON contact record per line, found none "
                          f"that parse.")
    return out, bad


def _ts(value):
    """An ISO timestamp → UTC Timestamp; ``NaT`` when empty; raises ValueError when not a
    time pandas can hold."""
    if value is None or value == "":
        return pd.NaT
    if not isinstance(value, str):
        raise ValueError("not a text")
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ValueError(str(exc)) from exc
    if pd.isna(ts):
        return pd.NaT
    return ts.tz_convert("UTC") if ts.tzinfo else ts.tz_localize("UTC")


TIMES = (("InitiationTimestamp",), ("DisconnectTimestamp",), ("Queue", "EnqueueTimestamp"),
         ("Queue", "DequeueTimestamp"), ("Agent", "ConnectedToAgentTimestamp"))
TEXTS = ((("ContactId",), "external_id"), (("InitialContactId",), "external_id"),
         (("Queue", "Name"), "queue"), (("Agent", "Username"), "agent"),
         (("Agent", "ARN"), "agent"), (("Attributes", "segment"), "customer_segment"),
         (("Attributes", "CustomerSegment"), "customer_segment"),
         (("Attributes", "contact_type"), "contact_type"),
         (("Attributes", "ContactType"), "contact_type"),
         (("InitiationMethod",), "contact_type"),
         (("CustomerEndpoint", "Address"), "customer_ref"))


def _get(rec, path):
    for key in path:
        rec = rec.get(key) if isinstance(rec, dict) else None
    return rec


def _problem(rec, not_after):
    """``(field, reason)`` when the record cannot be loaded, else ``None``."""
    if not isinstance(rec, dict) or not rec.get("ContactId") or \
            not isinstance(rec["ContactId"], str):
        return "ContactId", "record has no ContactId"
    for key in ("Queue", "Agent", "Attributes", "CustomerEndpoint"):
        if rec.get(key) is not None and not isinstance(rec[key], dict):
            return key, f"expected an object, found {type(rec[key]).__name__}"
    times = {}
    for path in TIMES:
        field = ".".join(path)
        try:
            ts = _ts(_get(rec, path))
        except ValueError:
            return field, "not an ISO timestamp"
        if path == ("InitiationTimestamp",) and pd.isna(ts):
            return field, "missing or not an ISO timestamp"
        if not pd.isna(ts) and (problem := time_problem(ts, not_after)):
            return field, problem
        times[path[-1]] = ts
    start = times["InitiationTimestamp"]
    for key in ("DisconnectTimestamp", "EnqueueTimestamp", "DequeueTimestamp",
                "ConnectedToAgentTimestamp"):
        if not pd.isna(times[key]) and times[key] < start:
            return key, "before the InitiationTimestamp (the record ends before it starts)"
    channel = CHANNELS.get(str(rec.get("Channel", "VOICE")).upper(), "voice")
    for path, limit in ((("Queue", "Duration"), max_wait_s(channel)),
                        (("Agent", "AgentInteractionDuration"), MAX_DURATION_S),
                        (("Agent", "CustomerHoldDuration"), MAX_DURATION_S),
                        (("Agent", "AfterContactWorkDuration"), MAX_DURATION_S)):
        if problem := seconds(_get(rec, path), limit)[1]:
            return ".".join(path), problem
    if not pd.isna(times["DisconnectTimestamp"]) and (problem := seconds(
            (times["DisconnectTimestamp"] - start).total_seconds(), max_wait_s(channel))[1]):
        return "DisconnectTimestamp", "the record lasts too long: " + problem
    for path, kind in TEXTS:
        value = _get(rec, path)
        if value is not None and not isinstance(value, str | int | float):
            return ".".join(path), f"expected a text, found {type(value).__name__}"
        if value is not None and (problem := text_problem(value, kind)):
            return ".".join(path), problem
    return None


def read(path, options: Options):
    name = options.name or str(path)
    encoding = check_text(path, name, ("utf-8",))
    records, rejects = _records(path, name, encoding)
    chunk = Chunk(rows_read=len(records) + len(rejects))
    latest: dict = {}
    rejected_roots: dict = {}
    for lineno, rec, raw in records:
        problem = _problem(rec, options.not_after)
        if problem:
            rejects.append((lineno, *problem, raw))
            if isinstance(rec, dict) and isinstance(rec.get("ContactId"), str):
                root = rec.get("InitialContactId") or rec["ContactId"]
                rejected_roots.setdefault(str(root), lineno)
            continue
        started = _ts(rec.get("InitiationTimestamp"))
        version = str(rec.get("LastUpdateTimestamp") or "")
        key = rec["ContactId"]
        if key in latest:
            chunk.duplicates += 1
            if version < latest[key][0]:
                continue
        latest[key] = (version, lineno, rec, started)
    chunk.notes.add("superseded_versions", chunk.duplicates,
                    "older versions of re-delivered contact records ignored; latest "
                    "LastUpdateTimestamp kept")
    chains: dict = {}
    for _version, lineno, rec, started in latest.values():
        root = str(rec.get("InitialContactId") or rec["ContactId"])
        if root in rejected_roots:
            rejects.append((lineno, "InitialContactId",
                            f"part of a transfer chain whose record on line "
                            f"{rejected_roots[root]} was rejected", json.dumps(rec)[:500]))
            continue
        chains.setdefault(root, []).append((started, lineno, rec))
    contacts, segments = [], []
    for root, ctrs in chains.items():
        ctrs.sort(key=lambda t: (t[0], t[1]))
        seq = 0
        first = ctrs[0][2]
        channel = CHANNELS.get(str(first.get("Channel", "VOICE")).upper(), "voice")
        first_queue = ""
        answered_any = False
        last_kind = None
        ended = ctrs[0][0]
        for i, (started, _lineno, rec) in enumerate(ctrs):
            has_next = bool(rec.get("NextContactId")) or i < len(ctrs) - 1
            queue = rec.get("Queue") or {}
            agent = rec.get("Agent") or {}
            end = _ts(rec.get("DisconnectTimestamp")) if rec.get("DisconnectTimestamp") \
                else started
            ended = max(ended, end)
            if queue.get("Name"):
                seq += 1
                queue = {**queue, "Name": str(queue["Name"])}
                first_queue = first_queue or queue["Name"]
                enq = _ts(queue.get("EnqueueTimestamp")) if queue.get("EnqueueTimestamp") \
                    else started
                deq = _ts(queue.get("DequeueTimestamp")) if queue.get("DequeueTimestamp") \
                    else end
                answered = bool(agent.get("ConnectedToAgentTimestamp"))
                outcome = "answered" if answered else ("transferred" if has_next
                                                       else "abandoned")
                segments.append(_seg(root, seq, "queue", queue["Name"], "acd", "", enq,
                                     _ts(agent["ConnectedToAgentTimestamp"]) if answered
                                     else pd.NaT, deq, seconds(queue.get("Duration"),
                                                               max_wait_s(channel))[0],
                                     0, 0, 0, outcome))
                last_kind = "queue_" + outcome
            if agent.get("ConnectedToAgentTimestamp"):
                seq += 1
                answered_any = True
                at = _ts(agent["ConnectedToAgentTimestamp"])
                talk = seconds(agent.get("AgentInteractionDuration"))[0]
                segments.append(_seg(root, seq, "agent", queue.get("Name", ""), "acd",
                                     str(agent.get("Username") or agent.get("ARN") or ""), at, at,
                                     end, 0, talk, seconds(agent.get("CustomerHoldDuration"))[0],
                                     seconds(agent.get("AfterContactWorkDuration"))[0],
                                     "transferred" if has_next else "completed"))
                last_kind = "agent"
            if not queue.get("Name") and not agent.get("ConnectedToAgentTimestamp"):
                seq += 1
                segments.append(_seg(root, seq, "ivr", f"flow:{channel}", "ivr", "", started,
                                     pd.NaT, end, 0, 0, 0, 0,
                                     "to_queue" if has_next else "contained"))
                last_kind = "ivr"
        if last_kind == "agent" or (answered_any and last_kind != "queue_abandoned"):
            outcome = "handled"
        elif last_kind == "ivr":
            outcome = "self_served"
        else:
            outcome = "abandoned"
        attrs = first.get("Attributes") or {}
        contacts.append({
            "external_id": root, "channel": channel, "arrived_at": ctrs[0][0], "ended_at": ended,
            "customer_ref": str((first.get("CustomerEndpoint") or {}).get("Address") or ""),
            "customer_segment": str(attrs.get("segment") or attrs.get("CustomerSegment") or ""),
            "contact_type": str(attrs.get("contact_type") or attrs.get("ContactType") or
                                first.get("InitiationMethod") or ""),
            "outcome": outcome, "queue_code": first_queue,
        })
    chunk.notes.add("transfer_chains", sum(1 for c in chains.values() if len(c) > 1),
                    "transferred contacts (several records chained by InitialContactId) "
                    "loaded as one contact with one leg per record")
    chunk.rejects = rejects_frame(rejects)
    if contacts:
        chunk.contacts = pd.DataFrame(contacts)
        for col in ("arrived_at", "ended_at"):
            chunk.contacts[col] = pd.to_datetime(chunk.contacts[col], utc=True)
        seg = pd.DataFrame(segments)
        for col in ("entered_at", "answered_at", "left_at"):
            seg[col] = pd.to_datetime(seg[col], utc=True)
        chunk.segments = seg
    yield chunk


def _seg(ext, seq, kind, queue, queue_kind, agent, entered, answered, left, wait, talk, hold,
         acw, outcome):
    return {"external_id": ext, "seq": seq, "kind": kind, "queue_code": queue,
            "queue_kind": queue_kind, "agent_code": agent, "entered_at": entered,
            "answered_at": answered, "left_at": left, "wait_s": wait, "talk_s": talk,
            "hold_s": hold, "acw_s": acw, "outcome": outcome}
