"""Staffing the simulated centre: Erlang C requirements per interval, then shifts with breaks.

Pure module. The planner works from the forecast (not the actual volume), allows for shrinkage,
and on some days is deliberately short or long (sickness waves, a new-hire class, noise), so the
simulated service level varies the way a real centre's does.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .demand import INTERVAL_S, Calendar


@lru_cache(maxsize=200_000)
def erlang_c_agents(traffic_erl: float, aht_s: float, threshold_s: float, target: float,
                    max_occupancy: float) -> int:
    """Fewest agents so that SL(threshold) ≥ target and occupancy ≤ ``max_occupancy``.

    ``traffic_erl`` = arrivals per second × AHT (Erlangs). Erlang C:
    SL(t) = 1 − P(wait)·exp(−(N − A)·t / AHT).
    """
    a = traffic_erl
    if a <= 0:
        return 0
    n = max(1, math.ceil(a / max_occupancy))
    while True:
        if n > a:
            b = 1.0
            for k in range(1, n + 1):
                b = a * b / (k + a * b)
            p_wait = n * b / (n - a * (1 - b))
            sl = 1.0 - p_wait * math.exp(-(n - a) * threshold_s / aht_s)
            if sl >= target:
                return n
        n += 1


def staffing_factor(day, rng: random.Random) -> float:
    """Deliberate under/over-staffing for a day: the budget funds about 86 % of the Erlang C
    requirement, plus noise, a January sickness wave and an autumn new-hire class."""
    f = rng.gauss(0.86, 0.05)
    if day.month == 1 and 8 <= day.day <= 31:
        f *= 0.88
    elif day.month == 10:
        f *= 1.07
    return f


@dataclass
class Shift:
    """One agent's shift: start/end (UTC epochs), breaks as (start epoch, seconds, reason)."""

    team: int
    day: int
    start: float
    end: float
    breaks: list = field(default_factory=list)
    agent: int = -1


def build_shifts(need: np.ndarray, open_iv: int, close_iv: int) -> list[tuple[int, int]]:
    """Greedy shift cover of a day's needed heads per interval (indexes within the day).

    Starts 8-, 6- or 4-hour shifts where cover falls short, choosing the longest shift that is
    still mostly useful and still needed in its last hour. Returns (first interval, end
    interval exclusive) pairs.
    """
    cover = np.zeros(len(need))
    shifts = []
    for i in range(open_iv, close_iv):
        while cover[i] < need[i]:
            remaining = close_iv - i
            length = min(16, remaining)
            for cand in (32, 24, 16):
                if cand > remaining:
                    continue
                gap = need[i:i + cand] - cover[i:i + cand]
                if np.mean(gap > 0) >= 0.8 and np.all(gap[-4:] > 0):
                    length = cand
                    break
            cover[i:i + length] += 1
            shifts.append((i, i + length))
    return shifts


def _breaks(start: float, end: float, rng: random.Random) -> list:
    hours = (end - start) / 3600.0
    spec = []
    if hours >= 7:
        spec = [(2.0, 900, "Break"), (hours / 2, 1800, "Lunch"), (hours - 2.0, 900, "Break")]
    elif hours >= 5:
        spec = [(2.0, 900, "Break"), (hours - 1.75, 900, "Break")]
    elif hours >= 3.5:
        spec = [(hours / 2, 900, "Break")]
    out = [(start + at * 3600 + rng.uniform(-900, 900), dur, reason) for at, dur, reason in spec]
    if hours >= 6 and rng.random() < 0.25:
        out.append((start + rng.uniform(1.0, hours - 1.5) * 3600, 1800,
                    rng.choice(("Training", "Coaching", "Team meeting"))))
    return sorted(out)


def _traffic(config, queue_forecast, team):
    """Forecast traffic (Erlangs) per interval and the AHT of a team's planned queues."""
    traffic, work = 0.0, 0.0
    for name in team.plans_for:
        q = config.queue(name)
        aht = q.talk_mean_s + q.hold_prob * q.hold_mean_s + q.acw_mean_s
        traffic = traffic + queue_forecast[name] * aht / INTERVAL_S
        work += aht
    return traffic, work / len(team.plans_for)


def _pools(config) -> dict[str, list[int]]:
    """Queue-facing teams grouped by ``pool`` (a team without one is its own pool)."""
    pools: dict[str, list[int]] = {}
    for ti, team in enumerate(config.teams):
        specs = [config.queue(q) for q in team.plans_for]
        if all(q.patience_mean_s is None for q in specs):
            continue
        pools.setdefault(team.pool or f"team-{ti}", []).append(ti)
    return pools


