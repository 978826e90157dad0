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

import contextlib
import csv
import datetime as dt
import io

import numpy as np
import pandas as pd
from django.db import connection

from ..constants import INTERVAL_S, WAIT_BUCKETS_S
from ..ingest import interval_sums
from ..models import DataSource, IntervalStat
from . import pgcopy
from .daily import (
    daily_rollup_refresh_keys,
    refreshes_daily_after_insert,
    refreshes_daily_after_rebuild,
)
from .pgsettings import transaction_settings

UTC = dt.UTC
ROLLUP_WORK_MEM = "128MB"


def _bucket_sql(column):
    if connection.vendor == "postgresql":
        # date_bin works on the timestamp's integer microseconds; floor() of the numeric epoch
        # that extract() returns is several times slower over millions of legs.
        return (f"extract(epoch from date_bin('{INTERVAL_S} seconds', {column}, "
                f"timestamptz '1970-01-01 00:00:00+00'))::bigint")
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
    named = [f"{part} AS {name}" for part, name in zip(parts, QUANTITIES, strict=True)]
    return (
        f"SELECT {_bucket_sql('q.entered_at')} AS iv, q.queue_id, c.channel, c.contact_type, "
        f"c.customer_segment, {', '.join(named)} "
        f"FROM {seg} q JOIN measurements_contact c ON c.id = q.contact_id "
        f"LEFT JOIN {seg} a ON a.contact_id = q.contact_id AND a.seq = q.seq + 1 "
        f"AND a.kind = 'agent' "
        f"WHERE c.source_id = %s AND q.kind IN ('queue', 'ivr') "
        f"AND q.entered_at >= %s AND q.entered_at < %s "
        f"GROUP BY 1, 2, 3, 4, 5"
    )


QUANTITIES = tuple(interval_sums.quantities(WAIT_BUCKETS_S))


def interval_floor(moment: dt.datetime) -> dt.datetime:
    epoch = int(moment.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % INTERVAL_S, tz=UTC)


def _local_fields_cached(tz):
    """``local_fields`` memoised per interval start (many rows share an interval)."""
    cache: dict = {}

    def get(interval_start):
        found = cache.get(interval_start)
        if found is None:
            found = cache[interval_start] = local_fields(interval_start, tz)
        return found
    return get


def local_fields(interval_start: dt.datetime, tz) -> dict:
    """``local_date``, ``local_minute`` (minutes after local midnight) and ``weekday``
    (0 = Monday) of a UTC interval start in the zone ``tz``."""
    local = interval_start.astimezone(tz)
    return {"local_date": local.date(), "local_minute": local.hour * 60 + local.minute,
            "weekday": local.weekday()}


@refreshes_daily_after_rebuild
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
    if connection.vendor == "postgresql":
        return _pg_insert_select(IntervalStat, _aggregate_sql(), [source.pk, lo, hi],
                                 source.centre.time_zone, {
                                     "centre_id": str(int(source.centre_id)),
                                     "source_id": str(int(source.pk)),
                                     "batch_id": str(int(batch.pk)) if batch else "NULL",
                                     "interval_s": str(INTERVAL_S), "queue_id": "g.queue_id",
                                     "channel": "g.channel", "contact_type": "g.contact_type",
                                     "customer_segment": "g.customer_segment",
                                     **{q: f"COALESCE(g.{q}, 0)" for q in QUANTITIES}})
    with connection.cursor() as cursor:
        bounds = [lo, hi] if connection.vendor == "postgresql" else \
            [t.strftime("%Y-%m-%d %H:%M:%S") for t in (lo, hi)]
        cursor.execute(_aggregate_sql(), [source.pk, *bounds])
        rows_out = cursor.fetchall()
    local = _local_fields_cached(source.centre.tz)
    rows = []
    for iv, queue_id, channel, contact_type, customer_segment, *values in rows_out:
        interval_start = dt.datetime.fromtimestamp(int(iv), tz=UTC)
        rows.append({
            "centre_id": source.centre_id, "source_id": source.pk,
            "batch_id": batch.pk if batch else None, "interval_start": interval_start,
            "interval_s": INTERVAL_S, **local(interval_start), "queue_id": queue_id,
            "step_id": None, "channel": channel, "contact_type": contact_type,
            "customer_segment": customer_segment,
            **{name: int(v or 0) for name, v in zip(QUANTITIES, values, strict=True)},
        })
    interval_stats_insert(rows)
    return len(rows)


