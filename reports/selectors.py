"""Reads for analysis: DataFrames built from the interval rollups (and from contact facts only
where a distribution needs them).

Every function takes the caller's data ``scope`` (``request.scope`` in views) and applies
``.restrict(scope)`` before anything else, so no analysis can see outside it. Aggregation happens
in SQL: the database returns one row per period and segment shown, so the cost grows with rows
shown, not with contacts stored.

Rows: periods of a day or longer are read from the daily rollup (``DailyStat``: one row per
segment and local day), shorter ones and other time zones from the interval rollup
(``IntervalStat``); both give the same sums (``CONTACTMIS_DAILY_ROLLUP = False`` reads intervals
only).

Time: ``start``/``end`` are dates in the centre's time zone (``end`` exclusive). Periods are the
centre's local days, weeks (ISO, Monday), months, quarters and years, grouped on the stored
``local_date``; 15-minute periods group on ``interval_start`` (UTC, exact across DST changes);
30-minute and hourly periods group on ``local_date`` + ``local_minute`` (on the autumn DST night
the repeated local hour is one period). With another ``tz``, periods are cut in that zone from
``interval_start`` instead.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import zoneinfo
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Case, F, IntegerField, Max, Min, Q, Sum, Value, When
from django.db.models.functions import (
    Cast,
    TruncDate,
    TruncHour,
    TruncMonth,
    TruncQuarter,
    TruncWeek,
    TruncYear,
)

from contactmis.models import Centre
from contactmis.scope import Scope
from measurements.constants import WAIT_BUCKETS_S
from measurements.models import (
    AgentIntervalStat,
    Contact,
    DailyStat,
    IntervalStat,
    Segment,
)
from measurements.models.facts import ADDITIVE_FIELDS
from pathways.constants import Channel
from pathways.models import Agent, Pathway, Queue, Step

from .analysis.kpis import KpiParams, kpis_from_sums
from .models import Forecast
from .semantics import (
    Resolution,
    apply_overrides,
    definition_periods,
    resolve,
    target_book,
    threshold_basis,
)

GRANULARITIES = ("15min", "30min", "hour", "day", "week", "month", "quarter", "year")
DAILY_GRANULARITIES = ("day", "week", "month", "quarter", "year")
# Segment dimensions of the interval rollup: name → lookup.
DIMENSIONS = {
    "queue": "queue_id", "step": "step_id", "channel": "channel", "pathway": "step__pathway_id",
    "contact_type": "contact_type", "customer_segment": "customer_segment",
    "site": "queue__site",
}
# Dimensions of the per-agent rollup (handling KPIs only).
AGENT_DIMENSIONS = {"agent": "agent_id", "team": "agent__team"}
ALL_DIMENSIONS = (*DIMENSIONS, *AGENT_DIMENSIONS)
# Components the KPI table needs (the wait buckets are chosen per metric version).
KPI_FIELDS = ("offered", "answered", "abandoned", "flowed_out", "handled", "transfers",
              "escalations", "wait_answered_s", "talk_s", "hold_s", "acw_s", "available_s",
              "busy_s", "ivr_sessions", "ivr_contained")


def _check_bucket(seconds: int, what: str):
    if seconds and seconds not in WAIT_BUCKETS_S:
        raise ValueError(f"{what} {seconds} s is not a wait bucket of the rollups; use one of "
                         f"{', '.join(map(str, WAIT_BUCKETS_S))}.")


def _threshold_sums(resolution: Resolution) -> dict:
    """SQL sums of answered/abandoned within each row's own service-level threshold and of short
    abandons, with each day's definition version; plus the smallest and largest threshold of
    the rows with contacts (equal when a group shares one threshold) and markers of groups that
    cover a single queue or channel (for the targets in force)."""
    periods, thresholds = resolution.periods, resolution.thresholds

    def when_date(p):
        return Q() if len(periods) == 1 else Q(local_date__gte=p.start, local_date__lt=p.end)

    def own(kind):
        rules = []
        for p in periods:
            for seconds, condition in thresholds.groups(p.params.sl_threshold_s):
                rules.append(When(when_date(p) & condition, then=F(f"{kind}_le_{seconds}s")))
            if len(periods) > 1:
                rules.append(When(when_date(p),
                                  then=F(f"{kind}_le_{p.params.sl_threshold_s}s")))
        default = (F(f"{kind}_le_{periods[0].params.sl_threshold_s}s") if len(periods) == 1
                   else Value(0))
        if not rules:
            return Sum(default)
        return Sum(Case(*rules, default=default, output_field=IntegerField()))

    def short():
        def col(p):
            seconds = p.params.short_abandon_s
            return F(f"abandoned_le_{seconds}s") if seconds else Value(0)

        if len(periods) == 1:
            return Sum(col(periods[0]))
        return Sum(Case(*[When(when_date(p), then=col(p)) for p in periods], default=Value(0),
                        output_field=IntegerField()))

    busy = Q(offered__gt=0)
    rules = []
    for p in periods:
        for seconds, condition in thresholds.groups(p.params.sl_threshold_s):
            rules.append(When(busy & when_date(p) & condition, then=Value(seconds)))
        rules.append(When(busy & when_date(p), then=Value(p.params.sl_threshold_s)))
    threshold = Case(*rules, default=None, output_field=IntegerField())
    slow = Q(channel__in=thresholds.slow_channels)
    queue = Case(When(busy, then=F("queue_id")), default=None, output_field=IntegerField())
    channel = Case(When(busy, then=F("channel")), default=None)
    return {
        "answered_within_threshold": own("answered"),
        "abandoned_within_threshold": own("abandoned"),
        "short_abandoned": short(),
        "sl_threshold_min": Min(threshold), "sl_threshold_max": Max(threshold),
        "queue_min": Min(queue), "queue_max": Max(queue),
        "channel_min": Min(channel), "channel_max": Max(channel),
        "slow_rows": Max(Case(When(busy & slow, then=Value(1)), default=Value(0),
                              output_field=IntegerField())),
        "fast_rows": Max(Case(When(busy & ~slow, then=Value(1)), default=Value(0),
                              output_field=IntegerField())),
    }


MEANING_COLUMNS = ("sl_threshold_min", "sl_threshold_max", "queue_min", "queue_max",
                   "channel_min", "channel_max", "slow_rows", "fast_rows")
# Time averages that mean nothing across channels measured in seconds and in hours.
TIME_AVERAGES = ("asa_s", "aht_s", "avg_talk_s", "avg_hold_s", "avg_acw_s", "wait_max_s")
MIXED_UNITS = "mixed units: see each channel"


def _add_meaning(result: pd.DataFrame, sums: pd.DataFrame, resolution: Resolution
                 ) -> pd.DataFrame:
    """Per row: ``sl_threshold_s`` (the threshold all its contacts were judged at; NA where they
    had different ones), ``sl_basis`` (in words), and ``only_queue_id``/``only_channel`` where
    the row covers a single queue or channel (targets are resolved for that slice)."""
    lo, hi = sums["sl_threshold_min"], sums["sl_threshold_max"]
    same = lo.notna() & (lo == hi)
    result["sl_threshold_s"] = pd.array(np.where(same, lo, None), dtype="Int64") \
        if len(result) else pd.array([], dtype="Int64")
    basis = {}  # threshold (None: mixed) → words; rows share a handful of thresholds

    def words(t):
        if t not in basis:
            basis[t] = threshold_basis(t, resolution.thresholds)
        return basis[t]

    result["sl_basis"] = [words(int(t) if s else None) if pd.notna(t) else ""
                          for t, s in zip(lo, same, strict=True)]
    q_same = sums["queue_min"].notna() & (sums["queue_min"] == sums["queue_max"])
    result["only_queue_id"] = pd.array(np.where(q_same, sums["queue_min"], None), dtype="Int64") \
        if len(result) else pd.array([], dtype="Int64")
    c_same = sums["channel_min"].notna() & (sums["channel_min"] == sums["channel_max"])
    result["only_channel"] = np.where(c_same, sums["channel_min"], "") if len(result) else []
    mixed = (pd.to_numeric(sums["slow_rows"]).fillna(0) > 0) & \
        (pd.to_numeric(sums["fast_rows"]).fillna(0) > 0)
    for column in TIME_AVERAGES:
        if column in result.columns:
            result[column] = result[column].where(~mixed.to_numpy())
    result["time_basis"] = np.where(mixed, MIXED_UNITS, "") if len(result) else []
    return result


def _period_expressions(granularity: str, tz: zoneinfo.ZoneInfo | None):
    """(group-by expressions, how to rebuild ``period_start``) for a granularity."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity “{granularity}” is unknown; use one of "
                         f"{', '.join(GRANULARITIES)}.")
    if granularity == "15min":
        return {"p_utc": F("interval_start")}, "utc"
    if tz is not None:
        trunc = {"30min": TruncHour, "hour": TruncHour, "day": TruncDate, "week": TruncWeek,
                 "month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}[granularity]
        if granularity == "30min":
            return {"p_utc": F("interval_start")}, "utc"
        if granularity == "day":
            return {"p_date": TruncDate("interval_start", tzinfo=tz)}, "date"
        return {"p_local": trunc("interval_start", tzinfo=tz)}, "local"
    if granularity in ("30min", "hour"):
        size = 30 if granularity == "30min" else 60
        return {"p_date": F("local_date"),
                "p_minute": Cast(F("local_minute") / size, IntegerField()) * size}, "date_minute"
    if granularity == "day":
        return {"p_date": F("local_date")}, "date"
    trunc = {"week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter,
             "year": TruncYear}[granularity]
    return {"p_date": trunc("local_date")}, "date"


def _period_start(df: pd.DataFrame, how: str, granularity: str, tz: zoneinfo.ZoneInfo
                  ) -> pd.Series:
    """Aware local ``period_start`` from the grouped columns."""
    if df.empty:
        return pd.Series([], dtype=f"datetime64[ns, {tz.key}]")
    if how == "utc":
        local = pd.to_datetime(df["p_utc"], utc=True).dt.tz_convert(tz)
        if granularity == "30min":
            local = local.dt.floor("30min", ambiguous="NaT", nonexistent="shift_forward")
        return local
    if how == "local":
        return pd.to_datetime(df["p_local"], utc=True).dt.tz_convert(tz)
    naive = pd.to_datetime(df["p_date"])
    if naive.dt.tz is not None:
        # PostgreSQL truncates a date to a timestamp with time zone (midnight in the session's
        # zone, UTC): the day is that instant's UTC date.
        naive = naive.dt.tz_convert("UTC").dt.tz_localize(None)
    if how == "date_minute":
        naive = naive + pd.to_timedelta(df["p_minute"].astype(int), unit="min")
    return naive.dt.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")


# What contacts the source gave no value of a dimension are called: a segment of their own
# (they exist and are counted), not missing data.
UNASSIGNED = "unassigned"
UNASSIGNED_DIMENSIONS = ("contact_type", "customer_segment")


def _dimension_values(dim: str, values: pd.Series) -> np.ndarray:
    """A text dimension's values for the rows: a contact type or customer segment the source
    left empty reads :data:`UNASSIGNED`; other blanks stay blank."""
    values = values.fillna("")
    if dim in UNASSIGNED_DIMENSIONS:
        values = values.replace("", UNASSIGNED)
    return values.to_numpy()


def _labels(dim: str, ids) -> dict:
    ids = [i for i in set(ids) if i is not None]
    if dim == "queue":
        return {q.pk: q.name or q.code for q in Queue.objects.filter(pk__in=ids)}
    if dim == "step":
        return {s.pk: s.name for s in Step.objects.filter(pk__in=ids)}
    if dim == "pathway":
        return {p.pk: p.name for p in Pathway.objects.filter(pk__in=ids)}
    if dim == "agent":
        return {a.pk: a.name or a.code for a in Agent.objects.filter(pk__in=ids)}
    return {}


def use_daily(granularity: str = "day", tz=None) -> bool:
    """Whether sums for ``granularity`` (cut in the centre's own zone when ``tz`` is None) are
    read from the daily rollup rather than the interval rollup."""
    return (granularity in DAILY_GRANULARITIES and tz is None
            and getattr(settings, "CONTACTMIS_DAILY_ROLLUP", True))


def _every_centre(qs):
    """``qs`` (a rollup, filtered by local dates) narrowed to every centre: the same rows, said
    so that the database finds a period's rows through the rollups' (centre, local date) index
    instead of reading the whole table (a day of a year's rollup was a full scan)."""
    return qs.filter(centre_id__in=list(Centre.objects.values_list("pk", flat=True)))


def _base(scope, centre, start, end, tz, source, daily=False):
    model = DailyStat if daily and use_daily("day", tz) else IntervalStat
    qs = model.objects.restrict(scope).filter(centre=centre)
    if tz is None:
        qs = qs.filter(local_date__gte=start, local_date__lt=end)
    else:
        qs = qs.filter(interval_start__gte=dt.datetime.combine(start, dt.time(), tz),
                       interval_start__lt=dt.datetime.combine(end, dt.time(), tz))
    if source is not None:
        qs = qs.filter(source=source)
    return qs


# --- agent time (occupancy, staffed agents) ---------------------------------------------------
AGENT_TIME = ("staffed_s", "available_s", "busy_s")
# Dimensions agent time can be cut by: the queue it is attributed to, and that queue's channel
# and site. Other dimensions (step, pathway, contact type, customer segment) have no agent time.
AGENT_TIME_DIMENSIONS = {"queue": "queue_id", "channel": "channel", "site": "site"}
AGENT_TIME_SOURCE = ("Occupancy = busy / (busy + available) agent seconds from the agent-state "
                     "feeds; agent time a feed gives without a queue is shared among the queues "
                     "the agent handled contacts on in the period, in proportion to handling "
                     "time")


def agent_time_frame(scope, centre, start: dt.date, end: dt.date, group: dict | None = None,
                     fields: tuple = (), by_agent: bool = False, queue_ids=None) -> pd.DataFrame:
    """Staffed, available and busy agent seconds from the agent-state feeds (the per-agent
    rollup) for local days [start, end) within ``scope``, attributed to queues.

    ``group``: name → expression over the per-agent rollup to group by (period expressions of
    :func:`_period_expressions`); ``fields``: rollup fields to group by as they are
    (``interval_start``, ``local_date``). ``centre`` None: the centres ``scope`` covers.
    ``queue_ids``: only the time attributed to these queues (a narrower scope).
    A feed that names the queue an agent was in keeps it; time it gives without a queue is
    shared among the queues the agent handled contacts on in [start, end) in proportion to the
    agent's handling seconds on each (``queue_id`` None where the agent handled none). Rows
    outside ``scope`` (by the queue's id, channel and site) are dropped; unattributed time counts
    only for an unrestricted scope. Sums of the result are additive: every second counts once.

    The database does the sharing and the sums (one row per group and queue comes back, not one
    per agent and interval): the shares are computed first (a row per agent and queue), then
    joined to the rollup rows without a queue. Group and field values are as the database
    cursor gives them (as in :func:`_records_frame`: dates and instants may be text on SQLite).

    Columns: the ``group`` names, ``agent_id`` with ``by_agent``, ``queue_id``, ``channel``,
    ``site`` (of the queue; "" when unattributed), ``staffed_s``, ``available_s``, ``busy_s``
    (floats: shares of seconds)."""
    group = dict(group or {})
    agent_key = ["agent_id"] if by_agent else []
    columns = [*group, *fields, *agent_key, "queue_id", "channel", "site", *AGENT_TIME]
    qs = AgentIntervalStat.objects.filter(local_date__gte=start, local_date__lt=end)
    queues_qs = Queue.objects.all()
    if centre is not None:
        qs, queues_qs = qs.filter(centre=centre), queues_qs.filter(centre=centre)
    else:
        qs = _every_centre(qs)
    allowed = None  # queue ids the result may hold (None: any, and unattributed time)
    if scope is not None and not scope.is_unrestricted:
        allowed = set(queues_qs.restrict(scope).values_list("pk", flat=True))
    if queue_ids is not None:
        allowed = set(queue_ids) if allowed is None else allowed & set(queue_ids)
    if allowed is not None and not allowed:
        return pd.DataFrame(columns=columns)
    shares = _shares_of_span(qs, getattr(centre, "pk", None), start, end)
    if allowed is not None:
        shares = [s for s in shares if s[1] in allowed]
    rows = _shared_agent_time(qs, group, fields, by_agent, shares, allowed)
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame.from_records(
        rows, columns=[*group, *fields, *agent_key, "queue_id", *AGENT_TIME])
    for f in AGENT_TIME:
        frame[f] = pd.to_numeric(frame[f]).astype(float)
    queues = {pk: (channel, site) for pk, channel, site in
              queues_qs.values_list("pk", "channel", "site")}
    frame["queue_id"] = pd.Series([None if q is None or q != q else int(q)
                                   for q in frame["queue_id"].astype(object)],
                                  index=frame.index, dtype=object)
    frame["channel"] = [queues.get(q, ("", ""))[0] for q in frame["queue_id"]]
    frame["site"] = [queues.get(q, ("", ""))[1] or "" for q in frame["queue_id"]]
    return frame[columns]


# Handling shares of the spans already read in this context (see :func:`agent_shares_shared`).
_shares_read: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "reports_agent_handling_shares", default=None)


