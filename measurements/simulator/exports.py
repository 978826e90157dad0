"""Write a simulation as the export files real systems produce, one file per local month per
source, plus ``manifest.json`` describing them and the simulator's ground truth.

Pure module. Formats:

* in-house ACD → Asterisk ``queue_log`` (``epoch|callid|queue|agent|event|data1|data2|data3``,
  epoch = UTC seconds);
* the vendor's queue → Amazon Connect contact records, one JSON object per line, ISO-8601 UTC
  timestamps with ``Z``;
* IVR sessions, digital contacts (chat, e-mail, web forms), digital agent states and surveys →
  CSV with naive local times of the centre (zone in the manifest; in the repeated hour of the
  autumn DST change times are ambiguous and appear in time order).

All lines of one contact go to the file of the local month the contact started in, so every
file is complete on its own.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .demand import bank_holidays

MANIFEST_VERSION = 1
QUEUE_EXTENSIONS = {"Billing": "6001", "Technical Support": "6002",
                    "Technical – Tier 2": "6003", "Customer Service": "6004"}
CONNECT_ACCOUNT = "111122223333"
CONNECT_INSTANCE = ("arn:aws:connect:eu-west-2:111122223333:instance/"
                    "5e1f0c6a-3d2b-4c8e-9a71-0c2f7d4b9e10")
IVR_OUTCOMES = {"self_served": "contained", "to_queue": "to_queue", "abandoned": "abandoned",
                "closed": "no_agent"}
CRM_OUTCOMES = {"answered": "answered", "abandoned": "abandoned", "open": "open"}
RING_MS = 15000  # member ring timeout written on RINGNOANSWER, milliseconds
AGENT_STATES = {"staffed": "staffed", "paused": "paused", "busy": "busy"}


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(t)))


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """The legs with the nullable agent index as a plain int (−1 = none), fast to iterate."""
    plain = frame.assign(agent_idx=frame["agent_idx"].to_numpy(dtype=float, na_value=-1)
                         .astype(np.int64))
    # plain Python objects: iterating pandas string/extension arrays is many times slower
    return pd.DataFrame({c: plain[c].to_numpy(dtype=object) for c in plain.columns})


def _local_strings(times: np.ndarray, zone: str) -> list[str]:
    """Naive local ``YYYY-MM-DD HH:MM:SS`` for UTC epochs (empty string for NaN)."""
    t = np.asarray(times, dtype=float)
    ok = ~np.isnan(t)
    out = np.full(len(t), "", dtype=object)
    if ok.any():
        stamps = pd.DatetimeIndex(pd.to_datetime(t[ok].astype(np.int64), unit="s", utc=True))
        local = stamps.tz_convert(zone).tz_localize(None).to_numpy().astype("datetime64[s]")
        text = np.datetime_as_string(local, unit="s").astype(object)
        out[ok] = [x.replace("T", " ") for x in text]
    return out.tolist()


def _months(times: np.ndarray, zone: str) -> np.ndarray:
    """Local ``YYYY-MM`` of UTC epochs, as an object array."""
    stamps = pd.DatetimeIndex(pd.to_datetime(np.asarray(times, dtype=float).astype(np.int64),
                                             unit="s", utc=True))
    month = stamps.tz_convert(zone).tz_localize(None).to_numpy().astype("datetime64[M]")
    codes, index = np.unique(month, return_inverse=True)
    names = np.array([str(m) for m in codes], dtype=object)
    return names[index.ravel()]


def _write(path: Path, text: str) -> dict:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes(data)
    return {"sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data)}


def _csv_text(columns: list[str], rows) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buf.getvalue()


def _s(values) -> np.ndarray:
    """Values as an object array of ``str`` (object arrays concatenate element-wise with +)."""
    return np.array([str(v) for v in np.asarray(values).tolist()], dtype=object)


def asterisk_lines(result) -> dict[str, list[str]]:
    """queue_log lines per local month for the in-house ACD, in time order within a month.

    Lines are built column-wise (object-array concatenation) and sorted by (month, epoch,
    order within the second): a call's events order by leg then step; agent log-ins and
    un-pauses come first in a second, pauses and log-offs last.
    """
    contacts, legs, agents = result.contacts, result.legs, result.agents
    zone = result.calendar.time_zone
    in_house = _plain(legs[contacts["system"].to_numpy()[legs["contact"].to_numpy()]
                           == "asterisk"])
    callid = contacts["external_id"].to_numpy(dtype=object)
    phone = _phones(contacts)
    contact_month = _months(contacts["arrived_t"].to_numpy(), zone)
    agent_name = agents["name"].to_numpy(dtype=object)
    epochs, orders, months, lines = [], [], [], []

    def add(epoch, order, month, line):
        epochs.append(np.asarray(epoch, dtype=np.int64))
        orders.append(np.broadcast_to(np.asarray(order, dtype=np.int64), len(line)))
        months.append(np.asarray(month, dtype=object))
        lines.append(np.asarray(line, dtype=object))

    c = in_house["contact"].to_numpy(dtype=np.int64)
    seq = in_house["seq"].to_numpy(dtype=np.int64)
    cid, month, q = callid[c], contact_month[c], in_house["queue"].to_numpy(dtype=object)
    enter = in_house["enter_t"].to_numpy(dtype=float).astype(np.int64)
    orig = _s(in_house["orig_pos"])
    head = "|" + cid + "|" + q + "|"
    add(enter, 10 * seq, month, _s(enter) + head + "NONE|ENTERQUEUE||" + phone[c] + "|" + orig)

    outcome = in_house["outcome"].to_numpy(dtype=object)
    rng = np.random.default_rng(result.seed + 11)
    completer = rng.random(len(in_house)) < 0.62
    ok = (outcome == "answered") | (outcome == "transferred")
    if ok.any():
        a = in_house["agent_idx"].to_numpy(dtype=np.int64)[ok]
        connect = in_house["connect_t"].to_numpy(dtype=float)[ok]
        end = (connect + in_house["talk_s"].to_numpy(dtype=float)[ok]
               + in_house["hold_s"].to_numpy(dtype=float)[ok]).astype(np.int64)
        connect = connect.astype(np.int64)
        hold, call = _s(connect - enter[ok]), _s(end - connect)
        agent_head = head[ok] + agent_name[a] + "|"
        ring = _s(np.rint(in_house["ring_s"].to_numpy(dtype=float)[ok]).astype(np.int64))
        add(connect, 10 * seq[ok] + 1, month[ok],
            _s(connect) + agent_head + "CONNECT|" + hold + "|" + _s(connect) + "."
            + _s(c[ok] % 100000) + _s(seq[ok]) + "|" + ring)
        transferred = outcome[ok] == "transferred"
        ext = np.array([QUEUE_EXTENSIONS.get(t, "") if t else "" for t in
                        in_house["target"].to_numpy(dtype=object)[ok].tolist()], dtype=object)
        who = np.where(completer[ok], "COMPLETECALLER", "COMPLETEAGENT").astype(object)
        tail = np.where(transferred,
                        "TRANSFER|" + ext + "|from-internal|" + hold + "|" + call + "|"
                        + orig[ok],
                        who + "|" + hold + "|" + call + "|" + orig[ok])
        add(end, 10 * seq[ok] + 2, month[ok], _s(end) + agent_head + tail)
    lost = ~ok
    if lost.any():
        left = in_house["exit_t"].to_numpy(dtype=float)[lost].astype(np.int64)
        event = np.where(outcome[lost] == "overflowed", "EXITWITHTIMEOUT", "ABANDON"
                         ).astype(object)
        add(left, 10 * seq[lost] + 1, month[lost],
            _s(left) + head[lost] + "NONE|" + event + "|" + _s(in_house["exit_pos"])[lost]
            + "|" + orig[lost] + "|" + _s(left - enter[lost]))

    log = result.agent_log
    asterisk_agents = set(agents.loc[agents["system"] == "asterisk", "agent_idx"])
    log = log[log["agent_idx"].isin(asterisk_agents)]
    if len(log):
        t = log["t"].to_numpy(dtype=float).astype(np.int64)
        a = log["agent_idx"].to_numpy(dtype=np.int64)
        kind = log["kind"].to_numpy(dtype=object)
        detail = log["detail"].to_numpy(dtype=object)
        log_month = _months(t, zone)
        for k, event, order in (("pause", "PAUSE", 500), ("unpause", "UNPAUSE", -300)):
            sel = kind == k
            add(t[sel], order, log_month[sel], _s(t[sel]) + "|NONE|NONE|" + agent_name[a[sel]]
                + "|" + event + "|" + _s(detail[sel]))
        _agent_session_lines(result, t, a, kind, detail, log_month, callid, contact_month,
                             add)
    order_idx = np.lexsort((np.concatenate(orders), np.concatenate(epochs),
                            np.concatenate(months).astype(str)))
    all_months = np.concatenate(months)[order_idx]
    all_lines = np.concatenate(lines)[order_idx]
    out: dict[str, list[str]] = {}
    for m in sorted(set(all_months.tolist())):
        out[m] = all_lines[all_months == m].tolist()
    return out


def _agent_session_lines(result, t, a, kind, detail, log_month, callid, contact_month, add):
    """AGENTLOGIN/ADDMEMBER, REMOVEMEMBER/AGENTLOGOFF and RINGNOANSWER lines (few: a loop)."""
    agent_name = result.agents["name"].to_numpy(dtype=object)
    skills = _agent_queues(result)
    queue_names = [q.name for q in result.config.queues]
    rows = []
    for i in np.flatnonzero((kind != "pause") & (kind != "unpause")).tolist():
        ti, name = int(t[i]), agent_name[a[i]]
        iface = "PJSIP/" + name.split("/")[-1]
        month = log_month[i]
        if kind[i] == "login":
            rows.append((ti, -200, month, f"{ti}|NONE|NONE|{name}|AGENTLOGIN|{iface}"))
            rows += [(ti, -100, month, f"{ti}|NONE|{q}|{name}|ADDMEMBER|") for q in skills[a[i]]]
        elif kind[i] == "logoff":
            rows += [(ti, 600, month, f"{ti}|NONE|{q}|{name}|REMOVEMEMBER|") for q in skills[a[i]]]
            rows.append((ti, 700, month, f"{ti}|NONE|NONE|{name}|AGENTLOGOFF|{iface}|"
                                         f"{int(detail[i])}"))
        elif kind[i] == "ringnoanswer":
            contact, q = detail[i]
            rows.append((ti, 93, contact_month[contact],
                         f"{ti}|{callid[contact]}|{queue_names[q]}|{name}|RINGNOANSWER|"
                         f"{RING_MS}"))
    if rows:
        ts, orders, months, lines = zip(*rows, strict=True)
        add(list(ts), list(orders), list(months), list(lines))


def _agent_queues(result) -> dict[int, list[str]]:
    teams = {t.name: t for t in result.config.teams}
    return {int(a.agent_idx): [q for q, _ in teams[a.team].skills]
            for a in result.agents.itertuples()}


def _phones(contacts: pd.DataFrame) -> np.ndarray:
    """The caller's (fictional, Ofcom drama-range style) number for each contact's customer."""
    customer = contacts["customer"].to_numpy(dtype=np.int64)
    ids = np.arange(int(customer.max()) + 1 if len(customer) else 1)
    table = np.array([f"+447700{900000 + (c * 7919) % 100000:06d}" for c in ids.tolist()],
                     dtype=object)
    return table[customer]


def connect_records(result) -> dict[str, list[str]]:
    """Amazon Connect contact records (JSON lines) per local month for the vendor's queue."""
    contacts, legs = result.contacts, result.legs
    zone = result.calendar.time_zone
    vendor = legs[contacts["system"].to_numpy()[legs["contact"].to_numpy()] == "connect"]
    phone = _phones(contacts)
    contact_month = _months(contacts["arrived_t"].to_numpy(), zone)
    agent_name = result.agents["name"].to_numpy()
    ctype = contacts["contact_type"].to_numpy()
    by_contact: dict[int, list] = {}
    for leg in _plain(vendor.sort_values(["contact", "seq"])).itertuples(index=False):
        by_contact.setdefault(leg.contact, []).append(leg)
    out: dict[str, list[tuple[float, str]]] = {}
    for c, rows in by_contact.items():
        ids = [r.leg_id for r in rows]
        for i, leg in enumerate(rows):
            answered = leg.outcome in ("answered", "transferred")
            end = (leg.connect_t + leg.talk_s + leg.hold_s) if answered else leg.exit_t
            record = {
                "AWSAccountId": CONNECT_ACCOUNT,
                "AWSContactTraceRecordFormatVersion": "2017-03-10",
                "InstanceARN": CONNECT_INSTANCE,
                "Agent": None,
                "AgentConnectionAttempts": 1 if answered else 0,
                "Attributes": {"ivr_option": "3", "contact_type": str(ctype[c])},
                "Channel": "VOICE",
                "ConnectedToSystemTimestamp": _iso(leg.enter_t),
                "ContactId": leg.leg_id,
                "CustomerEndpoint": {"Address": phone[c], "Type": "TELEPHONE_NUMBER"},
                "DisconnectReason": "CUSTOMER_DISCONNECT",
                "DisconnectTimestamp": _iso(end),
                "InitialContactId": ids[0] if i > 0 else None,
                "InitiationMethod": "TRANSFER" if i > 0 else "INBOUND",
                "InitiationTimestamp": _iso(leg.enter_t),
                "LastUpdateTimestamp": _iso(end + leg.acw_s + 30),
                "NextContactId": ids[i + 1] if i + 1 < len(ids) else None,
                "PreviousContactId": ids[i - 1] if i > 0 else None,
                "Queue": {"Name": leg.queue,
                          "EnqueueTimestamp": _iso(leg.enter_t),
                          "DequeueTimestamp": _iso(leg.connect_t if answered else leg.exit_t),
                          "Duration": int((leg.connect_t if answered else leg.exit_t)
                                          - leg.enter_t)},
                "TransferCompletedTimestamp": _iso(end) if leg.outcome == "transferred"
                else None,
            }
            if answered:
                record["DisconnectReason"] = ("AGENT_DISCONNECT" if leg.outcome == "transferred"
                                              or (c + leg.seq) % 3 == 0
                                              else "CUSTOMER_DISCONNECT")
                record["Agent"] = {
                    "Username": agent_name[int(leg.agent_idx)],
                    "ConnectedToAgentTimestamp": _iso(leg.connect_t),
                    "AgentInteractionDuration": int(round(leg.talk_s)),
                    "CustomerHoldDuration": int(round(leg.hold_s)),
                    "NumberOfHolds": int(leg.hold_s > 0),
                    "LongestHoldDuration": int(round(leg.hold_s)),
                    "AfterContactWorkStartTimestamp": _iso(end),
                    "AfterContactWorkEndTimestamp": _iso(end + leg.acw_s),
                    "AfterContactWorkDuration": int(round(leg.acw_s)),
                    "RoutingProfile": {"Name": "Sales vendor"},
                }
            out.setdefault(contact_month[c], []).append(
                (leg.enter_t, json.dumps(record, ensure_ascii=False, separators=(",", ":"))))
    return {m: [line for _, line in sorted(v, key=lambda x: x[0])] for m, v in out.items()}


