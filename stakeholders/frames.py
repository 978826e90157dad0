"""Reads shared by the widgets of one request: a dashboard's widgets ask for the component sums
of the same scope, span and breakdown many times over (a tile's total and its sparkline, the
comparison span, a time series and a control chart of the same days), and for what those
figures mean. Inside :func:`shared_reads` each such read is made once and the widgets take
their share of it:

- day and longer buckets are cut from one frame of daily rows (weeks, months, quarters and
  years are sums of their days, the longest wait the largest of theirs); spans whose days are
  independent of each other (no agent-state time, which is shared among the queues an agent
  handled contacts on over the whole span read) are pieced together from the days already read,
  so a later span reads only the days no earlier widget did;
- sub-daily buckets of the whole scope or its channels are cut from one read of the scope's
  intervals by channel; other sub-daily buckets and agent-time spans are shared when asked
  for again exactly;
- what a figure means (:func:`reports.selectors.scope_meaning`) once per scope, span, queue and
  definitions, each widget's explicit target overrides applied on top.

The figures are those of :func:`reports.selectors.component_sums` read widget by widget (a test
holds them equal); only the number of reads changes. Outside :func:`shared_reads` every call
reads directly.
"""
from __future__ import annotations

import contextvars
import datetime as dt
from contextlib import contextmanager
from dataclasses import replace

import pandas as pd

from reports.selectors import (
    AGENT_BREAKDOWN_LOOKUPS,
    AGENT_TIME_DIMENSIONS,
    DAILY_GRANULARITIES,
    agent_shares_shared,
    breakdown_labels,
    component_sums,
    scope_meaning,
)
from reports.semantics import apply_overrides

from .selectors import agent_teams

_current: contextvars.ContextVar[SharedReads | None] = contextvars.ContextVar(
    "stakeholders_shared_reads", default=None)


def _bucket_starts(days: pd.Series, granularity: str) -> pd.Series:
    """The start of each day's ``granularity`` bucket (as :func:`reports.selectors
    .component_sums` cuts them: weeks from Monday, calendar months, quarters, years)."""
    if granularity == "week":
        return days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    return days.dt.to_period({"month": "M", "quarter": "Q", "year": "Y"}[granularity]
                             ).dt.start_time