@contextmanager
def agent_shares_shared():
    """Inside, each span's handling shares (:func:`_handling_shares`) are read once: the
    widgets of one request cut agent time of the same days several ways (by day, by agent)
    and share the same agents among the same queues each time. Nested uses join the outer."""
    if _shares_read.get() is not None:
        yield
        return
    token = _shares_read.set({})
    try:
        yield
    finally:
        _shares_read.reset(token)


def _shares_of_span(qs, centre_pk, start, end) -> list[tuple[int, int, float]]:
    """:func:`_handling_shares` of ``qs`` (the per-agent rollup of ``centre_pk``, or every
    centre, over local days [start, end)), read once inside :func:`agent_shares_shared`."""
    read = _shares_read.get()
    if read is None:
        return _handling_shares(qs)
    key = (centre_pk, start, end)
    if key not in read:
        read[key] = _handling_shares(qs)
    return read[key]


def _handling_shares(qs) -> list[tuple[int, int, float]]:
    """``(agent_id, queue_id, share)`` of each agent's handling on each queue in the rows of
    ``qs`` (per-agent rollup): handling seconds over the agent's total; an agent whose legs
    carry no handling seconds, by contacts handled. Queues the agent handled none on are left
    out (every agent's shares sum to 1)."""
    handling = pd.DataFrame.from_records(list(
        qs.filter(queue__isnull=False).values("agent_id", "queue_id")
        .annotate(h=Sum(F("talk_s") + F("hold_s") + F("acw_s")), n=Sum("handled"))
        .filter(n__gt=0).order_by()), columns=["agent_id", "queue_id", "h", "n"])
    if handling.empty:
        return []
    handling["w"] = pd.to_numeric(handling["h"]).astype(float)
    no_time = handling.groupby("agent_id")["w"].transform("sum") <= 0
    handling.loc[no_time, "w"] = pd.to_numeric(handling.loc[no_time, "n"]).astype(float)
    handling["share"] = handling["w"] / handling.groupby("agent_id")["w"].transform("sum")
    return [(int(a), int(q), float(s)) for a, q, s in
            handling[["agent_id", "queue_id", "share"]].itertuples(index=False)]