def ivr_frame(result) -> pd.DataFrame:
    """IVR sessions (voice contacts), local times, one row per call."""
    contacts = result.contacts
    zone = result.calendar.time_zone
    voice = contacts[contacts["channel"] == "voice"]
    names = [q.name for q in result.config.queues]
    queue = [names[i] if i >= 0 else "" for i in voice["queue_idx"]]
    return pd.DataFrame({
        "session_id": voice["external_id"].to_numpy(),
        "started_at": _local_strings(voice["arrived_t"].to_numpy(), zone),
        "ended_at": _local_strings(voice["ivr_end_t"].to_numpy(), zone),
        "caller_number": _phones(voice),
        "menu_path": voice["ivr_path"].to_numpy(),
        "menu_option": voice["ivr_option"].to_numpy(),
        "call_reason": voice["contact_type"].to_numpy(),
        "customer_segment": voice["customer_segment"].to_numpy(),
        "outcome": voice["ivr_outcome"].to_numpy(),
        "queue": queue,
        "_t": voice["arrived_t"].to_numpy(),
    })


def crm_frame(result) -> pd.DataFrame:
    """Digital contacts (chat, e-mail, web form): one row per contact, local times."""
    contacts, legs = result.contacts, result.legs
    zone = result.calendar.time_zone
    digital = legs[legs["channel"] != "voice"].sort_values(["enter_t", "contact"])
    c = digital["contact"].to_numpy()
    answered = digital["outcome"].isin(["answered", "transferred"]).to_numpy()
    closed = np.where(answered, digital["connect_t"] + digital["talk_s"] + digital["acw_s"],
                      digital["exit_t"])
    outcome = np.where(answered, "answered", digital["outcome"].to_numpy())
    open_end = (digital["outcome"] == "open").to_numpy()
    outcome = np.where(open_end, "open", outcome)
    closed = np.where(open_end, np.nan, closed)
    agent = result.agents["name"].to_numpy()
    return pd.DataFrame({
        "contact_id": contacts["external_id"].to_numpy()[c],
        "channel": contacts["channel"].to_numpy()[c],
        "created_at": _local_strings(digital["enter_t"].to_numpy(), zone),
        "first_response_at": _local_strings(
            np.where(answered, digital["connect_t"], np.nan), zone),
        "closed_at": _local_strings(closed, zone),
        "queue": digital["queue"].to_numpy(),
        "agent": [agent[int(a)] if ok else "" for a, ok in zip(
            digital["agent_idx"].fillna(0), answered, strict=True)],
        "handle_s": np.where(answered, np.rint(digital["talk_s"] + digital["acw_s"]), 0
                             ).astype(int),
        "outcome": outcome,
        "contact_type": contacts["contact_type"].to_numpy()[c],
        "customer_ref": [f"ACC{n:07d}" for n in contacts["customer"].to_numpy()[c]],
        "customer_segment": contacts["customer_segment"].to_numpy()[c],
        "_t": digital["enter_t"].to_numpy(),
    })