def _pg_insert_select(model, grouped_sql, params, time_zone, columns: dict) -> int:
    """PostgreSQL: insert the rows of ``grouped_sql`` (one per interval, its start ``iv`` in
    epoch seconds) into ``model``'s table in the database, without a round trip through Python.

    ``columns`` maps column → SQL expression over the grouped row ``g``; ``interval_start`` and
    the local ``local_date``/``local_minute``/``weekday`` (in ``time_zone``, so DST days have 23
    or 25 hours of rows, as :func:`local_fields`) are added here; other integer columns are 0,
    others NULL. Returns the number of rows written."""
    local = "g.local_ts"
    exprs = {"interval_start": "to_timestamp(g.iv)", "local_date": f"{local}::date",
             "local_minute": f"(extract(hour from {local}) * 60 + "
                             f"extract(minute from {local}))::int",
             "weekday": f"(extract(isodow from {local}) - 1)::int", **columns}
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = ", ".join(
        exprs.get(f.column, "0" if f.get_internal_type().endswith("IntegerField") else "NULL")
        for f in fields)
    # The grouping of a large batch's legs sorts or hashes a million rows: give it the memory
    # for that (for this statement only) rather than spilling to disk.
    with transaction_settings(work_mem=ROLLUP_WORK_MEM), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({names}) SELECT {values} FROM "
            f"(SELECT a.*, to_timestamp(a.iv) AT TIME ZONE %s AS local_ts "
            f"FROM ({grouped_sql}) a) g", [time_zone, *params])
        return cursor.rowcount


@refreshes_daily_after_insert
def interval_stats_insert(rows: list[dict]):
    """Insert IntervalStat rows (dicts keyed by field attname; missing quantities are 0)."""
    rows_insert(IntervalStat, rows)


def rows_insert(model, rows: list[dict]):
    """Insert rows of ``model`` (dicts keyed by field attname; missing integers are 0) with one
    ``COPY`` on PostgreSQL and one ``executemany`` on SQLite — ``bulk_create`` builds a model
    object per row and splits rows of many columns into batches of a dozen on SQLite."""
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    ops = connection.ops
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    kinds = [f.get_internal_type() for f in fields]

    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One COPY (a multi-row INSERT of 60 columns took minutes for 100,000+ rows).
            buf = io.StringIO()
            writer = csv.writer(buf)
            for r in rows:
                writer.writerow([_copy_text(r.get(f.attname, 0 if k.endswith("IntegerField")
                                                  else None))
                                 for f, k in zip(fields, kinds, strict=True)])
            buf.seek(0)
            texts = ", ".join(ops.quote_name(f.column) for f, k in zip(fields, kinds,
                                                                       strict=True)
                              if k == "CharField")
            # A table with no text column (the per-agent rollup) has nothing to force.
            force = f", FORCE_NOT_NULL ({texts})" if texts else ""
            cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv"
                                      f"{force})", buf)
        else:
            # Plain columns read straight from the dicts; only date/time columns converted.
            names = [f.attname for f in fields]
            defaults = [0 if k.endswith("IntegerField") else None for k in kinds]
            adapt = [(i, ops.adapt_datetimefield_value if k == "DateTimeField"
                      else ops.adapt_datefield_value)
                     for i, k in enumerate(kinds) if k in ("DateTimeField", "DateField")]
            values = []
            for r in rows:
                out = [r.get(n, d) for n, d in zip(names, defaults, strict=True)]
                for i, fn in adapt:
                    out[i] = fn(out[i])
                values.append(out)
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)


