"""Run a whole simulation: arrivals → IVR → staffing → queues → surveys, plus ground truth.

Pure module. ``simulate(start, end, seed, scale, time_zone)`` returns a ``SimulationResult``
whose frames the exporters write and the tests check. Epoch columns (``*_t``) are UTC seconds.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from .config import CentreConfig, default_centre
from .demand import INTERVAL_S, Calendar, stream_arrivals
from .engine import QueueEngine
from .staffing import plan_shifts
from .surveys import survey_responses

LEG_COLUMNS = ["contact", "seq", "queue_idx", "enter_t", "exit_t", "outcome", "agent_idx",
               "connect_t", "ring_s", "talk_s", "hold_s", "acw_s", "orig_pos", "exit_pos",
               "target_idx", "transfer_kind"]


@dataclass
class SimulationResult:
    """Everything the simulation produced.

    ``contacts``: one row per contact (channel, system, external_id, arrived_t, customer,
    customer_segment, contact_type, IVR fields for voice); ``legs``: one row per queue leg (see
    ``QueueEngine``), with ``queue`` names and ``leg_id`` (the Connect ContactId of the leg);
    ``agents``: idx, name, team, system; ``agent_log``: (t, agent_idx, kind, detail);
    ``spans``: staffed/paused/busy spans per agent; ``surveys``: survey responses;
    ``queue_intervals`` / ``team_intervals``: ground truth per 15-minute UTC interval.
    """

    config: CentreConfig
    calendar: Calendar
    seed: int
    scale: float
    contacts: pd.DataFrame
    legs: pd.DataFrame
    agents: pd.DataFrame
    agent_log: pd.DataFrame
    spans: pd.DataFrame
    surveys: pd.DataFrame
    queue_intervals: pd.DataFrame | None = None
    team_intervals: pd.DataFrame | None = None
    planned_heads: dict = field(default_factory=dict)

    def kpis(self, channel: str | None = "voice", system: str | None = None) -> dict:
        """Period KPIs from sums of the ground truth (never averages of averages).

        Service level = answered ≤ T / (offered − short abandons, wait ≤ 5 s) with each
        queue's own T; abandon rate = (abandoned − short) / (offered − short); occupancy =
        busy / (staffed − paused); AHT = (talk + hold + ACW) / answered. ``channel=None`` = all
        channels; ``system`` ("asterisk", "connect", "crm") limits to one source system.
        """
        qi = self.queue_intervals
        ti = self.team_intervals
        if channel is not None:
            qi = qi[qi["channel"] == channel]
            ti = ti[ti["channel"] == channel]
        if system is not None:
            queues = [q.name for q in self.config.queues if q.system == system]
            teams = [t.name for t in self.config.teams if t.system == system]
            qi = qi[qi["queue"].isin(queues)]
            ti = ti[ti["team"].isin(teams)]
        s = qi[["offered", "answered", "abandoned", "abandoned_short", "answered_in_sl",
                "flowed_out", "talk_s", "hold_s", "acw_s", "wait_answered_s"]].sum()
        base = s["offered"] - s["abandoned_short"]
        staffed, paused, busy = (ti["staffed_s"].sum(), ti["paused_s"].sum(),
                                 ti["busy_s"].sum())
        return {
            "offered": int(s["offered"]), "answered": int(s["answered"]),
            "abandoned": int(s["abandoned"]), "flowed_out": int(s["flowed_out"]),
            "service_level": float(s["answered_in_sl"] / base) if base else None,
            "abandon_rate": float((s["abandoned"] - s["abandoned_short"]) / base)
            if base else None,
            "asa_s": float(s["wait_answered_s"] / s["answered"]) if s["answered"] else None,
            "aht_s": float((s["talk_s"] + s["hold_s"] + s["acw_s"]) / s["answered"])
            if s["answered"] else None,
            "occupancy": float(busy / (staffed - paused)) if staffed > paused else None,
            "staffed_hours": float(staffed / 3600.0),
        }


def _choice(rng: np.random.Generator, pairs, size):
    labels = [p[0] for p in pairs]
    weights = np.array([p[1] for p in pairs], dtype=float)
    return np.array(labels, dtype=object)[rng.choice(len(labels), size=size,
                                                     p=weights / weights.sum())]


def _ivr(cal, config, times, rng, qindex):
    """IVR sessions for voice arrivals: option, path, outcome and the queue reached."""
    n = len(times)
    menu = config.menu
    opt = rng.choice(len(menu), size=n, p=np.array([m.share for m in menu]) / sum(
        m.share for m in menu))
    iv = np.searchsorted(cal.iv_start, times, side="right") - 1
    open_now = cal.open_mask(config.voice_hours)[iv]
    menu_s = rng.lognormal(np.log(38.0), 0.35, n)
    self_s = rng.lognormal(np.log(95.0), 0.45, n)
    u = rng.random(n)
    hang = rng.random(n) < config.ivr_hangup_rate
    queue = np.full(n, -1)
    outcome = np.empty(n, dtype=object)
    path = np.empty(n, dtype=object)
    duration = menu_s.copy()
    ctype = np.empty(n, dtype=object)
    for k, m in enumerate(menu):
        sel = opt == k
        ctype[sel] = _choice(rng, m.contact_types, int(sel.sum()))
        path[sel] = m.digit
        contained = sel & (u < m.containment)
        if m.queue is None:
            # self-service: most finish there; the rest press 0 for an agent (Billing)
            outcome[sel & contained] = "self_served"
            duration[sel] += self_s[sel]
            to_agent = sel & ~contained
            path[to_agent] = m.digit + ">0"
            queue[to_agent] = qindex["Billing"]
            outcome[to_agent] = "to_queue"
        else:
            outcome[sel & contained] = "self_served"
            duration[sel & contained] += self_s[sel & contained] * 0.5
            rest = sel & ~contained
            queue[rest] = qindex[m.queue]
            outcome[rest] = "to_queue"
    closed = ~open_now & (outcome == "to_queue")
    outcome[closed] = "closed"
    queue[closed] = -1
    duration[closed] = menu_s[closed] + 15.0
    hung = hang & (outcome != "self_served")
    outcome[hung] = "abandoned"
    queue[hung] = -1
    duration[hung] = menu_s[hung] * rng.uniform(0.2, 1.0, int(hung.sum()))
    return opt, path, outcome, queue, duration, ctype


def _segments(config, customer: np.ndarray, seed: int) -> np.ndarray:
    """Each contact's customer segment as the CRM knows it ("" = customer not identified).

    Drawn from a generator of its own (seeded from ``seed``), so adding segments left every
    other simulated figure as it was."""
    srng = np.random.default_rng([seed, 2027])
    names = [name for name, _ in config.customer_segments]
    if not names:
        return np.full(len(customer), "", dtype=object)
    weights = np.array([w for _, w in config.customer_segments], dtype=float)
    table = np.array(names, dtype=object)[
        srng.choice(len(names), size=config.customers + 1, p=weights / weights.sum())]
    out = table[customer]
    out[srng.random(len(customer)) < config.unidentified_rate] = ""
    return out


def _queue_forecasts(cal, config, forecasts, qindex):
    """Forecast arrivals per interval for every queue (what the planner staffs for)."""
    voice = forecasts["voice"] * (1 - config.ivr_hangup_rate) * cal.open_mask(config.voice_hours)
    out = {q.name: np.zeros(len(cal.iv_start)) for q in config.queues}
    for m in config.menu:
        target = m.queue or "Billing"
        out[target] += voice * m.share * (1 - m.containment)
    for q in config.queues:  # one round of transfers and escalations
        for target, prob, _ in q.transfers:
            if target != q.name:
                out[target] += out[q.name] * prob
    for q in config.queues:
        if q.channel != "voice":
            out[q.name] = forecasts[q.channel].copy()
    return out


def simulate(start: date, end: date, seed: int = 1, scale: float = 1.0,
             time_zone: str = "Europe/London", config: CentreConfig | None = None
             ) -> SimulationResult:
    """Simulate the centre for local days ``start``..``end`` (inclusive) in ``time_zone``.

    ``scale`` multiplies every arrival stream. Same arguments → identical result.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    config = config or default_centre(time_zone)
    cal = Calendar.build(start, end, time_zone)
    rng = np.random.default_rng(seed)
    prng = random.Random(seed)
    qindex = {q.name: i for i, q in enumerate(config.queues)}

    arrivals, forecasts = {}, {}
    for stream in config.streams:
        arrivals[stream.channel], forecasts[stream.channel] = stream_arrivals(
            cal, stream, scale, config.trend_per_year, rng)

    # Contacts: voice first (with their IVR session), then the digital channels.
    vt = arrivals["voice"]
    opt, path, ivr_outcome, vqueue, ivr_s, vtype = _ivr(cal, config, vt, rng, qindex)
    frames = [pd.DataFrame({
        "channel": "voice", "arrived_t": vt, "queue_idx": vqueue, "contact_type": vtype,
        "ivr_option": [config.menu[k].label for k in opt], "ivr_path": path,
        "ivr_outcome": ivr_outcome, "ivr_end_t": vt + ivr_s})]
    for channel, qname in (("chat", "Chat"), ("email", "E-mail"), ("web_form", "Web forms")):
        t = arrivals[channel]
        frames.append(pd.DataFrame({
            "channel": channel, "arrived_t": t, "queue_idx": qindex[qname],
            "contact_type": _choice(rng, config.queue(qname).contact_types, len(t)),
            "ivr_option": None, "ivr_path": None, "ivr_outcome": None, "ivr_end_t": np.nan}))
    contacts = pd.concat(frames, ignore_index=True)
    contacts["customer"] = rng.integers(1, config.customers + 1, len(contacts))
    contacts["customer_segment"] = _segments(config, contacts["customer"].to_numpy(), seed)
    systems = np.array([q.system for q in config.queues] + ["asterisk"], dtype=object)
    contacts["system"] = systems[contacts["queue_idx"].to_numpy()]
    contacts.loc[contacts["channel"] == "voice", "system"] = np.where(
        contacts.loc[contacts["channel"] == "voice", "queue_idx"] == qindex["Sales – Vendor"],
        "connect", "asterisk")
    ids = np.empty(len(contacts), dtype=object)
    uid_rng = random.Random(seed * 7919 + 1)
    for i, (ch, sysname, t) in enumerate(zip(contacts["channel"].to_numpy(dtype=object).tolist(),
                                             contacts["system"].to_numpy(dtype=object).tolist(),
                                             contacts["arrived_t"].tolist(), strict=True)):
        if sysname == "connect":
            ids[i] = str(uuid.UUID(int=uid_rng.getrandbits(128), version=4))
        elif ch == "voice":
            ids[i] = f"{int(t)}.{i}"
        else:
            ids[i] = f"{ {'chat': 'CH', 'email': 'EM', 'web_form': 'WF'}[ch]}-{i:07d}"
    contacts["external_id"] = ids

    shifts, planned = plan_shifts(cal, config, _queue_forecasts(cal, config, forecasts, qindex),
                                  prng)
    engine = QueueEngine(list(config.queues), list(config.teams), shifts, prng,
                         linger_s=config.linger_s, recall_s=config.recall_s)
    queued = contacts[contacts["queue_idx"] >= 0]
    entry_t = np.where(queued["channel"] == "voice", queued["ivr_end_t"], queued["arrived_t"])
    order = np.argsort(entry_t, kind="stable")
    entries = zip(entry_t[order].tolist(), queued.index.to_numpy()[order].tolist(),
                  queued["queue_idx"].to_numpy()[order].tolist(), strict=True)
    engine.run(entries)

    legs = pd.DataFrame(engine.legs, columns=LEG_COLUMNS)
    names = [q.name for q in config.queues]
    legs["queue"] = [names[i] for i in legs["queue_idx"]]
    legs["channel"] = [config.queues[i].channel for i in legs["queue_idx"]]
    legs["target"] = [None if i is None or i != i else names[int(i)]
                      for i in legs["target_idx"].tolist()]
    legs["agent_idx"] = legs["agent_idx"].astype("Int64")
    legs["leg_id"] = _leg_ids(legs, contacts, uid_rng)
    agents = pd.DataFrame([(a.idx, a.name, config.teams[a.team].name, config.teams[a.team].system)
                           for a in engine.agent_list],
                          columns=["agent_idx", "name", "team", "system"])
    agent_log = pd.DataFrame(engine.agent_log, columns=["t", "agent_idx", "kind", "detail"])
    spans = pd.DataFrame(engine.spans, columns=["agent_idx", "team_idx", "kind", "start_t",
                                                "end_t"])
    surveys = survey_responses(contacts, legs, config, rng)
    result = SimulationResult(config, cal, seed, scale, contacts, legs, agents, agent_log, spans,
                              surveys, planned_heads=planned)
    result.queue_intervals = queue_interval_truth(result)
    result.team_intervals = team_interval_truth(result)
    return result