def agent_state_frame(result, system: str = "crm") -> pd.DataFrame:
    """Agent states of the teams working on ``system`` (``crm``: the digital platform's WFM
    export; ``connect``: the sales vendor's): staffed, paused, busy spans."""
    spans = result.spans
    teams = result.config.teams
    crm = [i for i, t in enumerate(teams) if t.system == system]
    spans = spans[spans["team_idx"].isin(crm)].sort_values(["start_t", "agent_idx", "kind"])
    zone = result.calendar.time_zone
    agent = result.agents["name"].to_numpy()
    reasons = _pause_reasons(result)
    return pd.DataFrame({
        "agent": agent[spans["agent_idx"].to_numpy()],
        "team": [teams[i].name for i in spans["team_idx"]],
        "state": spans["kind"].to_numpy(),
        "started_at": _local_strings(spans["start_t"].to_numpy(), zone),
        "ended_at": _local_strings(spans["end_t"].to_numpy(), zone),
        "reason": [reasons.get((a, s), "") if k == "paused" else "" for a, s, k in zip(
            spans["agent_idx"].tolist(), spans["start_t"].tolist(),
            spans["kind"].to_numpy(dtype=object).tolist(), strict=True)],
        "_t": spans["start_t"].to_numpy(),
    })


def _pause_reasons(result) -> dict:
    log = result.agent_log
    pauses = log[log["kind"] == "pause"]
    return dict(zip(zip(pauses["agent_idx"].tolist(), pauses["t"].tolist(), strict=True),
                    pauses["detail"].to_numpy(dtype=object).tolist(), strict=True))