def _shared_agent_time(qs, group, fields, by_agent, shares, allowed) -> list[tuple]:
    """Rows ``(*group, *fields, [agent_id,] queue_id, staffed_s, available_s, busy_s)`` of
    :func:`agent_time_frame`, summed by the database: the per-agent rollup rows of ``qs``, a
    row without a queue shared by ``shares`` (``queue_id`` NULL for an agent with none), only
    rows of ``allowed`` queues when it is given (then unattributed time is left out)."""
    if allowed is not None:  # only the rows that can count: fewer rows to share and sum
        qs = qs.filter(Q(queue_id__in=allowed) | Q(
            queue__isnull=True, agent_id__in=sorted({agent for agent, _, _ in shares})))
    by_day_or_longer = not any(name in str(e) for e in (*fields, *group.values())
                               for name in ("interval_start", "local_minute"))
    base = qs.annotate(**group).values(*group, *fields, "agent_id", "queue_id", *AGENT_TIME)
    if by_day_or_longer:
        # Summed per agent and day first (whole seconds: exact in any order), so no order: the
        # model's default made the database sort a year of rows only to sum them. Interval
        # rows keep it — their shared seconds are summed as floats, in the order they always
        # were, so the figures stay the same to the last bit.
        base = base.order_by()
    try:
        base_sql, base_params = base.query.sql_with_params()
    except EmptyResultSet:
        return []
    connection = connections[qs.db]
    quote = connection.ops.quote_name
    keys = [f"b.{quote(k)}" for k in (*group, *fields, *(["agent_id"] if by_agent else []))]
    if by_day_or_longer:
        # Days and longer: the rows summed per agent first (a few per agent and day), then
        # shared — fewer rows to join than the rollup's interval rows.
        inner = [quote(k) for k in (*group, *fields, "agent_id", "queue_id")]
        base_sql = (f"SELECT {', '.join(inner)}, "
                    + ", ".join(f"SUM({quote(f)}) AS {quote(f)}" for f in AGENT_TIME)
                    + f" FROM ({base_sql}) r GROUP BY {', '.join(inner)}")
    params = []
    if shares:
        values = ", ".join(["(CAST(%s AS BIGINT), CAST(%s AS BIGINT), "
                            "CAST(%s AS DOUBLE PRECISION))"] * len(shares))
        with_shares = f"WITH s (agent_id, queue_id, share) AS (VALUES {values}) "
        params += [x for row in shares for x in row]
        queue = "COALESCE(b.queue_id, s.queue_id)"
        share = "COALESCE(s.share, 1.0)"
        join = "LEFT JOIN s ON b.queue_id IS NULL AND s.agent_id = b.agent_id"
    else:
        with_shares, queue, share, join = "", "b.queue_id", "1.0", ""
    where = ""
    if allowed is not None:
        ids = sorted(allowed)
        where = (f"WHERE b.queue_id IN ({', '.join(['%s'] * len(ids))})"
                 + (" OR s.queue_id IS NOT NULL" if shares else ""))
    sums = ", ".join(f"SUM(b.{quote(f)} * {share})" for f in AGENT_TIME)
    having = " OR ".join(f"SUM(b.{quote(f)}) > 0" for f in AGENT_TIME)
    sql = (f"{with_shares}SELECT {', '.join([*keys, queue])}, {sums} "
           f"FROM ({base_sql}) b {join} {where} "
           f"GROUP BY {', '.join([*keys, queue])} HAVING {having}")
    params = [*params, *base_params, *(sorted(allowed) if allowed is not None else [])]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _with_agent_time(out: pd.DataFrame, scope, centre, start, end, by, group=None,
                     how=None, granularity=None, tz=None) -> pd.DataFrame:
    """``out`` (rows of summed components: ``period_start`` when ``group`` is given, and the
    ``by`` keys) with the agent-state feeds' seconds added to ``staffed_s``/``available_s``/
    ``busy_s`` (interval-report feeds carry theirs on the interval rollup already). Rows cut by a
    dimension agent time has not keep the interval rollup's only."""
    if any(d not in AGENT_TIME_DIMENSIONS for d in by):
        return out
    agent = agent_time_frame(scope, centre, start, end, group)
    if agent.empty or out.empty:
        return out
    keys = []
    if group:
        agent = agent.assign(period_start=_period_start(agent, how, granularity, tz))
        if how == "utc" and granularity == "30min":
            agent["period_start"] = agent["period_start"].dt.floor(
                "30min", ambiguous="NaT", nonexistent="shift_forward")
        keys.append("period_start")
    names = {}
    for d in by:
        column = f"{d}_id" if d == "queue" else d
        names[AGENT_TIME_DIMENSIONS[d]] = column
        keys.append(column)
    agent = agent.rename(columns=names)
    if keys:
        agent = agent.groupby(keys, dropna=False)[list(AGENT_TIME)].sum().reset_index()
    if "period_start" in keys:
        agent["period_start"] = agent["period_start"].astype(out["period_start"].dtype)
    if "queue_id" in keys:
        agent["queue_id"] = agent["queue_id"].astype(object)
        out = out.assign(queue_id=out["queue_id"].astype(object))
    out = out.assign(**{f: pd.to_numeric(out[f]) if f in out.columns else 0.0
                        for f in AGENT_TIME})
    if keys:
        merged = out.merge(agent.rename(columns={f: f"{f}_agent" for f in AGENT_TIME}),
                           on=keys, how="left")
    else:
        merged = out.assign(**{f"{f}_agent": float(agent[f].sum()) for f in AGENT_TIME})
    for f in AGENT_TIME:
        merged[f] = merged[f] + merged.pop(f"{f}_agent").fillna(0)
    return merged


