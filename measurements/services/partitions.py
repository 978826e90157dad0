"""Monthly partitions of the rollup tables on PostgreSQL, and retention of old months.

On PostgreSQL the interval rollup, the per-agent interval rollup and the daily rollup are
partitioned by month of ``local_date`` (native declarative partitioning, migration 0014), so a
query for a period reads only the months it covers and an old month leaves as one table. Each
table has a default partition, so a row whose month has no partition yet is kept, never lost.

- :func:`partitions_ensure` creates the months a load touches before it writes (ingestion calls
  it once per chunk), in its own short transaction on a second connection: creating a partition
  locks the default partition, which the load's own transaction must not hold for its whole
  length. It also moves rows that had landed in the default partition into their month.
  A table the load's transaction holds alone already (a bulk load drops the per-agent
  rollup's indexes until its end) has its months created inside that transaction instead, so
  a long first load spanning many months finds each month's partition before it writes there.
- :func:`retention_plan` / :func:`retention_apply` remove the months older than
  ``CONTACTMIS_RETENTION_MONTHS``: on PostgreSQL each old partition is copied to a gzip-compressed
  CSV file in ``CONTACTMIS_ARCHIVE_DIR`` and then detached and dropped; on SQLite (no partitions)
  the old rows are deleted in batches.

The contact and leg tables are not partitioned: PostgreSQL requires the partition key in every
unique constraint, and (source, external id) — the key that makes re-imports idempotent — and
(contact, leg number) would have to include the arrival time; survey responses also reference
contacts through a database foreign key, which PostgreSQL only allows to a partitioned table
through a unique key holding the partition key (docs/ingestion.md, "Partitioned rollups").
"""
from __future__ import annotations

import datetime as dt
import gzip
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from .daily import data_version_bump
from .pgsettings import transaction_settings

logger = logging.getLogger(__name__)

# Partitioned table → its partition key (a local date: the periods pages and reports ask for).
PARTITIONED = {
    "measurements_intervalstat": "local_date",
    "measurements_agentintervalstat": "local_date",
    "measurements_dailystat": "local_date",
}
DELETE_BATCH_ROWS = 10_000
# Seconds the partition connection waits for the default partition's lock before giving up
# (the rows then go to the default partition; the next call or the monthly task moves them).
LOCK_TIMEOUT = "3s"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_add(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of the months from ``first``'s to ``last``'s, both included."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = month_add(month, 1)
    return months


def partition_name(table: str, month: dt.date) -> str:
    return f"{table}_p{month:%Y%m}"


def _is_partitioned(cursor, table: str) -> bool:
    cursor.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(%s)", [table])
    row = cursor.fetchone()
    return bool(row and row[0])


@dataclass(frozen=True)
class Partition:
    """One monthly partition: table name, its month's first day and the first day after it."""

    table: str
    parent: str
    start: dt.date
    end: dt.date


def partitions_list(cursor, parent: str) -> list[Partition]:
    """The monthly partitions of ``parent`` (not its default partition), oldest first."""
    cursor.execute(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)", [parent])
    found = []
    for name, bound in cursor.fetchall():
        if bound == "DEFAULT":
            continue
        # FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')
        start, end = (dt.date.fromisoformat(part.split("'")[1])
                      for part in bound.split(" TO "))
        found.append(Partition(name, parent, start, end))
    return sorted(found, key=lambda p: p.start)


def _create_month(cursor, parent: str, key: str, month: dt.date) -> str:
    """Create ``parent``'s partition for ``month``; rows of that month already in the default
    partition move into it (attached after, so the default partition is scanned once)."""
    # Created beside the table and then attached: ATTACH takes a lock on the parent that lets
    # readers and writers go on (``CREATE TABLE … PARTITION OF`` would block them all).
    name, end = partition_name(parent, month), month_add(month, 1)
    default = f"{parent}_default"
    cursor.execute(f"CREATE TABLE {name} (LIKE {parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
                   "INCLUDING STORAGE)")
    cursor.execute(f"WITH moved AS (DELETE FROM {default} WHERE {key} >= %s AND {key} < %s "
                   f"RETURNING *) INSERT INTO {name} SELECT * FROM moved", [month, end])
    cursor.execute(f"ALTER TABLE {parent} ATTACH PARTITION {name} "
                   f"FOR VALUES FROM ('{month.isoformat()}') TO ('{end.isoformat()}')")
    return name


def partitions_create(cursor, months, tables=PARTITIONED) -> list[str]:
    """Create the missing monthly partitions of ``tables`` for ``months`` (first days) with
    ``cursor``, in the caller's transaction. Returns the partitions created."""
    created = []
    for parent, key in tables.items():
        if not _is_partitioned(cursor, parent):
            continue
        have = {p.start for p in partitions_list(cursor, parent)}
        for month in sorted(set(months) - have):
            created.append(_create_month(cursor, parent, key, month))
    return created


def _holds_blocking_locks(tables) -> bool:
    """Whether the caller's own transaction holds a lock that attaching a partition to
    ``tables`` on another connection would wait for (any lock on a default partition, or more
    than reading and writing rows of the table): that wait would last until this transaction
    ends, so the months are left to a later call."""
    defaults = [f"{t}_default" for t in tables]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid() AND "
            "(relation = ANY(%s::regclass[]) OR (relation = ANY(%s::regclass[]) AND mode NOT IN "
            "('AccessShareLock', 'RowShareLock', 'RowExclusiveLock'))))",
            [defaults, list(tables)])
        return cursor.fetchone()[0]