def _copy_text(v):
    """A value as COPY CSV text: ``None`` → empty (NULL), dates and times in ISO format."""
    if v is None:
        return ""
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def _agent_sql():
    seg = "measurements_segment"
    return (
        f"SELECT {_bucket_sql('a.entered_at')} AS iv, a.agent_id, a.queue_id, "
        f"COUNT(*) AS handled, "
        f"SUM(CASE WHEN a.outcome = 'transferred' THEN 1 ELSE 0 END) AS transfers, "
        f"SUM(CASE WHEN a.outcome = 'escalated' THEN 1 ELSE 0 END) AS escalations, "
        f"SUM(a.talk_s) AS talk_s, SUM(a.hold_s) AS hold_s, SUM(a.acw_s) AS acw_s "
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
    states = AgentState.objects.filter(source=source, state__in=STATE_FIELDS,
                                       started_at__lt=hi, ended_at__gt=lo)
    if connection.vendor == "postgresql" and not states.exists():
        # Contact-derived quantities only: aggregated and inserted in the database.
        return _pg_insert_select(AgentIntervalStat, _agent_sql(), [source.pk, lo, hi],
                                 source.centre.time_zone, {
                                     "centre_id": str(int(source.centre_id)),
                                     "source_id": str(int(source.pk)),
                                     "agent_id": "g.agent_id", "queue_id": "g.queue_id",
                                     **{q: f"COALESCE(g.{q}, 0)" for q in (
                                         "handled", "transfers", "escalations", "talk_s",
                                         "hold_s", "acw_s")}})
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
    local = _local_fields_cached(source.centre.tz)
    objects = []
    for (iv, agent_id, queue_id), values in rows.items():
        interval_start = dt.datetime.fromtimestamp(iv, tz=UTC)
        objects.append({"centre_id": source.centre_id, "source_id": source.pk,
                        "interval_start": interval_start, **local(interval_start),
                        "agent_id": agent_id, "queue_id": queue_id, **values})
    rows_insert(AgentIntervalStat, objects)
    return len(objects)


# --- merging a batch's own sums --------------------------------------------------------------

def _frame_insert(model, frame: pd.DataFrame, copy=None):
    """Insert ``frame``'s rows into ``model``'s table; its columns are named after the table's
    columns (timestamps tz-aware, dates as dates); a missing integer column is 0, any other
    missing column NULL. One binary ``COPY`` on PostgreSQL, one ``executemany`` on SQLite.

    ``copy`` (PostgreSQL): a callable ``copy(table, frame, spec)`` that sends the ``COPY``
    instead of this function (the loader's writer thread, which stores the rows while the
    next chunk is parsed); by default it is sent here and now."""
    if frame.empty:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    frame = frame.copy()
    for f in fields:
        if f.column not in frame:
            frame[f.column] = 0 if f.get_internal_type().endswith("IntegerField") else None
    spec = pgcopy.column_types(model, [f.column for f in fields])
    table = model._meta.db_table
    if copy is not None and connection.vendor == "postgresql":
        copy(table, frame, spec)
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            pgcopy.copy_frame(cursor.cursor, table, frame, spec)
            return
        columns, marks = [], []
        for name, kind in spec:
            col = frame[name]
            if kind == "timestamptz":
                secs = col.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(
                    dtype="datetime64[s]")
                values = secs.astype("int64").astype(object)
                values[np.isnat(secs)] = None
                columns.append(values.tolist())
                marks.append("datetime(%s, 'unixepoch')")
            elif kind == "date":
                columns.append([None if v is None or pd.isna(v) else v.isoformat()
                                for v in col.tolist()])
                marks.append("%s")
            elif kind.startswith("int"):
                nums = pd.to_numeric(col, errors="coerce")
                columns.append(nums.astype("Int64").astype(object)
                               .where(nums.notna(), None).tolist())
                marks.append("%s")
            else:
                columns.append(col.astype(object).where(col.notna(), None).tolist())
                marks.append("%s")
        cursor.executemany(f"INSERT INTO {table} ({', '.join(n for n, _ in spec)}) "
                           f"VALUES ({', '.join(marks)})", zip(*columns, strict=True))


def _rows_delete(table: str, ids: list[int]):
    with connection.cursor() as cursor:
        for i in range(0, len(ids), 5000):
            part = ids[i:i + 5000]
            cursor.execute(f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(part))})",
                           part)


