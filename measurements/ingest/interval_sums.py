"""Pure module: the additive interval quantities of a set of legs (one implementation of each).

The interval rollups (``IntervalStat``, ``AgentIntervalStat``) are sums over legs. A batch's
sums are computed here from its own frames as it loads, then added to the stored rows
(:func:`measurements.services.rollup.rollup_merge`); a replaced contact's stored legs go
through the same functions and are subtracted. SQLite and PostgreSQL use the same code.

Semantics (as documented on ``IntervalStat``): queue quantities from queue legs, in the
15-minute interval (UTC-aligned epoch seconds; every real time zone offset is a multiple of 15
minutes, so the intervals are aligned in local time too) in which the contact entered the
queue; handling quantities from the agent leg that answered it (the next leg, ``seq`` + 1, of
kind ``agent``) on the same row; IVR quantities from IVR legs, on rows of the IVR routing point.
Wait buckets are cumulative: ``answered_le_<b>s`` counts answered legs with ``wait_s`` ≤ b.
Per agent: handled legs and their handling seconds in the interval the agent leg started.

Input ``legs``: one row per leg with ``contact`` (any integer identifying the contact), ``seq``,
``kind``, ``queue_id`` and ``agent_id`` (numbers, NaN for none), ``entered_at`` (UTC
timestamps), ``wait_s``, ``talk_s``, ``hold_s``, ``acw_s`` (whole seconds), ``outcome``, and
the contact's ``channel``, ``contact_type`` and ``customer_segment``.
Outputs: frames keyed by ``iv`` (interval start, epoch seconds UTC) and the grouping columns,
one row per key, integer quantities; ``wait_max_s`` combines by maximum, everything else adds.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

NO_ID = -1  # stands for a missing queue or agent id in the key columns

INTERVAL_KEYS = ["iv", "queue_id", "channel", "contact_type", "customer_segment"]
AGENT_KEYS = ["iv", "agent_id", "queue_id"]
AGENT_QUANTITIES = ["handled", "transfers", "escalations", "talk_s", "hold_s", "acw_s"]
SEQ_SPAN = 1 << 16  # seq is a small positive integer: (contact, seq) packs into one int64


def quantities(buckets) -> list[str]:
    """The interval quantities in stored order, for the cumulative wait ``buckets`` (s)."""
    return ["offered", "answered", "abandoned", "flowed_out", "handled", "transfers",
            "escalations", "wait_answered_s", "wait_abandoned_s", "wait_max_s", "talk_s",
            "hold_s", "acw_s", "ivr_sessions", "ivr_contained", "ivr_to_queue", "ivr_abandoned",
            *(f"answered_le_{b}s" for b in buckets), *(f"abandoned_le_{b}s" for b in buckets)]


def _ids(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").fillna(NO_ID).to_numpy(dtype=np.int64)


def _ints(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").fillna(0).to_numpy(dtype=np.int64)


def _interval(entered: pd.Series, interval_s: int) -> np.ndarray:
    if getattr(entered.dt, "tz", None) is not None:
        entered = entered.dt.tz_convert("UTC").dt.tz_localize(None)
    secs = entered.to_numpy(dtype="datetime64[s]").astype(np.int64)
    return secs - secs % interval_s


def _group_codes(keys: dict) -> np.ndarray:
    """The group of each row of ``keys`` (name → column), numbered in order of first
    appearance: each column factorised on its own (texts straight from their Arrow buffers),
    the codes combined column by column."""
    codes = None
    for column in keys.values():
        own, uniques = pd.factorize(column, use_na_sentinel=False)
        codes = own.astype(np.int64) if codes is None else \
            pd.factorize(codes * len(uniques) + own)[0].astype(np.int64)
    return codes


def _grouped(keys: dict, values: dict) -> pd.DataFrame:
    """Sum ``values`` (name → int array; ``wait_max_s`` by max) per distinct ``keys`` (name →
    int array or text column; texts come out as object columns)."""
    if not len(next(iter(keys.values()))):
        return pd.DataFrame({**{k: pd.Series(dtype=v.dtype if v.dtype.kind in "iuf" else object)
                                for k, v in keys.items()},
                             **{k: pd.Series(dtype="int64") for k in values}})
    codes = _group_codes(keys)
    n = int(codes.max()) + 1
    first = np.full(n, len(codes), dtype=np.int64)
    np.minimum.at(first, codes, np.arange(len(codes), dtype=np.int64))
    out = pd.DataFrame({k: np.asarray(v[first], dtype=v.dtype if v.dtype.kind in "iuf"
                                      else object) for k, v in keys.items()})
    for name, arr in values.items():
        if name == "wait_max_s":
            top = np.zeros(n, dtype=np.int64)
            np.maximum.at(top, codes, arr)
            out[name] = top
        elif arr.dtype == bool:
            out[name] = np.bincount(codes[arr], minlength=n).astype(np.int64)
        else:
            # Exact: the sums stay far below 2**53 (see ``bounds.py``).
            out[name] = np.rint(np.bincount(codes, weights=arr, minlength=n)).astype(np.int64)
    return out


def interval_sums(legs: pd.DataFrame, buckets, interval_s: int = 900) -> pd.DataFrame:
    """``IntervalStat`` quantities of ``legs`` (see the module docstring) per (``iv``,
    ``queue_id``, ``channel``, ``contact_type``, ``customer_segment``); ``queue_id`` is
    :data:`NO_ID` where a leg had none."""
    kind = legs["kind"].to_numpy(dtype=object)
    is_queue, is_ivr, is_agent = kind == "queue", kind == "ivr", kind == "agent"
    sel = is_queue | is_ivr
    key = _ints(legs["contact"]) * SEQ_SPAN + _ints(legs["seq"])
    agents = pd.Index(key[is_agent])
    agent_rows = np.flatnonzero(is_agent)
    if not agents.is_unique:
        keep = ~agents.duplicated()
        agents, agent_rows = agents[keep], agent_rows[keep]
    found = agents.get_indexer(key[sel] + 1) if len(agents) else np.full(int(sel.sum()), -1)
    has_agent = found >= 0
    a_rows = agent_rows[np.maximum(found, 0)] if len(agent_rows) else np.zeros(len(found), int)

    def of_agent(values: np.ndarray, fill):
        return np.where(has_agent, values[a_rows], fill) if len(values) else \
            np.full(len(found), fill)

    q = legs[sel]
    queue_leg = is_queue[sel]
    outcome = q["outcome"].to_numpy(dtype=object)
    wait = _ints(q["wait_s"])
    answered = queue_leg & (outcome == "answered")
    abandoned = queue_leg & (outcome == "abandoned")
    a_outcome = of_agent(legs["outcome"].to_numpy(dtype=object), None)
    zero = np.zeros(len(q), dtype=np.int64)
    ivr = ~queue_leg
    values = {
        "offered": queue_leg, "answered": answered, "abandoned": abandoned,
        "flowed_out": queue_leg & np.isin(outcome, ["timed_out", "transferred"]),
        "handled": answered & has_agent,
        "transfers": answered & (a_outcome == "transferred"),
        "escalations": answered & (a_outcome == "escalated"),
        "wait_answered_s": np.where(answered, wait, zero),
        "wait_abandoned_s": np.where(abandoned, wait, zero),
        "wait_max_s": np.where(queue_leg, wait, zero),
        **{name: np.where(answered, of_agent(_ints(legs[name]), 0), zero)
           for name in ("talk_s", "hold_s", "acw_s")},
        "ivr_sessions": ivr, "ivr_contained": ivr & (outcome == "contained"),
        "ivr_to_queue": ivr & (outcome == "to_queue"),
        "ivr_abandoned": ivr & (outcome == "abandoned"),
    }
    for b in buckets:
        values[f"answered_le_{b}s"] = answered & (wait <= b)
    for b in buckets:
        values[f"abandoned_le_{b}s"] = abandoned & (wait <= b)
    keys = {"iv": _interval(q["entered_at"], interval_s), "queue_id": _ids(q["queue_id"]),
            **{c: q[c].fillna("").array for c in ("channel", "contact_type", "customer_segment")}}
    out = _grouped(keys, values)
    return out[[*INTERVAL_KEYS, *quantities(buckets)]]


def agent_sums(legs: pd.DataFrame, interval_s: int = 900) -> pd.DataFrame:
    """``AgentIntervalStat`` contact quantities of the agent legs in ``legs`` that name an
    agent, per (``iv``, ``agent_id``, ``queue_id``): handled legs, transfers, escalations and
    talk/hold/ACW seconds, in the interval the agent leg started."""
    a = legs[(legs["kind"].to_numpy(dtype=object) == "agent")
             & pd.to_numeric(legs["agent_id"], errors="coerce").notna().to_numpy()]
    outcome = a["outcome"].to_numpy(dtype=object)
    values = {"handled": np.ones(len(a), dtype=bool), "transfers": outcome == "transferred",
              "escalations": outcome == "escalated",
              **{name: _ints(a[name]) for name in ("talk_s", "hold_s", "acw_s")}}
    keys = {"iv": _interval(a["entered_at"], interval_s), "agent_id": _ids(a["agent_id"]),
            "queue_id": _ids(a["queue_id"])}
    return _grouped(keys, values)[[*AGENT_KEYS, *AGENT_QUANTITIES]]


def combine(frames: list[pd.DataFrame], keys: list[str], signs=None) -> pd.DataFrame:
    """Several sums frames (same columns) as one: quantities added per key (each frame times
    its sign in ``signs``, default +1), ``wait_max_s`` the largest of the frames added."""
    signs = signs or [1] * len(frames)
    pairs = [(f, s) for f, s in zip(frames, signs, strict=True) if len(f)]
    if not pairs:
        return pd.DataFrame()
    parts = []
    for frame, sign in pairs:
        if sign != 1:
            frame = frame.copy()
            cols = [c for c in frame.columns if c not in keys and c != "wait_max_s"]
            frame[cols] = frame[cols] * sign
            if "wait_max_s" in frame:
                frame["wait_max_s"] = 0
        parts.append(frame)
    both = pd.concat(parts, ignore_index=True)
    agg = {c: ("max" if c == "wait_max_s" else "sum") for c in both.columns if c not in keys}
    return both.groupby(keys, sort=False, dropna=False, as_index=False).agg(agg)[both.columns]


def local_time(iv: pd.Series | np.ndarray, time_zone: str) -> pd.DataFrame:
    """``local_date``, ``local_minute`` (minutes after local midnight) and ``weekday`` (0 =
    Monday) of interval starts ``iv`` (epoch seconds UTC) in ``time_zone`` (DST days have 23 or
    25 hours of intervals)."""
    starts = pd.to_datetime(np.asarray(iv, dtype=np.int64), unit="s", utc=True)
    local = starts.tz_convert(time_zone)
    return pd.DataFrame({"local_date": local.date, "local_minute": local.hour * 60 + local.minute,
                         "weekday": local.day_of_week})