def kpi_frame(scope, centre, start: dt.date, end: dt.date, granularity: str = "day",
              by: list[str] | tuple = (), source=None, tz: str | None = None,
              params: KpiParams | None = None, all_variants: bool = False, *,
              sl_threshold_s: int | None = None, sl_variant: str | None = None
              ) -> pd.DataFrame:
    """KPIs per period and segment, one row each, in period then segment order.

    ``by``: any of :data:`DIMENSIONS` (queue, step, channel, pathway, contact_type,
    customer_segment, site) or :data:`AGENT_DIMENSIONS` (agent, team: handling KPIs from the
    per-agent rollup). What the figures mean comes from :func:`reports.semantics.resolve`: the
    catalogue version in force each day and each queue's configured service-level threshold
    (a row covering queues with different thresholds counts answered within each contact's own
    queue threshold). ``sl_threshold_s``/``sl_variant`` are explicit overrides (the
    ``--sl-threshold``/``--sl-variant`` options), ``params`` overrides every parameter.
    ``tz`` (IANA name) cuts periods in that zone instead of the centre's.

    Columns: ``period_start`` (aware, local), the segment keys (labels; ids in ``<dim>_id``), the
    KPI columns of :func:`reports.analysis.kpis.kpis_from_sums`, ``sl_threshold_s`` (NA where the
    row mixes thresholds), ``sl_basis`` (in words), ``only_queue_id``/``only_channel`` (set where
    the row covers one queue or channel). ``attrs["definition"]`` names the versions used,
    ``attrs["resolution"]`` is the :class:`reports.semantics.Resolution`.
    """
    by = list(by)
    unknown = [d for d in by if d not in ALL_DIMENSIONS]
    if unknown:
        raise ValueError(f"Unknown dimension “{unknown[0]}”; use any of "
                         f"{', '.join(ALL_DIMENSIONS)}.")
    centre_tz = centre.tz
    other_tz = zoneinfo.ZoneInfo(tz) if tz and tz != centre.time_zone else None
    if any(d in AGENT_DIMENSIONS for d in by):
        return agent_kpi_frame(scope, centre, start, end, granularity, by, source, other_tz)
    resolution = resolve(centre, start, end, sl_threshold_s=sl_threshold_s,
                         sl_variant=sl_variant, params=params)
    _check_resolution(resolution)
    group, how = _period_expressions(granularity, other_tz)
    dims = {f"d_{d}": F(DIMENSIONS[d]) for d in by}
    qs = _base(scope, centre, start, end, other_tz, source,
               daily=use_daily(granularity, other_tz))
    # Sums are named sum_<field>: an annotation named like a field would shadow the field in
    # the conditions of the threshold expressions.
    rows = (qs.annotate(**group, **dims).values(*group, *dims)
            .annotate(**{f"sum_{f}": Sum(f) for f in KPI_FIELDS}, **_threshold_sums(resolution),
                      wait_max_s=Max("wait_max_s"))
            .order_by(*group, *dims))
    df = (_records_frame(rows) if how != "local" else pd.DataFrame.from_records(list(rows))
          ).rename(columns=lambda c: c.removeprefix("sum_"))
    summed = [*KPI_FIELDS, "answered_within_threshold", "abandoned_within_threshold",
              "short_abandoned"]
    columns = [*group, *dims, *summed, "wait_max_s", *MEANING_COLUMNS]
    if df.empty:
        df = pd.DataFrame(columns=columns)
    shown_tz = other_tz or centre_tz
    out = pd.DataFrame({"period_start": _period_start(df, how, granularity, shown_tz)})
    if how == "utc" and granularity == "30min" and not df.empty:
        # 30-minute periods from 15-minute rows: sum the two halves after flooring.
        df = df.assign(p_utc=out["period_start"]).groupby(
            ["p_utc", *dims], as_index=False, dropna=False).agg(
            {**dict.fromkeys(summed, "sum"), "wait_max_s": "max",
             **{c: ("min" if c.endswith("_min") else "max") for c in MEANING_COLUMNS}})
        out = pd.DataFrame({"period_start": df["p_utc"]})
    for d in by:
        values = df[f"d_{d}"]
        labels = _labels(d, values)
        if labels:
            out[f"{d}_id"] = values.to_numpy()
            out[d] = [labels.get(v, "—" if v is None else str(v)) for v in values]
        else:
            out[d] = _dimension_values(d, values)
    for c in (*summed, "wait_max_s"):
        out[c] = pd.to_numeric(df[c]).to_numpy() if not df.empty else np.array([], dtype=float)
    if source is None and other_tz is None:
        out = _with_agent_time(out, scope, centre, start, end, by, group, how, granularity,
                               shown_tz)
    result = kpis_from_sums(out, resolution.periods[-1].params, all_variants=all_variants)
    result = _add_meaning(result, df.reset_index(drop=True), resolution)
    result.attrs["definition"] = resolution.label
    result.attrs["params"] = [p.params for p in resolution.periods]
    result.attrs["resolution"] = resolution
    return result