KEYS_TABLE = "cmis_rollup_keys"


def _keys_table(cursor, keys: list[str], frame: pd.DataFrame):
    """(Re)create the temporary table of the distinct ``keys`` of ``frame`` (``iv`` in epoch
    seconds, ids as integers with ``NO_ID`` for none, the rest text)."""
    types = {k: ("bigint" if k == "iv" or k.endswith("_id") else "text") for k in keys}
    cursor.execute(f"DROP TABLE IF EXISTS {KEYS_TABLE}")
    cursor.execute(f"CREATE TEMP TABLE {KEYS_TABLE} ("
                   + ", ".join(f"{k} {types[k]}" for k in keys) + ")")
    distinct = frame[keys].drop_duplicates()
    if connection.vendor == "postgresql":
        spec = [(k, "int8" if types[k] == "bigint" else "text") for k in keys]
        pgcopy.copy_frame(cursor.cursor, KEYS_TABLE, distinct.astype(
            {k: "int64" for k in keys if types[k] == "bigint"}), spec)
        return
    columns = [distinct[k].astype("int64").tolist() if types[k] == "bigint"
               else distinct[k].astype(object).tolist() for k in keys]
    cursor.executemany(f"INSERT INTO {KEYS_TABLE} ({', '.join(keys)}) "
                       f"VALUES ({', '.join(['%s'] * len(keys))})", zip(*columns, strict=True))


def _key_match_sql(keys: list[str]) -> str:
    """The join condition of a rollup row ``t`` with a key row ``k`` of :data:`KEYS_TABLE`."""
    if connection.vendor == "postgresql":
        # Equality of one expression per side: a hash join over the (few) keys.
        iv = "t.interval_start = to_timestamp(k.iv)"
    else:
        iv = "CAST(strftime('%%s', t.interval_start) AS INTEGER) = k.iv"
    parts = [iv]
    for key in keys:
        if key == "iv":
            continue
        parts.append(f"COALESCE(t.{key}, {interval_sums.NO_ID}) = k.{key}" if key.endswith("_id")
                     else f"t.{key} = k.{key}")
    return " AND ".join(parts)


def _stored(model, source, keys, sums: pd.DataFrame, where="") -> pd.DataFrame:
    """``model``'s rows of ``source`` whose key (``keys``) is one of the keys of ``sums`` —
    those rows only, read through a temporary table of the keys joined to the rollup (other
    queues, segments and intervals of the span are never read): ``id``, the key columns
    (``iv`` in epoch seconds, missing ids as ``NO_ID``) and every other column."""
    fields = [f for f in model._meta.concrete_fields if f.column not in (
        "id", "interval_start", "centre_id", "source_id", "batch_id", "local_date",
        "local_minute", "weekday", "step_id")]
    names = [f.column for f in fields]
    lo, hi = int(sums["iv"].min()), int(sums["iv"].max())
    start = (dt.datetime.fromtimestamp(lo, tz=UTC), dt.datetime.fromtimestamp(hi, tz=UTC))
    bounds = list(start) if connection.vendor == "postgresql" else \
        [t.strftime("%Y-%m-%d %H:%M:%S") for t in start]
    pg = connection.vendor == "postgresql"
    # Rollup partitions filled moments ago have no statistics yet (estimated at a row or
    # two): a nested loop over them would scan the keys once per stored row.
    planned = transaction_settings(enable_nestloop="off") if pg else contextlib.nullcontext()
    with connection.cursor() as cursor:
        _keys_table(cursor, keys, sums)
        # The span's bounds as well: on PostgreSQL they prune the monthly partitions.
        with planned:
            cursor.execute(f"SELECT t.id, t.interval_start, "
                           f"{', '.join(f't.{n}' for n in names)} "
                           f"FROM {model._meta.db_table} t JOIN {KEYS_TABLE} k "
                           f"ON {_key_match_sql(keys)} WHERE t.source_id = %s "
                           f"AND t.interval_start >= %s AND t.interval_start <= %s{where}",
                           [source.pk, *bounds])
            rows = cursor.fetchall()
        cursor.execute(f"DROP TABLE {KEYS_TABLE}")
    frame = pd.DataFrame(rows, columns=["id", "interval_start", *names])
    starts = pd.to_datetime(frame["interval_start"], utc=True).dt.tz_localize(None)
    frame["iv"] = starts.to_numpy(dtype="datetime64[s]").astype("int64")
    for key in keys:
        if key.endswith("_id"):
            frame[key] = pd.to_numeric(frame[key]).fillna(interval_sums.NO_ID).astype("int64")
    return frame.drop(columns="interval_start")