def survey_frame(result) -> pd.DataFrame:
    """Survey responses with the contact's id in its source system, local times."""
    s = result.surveys
    contacts = result.contacts
    zone = result.calendar.time_zone
    return pd.DataFrame({
        "response_id": s["response_id"].to_numpy(),
        "contact_ref": contacts["external_id"].to_numpy()[s["contact"].to_numpy()],
        "channel": contacts["channel"].to_numpy()[s["contact"].to_numpy()],
        "responded_at": _local_strings(s["responded_t"].to_numpy(), zone),
        "csat": s["csat"].to_numpy(),
        "nps": s["nps"].to_numpy(),
        "resolved_first_time": np.where(s["resolved_first_time"], "yes", "no"),
        "comment": s["comment"].to_numpy(),
        "_t": s["responded_t"].to_numpy(),
    })


def _csv_by_month(frame: pd.DataFrame, zone: str, month_t: np.ndarray | None = None
                  ) -> dict[str, str]:
    if frame.empty:
        return {}
    months = _months(frame["_t"].to_numpy() if month_t is None else month_t, zone)
    cols = [c for c in frame.columns if not c.startswith("_")]
    out = {}
    for month in sorted(set(months)):
        part = frame.loc[months == month, cols]
        out[month] = _csv_text(cols, zip(*(part[c].to_numpy(dtype=object).tolist()
                                           for c in cols), strict=True))
    return out


