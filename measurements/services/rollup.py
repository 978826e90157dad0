"""Interval rollups: rebuild IntervalStat rows from the canonical segments.

Semantics (see :class:`measurements.models.IntervalStat`): queue quantities from queue legs in the
15-minute interval (UTC-aligned; every real time zone offset is a multiple of 15 minutes, so the
intervals are also aligned in the centre's local time) in which the contact entered the queue;
handling quantities from the agent leg that answered it (the next leg, ``seq`` + 1) on the same
row; IVR quantities from IVR legs on rows of the IVR routing point. Wait buckets are cumulative:
``answered_le_<b>s`` counts answered legs with ``wait_s`` ≤ b.

``local_date``/``local_minute``/``weekday`` are computed per interval from the UTC start in the
centre's time zone, so DST days have 23 or 25 hours of rows.
"""
from __future__ import annotations

import datetime as dt

from django.db import connection

from ..constants import INTERVAL_S, WAIT_BUCKETS_S
from ..models import DataSource, IntervalStat

UTC = dt.UTC


def _bucket_sql(column):
    if connection.vendor == "postgresql":
        return f"(floor(extract(epoch from {column}) / {INTERVAL_S}) * {INTERVAL_S})::bigint"
    return f"((CAST(strftime('%%s', {column}) AS INTEGER) / {INTERVAL_S}) * {INTERVAL_S})"


def _aggregate_sql():
    answered = "q.kind = 'queue' AND q.outcome = 'answered'"
    abandoned = "q.kind = 'queue' AND q.outcome = 'abandoned'"
    parts = [
        "SUM(CASE WHEN q.kind = 'queue' THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN {answered} THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN {abandoned} THEN 1 ELSE 0 END)",
        "SUM(CASE WHEN q.kind = 'queue' AND q.outcome IN ('timed_out', 'transferred') "
        "THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN {answered} AND a.id IS NOT NULL THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN {answered} AND a.outcome = 'transferred' THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN {answered} AND a.outcome = 'escalated' THEN 1 ELSE 0 END)",
        f"SUM(CASE WHEN {answered} THEN q.wait_s ELSE 0 END)",
        f"SUM(CASE WHEN {abandoned} THEN q.wait_s ELSE 0 END)",
        "MAX(CASE WHEN q.kind = 'queue' THEN q.wait_s ELSE 0 END)",
        f"SUM(CASE WHEN {answered} THEN COALESCE(a.talk_s, 0) ELSE 0 END)",
        f"SUM(CASE WHEN {answered} THEN COALESCE(a.hold_s, 0) ELSE 0 END)",
        f"SUM(CASE WHEN {answered} THEN COALESCE(a.acw_s, 0) ELSE 0 END)",
        "SUM(CASE WHEN q.kind = 'ivr' THEN 1 ELSE 0 END)",
        "SUM(CASE WHEN q.kind = 'ivr' AND q.outcome = 'contained' THEN 1 ELSE 0 END)",
        "SUM(CASE WHEN q.kind = 'ivr' AND q.outcome = 'to_queue' THEN 1 ELSE 0 END)",
        "SUM(CASE WHEN q.kind = 'ivr' AND q.outcome = 'abandoned' THEN 1 ELSE 0 END)",
    ]
    for b in WAIT_BUCKETS_S:
        parts.append(f"SUM(CASE WHEN {answered} AND q.wait_s <= {b} THEN 1 ELSE 0 END)")
    for b in WAIT_BUCKETS_S:
        parts.append(f"SUM(CASE WHEN {abandoned} AND q.wait_s <= {b} THEN 1 ELSE 0 END)")
    seg = "measurements_segment"
    return (
        f"SELECT {_bucket_sql('q.entered_at')} AS iv, q.queue_id, c.channel, c.contact_type, "
        f"c.customer_segment, {', '.join(parts)} "
        f"FROM {seg} q JOIN measurements_contact c ON c.id = q.contact_id "
        f"LEFT JOIN {seg} a ON a.contact_id = q.contact_id AND a.seq = q.seq + 1 "
        f"AND a.kind = 'agent' "
        f"WHERE c.source_id = %s AND q.kind IN ('queue', 'ivr') "
        f"AND q.entered_at >= %s AND q.entered_at < %s "
        f"GROUP BY 1, 2, 3, 4, 5"
    )


QUANTITIES = (
    "offered", "answered", "abandoned", "flowed_out", "handled", "transfers", "escalations",
    "wait_answered_s", "wait_abandoned_s", "wait_max_s", "talk_s", "hold_s", "acw_s",
    "ivr_sessions", "ivr_contained", "ivr_to_queue", "ivr_abandoned",
    *(f"answered_le_{b}s" for b in WAIT_BUCKETS_S),
    *(f"abandoned_le_{b}s" for b in WAIT_BUCKETS_S),
)