def _merge(model, source, sums: pd.DataFrame, keys: list[str], where="") -> pd.DataFrame:
    """The rows ``sums`` turns the stored rows of ``model`` into: each stored row with a key in
    ``sums`` is deleted here and comes back, added to, in the returned frame (ready to insert:
    quantities as integers; rows left with no quantity at all are dropped)."""
    matched = _stored(model, source, keys, sums, where)
    _rows_delete(model._meta.db_table, matched["id"].astype("int64").tolist())
    return _nonzero(interval_sums.combine([matched.drop(columns="id"), sums], keys), keys)


def _with_local_time(frame: pd.DataFrame, source) -> pd.DataFrame:
    ivs = frame["iv"].drop_duplicates()
    local = interval_sums.local_time(ivs, source.centre.time_zone)
    local["iv"] = ivs.to_numpy()
    out = frame.merge(local, on="iv", how="left")
    out["interval_start"] = pd.to_datetime(out["iv"], unit="s", utc=True)
    for key in ("queue_id", "agent_id"):
        if key in out:
            out[key] = out[key].where(out[key] != interval_sums.NO_ID)
    out["centre_id"] = source.centre_id
    out["source_id"] = source.pk
    return out.drop(columns="iv")


def _max_wait(source, stale: pd.DataFrame) -> pd.DataFrame:
    """The longest queue wait per interval key of ``stale`` (keys whose stored maximum may have
    belonged to a replaced contact), from the source's stored queue legs."""
    lo = dt.datetime.fromtimestamp(int(stale["iv"].min()), tz=UTC)
    hi = dt.datetime.fromtimestamp(int(stale["iv"].max()) + INTERVAL_S, tz=UTC)
    bounds = [lo, hi] if connection.vendor == "postgresql" else \
        [t.strftime("%Y-%m-%d %H:%M:%S") for t in (lo, hi)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_bucket_sql('q.entered_at')}, q.queue_id, c.channel, c.contact_type, "
            f"c.customer_segment, MAX(q.wait_s) FROM measurements_segment q "
            f"JOIN measurements_contact c ON c.id = q.contact_id WHERE c.source_id = %s "
            f"AND q.kind = 'queue' AND q.entered_at >= %s AND q.entered_at < %s "
            f"GROUP BY 1, 2, 3, 4, 5", [source.pk, *bounds])
        rows = cursor.fetchall()
    found = pd.DataFrame(rows, columns=[*interval_sums.INTERVAL_KEYS, "wait_max_s"])
    found["iv"] = found["iv"].astype("int64")
    found["queue_id"] = pd.to_numeric(found["queue_id"]).fillna(
        interval_sums.NO_ID).astype("int64")
    return found