SOURCES = {
    "acd": {"name": "In-house ACD (Asterisk)", "kind": "acd",
            "export_format": "asterisk_queue_log", "time_zone": "UTC",
            "folder": "acd-asterisk", "pattern": "queue_log-{month}.log",
            "timestamps": "Unix epoch seconds, UTC",
            "notes": "Agent-level events (AGENTLOGIN, AGENTLOGOFF, PAUSE, UNPAUSE) use queue "
                     "NONE and apply to all the agent's queues. PAUSE reason 'ACW' is "
                     "after-contact work (count as busy); Break, Lunch, Training, Coaching, "
                     "Team meeting, Admin and Back office are paused. A call overflowing "
                     "appears as EXITWITHTIMEOUT then ENTERQUEUE on the next queue with the "
                     "same callid; "
                     "a transfer or escalation as TRANSFER then ENTERQUEUE likewise. The callid "
                     "is also the IVR session id."},
    "connect": {"name": "Sales vendor (Amazon Connect)", "kind": "acd",
                "export_format": "amazon_connect", "time_zone": "UTC",
                "folder": "vendor-connect", "pattern": "contact-records-{month}.jsonl",
                "timestamps": "ISO-8601 UTC with Z",
                "notes": "One JSON contact record per line. Transfers create a new record "
                         "(InitiationMethod TRANSFER) linked by InitialContactId, "
                         "PreviousContactId and NextContactId. The initial ContactId is the "
                         "IVR session id and the survey contact reference."},
    "ivr": {"name": "IVR sessions", "kind": "ivr", "export_format": "generic",
            "folder": "ivr", "pattern": "ivr-sessions-{month}.csv",
            "timestamps": "local time of the centre, naive",
            "column_mapping": {"session_id": "external_id", "started_at": "arrived_at",
                               "ended_at": "ended_at", "caller_number": "customer_ref",
                               "menu_path": "ivr_path", "menu_option": "ivr_option",
                               "call_reason": "contact_type",
                               "customer_segment": "customer_segment", "outcome": "outcome",
                               "queue": "queue"},
            "value_maps": {"outcome": IVR_OUTCOMES},
            "notes": "One row per call reaching the IVR (24/7). outcome: self_served (ended "
                     "in self-service), to_queue (passed to an ACD queue; session_id = the "
                     "Asterisk callid or the Connect ContactId), abandoned (hung up in the "
                     "menu), closed (told the centre is closed). call_reason is the reason "
                     "the caller chose; customer_segment is the CRM segment of the caller "
                     "identified by number (empty when not identified)."},
    "crm": {"name": "Digital contacts (CRM)", "kind": "web", "export_format": "generic",
            "folder": "crm", "pattern": "digital-contacts-{month}.csv",
            "timestamps": "local time of the centre, naive",
            "column_mapping": {"contact_id": "external_id", "channel": "channel",
                               "created_at": "arrived_at", "first_response_at": "answered_at",
                               "closed_at": "ended_at", "queue": "queue", "agent": "agent",
                               "handle_s": "handle_s", "outcome": "outcome",
                               "contact_type": "contact_type", "customer_ref": "customer_ref",
                               "customer_segment": "customer_segment"},
            "value_maps": {"outcome": CRM_OUTCOMES},
            "notes": "Chat, e-mail and web-form contacts. first_response_at is when an "
                     "agent picked the contact up (chat answered); handle_s = handling + "
                     "wrap-up seconds; outcome open = not yet worked at the end of the export."},
    "states": {"name": "Digital agent states (WFM)", "kind": "wfm",
               "export_format": "generic", "folder": "wfm",
               "pattern": "digital-agent-states-{month}.csv",
               "timestamps": "local time of the centre, naive",
               "column_mapping": {"agent": "agent", "team": "team", "state": "state",
                                  "started_at": "started_at", "ended_at": "ended_at",
                                  "reason": "reason"},
               "value_maps": {"state": AGENT_STATES},
               "notes": "Spans overlap: busy and paused lie inside staffed (logged in). "
                        "Busy = at least one contact in progress (chat agents work two "
                        "at once)."},
    "vendor_states": {
        "name": "Sales vendor agent states (WFM)", "kind": "wfm", "export_format": "generic",
        "folder": "vendor-connect", "pattern": "agent-states-{month}.csv",
        "timestamps": "local time of the centre, naive",
        "column_mapping": {"agent": "agent", "team": "team", "state": "state",
                           "started_at": "started_at", "ended_at": "ended_at",
                           "reason": "reason"},
        "value_maps": {"state": AGENT_STATES},
        "notes": "The sales vendor's workforce export for its agents on the contract, same "
                 "layout as the digital agent states: busy = on a call or in after-call work; "
                 "paused includes breaks and back-office work."},
    "survey": {"name": "Post-contact survey", "kind": "survey", "export_format": "survey",
               "folder": "survey", "pattern": "survey-responses-{month}.csv",
               "timestamps": "local time of the centre, naive",
               "column_mapping": {"response_id": "external_id", "contact_ref": "contact_ref",
                                  "channel": "channel", "responded_at": "responded_at",
                                  "csat": "csat", "nps": "nps",
                                  "resolved_first_time": "resolved_first_time",
                                  "comment": "comment"},
               "value_maps": {"resolved_first_time": {"yes": True, "no": False}},
               "notes": "contact_ref is the contact's id in its own source: Asterisk callid, "
                        "initial Connect ContactId, or CRM contact id."},
}