def _summed(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``frame``'s components summed per ``keys`` (``wait_max_s`` the largest), in key order;
    ``key_label`` kept with its ``key``."""
    labels = dict(zip(frame["key"], frame["key_label"], strict=True)) \
        if "key" in keys and "key_label" in frame.columns else {}
    values = [c for c in frame.columns if c not in (*keys, "key", "key_label")]
    grouped = frame.groupby(keys, sort=True)
    summed = grouped[[c for c in values if c != "wait_max_s"]].sum()
    if "wait_max_s" in values:
        summed["wait_max_s"] = grouped["wait_max_s"].max()
    out = summed.reset_index()
    if labels:
        out["key_label"] = [labels[k] for k in out["key"]]
    return out


def regrain(daily: pd.DataFrame, granularity: str, breakdown: str = "") -> pd.DataFrame:
    """Component sums per day (``period_start`` a local midnight, with ``key``/``key_label``
    under a breakdown) summed into ``granularity`` buckets: additive components summed,
    ``wait_max_s`` the largest; rows in bucket then key order."""
    if granularity == "day" or daily.empty:
        return daily.reset_index(drop=True)
    return _summed(daily.assign(period_start=_bucket_starts(
        pd.to_datetime(daily["period_start"]), granularity)),
        ["period_start", *(["key"] if breakdown else [])])


class SharedReads:
    """The reads of one request (see the module docstring). ``reads`` counts the database
    reads of component sums made."""

    def __init__(self):
        self.days: dict[tuple, list[tuple[dt.date, dt.date, pd.DataFrame]]] = {}
        self.exact: dict[tuple, pd.DataFrame] = {}
        self.meanings: dict[tuple, dict] = {}
        self.reads = 0
        # Keys hold id() of the resolutions: keep them alive so an id is never reused.
        self._held: list = []

    def _resolution_id(self, resolution) -> int | None:
        if resolution is None:
            return None
        self._held.append(resolution)
        return id(resolution)

    def _read(self, *args, **kwargs) -> pd.DataFrame:
        self.reads += 1
        return component_sums(*args, **kwargs)

    def sums(self, scope, start: dt.date, end: dt.date, granularity: str, breakdown: str = "",
             queue_id: int | None = None, tz: str = "UTC", resolution=None,
             agent_time: bool = True) -> pd.DataFrame:
        """As :func:`reports.selectors.component_sums`, from reads shared within the request
        (callers must not change the frame returned in place)."""
        if start >= end:
            return self._read(scope, start, end, granularity, breakdown, queue_id, tz,
                              resolution, agent_time)
        # Whether the read adds agent-state time: it is shared over the whole span read, so
        # such a span is never pieced together from others.
        spread = breakdown in AGENT_BREAKDOWN_LOOKUPS or (
            agent_time and breakdown in ("", *AGENT_TIME_DIMENSIONS))
        base = (scope, breakdown, queue_id, tz, self._resolution_id(resolution), spread)
        if granularity not in DAILY_GRANULARITIES and breakdown in ("", "channel") \
                and not spread:
            # The whole scope and each of its channels (the wallboard's tile per channel) are
            # cut from one read of the scope's intervals by channel.
            whole = replace(scope, channels=None)
            key = ("channel", whole, *base[2:], granularity, start, end)
            if key not in self.exact:
                self.exact[key] = self._read(whole, start, end, granularity, "channel",
                                             queue_id, tz, resolution, agent_time)
            rows = self.exact[key]
            if rows.empty:  # the direct read's empty frame: the same columns but the key's
                return rows.drop(columns=["key", "key_label"]) if breakdown == "" \
                    else rows.copy()
            if scope.channels is not None:
                rows = rows[rows["key"].isin(scope.channels)]
            if not rows.empty:
                return (_summed(rows, ["period_start"]) if breakdown == ""
                        else rows.reset_index(drop=True))
            # None of the scope's channels: the direct read's empty frame (its types).
            key = ("empty", *base, granularity, start, end)
            if key not in self.exact:
                self.exact[key] = self._read(scope, start, end, granularity, breakdown,
                                             queue_id, tz, resolution, agent_time)
            return self.exact[key].copy()
        if granularity not in DAILY_GRANULARITIES:
            key = (*base, granularity, start, end)
            if key not in self.exact:
                self.exact[key] = self._read(scope, start, end, granularity, breakdown,
                                             queue_id, tz, resolution, agent_time)
            return self.exact[key].copy()

        def read_days(first, last):
            return self._read(scope, first, last, "day", breakdown, queue_id, tz, resolution,
                              agent_time)

        if breakdown == "team":
            # Teams are sums of their agents: cut from the read by agent.
            daily = self.sums(scope, start, end, "day", "agent", queue_id, tz, resolution,
                              agent_time)
            if not daily.empty:
                teams = agent_teams(daily["key"])
                daily = _summed(daily.assign(key=[teams.get(k, "") for k in daily["key"]]),
                                ["period_start", "key"])
                daily["key_label"] = breakdown_labels("team", daily["key"])
        elif spread:
            key = (*base, "day", start, end)
            if key not in self.exact:
                self.exact[key] = read_days(start, end)
            daily = self.exact[key]
            if daily.empty and granularity == "day":
                return daily.copy()  # the direct read itself
        elif breakdown in ("", "channel"):
            # The whole scope and each of its channels (a widget narrowed to calls) are cut
            # from one read of the scope's days by channel.
            whole = replace(scope, channels=None)
            daily = self._days(("channel", whole, *base[2:]), start, end,
                               lambda first, last: self._read(
                                   whole, first, last, "day", "channel", queue_id, tz,
                                   resolution, agent_time))
            if scope.channels is not None and not daily.empty:
                daily = daily[daily["key"].isin(scope.channels)]
            if breakdown == "" and not daily.empty:
                daily = _summed(daily, ["period_start"])
        else:
            daily = self._days(base, start, end, read_days)
        if daily.empty:
            # No rows: the direct read's empty frame (its columns and types), read once.
            key = ("empty", *base, granularity, start, end)
            if key not in self.exact:
                self.exact[key] = self._read(scope, start, end, granularity, breakdown,
                                             queue_id, tz, resolution, agent_time)
            return self.exact[key].copy()
        return regrain(daily, granularity, breakdown)

    def _days(self, key, start, end, read_days) -> pd.DataFrame:
        """Daily rows of [start, end) under ``key``, reading only days no earlier read did."""
        pieces = self.days.setdefault(key, [])
        for first, last in _missing(start, end, [(a, b) for a, b, _ in pieces]):
            pieces.append((first, last, read_days(first, last)))
            pieces.sort(key=lambda p: p[0])
        parts = []
        for first, last, frame in pieces:
            if last <= start or first >= end or frame.empty:
                continue
            if first < start or last > end:
                days = pd.to_datetime(frame["period_start"])
                frame = frame[(days >= pd.Timestamp(start)) & (days < pd.Timestamp(end))]
            parts.append(frame)
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def meaning(self, scope, centre, start: dt.date, end: dt.date, resolution,
                queue_id: int | None = None, overrides: dict | None = None) -> dict:
        """As :func:`reports.selectors.scope_meaning`, read once per scope, span, queue and
        definitions; ``overrides`` applied to the targets found."""
        key = (scope, getattr(centre, "pk", None), start, end, self._resolution_id(resolution),
               queue_id)
        if key not in self.meanings:
            self.meanings[key] = scope_meaning(scope, centre, start, end, resolution,
                                               queue_id=queue_id)
        found = self.meanings[key]
        return {**found, "targets": apply_overrides(found["targets"], overrides)}


def _missing(start: dt.date, end: dt.date, covered: list[tuple[dt.date, dt.date]]
             ) -> list[tuple[dt.date, dt.date]]:
    """The parts of the days [start, end) no span of ``covered`` holds."""
    out, at = [], start
    for first, last in sorted(covered):
        if last <= at:
            continue
        if first >= end:
            break
        if first > at:
            out.append((at, first))
        at = max(at, last)
    if at < end:
        out.append((at, end))
    return out


@contextmanager
def shared_reads():
    """Share the reads of everything computed inside (one request's widgets); nested uses join
    the outer one."""
    if _current.get() is not None:
        yield _current.get()
        return
    reads = SharedReads()
    token = _current.set(reads)
    try:
        with agent_shares_shared():  # each span's agents shared among queues once
            yield reads
    finally:
        _current.reset(token)


def sums(scope, start: dt.date, end: dt.date, granularity: str, breakdown: str = "",
         queue_id: int | None = None, tz: str = "UTC", resolution=None,
         agent_time: bool = True) -> pd.DataFrame:
    """Component sums (:func:`reports.selectors.component_sums`), shared inside
    :func:`shared_reads`."""
    reads = _current.get()
    if reads is None:
        return component_sums(scope, start, end, granularity, breakdown, queue_id=queue_id,
                              tz=tz, resolution=resolution, agent_time=agent_time)
    return reads.sums(scope, start, end, granularity, breakdown, queue_id, tz, resolution,
                      agent_time)


def meaning(scope, centre, start: dt.date, end: dt.date, resolution,
            queue_id: int | None = None, overrides: dict | None = None) -> dict:
    """What a figure means (:func:`reports.selectors.scope_meaning`), shared inside
    :func:`shared_reads`."""
    reads = _current.get()
    if reads is None:
        return scope_meaning(scope, centre, start, end, resolution, queue_id=queue_id,
                             overrides=overrides)
    return reads.meaning(scope, centre, start, end, resolution, queue_id, overrides)
