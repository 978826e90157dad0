"""Event-driven simulation of the queues: skills-based routing, finite patience, overflow,
transfers and escalations, ring time, hold and after-contact work, shifts and breaks.

Pure module (stdlib only, ``heapq`` + ``random.Random``). Times are UTC epoch seconds (float).
Results are plain lists of tuples the exporters and the ground truth read.
"""
from __future__ import annotations

import heapq
import math
import random
from collections import deque

# Event kinds, in the order they are handled when simultaneous.
SHIFT_END, AGENT_FREE, BREAK_END, RING_TIMEOUT, ARRIVE, TIMER, SHIFT_START, BREAK_START, \
    RECALL, OFFLINE = range(10)
RING_NO_ANSWER_P = 0.012  # share of offered voice calls an agent lets ring out
RING_TIMEOUT_S = 15.0  # the queue's member timeout
AUTOPAUSE_S = 60.0  # the ACD pauses a member who did not answer
BACK_OFFICE = "Back office"  # pause reason of blended agents working offline items

# Leg outcomes.
ANSWERED, ABANDONED, OVERFLOWED, TRANSFERRED, OPEN = "answered", "abandoned", "overflowed", \
    "transferred", "open"


class Agent:
    __slots__ = ("idx", "name", "team", "skills", "capacity", "load", "state", "busy_since",
                 "pending_break", "pending_logoff", "shift_end", "login_t", "pause_t",
                 "pause_reason", "extensions", "blended", "token", "recalled")

    def __init__(self, idx, name, team, skills, capacity):
        self.idx, self.name, self.team = idx, name, team
        self.skills = skills  # [(queue index, priority)] sorted by priority
        self.capacity = capacity
        self.load = 0
        self.state = "off"
        self.busy_since = None
        self.pending_break = None
        self.pending_logoff = False
        self.shift_end = 0.0
        self.login_t = 0.0
        self.pause_t = 0.0
        self.pause_reason = ""
        self.extensions = 0
        self.blended = False
        self.token = 0  # bumped whenever the agent's state changes (stale back-office events)
        self.recalled = False


class Call:
    __slots__ = ("contact", "queue", "enter_t", "orig_pos", "patience_at", "gen", "seq",
                 "waiting")

    def __init__(self, contact, queue, enter_t, patience_at, seq):
        self.contact, self.queue, self.enter_t = contact, queue, enter_t
        self.patience_at = patience_at
        self.orig_pos = 1
        self.gen = 0
        self.seq = seq
        self.waiting = False


def _lognormal(rng: random.Random, mean: float, sigma: float) -> float:
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