def interval_floor(moment: dt.datetime) -> dt.datetime:
    epoch = int(moment.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % INTERVAL_S, tz=UTC)


def local_fields(interval_start: dt.datetime, tz) -> dict:
    """``local_date``, ``local_minute`` (minutes after local midnight) and ``weekday``
    (0 = Monday) of a UTC interval start in the zone ``tz``."""
    local = interval_start.astimezone(tz)
    return {"local_date": local.date(), "local_minute": local.hour * 60 + local.minute,
            "weekday": local.weekday()}


def rollup_rebuild(source: DataSource, start: dt.datetime, end: dt.datetime, batch=None) -> int:
    """Rebuild the contact-derived IntervalStat rows of ``source`` for the intervals from
    ``start`` (UTC, floored to the interval) up to and including the one holding ``end``.

    Deletes that span's rows of the source and recomputes them from the segments of all its
    contacts (so contacts loaded by earlier batches in the span are kept). Returns the number of
    rows written. Call inside the batch's transaction.
    """
    lo = interval_floor(start)
    hi = interval_floor(end) + dt.timedelta(seconds=INTERVAL_S)
    IntervalStat.objects.filter(source=source, interval_start__gte=lo,
                                interval_start__lt=hi).delete()
    with connection.cursor() as cursor:
        bounds = [lo, hi] if connection.vendor == "postgresql" else \
            [t.strftime("%Y-%m-%d %H:%M:%S") for t in (lo, hi)]
        cursor.execute(_aggregate_sql(), [source.pk, *bounds])
        rows_out = cursor.fetchall()
    tz = source.centre.tz
    rows = []
    for iv, queue_id, channel, contact_type, customer_segment, *values in rows_out:
        interval_start = dt.datetime.fromtimestamp(int(iv), tz=UTC)
        rows.append({
            "centre_id": source.centre_id, "source_id": source.pk,
            "batch_id": batch.pk if batch else None, "interval_start": interval_start,
            "interval_s": INTERVAL_S, **local_fields(interval_start, tz), "queue_id": queue_id,
            "step_id": None, "channel": channel, "contact_type": contact_type,
            "customer_segment": customer_segment,
            **{name: int(v or 0) for name, v in zip(QUANTITIES, values, strict=True)},
        })
    interval_stats_insert(rows)
    return len(rows)


def interval_stats_insert(rows: list[dict]):
    """Insert IntervalStat rows (dicts keyed by field attname; missing quantities are 0) with one
    ``executemany`` — ``bulk_create`` splits rows of this many columns into batches of a dozen on
    SQLite, which is far slower."""
    if not rows:
        return
    fields = [f for f in IntervalStat._meta.concrete_fields if not f.primary_key]
    ops = connection.ops
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    kinds = [f.get_internal_type() for f in fields]

    def value(row, field, kind):
        v = row.get(field.attname, 0 if kind.endswith("IntegerField") else None)
        if kind == "DateTimeField":
            return ops.adapt_datetimefield_value(v)
        if kind == "DateField":
            return ops.adapt_datefield_value(v)
        return v

    values = [tuple(value(r, f, k) for f, k in zip(fields, kinds, strict=True)) for r in rows]
    table = IntervalStat._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            # One multi-row INSERT per 1,000 rows (executemany is a round trip per row here).
            execute_values(cursor.cursor, f"INSERT INTO {table} ({columns}) VALUES %s", values,
                           page_size=1000)
        else:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)


def _agent_sql():
    seg = "measurements_segment"
    return (
        f"SELECT {_bucket_sql('a.entered_at')} AS iv, a.agent_id, a.queue_id, COUNT(*), "
        f"SUM(CASE WHEN a.outcome = 'transferred' THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN a.outcome = 'escalated' THEN 1 ELSE 0 END), "
        f"SUM(a.talk_s), SUM(a.hold_s), SUM(a.acw_s) "
        f"FROM {seg} a JOIN measurements_contact c ON c.id = a.contact_id "
        f"WHERE c.source_id = %s AND a.kind = 'agent' AND a.agent_id IS NOT NULL "
        f"AND a.entered_at >= %s AND a.entered_at < %s GROUP BY 1, 2, 3"
    )


STATE_FIELDS = {"staffed": "staffed_s", "available": "available_s", "busy": "busy_s"}


def _split(t0: float, t1: float):
    """(interval start epoch s, whole seconds) pieces of [t0, t1) on the 15-minute grid."""
    iv = int(t0 - t0 % INTERVAL_S)
    while iv < t1:
        yield iv, int(min(t1, iv + INTERVAL_S) - max(t0, iv))
        iv += INTERVAL_S


