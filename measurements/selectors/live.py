"""Live state of the floor: callers waiting now, agents' states, and the health of the followed
sources. Read from the live state each follower keeps as it reads (``SourceFollow.live``), or
from the calls and agent sessions the last micro-batch of a source left open
(``ImportBatch.carry``), so it costs one row per source, not a scan of contacts."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Max

from pathways.models import Agent, Queue

from ..ingest.asterisk import ACW_REASONS, live_state
from ..models import AgentState, ImportBatch, Segment, SourceFollow


@dataclass
class SourceLive:
    """A followed source: ``silent_s`` since its last new line (``None``: never read one)."""

    name: str
    quiet_s: int
    last_line_at: dt.datetime | None
    silent_s: float | None
    stale: bool


@dataclass
class QueueLive:
    """One queue now: callers waiting (``(callid, wait_s)``, longest first) and agent counts."""

    queue: Queue
    callers: list[tuple[str, int]] = field(default_factory=list)
    logged_in: int = 0
    available: int = 0
    on_contact: int = 0
    paused: int = 0

    @property
    def waiting(self) -> int:
        return len(self.callers)

    @property
    def longest_wait_s(self) -> int | None:
        return self.callers[0][1] if self.callers else None


@dataclass
class AgentLive:
    """One logged-in agent: ``state`` is available / on a contact / after-contact work / paused;
    ``in_state_s`` seconds since it entered that state (``None`` when the log does not say)."""

    code: str
    name: str
    queues: list[str]
    state: str
    reason: str
    in_state_s: int | None


@dataclass
class FloorLive:
    """Everything live for a scope at ``now`` (UTC); ``as_of`` is when the newest data was
    loaded (``None``: no followed source has loaded anything)."""

    now: dt.datetime
    as_of: dt.datetime | None
    sources: list[SourceLive]
    queues: list[QueueLive]
    agents: list[AgentLive]

    @property
    def followed(self) -> bool:
        return bool(self.sources)

    @property
    def stale(self) -> bool:
        return any(s.stale for s in self.sources)

    @property
    def age_s(self) -> int | None:
        return None if self.as_of is None else max(0, int((self.now - self.as_of)
                                                          .total_seconds()))


def source_follow_health(follow: SourceFollow, now: dt.datetime) -> SourceLive:
    silent = None if follow.last_line_at is None else (now - follow.last_line_at).total_seconds()
    return SourceLive(name=follow.source.name, quiet_s=follow.quiet_s,
                      last_line_at=follow.last_line_at, silent_s=silent,
                      stale=silent is None or silent > follow.quiet_s)


def floor_live(centre, scope, now: dt.datetime, queue: Queue | None = None) -> FloorLive:
    """The live floor of ``centre`` within ``scope`` (and ``queue`` when given) at ``now``."""
    follows = list(SourceFollow.objects.filter(source__centre=centre, enabled=True)
                   .select_related("source").order_by("source__name"))
    queues = Queue.objects.restrict(scope).filter(centre=centre)
    if queue is not None:
        queues = queues.filter(pk=queue.pk)
    by_code = {q.code: QueueLive(queue=q) for q in queues}
    agents: dict[str, dict] = {}
    as_of = None
    epoch = now.timestamp()
    for follow in follows:
        if follow.live_at is not None:
            # Kept by the follower as it reads (before the lines' micro-batch is loaded).
            at, state = follow.live_at, follow.live
        else:
            batch = (ImportBatch.objects.filter(pk=follow.last_batch_id)
                     .only("finished_at", "carry").first() if follow.last_batch_id else None)
            if batch is None:
                continue
            at, state = batch.finished_at, live_state(batch.carry)
        as_of = max(as_of or at, at)
        for queue_code, callid, entered in state["waiting"]:
            if queue_code not in by_code and scope.is_unrestricted and queue is None:
                # A queue seen in the log before any of its contacts completed (the first
                # minutes of a new source): shown by its code to those who see everything.
                by_code[queue_code] = QueueLive(queue=Queue(centre=centre, code=queue_code))
            if queue_code in by_code:
                by_code[queue_code].callers.append((callid, max(0, int(epoch - entered))))
        for agent, queue_code, since in state["logged_in"]:
            a = agents.setdefault(agent, {"queues": set(), "login": since, "pause": None,
                                          "contact": None})
            a["queues"].add(queue_code)
            a["login"] = min(a["login"], since)
        for agent, _queue, reason, since in state["paused"]:
            if agent in agents:
                agents[agent]["pause"] = (reason, since)
        for queue_code, agent, _callid, since in state["on_contact"]:
            if agent in agents:
                agents[agent]["contact"] = (queue_code, since)
    for q in by_code.values():
        q.callers.sort(key=lambda c: -c[1])
    names = dict(Agent.objects.filter(centre=centre, code__in=list(agents))
                 .values_list("code", "name"))
    last_end = _last_state_ends(centre, [c for c, a in agents.items()
                                         if not a["pause"] and not a["contact"]], now)
    out = []
    for code, a in sorted(agents.items()):
        mine = [by_code[c] for c in a["queues"] if c in by_code]
        if not mine and not (scope.is_unrestricted and queue is None):
            continue  # an agent of queues outside the scope is not shown
        if a["contact"]:
            state, reason, since = "on a contact", "", a["contact"][1]
        elif a["pause"]:
            reason, since = a["pause"]
            state = ("after-contact work" if reason.strip().lower() in ACW_REASONS
                     else "paused")
        else:
            state, reason = "available", ""
            since = max(a["login"], last_end.get(code, a["login"]))
        for q in mine:
            q.logged_in += 1
            q.available += state == "available"
            q.on_contact += state in ("on a contact", "after-contact work")
            q.paused += state == "paused"
        out.append(AgentLive(code=code, name=names.get(code) or code,
                             queues=sorted(q.queue.code for q in mine), state=state,
                             reason=reason, in_state_s=max(0, int(epoch - since))))
    return FloorLive(now=now, as_of=as_of, sources=[source_follow_health(f, now)
                                                    for f in follows],
                     queues=sorted(by_code.values(), key=lambda q: (-q.waiting, q.queue.code)),
                     agents=out)


def _last_state_ends(centre, codes: list[str], now: dt.datetime) -> dict[str, float]:
    """Epoch of the end of each agent's last contact or pause in the last day (since when it is
    available)."""
    if not codes:
        return {}
    since = now - dt.timedelta(days=1)
    ends: dict[str, float] = {}
    for rows in (Segment.objects.filter(agent__centre=centre, agent__code__in=codes,
                                        left_at__gte=since)
                 .values("agent__code").annotate(at=Max("left_at"))
                 .values_list("agent__code", "at"),
                 AgentState.objects.filter(agent__centre=centre, agent__code__in=codes,
                                           ended_at__gte=since)
                 .exclude(state="staffed").values("agent__code").annotate(at=Max("ended_at"))
                 .values_list("agent__code", "at")):
        for code, at in rows:
            if at is not None:
                ends[code] = max(ends.get(code, 0), at.timestamp())
    return ends