def _held_alone(tables) -> list[str]:
    """The tables of ``tables`` whose parent the caller's transaction holds with an ``ACCESS
    EXCLUSIVE`` lock (a bulk load that dropped their indexes): no other session reads or
    writes them until it ends, so their months can be created inside it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT relation::regclass::text FROM pg_locks WHERE pid = "
                       "pg_backend_pid() AND mode = 'AccessExclusiveLock' AND granted AND "
                       "relation = ANY(%s::regclass[])", [list(tables)])
        held = {row[0] for row in cursor.fetchall()}
    return [t for t in tables if t in held]


def _create_here(months, tables: dict[str, str]) -> list[str]:
    """Create ``tables``' missing ``months`` on the caller's connection, in its transaction,
    under a savepoint, waiting at most ``LOCK_TIMEOUT`` for any lock: nothing is created if
    they cannot be had (the rows then go to the default partition)."""
    try:
        # On an error the savepoint's rollback undoes the lock timeout with the rest.
        with transaction.atomic(), transaction_settings(lock_timeout=LOCK_TIMEOUT), \
                connection.cursor() as cursor:
            return partitions_create(cursor, months, tables)
    except DatabaseError as exc:  # a lock not had in time: the rows are kept all the same
        logger.warning("monthly partitions %s to %s not created (%s): rows wait in the "
                       "default partition", months[0], months[-1], exc)
        return []


def partitions_ensure(first: dt.date | dt.datetime | None,
                      last: dt.date | dt.datetime | None) -> list[str]:
    """Make sure every partitioned table has the months from ``first`` to ``last`` (dates, or
    UTC datetimes: a local date is within a day of the UTC one, so a day is added each side).

    Runs on PostgreSQL only, on a connection of its own in one short transaction that waits at
    most ``LOCK_TIMEOUT`` for locks; if it cannot have them (the caller's transaction already
    wrote to the default partition), nothing is created and the rows stay in the default
    partition until a later call. A table the caller's transaction holds alone (see
    :func:`_held_alone`) has its months created in that transaction instead. Returns the
    partitions created."""
    if connection.vendor != "postgresql" or first is None or last is None:
        return []
    if isinstance(first, dt.datetime):
        first = first.date() - dt.timedelta(days=1)
    if isinstance(last, dt.datetime):
        last = last.date() + dt.timedelta(days=1)
    months = months_between(first, last)
    with connection.cursor() as cursor:
        # Cheap check first, on the caller's connection: usually every month exists already.
        missing = [t for t in PARTITIONED if _is_partitioned(cursor, t)
                   and set(months) - {p.start for p in partitions_list(cursor, t)}]
    if not missing:
        return []
    alone = _held_alone(missing)
    created = _create_here(months, {t: PARTITIONED[t] for t in alone}) if alone else []
    missing = [t for t in missing if t not in alone]
    if missing and _holds_blocking_locks(missing):
        logger.info("monthly partitions %s to %s left for later: this transaction already "
                    "wrote to the rollups", months[0], months[-1])
        missing = []
    if missing:
        created += _create_beside(months, missing)
    if created:
        logger.info("%d monthly partitions created (%s to %s)", len(created), months[0],
                    months[-1])
    return created


def _create_beside(months, missing: list[str]) -> list[str]:
    """Create ``missing`` tables' ``months`` on a connection of its own, in one short
    transaction (see :func:`partitions_ensure`)."""
    side = connections.create_connection("default")
    try:
        side.set_autocommit(False)
        with side.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = %s", [LOCK_TIMEOUT])
            # One creator at a time; a second waits, then finds the months there.
            cursor.execute("SELECT pg_advisory_xact_lock(4243)")
            created = partitions_create(cursor, months,
                                        {t: PARTITIONED[t] for t in missing})
        side.commit()
    except Exception as exc:  # whatever the cause, the rows are kept in the default partition
        side.rollback()
        logger.warning("monthly partitions %s to %s not created (%s): rows wait in the "
                       "default partition", months[0], months[-1], exc)
        return []
    finally:
        side.close()
    return created


def partitions_ahead(today: dt.date | None = None, ahead: int = 3) -> list[str]:
    """Create the partitions of the current month and the ``ahead`` next ones, and of every
    month whose rows wait in a default partition (moving them in). Called monthly by the
    retention task, so loads of current data always find their month. Returns those created."""
    if connection.vendor != "postgresql":
        return []
    first = month_start(today or timezone.localdate())
    months = {month_add(first, n) for n in range(ahead + 1)}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(4243)")
        for parent, key in PARTITIONED.items():
            if _is_partitioned(cursor, parent):
                cursor.execute(f"SELECT DISTINCT date_trunc('month', {key})::date "
                               f"FROM {parent}_default")
                months |= {row[0] for row in cursor.fetchall()}
        return partitions_create(cursor, sorted(months))


# The canonical frames' timestamp columns a load's rollups are dated by.
CHUNK_TIMES = {"contacts": ("arrived_at", "ended_at"), "segments": ("entered_at", "left_at"),
               "agent_states": ("started_at", "ended_at"), "intervals": ("interval_start",)}


def partitions_ensure_for_chunk(chunk) -> list[str]:
    """:func:`partitions_ensure` for the months an ingest chunk's rows fall in (its canonical
    frames' timestamps, UTC). The loader calls it before writing each chunk."""
    if connection.vendor != "postgresql":
        return []
    lows, highs = [], []
    for frame_name, columns in CHUNK_TIMES.items():
        frame = getattr(chunk, frame_name, None)
        for column in columns:
            if frame is not None and column in frame.columns and len(frame):
                values = frame[column].dropna()
                if len(values):
                    lows.append(values.min())
                    highs.append(values.max())
    if not lows:
        return []
    return partitions_ensure(min(lows).to_pydatetime(), max(highs).to_pydatetime())