def _derive_available(source, lo, hi, rows, row, paused):
    """For sources that log only logins and pauses (an ACD queue_log): busy = talk + hold of the
    agent's legs (split across intervals from the answer time) plus busy states (after-contact
    work); available = staffed − paused − busy, per agent and interval, never below zero."""
    from ..models import Segment

    legs = Segment.objects.filter(contact__source=source, kind="agent", agent__isnull=False,
                                  answered_at__lt=hi, answered_at__gte=lo - dt.timedelta(hours=6))
    for agent_id, queue_id, answered, talk, hold in legs.values_list(
            "agent_id", "queue_id", "answered_at", "talk_s", "hold_s").iterator():
        t0 = answered.timestamp()
        for iv, seconds in _split(max(t0, lo.timestamp()),
                                  min(t0 + (talk or 0) + (hold or 0), hi.timestamp())):
            row(iv, agent_id, queue_id)["busy_s"] += seconds
    per_agent: dict = {}
    for (iv, agent_id, queue_id), values in rows.items():
        entry = per_agent.setdefault((iv, agent_id), {"staffed": 0, "busy": 0, "key": None})
        entry["staffed"] += values["staffed_s"]
        entry["busy"] += values["busy_s"]
        if values["staffed_s"] and entry["key"] is None:
            entry["key"] = (iv, agent_id, queue_id)
    for (iv, agent_id), entry in per_agent.items():
        if entry["key"] is not None:
            rows[entry["key"]]["available_s"] = max(
                0, entry["staffed"] - paused.get((iv, agent_id), 0) - entry["busy"])


def agent_rollup_rebuild(source: DataSource, start: dt.datetime, end: dt.datetime) -> int:
    """Rebuild AgentIntervalStat rows of ``source`` for the same span as :func:`rollup_rebuild`:
    handled contacts and handling seconds from agent legs (in the interval the leg started), and
    staffed/available/busy seconds from the source's agent states, split across intervals.
    Returns the number of rows written."""
    from ..models import AgentIntervalStat, AgentState

    lo = interval_floor(start)
    hi = interval_floor(end) + dt.timedelta(seconds=INTERVAL_S)
    AgentIntervalStat.objects.filter(source=source, interval_start__gte=lo,
                                     interval_start__lt=hi).delete()
    bounds = [lo, hi] if connection.vendor == "postgresql" else \
        [t.strftime("%Y-%m-%d %H:%M:%S") for t in (lo, hi)]
    rows: dict = {}

    def row(iv, agent_id, queue_id):
        key = (int(iv), agent_id, queue_id)
        if key not in rows:
            rows[key] = {"handled": 0, "transfers": 0, "escalations": 0, "talk_s": 0,
                         "hold_s": 0, "acw_s": 0, "staffed_s": 0, "available_s": 0,
                         "busy_s": 0}
        return rows[key]

    with connection.cursor() as cursor:
        cursor.execute(_agent_sql(), [source.pk, *bounds])
        for iv, agent_id, queue_id, handled, tr, esc, talk, hold, acw in cursor.fetchall():
            r = row(iv, agent_id, queue_id)
            r.update(handled=int(handled), transfers=int(tr or 0), escalations=int(esc or 0),
                     talk_s=int(talk or 0), hold_s=int(hold or 0), acw_s=int(acw or 0))
    states = AgentState.objects.filter(source=source, state__in=[*STATE_FIELDS, "paused"],
                                       started_at__lt=hi, ended_at__gt=lo)
    paused: dict = {}
    seen_states = set()
    for agent_id, queue_id, state, s_at, e_at in states.values_list(
            "agent_id", "queue_id", "state", "started_at", "ended_at").iterator():
        seen_states.add(state)
        for iv, seconds in _split(max(s_at, lo).timestamp(), min(e_at, hi).timestamp()):
            if state == "paused":
                paused[(iv, agent_id)] = paused.get((iv, agent_id), 0) + seconds
            else:
                row(iv, agent_id, queue_id)[STATE_FIELDS[state]] += seconds
    if "staffed" in seen_states and "available" not in seen_states:
        _derive_available(source, lo, hi, rows, row, paused)
    tz = source.centre.tz
    objects = []
    for (iv, agent_id, queue_id), values in rows.items():
        interval_start = dt.datetime.fromtimestamp(iv, tz=UTC)
        objects.append(AgentIntervalStat(
            centre_id=source.centre_id, source=source, interval_start=interval_start,
            **local_fields(interval_start, tz), agent_id=agent_id, queue_id=queue_id,
            **values))
    AgentIntervalStat.objects.bulk_create(objects, batch_size=500)
    return len(objects)