def _records_frame(values_qs) -> pd.DataFrame:
    """The rows of a ``.values()`` queryset of annotations as a DataFrame, fetched by the cursor
    in one go. Django's per-row converters cost about 30 µs a row of sums — most of a week of
    15-minute rows by queue — and every column here is a number, a date, a text or a UTC
    instant that pandas reads as the database gives it (not a truncated local time: those keep
    the ORM's conversion)."""
    try:
        sql, params = values_qs.query.sql_with_params()
    except EmptyResultSet:  # a scope that admits nothing: no query to make
        return pd.DataFrame()
    with connections[values_qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        frame = pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
    return _decimals_as_numbers(frame)


def _decimals_as_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """PostgreSQL sums integers of 8 bytes as ``numeric``, which the cursor gives as Decimal
    (the ORM's converters would have made them ints): such columns become integers where every
    value is whole and present, floats otherwise — the numbers SQLite's cursor gives."""
    # Only the columns of objects, each judged by its first present value (reading every
    # column as a Series and dropping its gaps cost more than the read on a wide frame).
    for c in frame.columns[(frame.dtypes == np.dtype(object)).to_numpy()]:
        first = next((v for v in frame[c].to_numpy() if not pd.isna(v)), None)
        if not isinstance(first, Decimal):
            continue
        present = frame[c].dropna()
        numbers = pd.to_numeric(frame[c].astype(float))
        whole = len(present) == len(frame) and bool((numbers % 1 == 0).all())
        frame[c] = numbers.astype("int64") if whole else numbers
    return frame


def _check_resolution(resolution: Resolution):
    for p in resolution.periods:
        _check_bucket(p.params.sl_threshold_s, "Service-level threshold")
        _check_bucket(p.params.short_abandon_s, "Short-abandon threshold")


def agent_kpi_frame(scope, centre, start, end, granularity="day", by=("agent",), source=None,
                    tz: zoneinfo.ZoneInfo | None = None) -> pd.DataFrame:
    """Handling KPIs per period and agent/team from the per-agent rollup: ``handled``,
    ``aht_s``, ``avg_talk_s``/``avg_hold_s``/``avg_acw_s``, ``transfer_rate``,
    ``escalation_rate``, ``occupancy``. Queue KPIs (service level, …) are empty at this level."""
    by = [d for d in by if d in AGENT_DIMENSIONS]
    group, how = _period_expressions(granularity, tz)
    dims = {f"d_{d}": F(AGENT_DIMENSIONS[d]) for d in by}
    qs = AgentIntervalStat.objects.restrict(scope).filter(centre=centre)
    if tz is None:
        qs = qs.filter(local_date__gte=start, local_date__lt=end)
    else:
        qs = qs.filter(interval_start__gte=dt.datetime.combine(start, dt.time(), tz),
                       interval_start__lt=dt.datetime.combine(end, dt.time(), tz))
    if source is not None:
        qs = qs.filter(source=source)
    fields = ("handled", "transfers", "escalations", "talk_s", "hold_s", "acw_s", "available_s",
              "busy_s", "staffed_s")
    rows = (qs.annotate(**group, **dims).values(*group, *dims)
            .annotate(**{f: Sum(f) for f in fields}).order_by(*group, *dims))
    # Read by the cursor (not a truncated local time: those keep the ORM's conversion), as the
    # attributed agent time it is merged with is.
    df = _records_frame(rows) if how != "local" else pd.DataFrame.from_records(list(rows))
    if df.empty:
        df = pd.DataFrame(columns=[*group, *dims, *fields])
    if tz is None and source is None:
        df = _agent_rows_attributed(df, scope, centre, start, end, group, by)
    out = pd.DataFrame({"period_start": _period_start(df, how, granularity, tz or centre.tz)})
    for d in by:
        labels = _labels(d, df[f"d_{d}"])
        if labels:
            out[f"{d}_id"] = df[f"d_{d}"].to_numpy()
            out[d] = [labels.get(v, str(v)) for v in df[f"d_{d}"]]
        else:
            out[d] = df[f"d_{d}"].fillna("").to_numpy()
    for c in fields:
        out[c] = pd.to_numeric(df[c]).to_numpy() if not df.empty else np.array([], dtype=float)
    for c in ("answered_within_threshold", "abandoned_within_threshold", "short_abandoned"):
        out[c] = 0
    result = kpis_from_sums(out)
    # Queue figures are empty at agent level: no threshold, no single queue or channel.
    result["sl_threshold_s"] = pd.array([None] * len(result), dtype="Int64")
    result["sl_basis"] = ""
    result["only_queue_id"] = pd.array([None] * len(result), dtype="Int64")
    result["only_channel"] = ""
    result["time_basis"] = ""
    result.attrs["definition"] = "Handling KPIs from agent legs (AHT = (talk + hold + ACW) / " \
                                 "handled; occupancy = busy / (busy + available))"
    result.attrs["params"] = [p.params for p in definition_periods(centre, start, end)]
    return result


def _agent_rows_attributed(df, scope, centre, start, end, group, by):
    """Rows of :func:`agent_kpi_frame` (period ``group`` columns, ``d_agent``/``d_team``) with
    their agent-state seconds replaced by the time attributed to the scope's queues
    (:func:`agent_time_frame`), so a scope of some queues keeps its share of queue-less time."""
    agent = agent_time_frame(scope, centre, start, end, group, by_agent=True)
    keys = list(group)
    if "team" in by:
        teams = dict(Agent.objects.filter(pk__in=set(agent["agent_id"]))
                     .values_list("pk", "team"))
        agent["d_team"] = [teams.get(a, "") for a in agent["agent_id"]]
        keys.append("d_team")
    if "agent" in by:
        agent["d_agent"] = agent["agent_id"]
        keys.append("d_agent")
    if keys:
        agent = agent.groupby(keys, dropna=False)[list(AGENT_TIME)].sum().reset_index()
    else:
        agent = pd.DataFrame([agent[list(AGENT_TIME)].sum()])
    df = df.drop(columns=[f for f in AGENT_TIME if f in df.columns])
    if not keys:
        return df.assign(**{f: float(agent[f].iloc[0]) for f in AGENT_TIME}) if len(df) \
            else df.assign(**{f: [] for f in AGENT_TIME})
    for k in keys:
        df[k] = df[k].astype(object)
        agent[k] = agent[k].astype(object)
    merged = df.merge(agent, on=keys, how="outer")
    for f in ("handled", "transfers", "escalations", "talk_s", "hold_s", "acw_s", *AGENT_TIME):
        merged[f] = pd.to_numeric(merged[f]).fillna(0)
    return merged.sort_values(keys, kind="stable").reset_index(drop=True)


def bucket_totals(scope, centre, start, end, by: list[str] | tuple = (), source=None
                  ) -> pd.DataFrame:
    """Totals of offered/answered/abandoned and every wait bucket per segment, for wait
    percentiles and the service-level curve."""
    dims = {f"d_{d}": F(DIMENSIONS[d]) for d in by}
    buckets = [f"{k}_le_{b}s" for b in WAIT_BUCKETS_S for k in ("answered", "abandoned")]
    qs = _base(scope, centre, start, end, None, source, daily=True)
    sums = {"offered_sum": Sum("offered"), "answered_sum": Sum("answered"),
            "abandoned_sum": Sum("abandoned"), **{f"{b}_sum": Sum(b) for b in buckets}}
    if dims:
        rows = list(qs.annotate(**dims).values(*dims).annotate(**sums).order_by(*dims))
    else:
        total = qs.aggregate(**sums)
        rows = [total] if total["offered_sum"] is not None else []
    df = pd.DataFrame.from_records(rows)
    if df.empty:
        return df
    df.columns = [c.removesuffix("_sum") for c in df.columns]
    for d in by:
        labels = _labels(d, df[f"d_{d}"])
        df[d] = [labels.get(v, v) for v in df[f"d_{d}"]] if labels else df[f"d_{d}"]
    return df.drop(columns=list(dims)).fillna(0)


def interval_frame(scope, centre, start, end, fields=("offered", "handled", "talk_s", "hold_s",
                                                      "acw_s", "staffed_s", "busy_s",
                                                      "available_s", "abandoned", "answered",
                                                      "wait_answered_s", "wait_abandoned_s"),
                   queue_ids=None, source=None) -> pd.DataFrame:
    """One row per local interval summed over the scope's segments: ``period_start`` (naive
    local), ``local_date``, ``local_minute``, ``weekday``, ``interval_s`` and the ``fields``, plus
    ``handle_s`` = talk + hold + ACW. For patterns, forecasts, control charts and staffing."""
    qs = _base(scope, centre, start, end, None, source)
    if queue_ids:
        qs = qs.filter(queue_id__in=list(queue_ids))
    df = _records_frame(qs.values("interval_start", "local_date", "local_minute", "weekday")
                        .annotate(interval_s=Max("interval_s"), **{f: Sum(f) for f in fields})
                        .order_by("interval_start"))
    if df.empty:
        return pd.DataFrame(columns=["period_start", "local_date", "local_minute", "weekday",
                                     "interval_s", *fields, "handle_s"])
    # The cursor's values (text on SQLite) as the ORM gives them: UTC instants, local dates.
    df["interval_start"] = pd.to_datetime(df["interval_start"], utc=True, format="ISO8601")
    df["local_date"] = pd.to_datetime(df["local_date"].astype(str).str[:10]).dt.date
    for f in fields:
        df[f] = pd.to_numeric(df[f])
    df["period_start"] = pd.to_datetime(df["local_date"]) + pd.to_timedelta(
        df["local_minute"], unit="min")
    if source is None and set(AGENT_TIME) & set(fields):
        df = _interval_agent_time(df, scope, centre, start, end, queue_ids)
    if {"talk_s", "hold_s", "acw_s"} <= set(fields):
        df["handle_s"] = df["talk_s"] + df["hold_s"] + df["acw_s"]
    return df


def _interval_agent_time(df, scope, centre, start, end, queue_ids):
    """``df`` (one row per interval) with the agent-state feeds' seconds attributed to the
    scope's queues (``queue_ids`` only, if given) added to its agent-time columns."""
    agent = agent_time_frame(scope, centre, start, end, fields=("interval_start",),
                             queue_ids=list(queue_ids) if queue_ids else None)
    if agent.empty:
        return df
    agent = agent.groupby("interval_start")[list(AGENT_TIME)].sum()
    agent.index = pd.to_datetime(agent.index, utc=True)
    at = pd.to_datetime(df["interval_start"], utc=True)
    for f in AGENT_TIME:
        if f in df.columns:
            df[f] = df[f].astype(float) + at.map(agent[f]).fillna(0).to_numpy()
    return df


def closed_days(centre, start: dt.date, end: dt.date) -> dict:
    """Days in [start, end) the centre was closed, date → name: its closed days (bank holidays,
    closures: named) and the weekdays its opening hours leave closed (no name). A closed day
    without rows is closed, not a gap in the data."""
    from measurements.models import ClosedDay

    hours = (centre.opening_hours or {}) if centre is not None else {}
    closed = {}
    if hours:
        day = start
        while day < end:
            if not hours.get(str(day.weekday())):
                closed[day] = ""
            day += dt.timedelta(days=1)
    for day, name in ClosedDay.objects.filter(centre=centre, date__gte=start, date__lt=end
                                              ).values_list("date", "name"):
        closed[day] = name or "closed day"
    return closed


def queues_with_contacts(scope, centre, start: dt.date, end: dt.date) -> set[int]:
    """Ids of the queues in ``scope`` that were offered contacts in local days [start, end)."""
    qs = _base(scope, centre, start, end, None, None, daily=True)
    return set(qs.filter(offered__gt=0, queue__isnull=False).order_by()
               .values_list("queue_id", flat=True).distinct())


def flow_frame(scope, centre, start, end, source=None) -> pd.DataFrame:
    """Summed flow components per routing point (step name, else queue name) for a Sankey."""
    fields = ("ivr_contained", "ivr_to_queue", "ivr_abandoned", "answered", "abandoned",
              "flowed_out", "transfers", "escalations", "offered", "ivr_sessions")
    qs = _base(scope, centre, start, end, None, source, daily=True)
    rows = list(qs.values("step__name", "queue__name", "queue__code")
                .annotate(**{f"{f}_sum": Sum(f) for f in fields}))
    df = pd.DataFrame.from_records(rows)
    if df.empty:
        return pd.DataFrame(columns=["step", *fields])
    df.columns = [c.removesuffix("_sum") for c in df.columns]
    df["step"] = (df["step__name"].fillna("").replace("", np.nan)
                  .fillna(df["queue__name"].replace("", np.nan)).fillna(df["queue__code"])
                  .fillna("Unassigned"))
    return df.groupby("step", as_index=False)[list(fields)].sum()


def queue_facts_frame(scope, centre, start, end, limit: int = 500_000) -> pd.DataFrame:
    """Queue legs of contacts arriving in [start, end) local: ``wait_s``, ``abandoned`` (bool),
    ``answered`` (bool) and ``service_s`` (talk + hold of the agent leg that followed, or NaN).

    Reads contact facts (not rollups) because distributions need individual waits; capped at
    ``limit`` legs (the most recent are dropped beyond it, and ``attrs["truncated"]`` says so).
    """
    tz = centre.tz
    lo = dt.datetime.combine(start, dt.time(), tz)
    hi = dt.datetime.combine(end, dt.time(), tz)
    contacts = Contact.objects.restrict(scope).filter(centre=centre, arrived_at__gte=lo,
                                                      arrived_at__lt=hi)
    legs = Segment.objects.restrict(scope).filter(contact__in=contacts)
    queue_rows = list(legs.filter(kind="queue").values_list("contact_id", "wait_s", "outcome")
                      .order_by("entered_at")[: limit + 1])
    truncated = len(queue_rows) > limit
    q = pd.DataFrame(queue_rows[:limit], columns=["contact_id", "wait_s", "outcome"])
    agent_rows = list(legs.filter(kind="agent").values_list("contact_id", "talk_s", "hold_s"))
    a = pd.DataFrame(agent_rows, columns=["contact_id", "talk_s", "hold_s"])
    a = a.groupby("contact_id", as_index=False).first()
    a["service_s"] = a["talk_s"] + a["hold_s"]
    q = q.merge(a[["contact_id", "service_s"]], on="contact_id", how="left")
    q["abandoned"] = q["outcome"].eq("abandoned")
    q["answered"] = q["outcome"].eq("answered")
    q.attrs["truncated"] = truncated
    return q[["wait_s", "abandoned", "answered", "service_s"]]


def period_kpi_frame(scope, centre, start: dt.date, end: dt.date, by: list[str] | tuple = (),
                     params: KpiParams | None = None, *, sl_threshold_s: int | None = None,
                     sl_variant: str | None = None, agent_time: bool = True) -> pd.DataFrame:
    """KPIs over the whole of local days [start, end) per segment (one row per ``by`` value, or
    one row): the components summed in SQL over the period, then
    :func:`reports.analysis.kpis.kpis_from_sums` — the figures a KPI tile shows for the same
    period and scope. Meaning and overrides as in :func:`kpi_frame` (the same extra columns and
    ``attrs``). Interval dimensions only. ``agent_time=False`` leaves out the agent-state
    feeds' seconds (occupancy then has the rollup's own only): for callers that use no
    occupancy, which spares reading the per-agent rollup."""
    by = list(by)
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown:
        raise ValueError(f"Unknown dimension “{unknown[0]}”; use any of {', '.join(DIMENSIONS)}.")
    resolution = resolve(centre, start, end, sl_threshold_s=sl_threshold_s,
                         sl_variant=sl_variant, params=params)
    _check_resolution(resolution)
    dims = {f"d_{d}": F(DIMENSIONS[d]) for d in by}
    sums = {**{f"sum_{f}": Sum(f) for f in KPI_FIELDS}, **_threshold_sums(resolution),
            "wait_max_s": Max("wait_max_s")}
    qs = _base(scope, centre, start, end, None, None, daily=True)
    if dims:
        rows = list(qs.annotate(**dims).values(*dims).annotate(**sums).order_by(*dims))
    else:
        total = qs.aggregate(**sums)
        rows = [total] if total["sum_offered"] is not None else []
    df = pd.DataFrame.from_records(rows, columns=[*dims, *sums]).rename(
        columns=lambda c: c.removeprefix("sum_"))
    sums = [c.removeprefix("sum_") for c in sums]
    out = pd.DataFrame(index=df.index)
    for d in by:
        labels = _labels(d, df[f"d_{d}"])
        if labels:
            out[f"{d}_id"] = df[f"d_{d}"].to_numpy()
            out[d] = [labels.get(v, "—" if v is None else str(v)) for v in df[f"d_{d}"]]
        else:
            out[d] = _dimension_values(d, df[f"d_{d}"])
    for c in sums:
        if c not in MEANING_COLUMNS:
            out[c] = pd.to_numeric(df[c]).fillna(0).to_numpy() if len(df) else np.array([],
                                                                                       float)
    if agent_time:
        out = _with_agent_time(out, scope, centre, start, end, by)
    result = kpis_from_sums(out, resolution.periods[-1].params)
    result = _add_meaning(result, df, resolution)
    result.attrs["definition"] = resolution.label
    result.attrs["params"] = [p.params for p in resolution.periods]
    result.attrs["resolution"] = resolution
    return result


# --- component sums for dashboards ------------------------------------------------------------
AGENT_ADDITIVE = ("handled", "transfers", "escalations", "talk_s", "hold_s", "acw_s",
                  "staffed_s", "available_s", "busy_s")
# Breakdown key → rollup lookup it groups by (interval dimensions, then agent ones).
BREAKDOWN_LOOKUPS = {"queue": "queue_id", "channel": "channel", "contact_type": "contact_type",
                     "customer_segment": "customer_segment", "site": "queue__site"}
AGENT_BREAKDOWN_LOOKUPS = {"agent": "agent_id", "team": "agent__team"}
_FREQ = {"15min": "15min", "30min": "30min", "hour": "h", "day": "D", "week": "W-MON",
         "month": "MS", "quarter": "QS", "year": "YS"}


def _same_time_key(agent: pd.DataFrame, frame: pd.DataFrame, when: str):
    """Both frames' ``when`` column (``interval_start`` or ``local_date``) of one type, so
    agent time merges onto the queue rows it belongs to."""
    if when == "interval_start":
        return (agent.assign(**{when: pd.to_datetime(agent[when], utc=True)}),
                frame.assign(**{when: pd.to_datetime(frame[when], utc=True)}))
    return (agent.assign(**{when: pd.to_datetime(agent[when]).dt.date}),
            frame.assign(**{when: pd.to_datetime(frame[when]).dt.date}))


def component_sums(scope, start: dt.date, end: dt.date, granularity: str, breakdown: str = "",
                   queue_id: int | None = None, tz: str = "UTC",
                   resolution: Resolution | None = None, agent_time: bool = True
                   ) -> pd.DataFrame:
    """Summed rollup components for local days [start, end) within ``scope``: one row per time
    bucket (``period_start``: naive local time, start of the bucket) and breakdown value
    (``key``, with ``key_label``), every additive component plus ``wait_max_s``.

    Sub-daily buckets come from ``interval_start`` (UTC) shown in ``tz`` (the centre's zone), so
    a DST day has 23 or 25 hours of buckets; daily and longer ones from ``local_date`` of the
    daily rollup. ``queue_id`` narrows to one queue (already checked to be inside ``scope``);
    ``breakdown`` may be an agent dimension (agent, team), read from the per-agent rollup with
    queue quantities zero. With ``resolution`` (:func:`reports.semantics.resolve`) the rows also
    carry ``answered_within_threshold``, ``abandoned_within_threshold`` and ``short_abandoned``
    summed with each row's own threshold and definition version, which the KPI functions use.
    ``agent_time=False`` leaves out the agent-state feeds' seconds (the rollup's own remain):
    for callers whose figures use no agent time (occupancy, agents staffed), which spares
    reading the per-agent rollup. Returns an empty frame with the component columns when there
    is no data.
    """
    if breakdown in AGENT_BREAKDOWN_LOOKUPS:
        return _agent_component_sums(scope, start, end, granularity, breakdown, queue_id, tz)
    model = DailyStat if use_daily(granularity) else IntervalStat
    qs = _every_centre(model.objects.restrict(scope).filter(local_date__gte=start,
                                                           local_date__lt=end))
    if queue_id is not None:
        qs = qs.filter(queue_id=queue_id)
    group = ["local_date"] if granularity in DAILY_GRANULARITIES else ["interval_start"]
    if breakdown:
        qs = qs.annotate(key=F(BREAKDOWN_LOOKUPS[breakdown]))
        group = [*group, "key"]
    own = {}
    if resolution is not None:
        _check_resolution(resolution)
        own = {k: v for k, v in _threshold_sums(resolution).items()
               if k in ("answered_within_threshold", "abandoned_within_threshold",
                        "short_abandoned")}
    # sum_<field>: an annotation named like a field would shadow it in the threshold conditions.
    columns = [*group, *(f"sum_{f}" for f in ADDITIVE_FIELDS), *own, "wait_max_s"]
    frame = _records_frame(qs.order_by().values(*group).annotate(
        **{f"sum_{f}": Sum(f) for f in ADDITIVE_FIELDS}, **own, wait_max_s=Max("wait_max_s")))
    frame = frame[columns] if not frame.empty else pd.DataFrame(columns=columns)
    frame = frame.rename(columns=lambda c: c.removeprefix("sum_"))
    if agent_time and breakdown in ("", *AGENT_TIME_DIMENSIONS) and not frame.empty:
        frame = _component_agent_time(frame, scope, start, end, group[0], breakdown, queue_id)
    return _finish_sums(frame, granularity, breakdown, tz)


def _component_agent_time(frame, scope, start, end, when, breakdown, queue_id):
    """``frame`` (component sums per ``when`` and breakdown ``key``) with the agent-state
    feeds' seconds added to its agent-time columns (see :func:`agent_time_frame`)."""
    agent = agent_time_frame(scope, None, start, end, fields=(when,))
    if queue_id is not None:
        agent = agent[agent["queue_id"] == queue_id]
    if agent.empty:
        return frame
    keys = [when]
    if breakdown:
        agent = agent.assign(key=agent[AGENT_TIME_DIMENSIONS[breakdown]])
        keys.append("key")
    agent = agent.groupby(keys, dropna=False)[list(AGENT_TIME)].sum().reset_index()
    agent, frame = _same_time_key(agent, frame, when)
    if breakdown:
        agent["key"] = agent["key"].astype(object)
        frame = frame.assign(key=frame["key"].astype(object))
    merged = frame.merge(agent.rename(columns={f: f"{f}_agent" for f in AGENT_TIME}),
                         on=keys, how="left")
    for f in AGENT_TIME:
        merged[f] = pd.to_numeric(merged[f]) + merged.pop(f"{f}_agent").fillna(0)
    return merged


def scope_meaning(scope, centre, start: dt.date, end: dt.date, resolution: Resolution,
                  queue_id: int | None = None, overrides: dict | None = None) -> dict:
    """What one figure over the whole of ``scope`` (optionally one queue) in [start, end)
    means: ``sl_threshold_s`` (None where its queues have different thresholds), ``sl_basis``
    (in words), ``targets`` (metric → :class:`reports.semantics.ResolvedTarget` in force for
    the slice the contacts fall in: one queue, one channel, or the whole centre), with
    ``overrides`` (metric → value chosen on the widget) replacing the plan's, and
    ``mixed_units`` (True where its contacts include channels measured in seconds and in
    hours: its time averages are no figure)."""
    qs = DailyStat.objects.restrict(scope).filter(centre=centre, local_date__gte=start,
                                                  local_date__lt=end, offered__gt=0)
    if queue_id is not None:
        qs = qs.filter(queue_id=queue_id)
    present = set(qs.order_by().values_list("queue_id", "channel").distinct())
    thresholds = resolution.thresholds
    found = {thresholds.for_row(q, c, p.params.sl_threshold_s)
             for q, c in present for p in resolution.periods}
    threshold = found.pop() if len(found) == 1 else None
    queues = {q for q, _ in present}
    channels = {c for _, c in present}
    slow = set(thresholds.slow_channels)
    mixed = bool(channels & slow) and bool(channels - slow)
    book = target_book(centre, start, end, scope)
    targets = book.for_slice(queue_id=next(iter(queues)) if len(queues) == 1 else None,
                             channel=next(iter(channels)) if len(channels) == 1 else "")
    return {"sl_threshold_s": threshold,
            "sl_basis": threshold_basis(threshold, thresholds) if present else "",
            "targets": apply_overrides(targets, overrides),
            "slice_targets": _slice_targets(book, present) if len(queues) > 1 else {},
            "mixed_units": mixed}


def _slice_targets(book, present) -> dict[str, list]:
    """metric → the distinct targets its queues are held to, each with where it applies (a
    queue, its channel), for a figure over several queues that has no target of its own (a team
    leader's queues with targets of 80 % and 85 %): said beside the figure, never blended into
    one."""
    found: dict[str, dict] = {}
    for queue_id, channel in sorted(present, key=lambda p: (p[0] is None, p[0] or 0)):
        for metric, target in book.for_slice(queue_id=queue_id, channel=channel).items():
            found.setdefault(metric, {}).setdefault((target.applies_to, target.value), target)
    return {metric: list(seen.values()) for metric, seen in found.items()}


def _agent_component_sums(scope, start, end, granularity, breakdown, queue_id, tz):
    qs = _every_centre(AgentIntervalStat.objects.restrict(scope).filter(local_date__gte=start,
                                                                        local_date__lt=end))
    if queue_id is not None:
        qs = qs.filter(queue_id=queue_id)
    group = ["local_date"] if granularity in DAILY_GRANULARITIES else ["interval_start"]
    group = [*group, "key"]
    qs = qs.annotate(key=F(AGENT_BREAKDOWN_LOOKUPS[breakdown]))
    # Through the cursor (no per-row converters): the times are made one type with the agent
    # time's by _same_time_key, and _finish_sums reads dates and instants as text too.
    frame = _records_frame(qs.order_by().values(*group).annotate(
        **{f: Sum(f) for f in AGENT_ADDITIVE}))
    frame = frame[[*group, *AGENT_ADDITIVE]] if not frame.empty else pd.DataFrame(
        columns=[*group, *AGENT_ADDITIVE])
    frame = _attributed_agent_state_time(frame, scope, start, end, group[0], breakdown,
                                         queue_id)
    # Agent rows carry handling and state time only; queue quantities are zero on them.
    for name in ADDITIVE_FIELDS:
        if name not in frame.columns:
            frame[name] = 0
    return _finish_sums(frame, granularity, breakdown, tz)


def _attributed_agent_state_time(frame, scope, start, end, when, breakdown, queue_id):
    """Per-agent rows (``when``, ``key`` = agent id or team) with their staffed/available/busy
    seconds replaced by the agent time attributed to the scope's queues
    (:func:`agent_time_frame`): a scope of some queues keeps its share of the time the
    agent-state feeds give without a queue, instead of dropping it (which left busy time from
    the agent legs alone, and occupancy 100 %)."""
    agent = agent_time_frame(scope, None, start, end, fields=(when,), by_agent=True)
    if queue_id is not None:
        agent = agent[agent["queue_id"] == queue_id]
    if breakdown == "team":
        teams = dict(Agent.objects.filter(pk__in=set(agent["agent_id"]))
                     .values_list("pk", "team"))
        agent = agent.assign(key=[teams.get(a, "") for a in agent["agent_id"]])
    else:
        agent = agent.assign(key=agent["agent_id"])
    agent = agent.groupby([when, "key"])[list(AGENT_TIME)].sum().reset_index()
    agent, frame = _same_time_key(agent, frame, when)
    frame = frame.drop(columns=list(AGENT_TIME)).astype({"key": object})
    agent = agent.astype({"key": object})
    # Outer: an agent staffed but handling nothing in a bucket still has its time counted.
    merged = frame.merge(agent, on=[when, "key"], how="outer")
    for f in (*AGENT_ADDITIVE, *AGENT_TIME):
        merged[f] = pd.to_numeric(merged[f]).fillna(0)
    return merged


def _finish_sums(frame, granularity, breakdown, tz):
    if "interval_start" in frame.columns:
        utc = pd.to_datetime(frame["interval_start"], utc=True, format="ISO8601")
        # Floor in UTC (whole-hour offsets), then show local wall time.
        floored = utc.dt.floor(_FREQ[granularity]) if granularity != "15min" else utc
        frame["period_start"] = floored.dt.tz_convert(tz).dt.tz_localize(None)
        frame = frame.drop(columns=["interval_start"])
    else:
        day = pd.to_datetime(frame["local_date"])
        if granularity == "week":
            day = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
        elif granularity in ("month", "quarter", "year"):
            day = day.dt.to_period({"month": "M", "quarter": "Q", "year": "Y"}[granularity]
                                   ).dt.start_time
        frame["period_start"] = day
        frame = frame.drop(columns=["local_date"])
    keys = ["period_start", *(["key"] if breakdown else [])]
    if breakdown:
        frame["key"] = frame["key"].fillna("")
    if len(frame):
        grouped = frame.groupby(keys, sort=True)
        summed = grouped[[c for c in frame.columns if c not in keys and c != "wait_max_s"]].sum()
        if "wait_max_s" in frame.columns:
            summed["wait_max_s"] = grouped["wait_max_s"].max()
        frame = summed.reset_index()
    if breakdown:
        frame["key_label"] = breakdown_labels(breakdown, frame["key"])
    return frame.reset_index(drop=True)


def breakdown_labels(breakdown, keys: pd.Series) -> list[str]:
    """Human labels for breakdown keys (queue/agent names; blanks shown as "(none)")."""
    if breakdown == "queue":
        names = {q.pk: str(q) for q in Queue.objects.filter(pk__in=set(keys.dropna()))}
        return [names.get(k, "(no queue)") for k in keys]
    if breakdown == "agent":
        names = {a.pk: str(a) for a in Agent.objects.filter(pk__in=set(keys.dropna()))}
        return [names.get(k, "(no agent)") for k in keys]
    return [str(k) if k not in (None, "") else "(none)" for k in keys]


def channel_kpi_frame(scope, centre, start: dt.date, end: dt.date) -> pd.DataFrame:
    """KPIs over the local days [start, end) a row per channel that had contacts, in the order
    of :class:`pathways.constants.Channel`: each channel's service level at its queues' own
    configured thresholds (``sl_threshold_s``/``sl_basis``; calls in seconds, e-mails in
    hours). Headlines are per channel: times in seconds and in hours are never averaged
    together."""
    frame = period_kpi_frame(scope, centre, start, end, ["channel"])
    if frame.empty:
        return frame
    frame = frame[frame["offered"] > 0]
    order = {c: i for i, c in enumerate(Channel.values)}
    return frame.sort_values("channel", key=lambda s: s.map(order)).reset_index(drop=True)


def local_hour_sums(scope, start: dt.date, end: dt.date, queue_id: int | None = None,
                    resolution: Resolution | None = None) -> pd.DataFrame:
    """:func:`component_sums` by the hour without the agent-state feeds' seconds
    (``agent_time=False``) for local days [start, end) in the centre's own zone, summed in the
    database by each interval's local day and hour (``local_date``, ``local_minute``): a row
    per local hour with data (``period_start`` naive local time), a quarter of the rows of
    summing by interval. A DST day keeps its 23 or 25 hours of intervals (its repeated hour is
    one row, as in :func:`component_sums`)."""
    qs = IntervalStat.objects.restrict(scope).filter(local_date__gte=start, local_date__lt=end)
    if queue_id is not None:
        qs = qs.filter(queue_id=queue_id)
    own = {}
    if resolution is not None:
        _check_resolution(resolution)
        own = {k: v for k, v in _threshold_sums(resolution).items()
               if k in ("answered_within_threshold", "abandoned_within_threshold",
                        "short_abandoned")}
    rows = list(qs.order_by().annotate(
        p_minute=Cast(F("local_minute") / 60, IntegerField()) * 60).values(
        "local_date", "p_minute").annotate(
        **{f"sum_{f}": Sum(f) for f in ADDITIVE_FIELDS}, **own, wait_max_s=Max("wait_max_s")))
    frame = pd.DataFrame(rows, columns=["local_date", "p_minute",
                                        *(f"sum_{f}" for f in ADDITIVE_FIELDS), *own,
                                        "wait_max_s"])
    frame = frame.rename(columns=lambda c: c.removeprefix("sum_"))
    starts = pd.to_datetime(frame["local_date"]) + pd.to_timedelta(
        frame["p_minute"].astype(int), unit="min")
    frame = frame.drop(columns=["local_date", "p_minute"]).assign(period_start=starts)
    return (frame.sort_values("period_start", kind="stable")
            [["period_start", *[c for c in frame.columns if c != "period_start"]]]
            .reset_index(drop=True))


# --- the forecast of a scope --------------------------------------------------------------------

#: Weeks before the first day in which a queue must have taken contacts to need a forecast of
#: its own in a sum of per-queue forecasts.
FORECAST_NEEDED_WEEKS = 13


@dataclass
class ScopeForecast:
    """The issued forecast that describes a scope's contacts (:func:`scope_forecast`).

    ``values``: one row per interval — ``period_start`` (naive local), ``offered`` and
    ``aht_s`` (NaN where not forecast) — of ``total`` (the centre-wide forecast) or, for a
    scope of queues, the interval-by-interval sum of ``parts`` (the AHT a ratio of sums:
    Σ offered × AHT ÷ Σ offered). ``parts``: queue id → that queue's newest issued forecast
    (also given beside the centre-wide one, for staffing queue by queue). ``missing``: names of
    the queues that took contacts in the 13 weeks before and have no forecast. ``empty`` says
    why there is no figure (then ``values`` is empty)."""

    values: pd.DataFrame = field(default_factory=pd.DataFrame)
    total: object | None = None
    parts: dict = field(default_factory=dict)
    #: queue id → :func:`forecast_frame` of its part (read once, for the sum and per queue).
    part_values: dict = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    empty: str = ""
    interval_s: int = 900

    @property
    def forecasts(self) -> list:
        """The issued forecasts the figure is made of."""
        return [self.total] if self.total is not None else list(self.parts.values())

    @property
    def newest(self):
        return max(self.forecasts, key=lambda f: (f.issued_at, f.pk), default=None)

    @property
    def key(self) -> list:
        """What the figure depends on, for cache keys: the ids of the forecasts used."""
        return sorted(f.pk for f in self.forecasts)

    def describe(self) -> str:
        """The forecast in words (which, issued when)."""
        if self.total is not None:
            f = self.total
            return (f"the whole centre's forecast ({f.method_label}, issued "
                    f"{f.issued_at:%d %b %Y %H:%M})")
        if not self.parts:
            return "no forecast"
        names = ", ".join(sorted(str(f.queue) for f in self.parts.values()))
        if len(self.parts) == 1:
            f = self.newest
            return f"{names}'s forecast ({f.method_label}, issued {f.issued_at:%d %b %Y %H:%M})"
        return (f"the sum of {len(self.parts)} queues' forecasts ({names}; the newest issued "
                f"{self.newest.issued_at:%d %b %Y %H:%M})")


def forecast_frame(forecast) -> pd.DataFrame:
    """One issued forecast's values: ``period_start`` (naive local), ``offered``, ``aht_s``."""
    values = pd.DataFrame(forecast.values)
    if values.empty:
        return pd.DataFrame(columns=["period_start", "offered", "aht_s"])
    if "aht_s" not in values:
        values["aht_s"] = np.nan
    return pd.DataFrame({
        "period_start": pd.to_datetime(values["period_start"], format="ISO8601"),
        "offered": pd.to_numeric(values["offered"], errors="coerce").astype(float),
        "aht_s": pd.to_numeric(values["aht_s"], errors="coerce").astype(float)})


def summed_forecast_values(frames) -> pd.DataFrame:
    """Interval-by-interval sum of several queues' forecasts (their :func:`forecast_frame`):
    offered summed; AHT a ratio of sums (Σ offered × AHT ÷ Σ offered over the queues that
    forecast one), NaN where none does."""
    frames = list(frames)
    if not frames:
        return pd.DataFrame(columns=["period_start", "offered", "aht_s"])
    both = pd.concat(frames, ignore_index=True)
    known = both["aht_s"].notna() & (both["offered"] > 0)
    both["handle"] = np.where(known, both["offered"] * both["aht_s"], 0.0)
    both["handled_offered"] = np.where(known, both["offered"], 0.0)
    out = both.groupby("period_start", sort=True)[["offered", "handle", "handled_offered"]].sum()
    out["aht_s"] = np.where(out["handled_offered"] > 0,
                            out["handle"] / out["handled_offered"].where(
                                out["handled_offered"] > 0, 1), np.nan)
    return out.reset_index()[["period_start", "offered", "aht_s"]]


def _newest_per_queue(found) -> dict:
    """Queue id → its newest forecast in ``found`` (ordered newest first)."""
    newest: dict = {}
    for forecast in found.order_by("-issued_at", "-pk").select_related("queue"):
        newest.setdefault(forecast.queue_id, forecast)
    return newest


def scope_forecast(scope, centre, first_day: dt.date, last_day: dt.date, queue=None
                   ) -> ScopeForecast:
    """The one lookup of the issued forecast that describes ``scope``'s contacts over the local
    days [first_day, last_day] (``queue``: a viewer's filter to one queue of the scope), used by
    every widget, the wallboard and the intraday pages:

    - a scope that sees everything, unfiltered: the whole centre's forecast, the newest issued
      whose horizon overlaps the days (with each queue's newest beside it in ``parts``, to staff
      queue by queue);
    - a scope of queues (by queue, channel or site), or a filter to one queue: per interval,
      the sum of the newest issued forecast of each of its queues. Queues that took contacts in
      the 13 weeks before ``first_day`` need one; if any lacks one there is no partial sum,
      and ``missing`` names them;
    - a scope limited by customer segment or pathway: no figure — per-queue forecasts do not
      describe part of a queue's contacts.
    """
    out = ScopeForecast()
    if centre is None:
        out.empty = "No centre is set up, so no forecast has been issued."
        return out
    if queue is None and (scope.segments is not None or scope.pathway_ids is not None):
        out.empty = ("Forecasts are issued per queue and for the whole centre; this scope is "
                     "limited by customer segment or pathway, which they do not describe, so "
                     "no forecast is shown rather than one of other contacts.")
        return out
    covering = Forecast.objects.restrict(scope).filter(
        centre=centre, horizon_start__lte=last_day, horizon_end__gt=first_day)
    if queue is not None:
        queues = {q.pk: q for q in Queue.objects.restrict(scope).filter(pk=queue.pk)}
    else:
        queues = {q.pk: q for q in Queue.objects.restrict(scope).filter(centre=centre)}
    parts = {qid: f for qid, f in _newest_per_queue(
        covering.filter(queue_id__in=list(queues))).items()}
    needed = queues_with_contacts(scope, centre,
                                  first_day - dt.timedelta(weeks=FORECAST_NEEDED_WEEKS),
                                  first_day) & set(queues)
    if queue is not None:
        needed = set(queues)
    out.parts = parts
    out.part_values = {qid: forecast_frame(f) for qid, f in parts.items()}
    out.missing = sorted(str(queues[qid]) for qid in needed - set(parts))
    if queue is None and scope.is_unrestricted:
        out.total = (covering.filter(queue__isnull=True, scope_label=Scope.everything().label)
                     .order_by("-issued_at", "-pk").first())
        if out.total is None:
            out.empty = ("No forecast of the whole centre has been issued for these days: issue "
                         "one on the forecasts page.")
            return out
        out.values, out.interval_s = forecast_frame(out.total), out.total.interval_s
        return out
    if not queues:
        out.empty = "This scope has no queues to forecast."
        return out
    if out.missing:
        out.empty = (f"No forecast has been issued for {', '.join(out.missing)} (queues of this "
                     "scope that took contacts in the last 13 weeks), so the scope's forecast "
                     "is not shown as a partial sum: issue one per queue on the forecasts page.")
        return out
    if not parts:
        out.empty = "No forecast has been issued for this scope's queues for these days."
        return out
    intervals = {f.interval_s for f in parts.values()}
    if len(intervals) > 1:
        out.empty = ("The queues' forecasts are at different interval lengths, so they are not "
                     "added up.")
        return out
    out.interval_s = intervals.pop()
    out.values = summed_forecast_values(out.part_values.values())
    return out