def write_exports(result, out_dir: str | Path) -> dict:
    """Write all export files, ground truth and ``manifest.json`` into ``out_dir``.

    Returns the manifest (also written as JSON). Writing is deterministic: the same result
    gives byte-identical files.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    zone = result.calendar.time_zone
    payloads = {
        "acd": {m: "\n".join(lines) + "\n" for m, lines in asterisk_lines(result).items()},
        "connect": {m: "\n".join(lines) + "\n" for m, lines in connect_records(result).items()},
        "ivr": _csv_by_month(ivr_frame(result), zone),
        "crm": _csv_by_month(crm_frame(result), zone),
        "states": _csv_by_month(agent_state_frame(result), zone),
        "vendor_states": _csv_by_month(agent_state_frame(result, "connect"), zone),
        "survey": _csv_by_month(survey_frame(result), zone),
    }
    sources = []
    for key, spec in SOURCES.items():
        files = []
        for month, text in sorted(payloads[key].items()):
            rel = f"{spec['folder']}/{spec['pattern'].format(month=month)}"
            info = _write(out / rel, text)
            rows = text.count("\n") - (0 if key in ("acd", "connect") else 1)
            files.append({"path": rel, "month": month, "rows": rows, **info})
        entry = {k: v for k, v in spec.items() if k not in ("folder", "pattern")}
        entry["time_zone"] = spec.get("time_zone", zone)
        entry["format"] = {"acd": "asterisk_queue_log", "connect": "amazon_connect_ctr_jsonl"
                           }.get(key, "csv")
        entry["files"] = files
        sources.append(entry)
    truth = _write_truth(result, out)
    config = result.config
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "generator": "ContactMIS contact-centre simulator",
        "seed": result.seed, "scale": result.scale,
        "period": {"start": result.calendar.days[0].isoformat(),
                   "end": result.calendar.days[-1].isoformat()},
        "centre": {"name": config.name, "time_zone": zone,
                   "opening_hours": _hours_json(config.voice_hours),
                   "closed_days": _closed_days(result.calendar)},
        "sources": sources,
        "queues": [{"name": q.name, "channel": q.channel,
                    "source": {"asterisk": SOURCES["acd"]["name"],
                               "connect": SOURCES["connect"]["name"],
                               "crm": SOURCES["crm"]["name"]}[q.system],
                    "extension": QUEUE_EXTENSIONS.get(q.name, ""),
                    "service_level_threshold_s": q.sl_threshold_s,
                    "service_level_target": q.sl_target,
                    "overflow_to": q.overflow_to or "",
                    "overflow_after_s": q.overflow_after_s,
                    "transfers": [{"to": t, "probability": p, "kind": k}
                                  for t, p, k in q.transfers],
                    "vendor": q.system == "connect"} for q in config.queues],
        "ivr_menu": [{"digit": m.digit, "label": m.label, "queue": m.queue or "",
                      "self_service": m.queue is None} for m in config.menu],
        "teams": [{"name": t.name, "queues": [q for q, _ in t.skills],
                   "skills": [{"queue": q, "priority": p} for q, p in t.skills],
                   "vendor": t.system == "connect",
                   "agents": result.agents.loc[result.agents["team"] == t.name, "name"].tolist()}
                  for t in config.teams],
        "ground_truth": truth,
        "kpis": {
            **{ch or "all": result.kpis(ch) for ch in ("voice", "chat", "email", "web_form",
                                                       None)},
            "voice_in_house": result.kpis("voice", "asterisk"),
            "voice_vendor": result.kpis("voice", "connect"),
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False)
                                       + "\n", encoding="utf-8")
    return manifest


def _closed_days(cal) -> list[dict]:
    """The period's bank holidays (agents off, queues closed; the IVR plays its closed
    message) as ``{"date", "name"}``."""
    names = {}
    for year in range(cal.days[0].year, cal.days[-1].year + 1):
        names.update(bank_holidays(year))
    return [{"date": d.isoformat(), "name": names[d]} for d in cal.days if d in cal.holidays]


def _hours_json(hours: dict) -> dict:
    def hhmm(m):
        return f"{m // 60:02d}:{m % 60:02d}"
    return {str(d): ([[hhmm(v[0]), hhmm(v[1])]] if v else []) for d, v in sorted(hours.items())}


def _write_truth(result, out: Path) -> dict:
    """Ground truth per queue/team and 15-minute interval (UTC start, ISO) as CSV."""
    files = {}
    for name, frame in (("queue_intervals", result.queue_intervals),
                        ("team_intervals", result.team_intervals)):
        f = frame.copy()
        f.insert(0, "interval_start", [_iso(t) for t in f.pop("interval_start_t")])
        rel = f"ground-truth/{name}.csv"
        text = f.round(1).to_csv(index=False, lineterminator="\n")
        files[name] = {"path": rel, **_write(out / rel, text)}
    return files