# --- retention ---------------------------------------------------------------------------------

def retention_cutoff(months: int, today: dt.date | None = None) -> dt.date:
    """The first day kept when ``months`` whole months are kept before the current one."""
    today = today or timezone.localdate()
    return month_add(month_start(today), -months)


@dataclass
class RetentionItem:
    """One unit of retention work: a partition to archive and drop, or old rows to delete."""

    table: str
    parent: str
    action: str  # "archive partition" | "archive rows" | "delete rows"
    rows: int
    start: dt.date | None = None
    end: dt.date | None = None
    archive: str = ""


def _rows(cursor, table, where="", params=()):
    cursor.execute(f"SELECT COUNT(*) FROM {table} {where}", list(params))
    return cursor.fetchone()[0]


def retention_plan(cutoff: dt.date) -> list[RetentionItem]:
    """What :func:`retention_apply` would remove for ``cutoff`` (rows dated before it)."""
    items = []
    with connection.cursor() as cursor:
        for parent, key in PARTITIONED.items():
            if connection.vendor == "postgresql" and _is_partitioned(cursor, parent):
                for part in partitions_list(cursor, parent):
                    if part.end <= cutoff:
                        items.append(RetentionItem(part.table, parent, "archive partition",
                                                   _rows(cursor, part.table), part.start,
                                                   part.end))
                default = f"{parent}_default"
                old = _rows(cursor, default, f"WHERE {key} < %s", [cutoff])
                if old:
                    items.append(RetentionItem(default, parent, "archive rows", old, None,
                                               cutoff))
            else:
                old = _rows(cursor, parent, f"WHERE {key} < %s", [cutoff])
                if old:
                    items.append(RetentionItem(parent, parent, "delete rows", old, None, cutoff))
    return items


