"""The daily rollup (:class:`measurements.models.DailyStat`), kept in step with IntervalStat.

:func:`daily_rollup_refresh` rebuilds the daily rows of one source for the local dates a batch
touched, in SQL (``INSERT … SELECT … GROUP BY``), inside the caller's transaction, and bumps the
data version (:mod:`measurements.selectors.versions`) so caches of figures see the change. The
two decorators attach it to the interval rollup services without changing them:
:func:`refreshes_daily_after_rebuild` (``rollup_rebuild``) and
:func:`refreshes_daily_after_insert` (``interval_stats_insert``). :func:`daily_rollup_rebuild`
rebuilds everything (after a migration that changes the rollup's columns).

``data_changed`` is sent after the transaction commits, with the sources and dates touched, for
work that should follow new data (warming dashboards).
"""
from __future__ import annotations

import datetime as dt
import functools
import time
from collections import defaultdict
from collections.abc import Iterable

from django.core.cache import cache
from django.db import connection, transaction
from django.dispatch import Signal

from ..models import DailyStat, IntervalStat
from ..selectors.versions import DATA_VERSION_KEY

# Segment columns of a daily row (besides the date); sums of every additive component follow.
DAILY_KEYS = ("centre_id", "source_id", "local_date", "queue_id", "step_id", "channel",
              "contact_type", "customer_segment")
_CHUNK = 400

# Sent (after commit) with ``touched``: {source id or None: sorted list of local dates}.
data_changed = Signal()


def _additive_columns(daily_model=DailyStat) -> list[str]:
    keys = {*DAILY_KEYS, "id", "wait_max_s"}
    return [f.column for f in daily_model._meta.concrete_fields if f.column not in keys]


def _refresh_sql(daily_model, interval_model, where: str) -> tuple[str, str]:
    q = connection.ops.quote_name
    daily, interval = daily_model._meta.db_table, interval_model._meta.db_table
    sums = _additive_columns(daily_model)
    columns = [*DAILY_KEYS, "wait_max_s", *sums]
    select = [*DAILY_KEYS, "MAX(wait_max_s)", *(f"COALESCE(SUM({q(c)}), 0)" for c in sums)]
    delete = f"DELETE FROM {daily} WHERE {where}"
    insert = (f"INSERT INTO {daily} ({', '.join(map(q, columns))}) "
              f"SELECT {', '.join(select)} FROM {interval} WHERE {where} "
              f"GROUP BY {', '.join(DAILY_KEYS)}")
    return delete, insert


def daily_rollup_refresh(source, dates: Iterable[dt.date]) -> int:
    """Rebuild the daily rows of ``source`` (a DataSource, its id, or ``None`` for rows loaded
    without a source) for the local ``dates`` from its IntervalStat rows; returns the number of
    daily rows written. Call inside the transaction that changed the interval rows."""
    source_id = getattr(source, "pk", source)
    dates = sorted(set(dates))
    if not dates:
        return 0
    written = 0
    with connection.cursor() as cursor:
        for i in range(0, len(dates), _CHUNK):
            written += _refresh_days(cursor, source_id, dates[i:i + _CHUNK])
    data_version_bump({source_id: dates})
    return written


def _refresh_days(cursor, source_id, days, also: str = "") -> int:
    """Rebuild the daily rows of ``source_id`` on ``days`` (``also``: a further SQL condition
    on the rows, with no parameters) from the interval rollup; the rows written."""
    where = (("source_id IS NULL" if source_id is None else "source_id = %s")
             + f" AND local_date IN ({', '.join(['%s'] * len(days))})" + also)
    params = ([] if source_id is None else [source_id]) + list(days)
    delete, insert = _refresh_sql(DailyStat, IntervalStat, where)
    cursor.execute(delete, params)
    cursor.execute(insert, params)
    return cursor.rowcount


def daily_rollup_refresh_keys(source, keys) -> int:
    """Rebuild the daily rows of ``source`` for the (``local_date``, ``queue_id``) pairs of
    ``keys`` (a frame; ``queue_id`` −1 or missing for rows without a queue) — only those: other
    queues of the same dates are neither read nor written. Returns the number of daily rows
    written. Call inside the transaction that changed the interval rows."""
    import pandas as pd

    source_id = getattr(source, "pk", source)
    pairs = keys[["local_date", "queue_id"]].copy()
    pairs["queue_id"] = pd.to_numeric(pairs["queue_id"]).fillna(-1).astype("int64")
    pairs = pairs.drop_duplicates()
    if pairs.empty:
        return 0
    # Dates that share the same set of queues in one statement each (a large batch touches
    # every queue on most of its dates: a handful of statements), filtered as plain lists —
    # a join with a table of the pairs was planned as a nested loop over the freshly loaded
    # (not yet analysed) rollup, seconds for a million contacts.
    by_queues: dict = {}
    for day, queues in pairs.groupby("local_date")["queue_id"]:
        by_queues.setdefault(tuple(sorted(set(queues.tolist()))), []).append(day)
    written = 0
    with connection.cursor() as cursor:
        for queues, days in by_queues.items():
            for i in range(0, len(days), _CHUNK):
                written += _refresh_days(
                    cursor, source_id, days[i:i + _CHUNK],
                    f" AND COALESCE(queue_id, -1) IN ({', '.join(map(str, queues))})")
    data_version_bump({source_id: sorted(set(pairs["local_date"]))})
    return written


def daily_rollup_rebuild(daily_model=DailyStat, interval_model=IntervalStat) -> int:
    """Rebuild the whole daily rollup from IntervalStat (models may be a migration's)."""
    delete, insert = _refresh_sql(daily_model, interval_model, "1 = 1")
    with connection.cursor() as cursor:
        cursor.execute(delete)
        cursor.execute(insert)
        written = cursor.rowcount
    if daily_model is DailyStat:
        data_version_bump({})
    return written


def data_version_bump(touched: dict | None = None):
    """A new data version now and again when the transaction commits (readers in other
    processes then see the committed rows), and ``data_changed`` after the commit."""
    cache.set(DATA_VERSION_KEY, time.time_ns(), timeout=None)

    def committed():
        cache.set(DATA_VERSION_KEY, time.time_ns(), timeout=None)
        data_changed.send(sender=DailyStat, touched=touched or {})

    transaction.on_commit(committed)


def _local_dates(start: dt.datetime, end: dt.datetime, tz) -> list[dt.date]:
    first, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def refreshes_daily_after_rebuild(rebuild):
    """For ``rollup_rebuild(source, start, end, …)``: afterwards, refresh the source's local
    dates from ``start`` to ``end`` (plus a day each side for the interval rounding)."""

    @functools.wraps(rebuild)
    def wrapper(source, start, end, *args, **kwargs):
        written = rebuild(source, start, end, *args, **kwargs)
        day = dt.timedelta(days=1)
        daily_rollup_refresh(source, _local_dates(start - day, end + day, source.centre.tz))
        return written

    return wrapper


def refreshes_daily_after_insert(insert):
    """For ``interval_stats_insert(rows)``: afterwards, refresh each source's dates in ``rows``."""

    @functools.wraps(insert)
    def wrapper(rows, *args, **kwargs):
        result = insert(rows, *args, **kwargs)
        touched = defaultdict(set)
        for row in rows:
            touched[row.get("source_id")].add(row["local_date"])
        for source_id, dates in touched.items():
            daily_rollup_refresh(source_id, dates)
        return result

    return wrapper