class QueueEngine:
    """Runs all queues of the centre on one event list.

    ``queues``: list of QueueSpec; ``teams``: list of Team; ``shifts``: planned shifts with
    agents assigned. ``run(entries)`` takes (epoch, contact index, queue index) sorted by time.

    Outputs after ``run``:
    ``legs``: (contact, seq, queue, enter_t, exit_t, outcome, agent, connect_t, ring_s, talk_s,
    hold_s, acw_s, orig_pos, exit_pos, target_queue, transfer_kind) — exit_t is when the contact
    left the queue (answer/abandon/overflow), times in epoch seconds, durations in seconds;
    ``agent_log``: (epoch, agent, kind, detail) with kind login/logoff/pause/unpause;
    ``spans``: (agent, team, kind, start, end) with kind staffed/paused/busy.

    Blended agents (``Team.blended``) who stay idle for a while (exponential, mean
    ``linger_s``) pick up offline back-office work (pause reason ``Back office``: letters,
    account updates, call-backs); a contact that has to wait recalls one of them, who is back
    after a reaction time (lognormal, mean ``recall_s``) — the wallboard blending of a small
    centre, which keeps occupancy up without leaving callers waiting for a whole item.
    """

    def __init__(self, queues, teams, shifts, rng: random.Random, linger_s: float = 120.0,
                 recall_s: float = 10.0):
        self.queues = queues
        self.linger_s, self.recall_s = linger_s, recall_s
        self.back_office: dict[Agent, None] = {}  # blended agents working offline items
        self.qindex = {q.name: i for i, q in enumerate(queues)}
        self.teams = teams
        self.rng = rng
        self.heap: list = []
        self.seq = 0
        self.waiting = [deque() for _ in queues]
        # idle[q][prio] = ordered dict of available agents (insertion order = longest idle first)
        self.idle = [dict() for _ in queues]
        self.agents: dict[tuple[int, int], Agent] = {}
        self.legs: list = []
        self.agent_log: list = []
        self.spans: list = []
        self.leg_seq: dict[int, int] = {}
        for s in shifts:
            key = (s.team, s.agent)
            if key not in self.agents:
                team = teams[s.team]
                skills = sorted(((self.qindex[q], p) for q, p in team.skills),
                                key=lambda x: x[1])
                name = (f"{team.agent_prefix}{team.first_agent_number + s.agent}"
                        if team.system == "asterisk"
                        else f"{team.agent_prefix}{team.first_agent_number + s.agent:03d}")
                self.agents[key] = Agent(len(self.agents), name, s.team, skills, team.capacity)
                self.agents[key].blended = team.blended
            agent = self.agents[key]
            self._push(s.start, SHIFT_START, (agent, s.end))
            for at, dur, reason in s.breaks:
                self._push(at, BREAK_START, (agent, dur, reason))
        self.agent_list = sorted(self.agents.values(), key=lambda a: a.idx)

    # -- event list ---------------------------------------------------------------------
    def _push(self, t, kind, payload):
        self.seq += 1
        heapq.heappush(self.heap, (t, kind, self.seq, payload))

    # -- availability -------------------------------------------------------------------
    def _make_available(self, agent):
        for q, p in agent.skills:
            self.idle[q].setdefault(p, {})[agent] = None

    def _make_unavailable(self, agent):
        for q, p in agent.skills:
            d = self.idle[q].get(p)
            if d is not None:
                d.pop(agent, None)

    def _find_agent(self, q):
        levels = self.idle[q]
        for p in sorted(levels):
            d = levels[p]
            if d:
                return next(iter(d))
        return None

    def _next_call_for(self, agent):
        best, best_p = None, None
        for q, p in agent.skills:
            if best is not None and p > best_p:
                break
            w = self.waiting[q]
            if w and (best is None or w[0].enter_t < best.enter_t):
                best, best_p = w[0], p
        return best

    # -- contacts -----------------------------------------------------------------------
    def _arrive(self, t, contact, q, patience_at=None):
        spec = self.queues[q]
        seq = self.leg_seq.get(contact, 0) + 1
        self.leg_seq[contact] = seq
        if patience_at is None and spec.patience_mean_s is not None:
            shape = spec.patience_shape
            scale = spec.patience_mean_s / math.gamma(1 + 1 / shape)
            patience_at = t + self.rng.weibullvariate(scale, shape)
        call = Call(contact, q, t, patience_at, seq)
        agent = self._find_agent(q)
        if agent is not None:
            self._assign(t, call, agent)
            return
        w = self.waiting[q]
        call.orig_pos = len(w) + 1
        call.waiting = True
        w.append(call)
        self._recall(t, q)
        overflow_at = (t + spec.overflow_after_s) if spec.overflow_after_s else None
        deadline = min(x for x in (patience_at, overflow_at, math.inf) if x is not None)
        if deadline < math.inf:
            self._push(deadline, TIMER, (call, call.gen))

    def _timer(self, t, call, gen):
        if not call.waiting or call.gen != gen:
            return
        spec = self.queues[call.queue]
        w = self.waiting[call.queue]
        pos = w.index(call) + 1
        w.remove(call)
        call.waiting = False
        overflow_at = (call.enter_t + spec.overflow_after_s) if spec.overflow_after_s else None
        if overflow_at is not None and (call.patience_at is None or overflow_at < call.patience_at):
            target = self.qindex[spec.overflow_to]
            self.legs.append((call.contact, call.seq, call.queue, call.enter_t, t, OVERFLOWED,
                              None, None, 0.0, 0.0, 0.0, 0.0, call.orig_pos, pos, target,
                              "overflow"))
            self._arrive(t, call.contact, target, call.patience_at)
        else:
            self.legs.append((call.contact, call.seq, call.queue, call.enter_t, t, ABANDONED,
                              None, None, 0.0, 0.0, 0.0, 0.0, call.orig_pos, pos, None, ""))

    def _assign(self, t, call, agent):
        rng = self.rng
        spec = self.queues[call.queue]
        if call.waiting:
            self.waiting[call.queue].remove(call)
            call.waiting = False
        call.gen += 1
        agent.token += 1
        if agent.capacity == 1 and spec.channel == "voice" and rng.random() < RING_NO_ANSWER_P:
            # The agent lets it ring out: the caller keeps waiting, the agent is auto-paused.
            self._make_unavailable(agent)
            agent.state = "ringing"
            self._push(t + RING_TIMEOUT_S, RING_TIMEOUT, (call, agent))
            return
        if agent.load == 0:
            agent.busy_since = t
        agent.load += 1
        if agent.load >= agent.capacity:
            self._make_unavailable(agent)
        ring = rng.uniform(2.0, 7.0) if spec.channel == "voice" else 0.0
        talk = max(20.0, _lognormal(rng, spec.talk_mean_s, spec.talk_sigma))
        hold = (_lognormal(rng, spec.hold_mean_s, 0.7)
                if spec.hold_prob and rng.random() < spec.hold_prob else 0.0)
        acw = _lognormal(rng, spec.acw_mean_s, 0.6) if spec.acw_mean_s else 0.0
        outcome, target, kind = ANSWERED, None, ""
        r = rng.random()
        for tq, prob, tkind in spec.transfers:
            if r < prob:
                outcome, target, kind = TRANSFERRED, self.qindex[tq], tkind
                break
            r -= prob
        connect = t + ring
        end_talk = connect + talk + hold
        self.legs.append((call.contact, call.seq, call.queue, call.enter_t, t, outcome, agent.idx,
                          connect, ring, talk, hold, acw, call.orig_pos, 1, target, kind))
        if target is not None:
            self._push(end_talk, ARRIVE, (call.contact, target))
        if acw and agent.capacity == 1:
            self.agent_log.append((end_talk, agent.idx, "pause", "ACW"))
            self.agent_log.append((end_talk + acw, agent.idx, "unpause", "ACW"))
        self._push(end_talk + acw, AGENT_FREE, agent)

    def _ring_timeout(self, t, call, agent):
        """A member let the call ring out: log it, auto-pause the member, re-queue the call at
        its place (by arrival), or end it if the caller's patience or the queue timeout ran
        out meanwhile."""
        self.agent_log.append((t, agent.idx, "ringnoanswer", (call.contact, call.queue)))
        agent.state = "idle"
        self._start_pause(t, agent, AUTOPAUSE_S, "Auto-paused")
        spec = self.queues[call.queue]
        other = self._find_agent(call.queue)
        if other is not None:
            self._assign(t, call, other)
            return
        w = self.waiting[call.queue]
        pos = sum(1 for c in w if c.enter_t <= call.enter_t)
        w.insert(pos, call)
        call.waiting = True
        overflow_at = (call.enter_t + spec.overflow_after_s) if spec.overflow_after_s else None
        deadline = min(x for x in (call.patience_at, overflow_at, math.inf) if x is not None)
        if deadline < math.inf:
            self._push(max(deadline, t), TIMER, (call, call.gen))

    # -- agents -------------------------------------------------------------------------
    def _offer_work(self, t, agent):
        while agent.load < agent.capacity and agent.state == "idle":
            call = self._next_call_for(agent)
            if call is None:
                break
            self._assign(t, call, agent)
        if agent.load < agent.capacity and agent.state == "idle":
            self._make_available(agent)
            if agent.blended and agent.load == 0:
                agent.token += 1
                self._push(t + self.rng.expovariate(1.0 / self.linger_s), OFFLINE,
                           (agent, agent.token))

    def _recall(self, t, q):
        """A contact waits on queue ``q``: call back the blended agent with the best skill
        for it from back-office work (one per waiting contact)."""
        best, best_p = None, None
        for agent in self.back_office:
            if agent.recalled:
                continue
            for aq, p in agent.skills:
                if aq == q and (best is None or p < best_p):
                    best, best_p = agent, p
        if best is not None:
            best.recalled = True
            self._push(t + _lognormal(self.rng, self.recall_s, 0.6), RECALL, (best, best.token))

    def _start_back_office(self, t, agent):
        self._make_unavailable(agent)
        agent.token += 1
        agent.state = "paused"
        agent.pause_t, agent.pause_reason = t, BACK_OFFICE
        agent.recalled = False
        self.back_office[agent] = None
        self.agent_log.append((t, agent.idx, "pause", BACK_OFFICE))

    def _end_back_office(self, t, agent):
        self.back_office.pop(agent, None)
        agent.token += 1
        agent.recalled = False
        self.agent_log.append((t, agent.idx, "unpause", BACK_OFFICE))
        self.spans.append((agent.idx, agent.team, "paused", agent.pause_t, t))
        agent.state = "idle"

    def _in_back_office(self, agent):
        return agent.state == "paused" and agent.pause_reason == BACK_OFFICE

    def _start_pause(self, t, agent, dur, reason):
        self._make_unavailable(agent)
        agent.token += 1
        agent.state = "paused"
        agent.pause_t, agent.pause_reason = t, reason
        self.agent_log.append((t, agent.idx, "pause", reason))
        self._push(t + dur, BREAK_END, agent)

    def _logoff(self, t, agent):
        self._make_unavailable(agent)
        agent.state = "off"
        self.agent_log.append((t, agent.idx, "logoff", t - agent.login_t))
        self.spans.append((agent.idx, agent.team, "staffed", agent.login_t, t))

    def _agent_free(self, t, agent):
        agent.load -= 1
        if agent.load == 0:
            self.spans.append((agent.idx, agent.team, "busy", agent.busy_since, t))
        if agent.state != "idle":
            return
        if agent.load == 0 and agent.pending_logoff:
            self._logoff(t, agent)
            return
        if agent.load == 0 and agent.pending_break:
            dur, reason = agent.pending_break
            agent.pending_break = None
            self._start_pause(t, agent, dur, reason)
            return
        self._make_unavailable(agent)
        self._offer_work(t, agent)

    def _shift_end(self, t, agent):
        if agent.state == "off":
            return
        if self._in_back_office(agent):
            self._end_back_office(t, agent)
            self._logoff(t, agent)
            return
        primary = agent.skills[0][0]
        if (agent.state == "idle" and self.waiting[primary] and agent.extensions < 20
                and self.queues[primary].channel in ("voice", "chat")):
            agent.extensions += 1  # stay on a minute while callers are still queued at close
            self._push(t + 60.0, SHIFT_END, agent)
            return
        if agent.state in ("paused", "ringing") or agent.load > 0:
            agent.pending_logoff = True
            return
        self._logoff(t, agent)

    # -- main loop ----------------------------------------------------------------------
    def run(self, entries):
        """Simulate. ``entries``: iterable of (epoch, contact index, queue index), sorted."""
        heap = self.heap
        it = iter(entries)
        nxt = next(it, None)
        while heap or nxt is not None:
            if nxt is not None and (not heap or nxt[0] <= heap[0][0]):
                t, contact, q = nxt
                nxt = next(it, None)
                self._arrive(t, contact, q)
                continue
            t, kind, _, payload = heapq.heappop(heap)
            if kind == TIMER:
                self._timer(t, *payload)
            elif kind == AGENT_FREE:
                self._agent_free(t, payload)
            elif kind == ARRIVE:
                self._arrive(t, *payload)
            elif kind == RING_TIMEOUT:
                self._ring_timeout(t, *payload)
            elif kind == SHIFT_START:
                agent, end = payload
                agent.state = "idle"
                agent.login_t = t
                agent.pending_logoff = False
                agent.pending_break = None
                agent.extensions = 0
                self.agent_log.append((t, agent.idx, "login", ""))
                self._push(end, SHIFT_END, agent)
                self._offer_work(t, agent)
            elif kind == SHIFT_END:
                self._shift_end(t, payload)
            elif kind == BREAK_START:
                agent, dur, reason = payload
                if self._in_back_office(agent) and not agent.pending_logoff:
                    self._end_back_office(t, agent)
                if agent.state != "idle" or agent.pending_logoff:
                    continue
                if agent.load > 0:
                    agent.pending_break = (dur, reason)
                else:
                    self._start_pause(t, agent, dur, reason)
            elif kind == OFFLINE:
                agent, token = payload
                if (token == agent.token and agent.state == "idle" and agent.load == 0
                        and not agent.pending_logoff):
                    self._start_back_office(t, agent)
            elif kind == RECALL:
                agent, token = payload
                if token == agent.token and self._in_back_office(agent):
                    self._end_back_office(t, agent)
                    self._offer_work(t, agent)
            elif kind == BREAK_END:
                agent = payload
                if agent.state != "paused" or agent.pause_reason == BACK_OFFICE:
                    continue
                self.agent_log.append((t, agent.idx, "unpause", agent.pause_reason))
                self.spans.append((agent.idx, agent.team, "paused", agent.pause_t, t))
                agent.state = "idle"
                if agent.pending_logoff:
                    self._logoff(t, agent)
                else:
                    self._offer_work(t, agent)
        # Contacts still queued when the period ends: e-mails and forms stay open; a caller
        # still waiting (rare: queues close before midnight) is counted as abandoned.
        for q, w in enumerate(self.waiting):
            outcome = OPEN if self.queues[q].patience_mean_s is None else ABANDONED
            for call in list(w):
                self.legs.append((call.contact, call.seq, call.queue, call.enter_t,
                                  call.enter_t + 1.0, outcome, None, None, 0.0, 0.0, 0.0, 0.0,
                                  call.orig_pos, 1, None, ""))
            w.clear()
        self.legs.sort(key=lambda leg: (leg[3], leg[0], leg[1]))