def _archive_dir() -> Path:
    folder = Path(settings.CONTACTMIS_ARCHIVE_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _archive_path(stem: str) -> Path:
    """A new archive file for ``stem`` (a month archived again, after an import of old data,
    gets a numbered file beside the first rather than replacing it)."""
    folder = _archive_dir()
    path, n = folder / f"{stem}.csv.gz", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}.{n}.csv.gz"
    return path


def _copy_out(cursor, select_sql: str, path: Path) -> None:
    """``select_sql``'s rows as CSV with a header, gzip-compressed into ``path`` (written under a
    temporary name and renamed once complete)."""
    partial = path.with_name(path.name + ".partial")
    with gzip.open(partial, "wb") as out:
        cursor.cursor.copy_expert(f"COPY ({select_sql}) TO STDOUT WITH (FORMAT csv, HEADER)",
                                  out)
    with open(partial, "rb") as fh:
        os.fsync(fh.fileno())
    partial.replace(path)


def retention_apply(cutoff: dt.date) -> list[RetentionItem]:
    """Remove the rows dated before ``cutoff`` from the partitioned tables (see the module
    docstring); returns what was done. A partition is archived first and then detached and
    dropped in one short transaction that checks its row count is still the archived one."""
    done = []
    for item in retention_plan(cutoff):
        if item.action == "archive partition":
            path = _archive_path(f"{item.table}")
            with connection.cursor() as cursor:
                _copy_out(cursor, f"SELECT * FROM {item.table}", path)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {item.table} IN ACCESS EXCLUSIVE MODE")
                if _rows(cursor, item.table) != item.rows:
                    logger.warning("%s changed while archived: kept for the next run",
                                   item.table)
                    continue
                cursor.execute(f"ALTER TABLE {item.parent} DETACH PARTITION {item.table}")
                cursor.execute(f"DROP TABLE {item.table}")
            item.archive = str(path)
        elif item.action == "archive rows":
            key = PARTITIONED[item.parent]
            path = _archive_path(f"{item.table}_before_{cutoff:%Y%m%d}")
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {item.table} IN SHARE MODE")
                _copy_out(cursor, f"SELECT * FROM {item.table} WHERE {key} < "
                          f"'{cutoff.isoformat()}'", path)
                cursor.execute(f"DELETE FROM {item.table} WHERE {key} < %s", [cutoff])
            item.archive = str(path)
        else:
            item.rows = _delete_in_batches(item.table, PARTITIONED[item.table], cutoff)
        done.append(item)
    if done:
        data_version_bump({})  # cached dashboards showing those months are computed again
    return done


def _delete_in_batches(table: str, key: str, cutoff: dt.date) -> int:
    """Delete ``table``'s rows dated before ``cutoff``, ``DELETE_BATCH_ROWS`` at a time (each
    batch its own transaction, so a large delete never holds the database)."""
    deleted = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} "
                           f"WHERE {key} < %s LIMIT %s)", [cutoff, DELETE_BATCH_ROWS])
            count = cursor.rowcount
        deleted += count
        if count < DELETE_BATCH_ROWS:
            return deleted