def _nonzero(sums: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The rows of ``sums`` with at least one quantity, quantities as integers."""
    quantities = [c for c in sums.columns if c not in keys]
    rows = sums.copy()
    rows[quantities] = rows[quantities].fillna(0).astype("int64")
    return rows[rows[quantities].ne(0).any(axis=1)].reset_index(drop=True)


def rollup_merge(source: DataSource, sums: pd.DataFrame, batch=None,
                 stale: pd.DataFrame | None = None, *, daily: bool = True,
                 copy=None, append: bool = False) -> pd.DataFrame:
    """Add a batch's interval sums (:func:`measurements.ingest.interval_sums.interval_sums`,
    replaced contacts already subtracted) to the source's IntervalStat rows, and refresh the
    daily rollup of the local dates touched (unless ``daily`` is false: the caller does).
    ``stale``: interval keys whose ``wait_max_s`` may have come from a replaced contact; theirs
    is read again from the stored legs. Returns the keys of the rows written. Call inside the
    batch's transaction, once its legs are stored. ``copy``: who sends the rows written (see
    :func:`_frame_insert`); the daily rollup needs them stored, so only with ``daily`` false.

    ``append`` (sums with no negative quantity, no ``stale``): the rows are written as they
    are, without reading the stored ones — a key may then have several rows until
    :func:`rollups_consolidate` adds them up (a bulk load, which calls it before anything
    reads them)."""
    keys = interval_sums.INTERVAL_KEYS
    if sums is None or sums.empty:
        return pd.DataFrame(columns=keys)
    rows = _nonzero(sums, keys) if append else \
        _merge(IntervalStat, source, sums, keys, where=" AND step_id IS NULL")
    if stale is not None and len(stale) and len(rows):
        longest = _max_wait(source, stale.drop_duplicates())
        marked = rows[keys].merge(stale.drop_duplicates().assign(_stale=True), on=keys,
                                  how="left")["_stale"].fillna(False).to_numpy(dtype=bool)
        fresh = rows[keys].merge(longest, on=keys, how="left")["wait_max_s"]
        rows.loc[marked, "wait_max_s"] = fresh[marked].fillna(0).astype("int64").to_numpy()
    if not rows.empty:
        out = _with_local_time(rows, source)
        out["batch_id"] = batch.pk if batch else None
        out["interval_s"] = INTERVAL_S
        out["step_id"] = None
        _frame_insert(IntervalStat, out, copy if not daily else None)
    if daily:
        # Every (day, queue) the batch touched, written again or (nothing left in it) deleted.
        daily_rollup_refresh_keys(source, daily_keys(sums, source.centre.time_zone))
    return rows[keys]


def daily_keys(sums: pd.DataFrame, time_zone: str) -> pd.DataFrame:
    """The distinct (``local_date``, ``queue_id``) pairs of the interval keys of ``sums``
    (``iv`` epoch seconds, ``queue_id``) in ``time_zone``: the daily rows they change."""
    pairs = sums[["iv", "queue_id"]].drop_duplicates()
    ivs = pairs["iv"].drop_duplicates()
    local = interval_sums.local_time(ivs, time_zone)[["local_date"]]
    local["iv"] = ivs.to_numpy()
    return pairs.merge(local, on="iv", how="left")[["local_date", "queue_id"]] \
        .drop_duplicates()


def agent_rollup_merge(source: DataSource, sums: pd.DataFrame, copy=None, *,
                       append: bool = False) -> int:
    """Add a batch's per-agent sums (:func:`measurements.ingest.interval_sums.agent_sums`) to
    the source's AgentIntervalStat rows. Only for sources without agent states in the span
    (their staffed and available seconds are rebuilt by :func:`agent_rollup_rebuild`).
    ``copy``: who sends the rows written (see :func:`_frame_insert`). ``append``: written
    without reading the stored rows, as in :func:`rollup_merge`."""
    from ..models import AgentIntervalStat

    if sums is None or sums.empty:
        return 0
    keys = interval_sums.AGENT_KEYS
    rows = _nonzero(sums, keys) if append else _merge(AgentIntervalStat, source, sums, keys)
    if rows.empty:
        return 0
    _frame_insert(AgentIntervalStat, _with_local_time(rows, source), copy)
    return len(rows)


# --- consolidating appended rows ------------------------------------------------------------

def _consolidate_sql(model, keys: list[str], where: str, batch_id: int | None) -> str:
    """One statement that replaces the rows of each repeated key of ``model`` (``keys``: its
    key columns besides ``source_id``; rows selected by ``where``, SQL over ``t`` with the
    parameters source id, span start and end, first and last local date) by one row holding
    their sums (``wait_max_s`` their maximum); a row left with no quantity is not written."""
    fixed = {"id", "source_id", "batch_id", *keys}
    described = ("centre_id", "interval_s", "local_date", "local_minute", "weekday", "step_id")
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quantities = [f.column for f in fields if f.column not in fixed
                  and f.column not in described]
    # Hash joins and groupings on plain expressions: a missing queue is NO_ID on both sides.
    key_exprs = [f"COALESCE(t.{k}, {interval_sums.NO_ID})" if k.endswith("_id") else f"t.{k}"
                 for k in keys]
    match = " AND ".join(f"{e} = k.k{i}" for i, e in enumerate(key_exprs))
    values = []
    for f in fields:
        col = f.column
        if col == "source_id" or col in keys:
            values.append(f"g.{col}")
        elif col == "batch_id":
            values.append("NULL" if batch_id is None else str(int(batch_id)))
        elif col in described:
            values.append(f"MIN(g.{col})")  # the same on every row of a key
        else:
            values.append(f"{'MAX' if col == 'wait_max_s' else 'SUM'}(g.{col})")
    totals = [v for f, v in zip(fields, values, strict=True) if f.column in quantities]
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = model._meta.db_table
    return (
        f"WITH repeated AS (SELECT {', '.join(f'{e} AS k{i}' for i, e in enumerate(key_exprs))} "
        f"FROM {table} t WHERE {where} GROUP BY {', '.join(map(str, range(1, len(keys) + 1)))} "
        f"HAVING COUNT(*) > 1), "
        f"gone AS (DELETE FROM {table} t USING repeated k WHERE {where} AND {match} "
        f"RETURNING t.*) "
        f"INSERT INTO {table} ({names}) SELECT {', '.join(values)} FROM gone g "
        f"GROUP BY g.source_id, {', '.join(f'g.{k}' for k in keys)} "
        f"HAVING {' OR '.join(f'{v} <> 0' for v in totals)}")


def rollups_consolidate(source: DataSource, start: dt.datetime, end: dt.datetime,
                        batch=None, intervals: np.ndarray | None = None) -> int:
    """PostgreSQL: add up the contact-derived IntervalStat rows and the AgentIntervalStat rows
    of ``source`` that share a key in the intervals from ``start`` up to and including the one
    holding ``end`` (UTC), left there by appending merges (:func:`rollup_merge` with
    ``append``): each repeated key keeps one row, its quantities summed, named after ``batch``
    (the interval rows). One statement per table, inside the database; its cost follows the
    rows of the span, so for a load into a source with few rows (bulk mode). ``intervals``
    (epoch seconds; ``None``: all of the span): the only intervals where a key can repeat
    (those a load appended to more than once); none, nothing to do. Returns the number of rows
    written in place of the repeated ones."""
    from ..models import AgentIntervalStat

    lo = interval_floor(start)
    hi = interval_floor(end) + dt.timedelta(seconds=INTERVAL_S)
    # Local dates of the span, a day either side: they prune the monthly partitions.
    params = [source.pk, lo, hi, (lo - dt.timedelta(days=1)).date(),
              (hi + dt.timedelta(days=1)).date()]
    span = ("t.source_id = %s AND t.interval_start >= %s AND t.interval_start < %s "
            "AND t.local_date >= %s AND t.local_date <= %s")
    if intervals is not None:
        if not len(intervals):
            return 0
        span += " AND t.interval_start = ANY(%s)"
        params.append([dt.datetime.fromtimestamp(int(iv), tz=UTC) for iv in intervals])
    written = 0
    # The grouping and the join read millions of rows written moments ago (no statistics
    # yet): hashed, with the memory for it, never a nested loop.
    with transaction_settings(work_mem=ROLLUP_WORK_MEM, enable_nestloop="off"), \
            connection.cursor() as cursor:
        for model, keys, where, batch_id in (
                (IntervalStat, ["interval_start", "queue_id", "channel", "contact_type",
                                "customer_segment"], f"{span} AND t.step_id IS NULL",
                 batch.pk if batch else None),
                (AgentIntervalStat, ["interval_start", "agent_id", "queue_id"], span, None)):
            cursor.execute(_consolidate_sql(model, keys, where, batch_id), params + params)
            written += cursor.rowcount
    return written