def _pool_needs(cal: Calendar, config, queue_forecast, members: list[int],
                rng: random.Random) -> dict[int, np.ndarray]:
    """Heads to roster per interval for a pool of multi-skilled teams.

    The pool is sized by Erlang C on its combined forecast traffic (multi-skilled agents share
    the load), scaled by the day's staffing factor and shrinkage, and the heads are shared out
    to the teams in proportion to their traffic (largest remainder), each team keeping its
    minimum while open.
    """
    parts = [_traffic(config, queue_forecast, config.teams[ti]) for ti in members]
    total = sum(p[0] for p in parts)
    aht = float(np.mean([p[1] for p in parts]))
    lead = config.queue(config.teams[members[0]].plans_for[0])
    capacity = config.teams[members[0]].capacity
    heads = np.array([erlang_c_agents(round(float(a), 2), round(aht), lead.sl_threshold_s,
                                      lead.sl_target - (config.planning_gap
                                                        if lead.channel == "voice" else 0.0),
                                      config.max_occupancy)
                      for a in total], dtype=float) / capacity
    factor = np.array([staffing_factor(d, rng) for d in cal.days])[cal.iv_day]
    open_iv = cal.open_mask(config.teams[members[0]].hours)
    minimum = np.array([config.teams[ti].min_agents for ti in members])
    gross = np.maximum(np.rint(heads * factor / (1 - config.shrinkage)), minimum.sum())
    extra = np.where(open_iv, gross - minimum.sum(), 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.array([np.where(total > 0, p[0] / total, 1.0 / len(members))
                           for p in parts])
    exact = shares * extra
    base = np.floor(exact)
    left = (extra - base.sum(axis=0)).astype(int)
    rank = np.argsort(np.argsort(-(exact - base), axis=0, kind="stable"), axis=0)
    alloc = base + (rank < left)
    return {ti: np.where(open_iv, alloc[k] + minimum[k], 0.0) for k, ti in enumerate(members)}


def _backlog_needs(cal: Calendar, config, queue_forecast, ti: int,
                   rng: random.Random) -> np.ndarray:
    """Heads per interval for a back-office team (no abandonment): the forecast workload,
    including what arrived while closed, spread evenly over the next opening hours."""
    team = config.teams[ti]
    specs = [config.queue(q) for q in team.plans_for]
    need = np.zeros(len(cal.iv_start))
    carried = 0.0
    for di, day in enumerate(cal.days):
        sel = cal.iv_day == di
        carried += sum(float(queue_forecast[q.name][sel].sum()) * (q.talk_mean_s + q.acw_mean_s)
                       for q in specs)
        span = cal.is_open(team.hours, di)
        if span is None:
            continue
        heads = carried / ((span[1] - span[0]) * 60.0 * 0.7) * staffing_factor(day, rng)
        carried = 0.0
        minutes = cal.iv_minute[sel]
        inside = (minutes >= span[0]) & (minutes < span[1])
        need[np.flatnonzero(sel)[inside]] = max(
            round(heads / (1 - config.shrinkage)), team.min_agents)
    return need


def plan_shifts(cal: Calendar, config, queue_forecast: dict[str, np.ndarray],
                rng: random.Random) -> tuple[list[Shift], dict[int, np.ndarray]]:
    """Shifts for every team and day, and the planned heads per team per interval.

    ``queue_forecast`` maps queue name → forecast arrivals per calendar interval. Voice and chat
    teams are sized per interval by Erlang C (per pool); back-office teams by workload.
    """
    planned: dict[int, np.ndarray] = {}
    for members in _pools(config).values():
        planned.update(_pool_needs(cal, config, queue_forecast, members, rng))
    for ti in range(len(config.teams)):
        if ti not in planned:
            planned[ti] = _backlog_needs(cal, config, queue_forecast, ti, rng)
    iv_per_day = np.bincount(cal.iv_day)
    day_first = np.concatenate([[0], np.cumsum(iv_per_day)[:-1]])
    shifts: list[Shift] = []
    for ti in range(len(config.teams)):
        for di in range(len(cal.days)):
            first, n_iv = day_first[di], iv_per_day[di]
            need = planned[ti][first:first + n_iv]
            idx = np.flatnonzero(need > 0)
            if len(idx) == 0:
                continue
            day_shifts = []
            for a, b in build_shifts(need, int(idx[0]), int(idx[-1]) + 1):
                if rng.random() < config.absence_rate:
                    continue  # planned, but the agent called in sick
                start = float(cal.iv_start[first + a])
                end = float(cal.iv_start[first + b - 1] + INTERVAL_S)
                day_shifts.append((a, b, Shift(ti, di, start, end, _breaks(start, end, rng))))
            _offline_work(day_shifts, need, first, cal, rng)
            shifts.extend(s for _, _, s in day_shifts)
    _assign_agents(shifts, len(config.teams), rng)
    return shifts, planned


def _offline_work(day_shifts, need, first, cal, rng: random.Random) -> None:
    """Where the shifts cover more heads than needed, give the surplus agents 15 minutes of
    offline work ("Admin" pause: e-mails, call-backs, training modules), as planners do."""
    cover = np.zeros(len(need))
    for a, b, _ in day_shifts:
        cover[a:b] += 1
    for i in np.flatnonzero(cover - need >= 1):
        surplus = int(cover[i] - need[i])
        on = [s for a, b, s in day_shifts if a <= i < b]
        for s in rng.sample(on, min(surplus, len(on))):
            s.breaks.append((float(cal.iv_start[first + i]), 900, "Admin"))
    for _, _, s in day_shifts:
        s.breaks.sort()


def _assign_agents(shifts: list[Shift], n_teams: int, rng: random.Random) -> None:
    """Give each shift to a named agent of its team: a roster sized so people get days off."""
    for ti in range(n_teams):
        team_shifts = [s for s in shifts if s.team == ti]
        if not team_shifts:
            continue
        per_day: dict[int, list[Shift]] = {}
        for s in team_shifts:
            per_day.setdefault(s.day, []).append(s)
        roster = math.ceil(max(len(v) for v in per_day.values()) * 1.3) + 1
        worked = [0] * roster
        for day in sorted(per_day):
            order = sorted(range(roster), key=lambda a: (worked[a], rng.random()))
            for s, agent in zip(per_day[day], order, strict=False):
                s.agent = agent
                worked[agent] += 1