def _leg_ids(legs, contacts, uid_rng):
    """Connect gives every leg of a transferred contact its own ContactId; the first leg keeps
    the contact's id. Other systems: the contact's id."""
    first = contacts["external_id"].to_numpy()[legs["contact"].to_numpy()]
    out = first.copy()
    for i in np.flatnonzero((legs["seq"].to_numpy() > 1)
                            & (contacts["system"].to_numpy()[legs["contact"].to_numpy()]
                               == "connect")):
        out[i] = str(uuid.UUID(int=uid_rng.getrandbits(128), version=4))
    return out


def queue_interval_truth(result: SimulationResult, threshold_default: float = 20.0
                         ) -> pd.DataFrame:
    """Per queue and 15-minute UTC interval of queue entry: offered, answered, abandoned,
    abandoned_short (wait ≤ 5 s), answered_in_sl (wait ≤ the queue's SL threshold),
    answered_le_20s, flowed_out (overflowed), open (still queued at the end: e-mail, forms),
    transfers, escalations, wait and handling sums."""
    legs = result.legs
    thresholds = {q.name: q.sl_threshold_s for q in result.config.queues}
    wait = np.where(legs["outcome"].isin(["answered", "transferred"]),
                    legs["connect_t"].fillna(legs["exit_t"]) - legs["enter_t"],
                    legs["exit_t"] - legs["enter_t"])
    answered = legs["outcome"].isin(["answered", "transferred"]).to_numpy()
    abandoned = (legs["outcome"] == "abandoned").to_numpy()
    thr = legs["queue"].map(thresholds).to_numpy()
    frame = pd.DataFrame({
        "interval_start_t": (legs["enter_t"] // INTERVAL_S * INTERVAL_S).astype(np.int64),
        "queue": legs["queue"], "channel": legs["channel"], "offered": 1,
        "answered": answered.astype(int), "abandoned": abandoned.astype(int),
        "abandoned_short": (abandoned & (wait <= 5.0)).astype(int),
        "answered_in_sl": (answered & (wait <= thr)).astype(int),
        "answered_le_20s": (answered & (wait <= threshold_default)).astype(int),
        "flowed_out": (legs["outcome"] == "overflowed").astype(int),
        "open": (legs["outcome"] == "open").astype(int),
        "transfers": (legs["transfer_kind"] == "transfer").astype(int),
        "escalations": (legs["transfer_kind"] == "escalation").astype(int),
        "wait_answered_s": np.where(answered, wait, 0.0),
        "wait_abandoned_s": np.where(abandoned, wait, 0.0),
        "talk_s": legs["talk_s"], "hold_s": legs["hold_s"], "acw_s": legs["acw_s"],
    })
    return frame.groupby(["queue", "channel", "interval_start_t"], as_index=False).sum()


def split_spans(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split time spans at 15-minute UTC boundaries: (span index, interval start, seconds)."""
    first = (start // INTERVAL_S).astype(np.int64)
    last = (np.maximum(end - 1e-9, start) // INTERVAL_S).astype(np.int64)
    n = last - first + 1
    idx = np.repeat(np.arange(len(start)), n)
    offset = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    iv = (first[idx] + offset) * INTERVAL_S
    secs = np.minimum(end[idx], iv + INTERVAL_S) - np.maximum(start[idx], iv)
    return idx, iv, np.clip(secs, 0, None)


def team_interval_truth(result: SimulationResult) -> pd.DataFrame:
    """Per team and 15-minute UTC interval: staffed_s, paused_s (breaks, training; ACW is
    busy), busy_s (ringing, talk, hold, ACW) and available_s = staffed − paused − busy."""
    spans = result.spans
    idx, iv, secs = split_spans(spans["start_t"].to_numpy(float), spans["end_t"].to_numpy(float))
    teams = result.config.teams
    kind = spans["kind"].to_numpy()[idx]
    team_idx = spans["team_idx"].to_numpy()[idx]
    channel_of = np.array([result.config.queue(t.skills[0][0]).channel for t in teams])
    frame = pd.DataFrame({
        "team": np.array([t.name for t in teams], dtype=object)[team_idx],
        "channel": channel_of[team_idx], "interval_start_t": iv,
        "staffed_s": np.where(kind == "staffed", secs, 0.0),
        "paused_s": np.where(kind == "paused", secs, 0.0),
        "busy_s": np.where(kind == "busy", secs, 0.0)})
    out = frame.groupby(["team", "channel", "interval_start_t"], as_index=False).sum()
    out["available_s"] = (out["staffed_s"] - out["paused_s"] - out["busy_s"]).clip(lower=0)
    return out
