"""Data collection: import batches from export files into the canonical contact model.

Public entry points (other apps and the simulator call these):

- ``batch_create(source=, file=, original_name=, user=None, export_format=None, enqueue=True)``
  stores the file, records sha256 and size, marks an identical file already loaded for the same
  source as a duplicate (nothing loaded), and enqueues ``measurements.tasks.ingest_batch`` on
  commit.
- ``batch_process(batch_id)`` runs the adapter and loads the batch in one transaction: contacts
  upserted on ``(source, external_id)`` (an overlapping export replaces the contacts it contains
  and their legs), PostgreSQL ``COPY`` into temporary staging tables then ``INSERT … SELECT``;
  executemany into the same staging tables on SQLite. The interval rollups follow from the
  batch's own frames: each chunk's sums (:mod:`measurements.ingest.interval_sums`, minus what
  the contacts it replaces contributed) are added to the stored rows
  (:func:`measurements.services.rollup.rollup_merge`; a bulk load appends them and adds up
  the repeated keys once at the end); only a batch whose contacts the IVR just segmented
  rebuilds its span from the legs (``rollup_rebuild``). Counts are published
  while it runs (through a second connection on PostgreSQL).
- ``batch_retry(batch_id)`` puts a failed or interrupted batch back in the queue.
- ``source_create``/``source_update`` for data sources (validating the column mapping).
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import logging
import os
import shutil
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, connections, transaction
from django.utils import timezone

from pathways.models import Agent, Queue

from .. import ingest
from ..constants import INTERVAL_S, WAIT_BUCKETS_S, BatchStatus, ExportFormat
from ..ingest import generic, interval_sums
from ..models import (
    AgentIntervalStat,
    Contact,
    DataSource,
    ImportBatch,
    IntervalStat,
    RejectedRow,
    Segment,
)
from . import pgcopy
from .daily import daily_rollup_refresh_keys
from .monitor import batch_rejects_alert
from .partitions import partitions_ensure_for_chunk
from .pgsettings import transaction_settings
from .rollup import (
    agent_rollup_merge,
    agent_rollup_rebuild,
    daily_keys,
    interval_floor,
    interval_stats_insert,
    local_fields,
    rollup_merge,
    rollup_rebuild,
    rollups_consolidate,
)
from .segmentation import FEEDING_KINDS, segmentation_carry
from .segmentation_months import segmentation_months_mark

logger = logging.getLogger(__name__)

PROGRESS_EVERY_ROWS = 20_000
# A first chunk of at least this many contacts into a contact table holding fewer rows than the
# chunk loads in bulk mode (indexes built after loading; see ``_Loader._defer_indexes``).
BULK_MIN_ROWS = 100_000
# A batch's running rollup sums are merged into the stored rows once they hold this many rows.
SUMS_FLUSH_ROWS = 150_000
# A batch with fewer legs than this over at most SMALL_SPAN (a live micro-batch, an everyday
# small export) rebuilds its intervals from the stored legs instead of summing its frames.
MERGE_MIN_LEGS = 5_000
SMALL_SPAN = dt.timedelta(days=1)
# Bulk mode adds up the rollup rows of at most this many repeated intervals by naming them;
# more, by reading the whole span.
CONSOLIDATE_MAX_INTERVALS = 2_000
# Memory for the index builds of a bulk load (sorted in memory rather than on disk).
INDEX_BUILD_MEM = "256MB"


class UploadTooLarge(ValidationError):
    pass


# --- data sources -------------------------------------------------------------------------------

def source_create(*, centre, **fields) -> DataSource:
    source = DataSource(centre=centre, **fields)
    _source_validate(source)
    source.save()
    return source


def source_update(source: DataSource, **fields) -> DataSource:
    for name, value in fields.items():
        setattr(source, name, value)
    _source_validate(source)
    source.save()
    return source


def _source_validate(source):
    """Field checks, and the column mapping when one is given (a generic source may be saved
    first and mapped afterwards; its files fail with a clear message until it is)."""
    source.full_clean()
    if source.column_mapping:
        problems = generic.validate_mapping(source.column_mapping)
        if problems:
            raise ValidationError({"column_mapping": problems})


# --- batches ------------------------------------------------------------------------------------

def _hash_and_size(fh) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    fh.seek(0)
    for block in iter(lambda: fh.read(1 << 20), b""):
        digest.update(block)
        size += len(block)
    fh.seek(0)
    return digest.hexdigest(), size


def batch_create(*, source: DataSource, file, original_name: str | None = None, user=None,
                 export_format: str | None = None, enqueue: bool = True) -> ImportBatch:
    """Register one export file as an import batch.

    ``file`` is a path or a binary file object (an upload). Raises :class:`UploadTooLarge` above
    ``CONTACTMIS_MAX_UPLOAD_BYTES``. An identical file (same sha256) already loaded for this
    source gives a batch with status ``duplicate`` and nothing is loaded.
    """
    close = False
    if isinstance(file, str | os.PathLike):
        original_name = original_name or Path(file).name
        file = open(file, "rb")  # noqa: SIM115 - closed below
        close = True
    try:
        sha256, size = _hash_and_size(file)
        limit = settings.CONTACTMIS_MAX_UPLOAD_BYTES
        if size > limit:
            raise UploadTooLarge(
                f"{original_name}: {size / 1e6:.1f} MB is over the upload limit of "
                f"{limit / 1e6:.0f} MB (CONTACTMIS_MAX_UPLOAD_MB); split the export.")
        fmt = export_format or source.export_format or ExportFormat.AUTO
        batch = ImportBatch(source=source, export_format=fmt, original_name=original_name or "",
                            sha256=sha256, size_bytes=size, created_by=user)
        earlier = (ImportBatch.objects.filter(source=source, sha256=sha256,
                                              status=BatchStatus.LOADED)
                   .order_by("created_at").first())
        with transaction.atomic():
            batch.file.save(Path(original_name or "upload").name, File(file), save=False)
            if earlier:
                now = timezone.now()
                batch.status = BatchStatus.DUPLICATE
                batch.export_format = earlier.export_format
                batch.rows_read = earlier.rows_read
                batch.duplicates_skipped = earlier.rows_read
                batch.started_at = batch.finished_at = now
                batch.notes = [{"code": "duplicate_file", "count": 1,
                                "action": f"identical to batch #{earlier.pk} "
                                f"({earlier.original_name}); nothing loaded"}]
            batch.save()
            if enqueue and batch.status == BatchStatus.PENDING:
                _enqueue(batch.pk)
        return batch
    finally:
        if close:
            file.close()


def _enqueue(batch_id):
    from ..tasks import ingest_batch

    transaction.on_commit(lambda: ingest_batch.delay(batch_id))


_quality_deferred = threading.local()


@contextlib.contextmanager
def quality_checks_deferred():
    """Within this block, loaded batches do not trigger the measurement tests and the collection
    monitor: for a bulk load (the demo, a backfill of many files) whose caller runs them once at
    the end, so that checks do not judge a half-loaded history."""
    previous = getattr(_quality_deferred, "on", False)
    _quality_deferred.on = True
    try:
        yield
    finally:
        _quality_deferred.on = previous


def _enqueue_quality(batch_id):
    """Measurement tests and the collection monitor for the period the batch touched, once the
    load has committed (a sandbox load is rolled back, so it never triggers them)."""
    from ..tasks import quality_after_import

    if getattr(_quality_deferred, "on", False):
        return
    transaction.on_commit(lambda: quality_after_import.delay(batch_id))


def batch_retry(batch_id: int) -> ImportBatch:
    """Queue a failed or interrupted (still ``running`` from a dead worker) batch again."""
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status not in (BatchStatus.FAILED, BatchStatus.RUNNING, BatchStatus.PENDING):
        raise ValidationError(f"batch #{batch.pk} is {batch.get_status_display().lower()}; "
                              "only failed or interrupted batches can be retried")
    with transaction.atomic():
        ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.PENDING, error="")
        _enqueue(batch.pk)
    batch.refresh_from_db()
    return batch


class _Progress:
    """Publishes a batch's counts while its transaction is still open.

    On PostgreSQL it writes through a second connection in autocommit, so the browser sees the
    counts grow; SQLite allows one writer, so there the counts appear at commit.
    """

    FIELDS = ("rows_read", "contacts_loaded", "segments_loaded", "surveys_loaded",
              "agent_states_loaded", "intervals_loaded", "rows_rejected", "duplicates_skipped",
              "rows_skipped", "surveys_unmatched", "contacts_replaced")

    def __init__(self, batch):
        self.batch = batch
        self.conn = None
        self.pg = connection.vendor == "postgresql"
        self.last = 0

    def publish(self, force=False):
        if not self.pg:
            return
        every = min(PROGRESS_EVERY_ROWS, getattr(settings, "CONTACTMIS_INGEST_CHUNK_ROWS",
                                                 PROGRESS_EVERY_ROWS))
        # A batch smaller than one step (a followed source's micro-batch) shows its counts at
        # commit: no second connection for it.
        if self.batch.rows_read - self.last < every and (not force or self.conn is None):
            return
        if self.conn is None:
            self.conn = connections.create_connection("default")
        self.last = self.batch.rows_read
        sets = ", ".join(f"{f} = %s" for f in self.FIELDS)
        with self.conn.cursor() as cursor:
            cursor.execute(f"UPDATE measurements_importbatch SET {sets} WHERE id = %s",
                           [getattr(self.batch, f) for f in self.FIELDS] + [self.batch.pk])

    def close(self):
        if self.conn is not None:
            self.conn.close()


def batch_process(batch_id: int) -> ImportBatch:
    """Load one batch (see the module docstring). Safe to call again for the same batch: a
    loaded batch is left alone, an interrupted one is loaded from scratch."""
    claimed = ImportBatch.objects.filter(
        pk=batch_id, status__in=(BatchStatus.PENDING, BatchStatus.RUNNING, BatchStatus.FAILED)
    ).update(status=BatchStatus.RUNNING, started_at=timezone.now(), finished_at=None, error="")
    batch = ImportBatch.objects.select_related("source__centre").get(pk=batch_id)
    if not claimed:
        return batch
    ImportBatch.objects.filter(pk=batch_id).update(attempts=batch.attempts + 1)
    batch.attempts += 1
    progress = _Progress(batch)
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    # Two deliveries of the same batch never load side by side.
                    cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [4242, batch_id])
                if ImportBatch.objects.filter(pk=batch_id, status=BatchStatus.LOADED).exists():
                    return ImportBatch.objects.get(pk=batch_id)
            _load(batch, progress)
            batch.status = BatchStatus.LOADED
            batch.finished_at = timezone.now()
            batch.save()
            batch_rejects_alert(batch)
            _enqueue_quality(batch.pk)
    except ingest.FormatError as exc:
        _fail(batch, str(exc))
    except Exception as exc:
        if _is_transient(exc):
            ImportBatch.objects.filter(pk=batch_id).update(
                status=BatchStatus.PENDING, error=f"will retry: {exc}")
            raise
        logger.exception("import batch %s failed", batch_id)
        _fail(batch, f"{type(exc).__name__}: {exc}")
    finally:
        progress.close()
    batch.refresh_from_db()
    return batch


def _is_transient(exc):
    from django.db import InterfaceError, OperationalError

    return isinstance(exc, OperationalError | InterfaceError) and "locked" not in str(exc)


def _fail(batch, message):
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.FAILED, error=message[:4000], finished_at=timezone.now(),
        contacts_loaded=0, segments_loaded=0, surveys_loaded=0, agent_states_loaded=0,
        intervals_loaded=0)


def _previous_carry(batch):
    prev = (ImportBatch.objects.filter(source=batch.source, status=BatchStatus.LOADED,
                                       export_format=ExportFormat.ASTERISK)
            .exclude(pk=batch.pk).order_by("-finished_at", "-pk").first())
    return prev.carry if prev else None


def _load(batch: ImportBatch, progress: _Progress):
    source = batch.source
    for name in _Progress.FIELDS:
        setattr(batch, name, 0)
    RejectedRow.objects.filter(batch=batch).delete()
    path = batch.file.path
    fmt = batch.export_format
    if fmt == ExportFormat.AUTO:
        fmt = ingest.detect_format(path, batch.original_name, source.column_mapping)
        batch.export_format = fmt
    options = ingest.Options(time_zone=source.time_zone, mapping=source.column_mapping or None,
                             name=batch.original_name, not_after=pd.Timestamp(timezone.now()),
                             chunk_rows=getattr(settings, "CONTACTMIS_INGEST_CHUNK_ROWS",
                                                200_000),
                             carry=_previous_carry(batch) if fmt == ExportFormat.ASTERISK
                             else None)
    loader = _Loader(batch)
    notes = ingest.Notes()
    try:
        for chunk in ingest.read(path, fmt, options):
            batch.rows_read += chunk.rows_read
            batch.rows_skipped += chunk.rows_skipped
            batch.duplicates_skipped += chunk.duplicates
            notes.merge(chunk.notes)
            if chunk.carry is not None:
                batch.carry = chunk.carry
            loader.load(chunk)
            progress.publish()
        loader.finish()
    finally:
        loader.drop()
    if batch.surveys_unmatched:
        notes.add("survey_unmatched", batch.surveys_unmatched,
                  "survey responses whose contact reference matched no contact: kept, unlinked")
    carried = loader.carried
    if carried is not None and carried.contacts:
        notes.add("segmentation_carried", carried.contacts,
                  f"calls given the IVR's contact type ({carried.filled['contact_type']:,}) "
                  f"or customer segment ({carried.filled['customer_segment']:,})"
                  + (" in other sources, whose rollups were rebuilt" if source.kind
                     in FEEDING_KINDS else ""))
    if loader.surveys_linked:
        notes.add("surveys_linked", loader.surveys_linked,
                  "survey responses loaded before their contacts: now linked to them")
    if batch.contacts_replaced:
        notes.add("replaced_contacts", batch.contacts_replaced,
                  "contacts already loaded by an earlier overlapping export: replaced, "
                  "not double-counted")
    if not batch.rows_read:
        notes.add("no_data_rows", 1, "0 data lines: the file has no data rows after its "
                  "header; nothing was loaded")
    batch.notes = notes.as_list()
    progress.publish(force=True)


# --- loading -----------------------------------------------------------------------------------

# Contacts and legs go straight into their tables with their ids assigned here (see
# ``_Loader._contacts``); the one staging table holds a chunk's external ids for the overlap check.
STAGING = {"cmis_stg_ids": [("external_id", "text")]}
CONTACT_COLUMNS = ("id", "centre_id", "source_id", "batch_id", "external_id", "channel",
                   "queue_id", "arrived_at", "ended_at", "customer_ref", "customer_segment",
                   "contact_type", "outcome")
SEGMENT_COLUMNS = ("contact_id", "seq", "kind", "queue_id", "agent_id", "entered_at",
                   "answered_at", "left_at", "wait_s", "talk_s", "hold_s", "acw_s", "outcome")


def _surveys_link(centre_id: int, batch_id: int) -> int:
    """Link the centre's unmatched survey responses whose contact reference is the external id
    of a contact of this batch (a survey export often arrives before the contact export it
    refers to). Returns how many were linked."""
    from ..models import SurveyResponse

    if not SurveyResponse.objects.filter(centre_id=centre_id, contact__isnull=True).exclude(
            contact_ref="").exists():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE measurements_surveyresponse SET contact_id = c.id "
            "FROM measurements_contact c WHERE measurements_surveyresponse.centre_id = %s "
            "AND measurements_surveyresponse.contact_id IS NULL "
            "AND measurements_surveyresponse.contact_ref <> '' "
            "AND c.batch_id = %s AND c.external_id = measurements_surveyresponse.contact_ref",
            [centre_id, batch_id])
        return cursor.rowcount


def _copy_after(previous: Future | None, cursor, sql: str, payload: bytes):
    """Writer thread: ``COPY`` one payload once the one before it is stored."""
    try:
        if previous is not None:
            previous.result()
        pgcopy.copy_payload_send(cursor, sql, payload)
    finally:
        cursor.close()


def _lookup(values: pd.Series, mapping: dict) -> pd.Series:
    """``values.map(mapping)`` looking each distinct value up once (a chunk's queue, agent and
    kind columns hold a few hundred distinct codes over hundreds of thousands of rows)."""
    codes, uniques = pd.factorize(values)
    table = np.array([*(mapping.get(u) for u in uniques), None], dtype=object)
    return pd.Series(table[codes], index=values.index).infer_objects()


def _epoch_list(col: pd.Series) -> list:
    """UTC timestamps as whole epoch seconds (``None`` for missing) for SQLite, where
    ``datetime(?, 'unixepoch')`` turns them into Django's text format."""
    values = col.to_numpy(dtype="datetime64[s]") if col.dt.tz is None else \
        col.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[s]")
    secs = values.astype("int64").astype(object)
    secs[np.isnat(values)] = None
    return secs.tolist()


def _int_list(col: pd.Series) -> list:
    nums = pd.to_numeric(col, errors="coerce")
    out = nums.astype("Int64").astype(object)
    return out.where(nums.notna(), None).tolist()


def _negative(sums: pd.DataFrame, keys: list[str]) -> bool:
    """Whether any quantity of ``sums`` (keyed by ``keys``) is below zero."""
    quantities = [c for c in sums.columns if c not in keys]
    return bool(len(sums)) and bool((sums[quantities].to_numpy() < 0).any())


class _DistinctRows:
    """Rows gathered over a batch whose repeats do not matter (the rollup keys it wrote): the
    repeats are dropped whenever the rows have doubled since they last were, so they stay
    about as many as the distinct ones (a file whose blocks cover the same intervals writes
    their keys again and again), at a cost that follows the rows added."""

    def __init__(self, columns):
        self.rows = pd.DataFrame(columns=columns)
        self.distinct = 0

    def add(self, rows: pd.DataFrame):
        self.rows = pd.concat([self.rows, rows], ignore_index=True) if len(self.rows) else \
            rows.reset_index(drop=True)
        if len(self.rows) > 2 * self.distinct + SUMS_FLUSH_ROWS:
            self.rows = self.rows.drop_duplicates(ignore_index=True)
            self.distinct = len(self.rows)

    def all(self) -> pd.DataFrame:
        """The distinct rows."""
        self.rows = self.rows.drop_duplicates(ignore_index=True)
        self.distinct = len(self.rows)
        return self.rows


class _Loader:
    """Writes canonical chunks of one batch; runs inside the batch's transaction."""

    def __init__(self, batch):
        self.batch = batch
        self.source = batch.source
        self.centre = batch.source.centre
        self.queues: dict[str, int] = {}
        self.agents: dict[str, int] = {}
        self.span = [None, None]
        self.arrivals = [None, None]  # first and last arrival of the contacts loaded or replaced
        self.staged = False
        self.pg = connection.vendor == "postgresql"
        self.deferred: list[str] | None = None  # index DDL to run at finish (bulk mode)
        self.deferred_rollup: list[str] = []  # the per-agent rollup's, after its last rows
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cmis-copy") \
            if self.pg else None
        self.pending: Future | None = None
        self.surveys_linked = 0  # responses loaded earlier, linked to this batch's contacts
        self.carried = None  # what the IVR's contact types and segments filled (see finish)
        # The batch's own rollup sums, computed from its frames chunk by chunk (replaced
        # contacts subtracted), and the interval keys whose longest wait may have left.
        # Merged into the stored rows whenever they hold ``SUMS_FLUSH_ROWS`` rows, so that
        # memory follows the chunk, not the file.
        self.sums: list[pd.DataFrame] = []
        self.agent_sums: list[pd.DataFrame] = []
        self.stale = pd.DataFrame(columns=interval_sums.INTERVAL_KEYS)
        self.written = _DistinctRows(interval_sums.INTERVAL_KEYS)
        # (interval start epoch s, queue id) keys whose rows changed.
        self.touched = _DistinctRows(["iv", "queue_id"])
        # Bulk mode: the span (UTC) of the rollup rows appended since they were last added up
        # (see _flush_sums); None outside bulk mode.
        self.appended: list | None = None
        # Bulk mode: the intervals (epoch s) of the rollup rows written so far, and those
        # written more than once — the only ones a key can repeat in; None outside bulk mode,
        # or when the source may hold rollup rows from before the batch (any interval may
        # repeat a key: see _rollups_held).
        self.intervals_written: np.ndarray | None = None
        self.intervals_repeated = np.empty(0, dtype="int64")
        self.legs: list | None = []  # a small batch's legs (see _add_sums); None: summing
        self.seen: pd.Index | None = None  # bulk mode: ids held before (_maybe_stored)

    # codes → ids
    def _queue_ids(self, frame, channels=None):
        wanted = frame[["queue_code", "queue_kind"]].drop_duplicates()
        # Codes met before in one query (a followed source's micro-batch meets the same few
        # hundred every second); only new ones are created one by one.
        missing = {c[:120] for c in wanted["queue_code"] if c and c not in self.queues}
        if missing:
            known = dict(Queue.objects.filter(centre=self.centre, code__in=missing)
                         .values_list("code", "pk"))
            self.queues.update((c, known[c[:120]]) for c in wanted["queue_code"]
                               if c and c[:120] in known)
        for code, kind in wanted.itertuples(index=False):
            if not code or code in self.queues:
                continue
            channel = (channels or {}).get(code, "voice")
            queue, _ = Queue.objects.get_or_create(
                centre=self.centre, code=code[:120],
                defaults={"kind": kind or "acd", "channel": channel, "name": ""})
            self.queues[code] = queue.pk
        return _lookup(frame["queue_code"], self.queues)

    def _agent_ids(self, codes: pd.Series):
        missing = {code: code[:120] for code in codes.drop_duplicates()
                   if code and code not in self.agents}
        if missing:
            # Hundreds of new agents in a first export: created in one statement (the unique
            # (centre, code) keeps a concurrent batch's rows), then all read back at once.
            Agent.objects.bulk_create([Agent(centre=self.centre, code=c)
                                       for c in set(missing.values())], ignore_conflicts=True)
            ids = dict(Agent.objects.filter(centre=self.centre, code__in=set(missing.values()))
                       .values_list("code", "pk"))
            self.agents.update({code: ids[short] for code, short in missing.items()})
        return _lookup(codes, self.agents)

    def _stage(self):
        if self.staged:
            return
        with connection.cursor() as cursor:
            for table, cols in STAGING.items():
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
                types = ", ".join(f"{n} {t if self.pg else ''}".strip() for n, t in cols)
                cursor.execute(f"CREATE TEMP TABLE {table} ({types})")
        self.staged = True

    def _wait(self):
        """Let the writer thread's ``COPY`` finish (raising its error, if any) before the
        connection is used for anything else."""
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()

    def drop(self):
        if self.writer is not None:
            with contextlib.suppress(Exception):  # the batch's own error is already raised
                self._wait()
            self.writer.shutdown(wait=True)
        if not self.staged:
            return
        try:
            with connection.cursor() as cursor:
                for table in STAGING:
                    cursor.execute(f"DROP TABLE IF EXISTS {table}")
        except Exception:  # noqa: BLE001 - a broken transaction drops temp tables anyway
            logger.debug("staging tables not dropped", exc_info=True)

    def _write(self, table, spec, frame, *, clear=False, background=False):
        """Append ``frame`` (columns named as in ``spec``; timestamps tz-aware) to ``table``:
        one binary ``COPY … FROM STDIN`` on PostgreSQL (payload laid out by numpy,
        :mod:`.pgcopy`), one ``executemany`` on SQLite.

        ``background`` (PostgreSQL): the payload is built here and sent by the loader's writer
        thread, so the server stores this chunk while the next one is being parsed; every
        other use of the connection waits for it first (:meth:`_wait`)."""
        cols = [n for n, _ in spec]
        with connection.cursor() as cursor:
            if clear:
                cursor.execute(f"DELETE FROM {table}")
            if self.pg:
                if not background:
                    self._wait()
                    pgcopy.copy_frame(cursor.cursor, table, frame, spec)
                    return
                self._copy_background(table, frame, spec)
                return
            columns, marks = [], []
            for n, t in spec:
                col = frame[n]
                if t == "timestamptz":
                    columns.append(_epoch_list(col))
                    marks.append("datetime(%s, 'unixepoch')")
                elif t.startswith("int"):
                    columns.append(_int_list(col))
                    marks.append("%s")
                else:
                    columns.append(col.astype(object).where(col.notna(), "").tolist())
                    marks.append("%s")
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(marks)})",
                zip(*columns, strict=True))

    def _copy_background(self, table, frame, spec):
        """PostgreSQL: build ``frame``'s binary ``COPY`` payload here and queue it for the
        writer thread, after the payloads queued before it."""
        if frame.empty:
            return
        payload = pgcopy.copy_payload(frame, spec)
        sql = pgcopy.copy_sql(table, spec)
        # A cursor of its own: the writer thread closes it when the payload is sent.
        raw = connection.connection.cursor()
        previous = self.pending
        self.pending = self.writer.submit(_copy_after, previous, raw, sql, payload)

    def _reserve_contact_ids(self, n) -> np.ndarray:
        """``n`` new contact ids. PostgreSQL: drawn from the table's sequence in one statement
        (safe beside concurrent inserts), returned as the runs of consecutive values — one run
        unless another writer drew ids at the same moment — so a million ids cost one small
        result, not a million rows. SQLite (one writer, and the batch's transaction holds the
        write lock): the ids after the highest ever used."""
        with connection.cursor() as cursor:
            if self.pg:
                cursor.execute("SELECT pg_get_serial_sequence('measurements_contact', 'id')")
                seq = cursor.fetchone()[0]
                # Values are drawn in row order, so v − g is constant along each run.
                cursor.execute(
                    "SELECT MIN(v), MAX(v), COUNT(*) FROM (SELECT g, nextval(%s::regclass) AS v "
                    "FROM generate_series(1, %s) g) drawn GROUP BY v - g", [seq, n])
                runs = cursor.fetchall()
                if all(hi - lo + 1 == count for lo, hi, count in runs):
                    return np.concatenate([np.arange(lo, hi + 1, dtype="int64")
                                           for lo, hi, _ in runs])
                cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                               [seq, n])
                return np.fromiter((r[0] for r in cursor.fetchall()), dtype="int64", count=n)
            cursor.execute("SELECT MAX(m) FROM (SELECT MAX(id) AS m FROM measurements_contact "
                           "UNION ALL SELECT seq FROM sqlite_sequence "
                           "WHERE name = 'measurements_contact')")
            top = cursor.fetchone()[0] or 0
            return np.arange(top + 1, top + 1 + n, dtype="int64")

    def _extend_span(self, series, span=None):
        span = self.span if span is None else span
        if series.empty:
            return
        lo, hi = series.min(), series.max()
        if pd.isna(lo):
            return
        lo, hi = lo.to_pydatetime(), hi.to_pydatetime()
        span[0] = lo if span[0] is None else min(span[0], lo)
        span[1] = hi if span[1] is None else max(span[1], hi)

    def load(self, chunk):
        self._wait()
        partitions_ensure_for_chunk(chunk)  # the rollup months this chunk dates, before writing
        batch = self.batch
        if len(chunk.rejects):
            RejectedRow.objects.bulk_create(
                [RejectedRow(batch=batch, line=int(r.line), field=str(r.field)[:120],
                             reason=str(r.reason)[:500], raw=str(r.raw)[:2000])
                 for r in chunk.rejects.itertuples(index=False)], batch_size=2000)
            batch.rows_rejected += len(chunk.rejects)
        # Every statement of the chunk first (ids, replaced contacts); then the rollup rows of
        # the chunks before and this chunk's contacts and legs are queued for the writer
        # thread, which stores them while this chunk's sums and the next chunk are computed.
        prepared = self._contacts_prepare(chunk.contacts, chunk.segments) \
            if len(chunk.contacts) else None
        self._flush_sums(background=True)
        if prepared is not None:
            self._contacts_write(*prepared)
        if len(chunk.surveys) or len(chunk.agent_states) or len(chunk.intervals):
            # The writer thread's COPY of the legs shares the connection: the statements below
            # must not start while it sends (a followed log's micro-batch brings contacts and
            # agent events together, and a query amid a COPY never got its answer).
            self._wait()
        if len(chunk.surveys):
            self._surveys(chunk.surveys)
        if len(chunk.agent_states):
            self._agent_states(chunk.agent_states)
        if len(chunk.intervals):
            self._intervals(chunk.intervals)

    def _contacts_prepare(self, contacts, segments):
        """The statements of loading a chunk's contacts and legs (written by
        :meth:`_contacts_write`, with what this returns).

        The chunk's external ids are staged and checked against the source's contacts with one
        join. Contacts already stored (an overlapping export, or a later chunk of the same file)
        take the delete-and-replace path: their legs and rows are deleted (their intervals join
        the span to rebuild) and they are written again under their old ids, so survey
        responses linked to them stay linked. Every other contact gets a new id up front, so
        contacts and legs are written straight into their tables (``COPY`` on PostgreSQL)
        without staging joins.
        """
        self._stage()
        if self.deferred is None:
            self.deferred = self._defer_indexes(len(contacts)) if self.pg else []
            if self.deferred:
                self._seen_start()
                self.appended = [None, None]
                if not self._rollups_held():
                    self.intervals_written = np.empty(0, dtype="int64")
        src = self.source.pk
        # The channel of each queue (the last contact's, as the rows are read).
        pairs = contacts[["queue_code", "channel"]].drop_duplicates("queue_code", keep="last")
        channels = dict(zip(pairs["queue_code"], pairs["channel"], strict=True))
        contacts = contacts.copy()
        known = segments[["queue_code", "queue_kind"]].drop_duplicates()
        contacts["queue_kind"] = _lookup(
            contacts["queue_code"], dict(zip(known["queue_code"], known["queue_kind"],
                                             strict=False))).fillna("acd")
        contacts["queue_id"] = self._queue_ids(contacts, channels)
        segments = segments.copy()
        segments["queue_id"] = self._queue_ids(segments, channels)
        segments["agent_id"] = self._agent_ids(segments["agent_code"].fillna(""))
        for col in ("arrived_at", "ended_at"):
            contacts[col] = pd.to_datetime(contacts[col], utc=True)
        self._extend_span(contacts["arrived_at"], self.arrivals)
        for col in ("entered_at", "answered_at", "left_at"):
            segments[col] = pd.to_datetime(segments[col], utc=True)
        seg_t, con_t = "measurements_segment", "measurements_contact"
        maybe = self._maybe_stored(contacts["external_id"])
        self._write("cmis_stg_ids", STAGING["cmis_stg_ids"],
                    contacts if maybe is None else contacts[maybe], clear=True)
        overlap = (f"SELECT c.id FROM {con_t} c JOIN cmis_stg_ids g "
                   f"ON g.external_id = c.external_id WHERE c.source_id = %s")
        with connection.cursor() as cursor:
            existing = {}
            if maybe is None or maybe.any():
                cursor.execute(f"SELECT c.external_id, c.id FROM {con_t} c JOIN cmis_stg_ids g "
                               f"ON g.external_id = c.external_id WHERE c.source_id = %s", [src])
                existing = dict(cursor.fetchall())
            if existing:
                # Legs of contacts this export replaces: their intervals must be rebuilt too.
                cursor.execute(f"SELECT MIN(entered_at), MAX(entered_at) FROM {seg_t} "
                               f"WHERE contact_id IN ({overlap})", [src])
                old_lo, old_hi = cursor.fetchone()
                if old_lo is not None:
                    self._extend_span(pd.Series(pd.to_datetime([old_lo, old_hi], utc=True)))
                cursor.execute(f"SELECT MIN(arrived_at), MAX(arrived_at) FROM {con_t} "
                               f"WHERE id IN ({overlap})", [src])
                old_lo, old_hi = cursor.fetchone()
                if old_lo is not None:
                    self._extend_span(pd.Series(pd.to_datetime([old_lo, old_hi], utc=True)),
                                      self.arrivals)
                self.batch.contacts_replaced += len(existing)
                self._subtract_stored(overlap, [src])
                cursor.execute(f"DELETE FROM {seg_t} WHERE contact_id IN ({overlap})", [src])
                cursor.execute(f"DELETE FROM {con_t} WHERE id IN ({overlap})", [src])
        ids = contacts["external_id"].map(existing) if existing else \
            pd.Series(np.nan, index=contacts.index)
        new = ids.isna().to_numpy()
        if new.any():
            ids = ids.to_numpy(dtype="float64", copy=True)
            ids[new] = self._reserve_contact_ids(int(new.sum()))
        contacts["id"] = pd.Series(ids, index=contacts.index).astype("int64")
        contacts["centre_id"] = self.centre.pk
        contacts["source_id"] = src
        contacts["batch_id"] = self.batch.pk
        return contacts, segments

    def _contacts_write(self, contacts, segments):
        """Queue a prepared chunk's contacts and legs for writing, and add the legs' rollup
        sums to the batch's running sums."""
        seg_t, con_t = "measurements_segment", "measurements_contact"
        self._write(con_t, pgcopy.column_types(Contact, CONTACT_COLUMNS), contacts, background=True)
        # Legs find their contact's id by position: one factorisation of both id columns.
        codes, _ = pd.factorize(pd.concat([contacts["external_id"], segments["external_id"]],
                                          ignore_index=True))
        row = np.full(codes.max() + 1, -1, dtype=np.int64)
        row[codes[:len(contacts)]] = np.arange(len(contacts))
        found = row[codes[len(contacts):]]
        segments["contact_id"] = np.where(found >= 0,
                                          contacts["id"].to_numpy()[np.maximum(found, 0)],
                                          np.nan)
        segments = segments[segments["contact_id"].notna()]
        self._add_sums(segments.assign(
            contact=segments["contact_id"],
            **{c: contacts[c].to_numpy()[found[found >= 0]] if c in contacts else ""
               for c in ("channel", "contact_type", "customer_segment")}))
        self._write(seg_t, pgcopy.column_types(Segment, SEGMENT_COLUMNS), segments, background=True)
        self.batch.contacts_loaded += len(contacts)
        self.batch.segments_loaded += len(segments)
        self._extend_span(segments["entered_at"])

    def _surveys(self, surveys):
        from ..models import Contact, SurveyResponse

        refs = set(surveys["contact_ref"])
        ids = dict(Contact.objects.filter(centre=self.centre, external_id__in=refs)
                   .values_list("external_id", "pk"))
        objs = []
        for r in surveys.itertuples(index=False):
            objs.append(SurveyResponse(
                centre=self.centre, source=self.source, batch=self.batch,
                external_id=r.external_id[:200], contact_id=ids.get(r.contact_ref),
                contact_ref=r.contact_ref[:200],
                responded_at=None if pd.isna(r.responded_at) else r.responded_at.to_pydatetime(),
                csat=None if pd.isna(r.csat) else int(r.csat),
                nps=None if pd.isna(r.nps) else int(r.nps),
                resolved_first_time=None if r.resolved_first_time is None or
                pd.isna(r.resolved_first_time) else bool(r.resolved_first_time),
                comment=r.comment or ""))
        SurveyResponse.objects.bulk_create(
            objs, batch_size=2000, update_conflicts=True,
            unique_fields=["source", "external_id"],
            update_fields=["batch", "contact", "contact_ref", "responded_at", "csat", "nps",
                           "resolved_first_time", "comment"])
        self.batch.surveys_loaded += len(objs)
        self.batch.surveys_unmatched += sum(1 for o in objs if o.contact_id is None)

    def _agent_states(self, states):
        from ..models import AgentState

        # One span per (agent, state, start) — the stored key: an agent added to several queues
        # at the same second gives one staffed span per queue, which PostgreSQL refuses to
        # upsert in one statement (SQLite kept the last; so do we, on both).
        states = states.drop_duplicates(["agent_code", "state", "started_at"], keep="last")
        states = states.copy()
        states["queue_kind"] = "acd"
        queue_ids = self._queue_ids(states)
        agent_ids = self._agent_ids(states["agent_code"])
        objs = [AgentState(centre=self.centre, source=self.source, batch=self.batch,
                           agent_id=a, queue_id=None if pd.isna(q) else int(q), state=r.state,
                           started_at=r.started_at.to_pydatetime(),
                           ended_at=r.ended_at.to_pydatetime(), reason=r.reason[:120])
                for r, a, q in zip(states.itertuples(index=False), agent_ids, queue_ids,
                                   strict=True)]
        self._extend_span(states["started_at"])
        self._extend_span(states["ended_at"])
        AgentState.objects.bulk_create(
            objs, batch_size=2000, update_conflicts=True,
            unique_fields=["source", "agent", "state", "started_at"],
            update_fields=["batch", "queue", "ended_at", "reason"])
        self.batch.agent_states_loaded += len(objs)

    def _intervals(self, frame):
        frame = frame.copy()
        frame["queue_id"] = self._queue_ids(frame)
        tz = self.centre.tz
        objs = []
        thresholds_missing = 0
        for r in frame.to_dict("records"):
            start = r["interval_start"].to_pydatetime()
            values = {k: int(r.get(k, 0) or 0) for k in (
                "offered", "answered", "abandoned", "flowed_out", "handled", "talk_s", "hold_s",
                "acw_s", "wait_answered_s", "wait_abandoned_s", "wait_max_s")}
            threshold = int(r.get("threshold_s", 0) or 0)
            if "answered_within_threshold" in r and not pd.isna(r["answered_within_threshold"]):
                if threshold in WAIT_BUCKETS_S:
                    values[f"answered_le_{threshold}s"] = int(r["answered_within_threshold"])
                    if not pd.isna(r.get("abandoned_within_threshold", float("nan"))):
                        values[f"abandoned_le_{threshold}s"] = int(
                            r["abandoned_within_threshold"])
                else:
                    thresholds_missing += 1
            objs.append({
                "centre_id": self.centre.pk, "source_id": self.source.pk,
                "batch_id": self.batch.pk, "interval_start": start,
                "interval_s": int(r.get("interval_s") or 900), **local_fields(start, tz),
                "queue_id": int(r["queue_id"]), "step_id": None,
                "channel": r.get("channel") or "voice", "contact_type": "",
                "customer_segment": "", **values})
        starts = frame["interval_start"]
        IntervalStat.objects.filter(
            source=self.source, queue_id__in=set(frame["queue_id"]),
            interval_start__gte=starts.min().to_pydatetime(),
            interval_start__lte=starts.max().to_pydatetime()).delete()
        interval_stats_insert(objs)
        self.batch.intervals_loaded += len(objs)
        if thresholds_missing:
            self.batch.notes = [*self.batch.notes, {
                "code": "threshold_not_a_bucket", "count": thresholds_missing,
                "action": f"service-level threshold not one of {WAIT_BUCKETS_S}: answered "
                "within threshold not stored"}]

    def _seen_start(self):
        """Bulk mode: the contact table has no index on external ids while it loads, so
        whether a chunk's contacts are stored already is asked of the ids the source held
        before the batch (few: bulk mode needs a small table). Ids repeated across the
        batch's own chunks are found by the unique key, built first at the end
        (:meth:`_unique_key_build`)."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT external_id FROM measurements_contact WHERE source_id = %s",
                           [self.source.pk])
            self.seen = pd.Index([r[0] for r in cursor.fetchall()], dtype=object)

    def _maybe_stored(self, ids: pd.Series) -> np.ndarray | None:
        """Bulk mode: a mask of the ``ids`` the source held before the batch; ``None``
        outside bulk mode (the index answers)."""
        if self.seen is None:
            return None
        return ids.isin(self.seen).to_numpy() if len(self.seen) else \
            np.zeros(len(ids), dtype=bool)

    def _unique_key_build(self, cursor, ddl: str):
        """Build the contacts' unique key (``ddl``) after a bulk load. A contact id repeated in
        a later chunk of the file stops it: then the earlier rows of each repeated id are
        replaced by the latest (as outside bulk mode: counted, their rollup sums subtracted)
        and the key built again."""
        from django.db import IntegrityError

        point = transaction.savepoint()
        try:
            cursor.execute(ddl)
        except IntegrityError:
            transaction.savepoint_rollback(point)
        else:
            transaction.savepoint_commit(point)
            return
        earlier = ("SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY external_id "
                   "ORDER BY id DESC) AS r FROM measurements_contact WHERE source_id = %s "
                   "AND external_id IN (SELECT external_id FROM measurements_contact "
                   "WHERE source_id = %s GROUP BY external_id HAVING COUNT(*) > 1)) x "
                   "WHERE r > 1")
        params = [self.source.pk, self.source.pk]
        cursor.execute("CREATE TEMP TABLE cmis_repeated ON COMMIT DROP AS " + earlier, params)
        self._subtract_stored("SELECT id FROM cmis_repeated", [])
        cursor.execute("DELETE FROM measurements_segment WHERE contact_id IN "
                       "(SELECT id FROM cmis_repeated)")
        cursor.execute("DELETE FROM measurements_contact WHERE id IN "
                       "(SELECT id FROM cmis_repeated)")
        self.batch.contacts_replaced += cursor.rowcount
        cursor.execute("DROP TABLE cmis_repeated")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # see _rebuild_indexes
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(ddl)

    def _add_sums(self, legs: pd.DataFrame, sign: int = 1):
        """Add (``sign`` −1: subtract) the rollup sums of ``legs`` (canonical legs with their
        contact's id as ``contact`` and its channel, contact type and customer segment) to
        the batch's running sums; a subtraction marks its keys' longest wait as stale.

        The legs of a small batch are only kept (``self.legs``) until they reach
        ``MERGE_MIN_LEGS``: a micro-batch over a short span rebuilds its intervals from the
        stored legs at the end (a few hundred legs; cheaper than summing in pandas)."""
        if legs.empty:
            return
        if self.legs is not None:
            self.legs.append((legs, sign))
            if sum(len(f) for f, _ in self.legs) < MERGE_MIN_LEGS:
                return
            kept, self.legs = self.legs, None
            for frame, kept_sign in kept:
                self._add_sums(frame, kept_sign)
            return
        sums = interval_sums.interval_sums(legs, WAIT_BUCKETS_S, INTERVAL_S)
        agents = interval_sums.agent_sums(legs, INTERVAL_S)
        keys, agent_keys = interval_sums.INTERVAL_KEYS, interval_sums.AGENT_KEYS
        if sign < 0:
            self.stale = pd.concat([self.stale, sums[keys]], ignore_index=True) \
                .drop_duplicates()
            sums = interval_sums.combine([sums], keys, [sign])
            agents = interval_sums.combine([agents], agent_keys, [sign])
        self.sums.append(sums)
        self.agent_sums.append(agents)

    def _flush_sums(self, *, final=False, background=False):
        """Merge the running sums into the stored rollup rows (the batch's legs so far are
        stored: call after :meth:`_wait`) when they have grown to ``SUMS_FLUSH_ROWS`` rows, or
        at the ``final`` call. The daily rollup and the longest waits of keys a replaced
        contact left are brought up to date at the final call only. ``background``
        (PostgreSQL): the stored rows are read and deleted here, the merged rows queued for
        the writer thread once both rollups have been read.

        Bulk mode appends the sums instead (no stored row read: the cost of a chunk does not
        grow with the rows of the chunks before, whose intervals a later block of the file may
        cover again) and adds up the rows of repeated keys at the final call, before anything
        reads them."""
        queued: list[tuple] = []
        copy = (lambda *args: queued.append(args)) if background and self.pg else None
        held = sum(len(f) for f in self.sums) + sum(len(f) for f in self.agent_sums)
        if not final and held < SUMS_FLUSH_ROWS:
            return
        if final and self.legs is not None:  # a small batch: see _rollups
            return
        keys = interval_sums.INTERVAL_KEYS
        sums = interval_sums.combine(self.sums, keys)
        agents = interval_sums.combine(self.agent_sums, interval_sums.AGENT_KEYS)
        if final and len(self.stale):
            # Nothing to add, but their longest wait is read again from the legs.
            sums = interval_sums.combine([sums, self.stale.assign(offered=0)], keys)
        # Bulk mode appends sums that only add (a subtraction, or a longest wait to read
        # again, is merged: after the rows appended so far are added up).
        append = self.appended is not None and not (final and len(self.stale)) \
            and not _negative(sums, keys) and not _negative(agents, interval_sums.AGENT_KEYS)
        if final and not append:
            self._consolidate()
        written = rollup_merge(self.source, sums, self.batch, self.stale if final else None,
                               daily=False, copy=copy, append=append)
        agent_rollup_merge(self.source, agents, copy, append=append)
        if self.appended is not None:
            self._note_intervals(sums, agents)
        if append:
            for frame in (sums, agents):
                if len(frame):
                    self._extend_span(pd.to_datetime(frame["iv"].agg(["min", "max"]),
                                                     unit="s", utc=True), self.appended)
        if len(sums):
            self.touched.add(sums[["iv", "queue_id"]].drop_duplicates())
        self.written.add(written)
        for args in queued:
            self._copy_background(*args)
        self.sums, self.agent_sums = [], []
        if final:
            self._consolidate()
            self.batch.intervals_loaded += len(self.written.all())
            touched = self.touched.all()
            if len(touched):
                daily_rollup_refresh_keys(self.source, daily_keys(touched, self.centre.time_zone))

    def _rollups_held(self) -> bool:
        """Whether the source may have rollup rows stored already (a bulk load's appended rows
        may then repeat their keys in any interval): it held contacts before the batch, or an
        earlier batch of it wrote rollup rows. Asked without reading the rollups, whose
        default partitions this transaction must not lock (see ``partitions_ensure``)."""
        return bool(len(self.seen)) or ImportBatch.objects.filter(
            source=self.source, intervals_loaded__gt=0).exclude(pk=self.batch.pk).exists()

    def _note_intervals(self, *frames):
        """Bulk mode: note the intervals of the rollup rows of ``frames`` (``iv`` epoch s),
        about to be written, and those written before (see :meth:`_consolidate`)."""
        if self.intervals_written is None:
            return
        ivs = np.unique(np.concatenate([np.empty(0, dtype="int64")] + [
            f["iv"].to_numpy(dtype="int64") for f in frames if "iv" in f]))
        self.intervals_repeated = np.union1d(
            self.intervals_repeated, np.intersect1d(ivs, self.intervals_written,
                                                    assume_unique=True))
        self.intervals_written = np.union1d(self.intervals_written, ivs)

    def _consolidate(self):
        """Bulk mode: add up the rollup rows appended so far that share a key (see
        :func:`rollups_consolidate`); the batch's writes are waited for first."""
        if self.appended is None or self.appended[0] is None:
            return
        self._wait()
        # Only the intervals written more than once can hold a repeated key (a file sorted by
        # time repeats only those its chunks share at their edges); many: the whole span.
        repeated = self.intervals_repeated if self.intervals_written is not None and \
            len(self.intervals_repeated) <= CONSOLIDATE_MAX_INTERVALS else None
        rollups_consolidate(self.source, *self.appended, batch=self.batch, intervals=repeated)
        self.appended = [None, None]
        self.intervals_repeated = np.empty(0, dtype="int64")

    def _subtract_stored(self, contact_ids_sql: str, params: list):
        """Subtract what the stored contacts selected by ``contact_ids_sql`` (about to be
        replaced) contributed to the rollups: their stored legs through the same sums."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.contact_id, s.seq, s.kind, s.queue_id, s.agent_id, s.entered_at, "
                "s.wait_s, s.talk_s, s.hold_s, s.acw_s, s.outcome, c.channel, c.contact_type, "
                "c.customer_segment FROM measurements_segment s JOIN measurements_contact c "
                f"ON c.id = s.contact_id WHERE s.contact_id IN ({contact_ids_sql})", params)
            rows = cursor.fetchall()
        legs = pd.DataFrame(rows, columns=[
            "contact", "seq", "kind", "queue_id", "agent_id", "entered_at", "wait_s", "talk_s",
            "hold_s", "acw_s", "outcome", "channel", "contact_type", "customer_segment"])
        legs["entered_at"] = pd.to_datetime(legs["entered_at"], utc=True)
        self._add_sums(legs, sign=-1)

    def _rollups(self):
        """Bring the interval rollups up to date with the batch: its own sums added to the
        stored rows — unless the IVR just gave some of its contacts a contact type or customer
        segment (the sums grouped them without), then the span is rebuilt from the legs. The
        per-agent rollup likewise, unless the source logs agent states in the span (staffed
        and available time are spans, not legs: rebuilt)."""
        from ..models import AgentState

        lo, hi = self.span
        carried = self.carried is not None and self.carried.contacts and \
            self.source.kind not in FEEDING_KINDS
        if self.legs is not None and hi - lo > SMALL_SPAN:
            # Few legs over a long span: rebuilding would read every leg of the span.
            kept, self.legs = self.legs, None
            for frame, sign in kept:
                self._add_sums(frame, sign)
        small = self.legs is not None
        self._flush_sums(final=True)
        if carried or small:
            self.batch.intervals_loaded = rollup_rebuild(self.source, lo, hi, batch=self.batch)
        states = AgentState.objects.filter(source=self.source, started_at__lt=hi,
                                           ended_at__gt=lo)
        if small or states.exists():
            agent_rollup_rebuild(self.source, lo, hi)

    def _defer_indexes(self, first_chunk_rows: int) -> list[str]:
        """Bulk mode for a large load into small fact tables (the first history of a centre, a
        backfill): when the first chunk alone is at least ``BULK_MIN_ROWS`` contacts and the
        contact table holds fewer rows than that, the secondary indexes and unique constraints
        of the contact and leg tables are dropped inside the batch's transaction and built
        again, once, before the rollups — a sorted build instead of millions of single-entry
        inserts. Other sessions wait for the tables until the batch commits; a primary key
        stays where a foreign key points at it (the contacts': survey responses).
        Returns the DDL that rebuilds them (run by :meth:`finish`; a rollback restores them).

        The per-agent rollup, when it too holds fewer rows than the chunk, likewise loses the
        indexes its merges do not read (all but its primary key and ``(source,
        interval_start)``) until its last rows are written (:attr:`deferred_rollup`): a large
        first load writes about one of its rows per agent leg. In bulk mode the rollup rows
        of each chunk are appended, not merged (:attr:`appended`, :meth:`_flush_sums`)."""
        if first_chunk_rows < BULK_MIN_ROWS:
            return []
        with connection.cursor() as cursor:
            cursor.execute("SELECT GREATEST(reltuples, 0) FROM pg_class "
                           "WHERE oid = 'measurements_contact'::regclass")
            if cursor.fetchone()[0] >= first_chunk_rows:
                return []
            cursor.execute("SELECT COUNT(*) FROM (SELECT 1 FROM measurements_contact "
                           "LIMIT %s) stored", [first_chunk_rows])
            if cursor.fetchone()[0] >= first_chunk_rows:
                return []
            rebuild = []
            for table in ("measurements_contact", "measurements_segment"):
                rebuild += _indexes_drop(cursor, table)
            cursor.execute("SELECT GREATEST(reltuples, 0) FROM pg_class "
                           "WHERE oid = 'measurements_agentintervalstat'::regclass")
            if cursor.fetchone()[0] < first_chunk_rows:
                merged_by = [i.name for i in AgentIntervalStat._meta.indexes
                             if i.fields == ["source", "interval_start"]]
                self.deferred_rollup = _indexes_drop(
                    cursor, "measurements_agentintervalstat", constraints=False, keep=merged_by)
        logger.info("batch %s: bulk load, %d indexes built after loading", self.batch.pk,
                    len(rebuild) + len(self.deferred_rollup))
        return rebuild

    def _rebuild_rollup_indexes(self):
        """Build the per-agent rollup's indexes dropped by :meth:`_defer_indexes`."""
        if not self.deferred_rollup:
            return
        with transaction_settings(maintenance_work_mem=INDEX_BUILD_MEM), \
                connection.cursor() as cursor:
            for ddl in self.deferred_rollup:
                cursor.execute(ddl)
        self.deferred_rollup = []

    def _rebuild_indexes(self, analyze=("measurements_contact", "measurements_segment")):
        """Build the indexes dropped by :meth:`_defer_indexes` and refresh the planner's
        statistics of ``analyze`` (the tables the rollups read have just grown many-fold)."""
        if not self.deferred:
            return
        with connection.cursor() as cursor, \
                transaction_settings(maintenance_work_mem=INDEX_BUILD_MEM):
            # Replaced contacts leave deferred foreign-key checks (survey responses point at
            # contacts) pending, and a table with pending checks cannot be altered: run them.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for ddl in self.deferred:
                if "contact_unique_external_id" in ddl:
                    self._unique_key_build(cursor, ddl)
                else:
                    cursor.execute(ddl)
        if analyze:
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {', '.join(analyze)}")
        self.deferred = []

    def finish(self):
        self._wait()
        self._rebuild_indexes()
        if self.batch.contacts_loaded:
            self.surveys_linked = _surveys_link(self.centre.pk, self.batch.pk)
            # The IVR's reason and customer segment travel with the call, whichever file came
            # first; this batch's own rollup (below) then groups its contacts by them.
            self.carried = segmentation_carry(self.centre, batch=self.batch,
                                              rebuild=self.source.kind in FEEDING_KINDS)
        if self.arrivals[0] is not None:
            # The monitor's next segmentation check counts these months again (only these).
            segmentation_months_mark(self.source, *self.arrivals)
        if self.span[0] is not None:
            # Most of a large batch's rollup rows were merged while it loaded (into indexed
            # tables: each merge reads the stored rows of its span); what is left is small.
            self._rollups()
            self.batch.period_start = interval_floor(self.span[0])
            self.batch.period_end = interval_floor(self.span[1]) + dt.timedelta(minutes=15)
        self._rebuild_rollup_indexes()


def _indexes_drop(cursor, table, *, constraints=True, keep=()) -> list[str]:
    """Drop ``table``'s unique constraints and secondary indexes, and its primary key unless a
    foreign key points at it, inside the current transaction; return the DDL that creates them
    again (the primary key first). ``constraints`` false: its indexes only (not ``keep``)."""
    rebuild = []
    cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                   "WHERE conrelid = %s::regclass AND (contype = 'u' OR contype = 'p' AND "
                   "NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' "
                   "AND f.confrelid = %s::regclass)) ORDER BY contype = 'u'", [table, table])
    for name, definition in cursor.fetchall() if constraints else ():
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    cursor.execute("SELECT c.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                   "JOIN pg_class c ON c.oid = x.indexrelid WHERE x.indrelid = %s::regclass "
                   "AND NOT x.indisprimary AND NOT x.indisunique", [table])
    for name, definition in cursor.fetchall():
        if name in keep:
            continue
        cursor.execute(f'DROP INDEX "{name}"')
        # A partitioned table's index reads "ON ONLY" (that table alone); built again on the
        # whole table, so its partitions have it too.
        rebuild.append(definition.replace(" ON ONLY ", " ON ", 1))
    return rebuild


# --- drop folders ------------------------------------------------------------------------------

def drop_folder_scan(source: DataSource, *, settle_s: int = 5) -> list[ImportBatch]:
    """Pick up each new file in the source's drop folder once: create and process its batch,
    then move it to ``done/`` (loaded or duplicate) or ``failed/``. Files changed in the last
    ``settle_s`` seconds are left for the next scan (they may still be being written)."""
    folder = Path(source.drop_folder)
    if not source.drop_folder or not folder.is_dir():
        return []
    batches = []
    now = timezone.now().timestamp()
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        if path.name.startswith(".") or now - path.stat().st_mtime < settle_s:
            continue
        try:
            batch = batch_create(source=source, file=path, enqueue=False)
        except ValidationError as exc:
            _move(path, folder / "failed")
            logger.warning("drop folder %s: %s", folder, exc)
            continue
        if batch.status == BatchStatus.PENDING:
            batch = batch_process(batch.pk)
        target = "failed" if batch.status == BatchStatus.FAILED else "done"
        _move(path, folder / target)
        batches.append(batch)
    return batches


def _move(path: Path, folder: Path):
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    if target.exists():
        target = folder / f"{path.stem}-{timezone.now():%Y%m%d%H%M%S}{path.suffix}"
    shutil.move(str(path), target)


# --- exports ----------------------------------------------------------------------------------

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """Neutralise spreadsheet formula injection: a cell starting with = + - @ tab or CR gets a
    leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def rejects_csv(batch: ImportBatch, out):
    """Write the batch's rejects as CSV (line, field, reason, raw) to the text stream ``out``."""
    writer = csv.writer(out)
    writer.writerow(["line", "field", "reason", "raw"])
    for line, fld, reason, raw in batch.rejects.order_by("line").values_list(
            "line", "field", "reason", "raw").iterator(chunk_size=2000):
        writer.writerow([line, csv_safe(fld), csv_safe(reason), csv_safe(raw)])


# --- column-mapping samples -------------------------------------------------------------------

def mapping_sample_path(source: DataSource) -> Path | None:
    """The sample export last uploaded for the source's mapping set-up, if any."""
    folder = Path(settings.MEDIA_ROOT) / "mapping-samples"
    matches = sorted(folder.glob(f"source-{source.pk}.*")) if folder.is_dir() else []
    return matches[0] if matches else None


def mapping_sample_save(source: DataSource, upload) -> Path:
    """Keep an uploaded sample (CSV/XLSX) for the mapping page; replaces the previous one."""
    folder = Path(settings.MEDIA_ROOT) / "mapping-samples"
    folder.mkdir(parents=True, exist_ok=True)
    old = mapping_sample_path(source)
    if old:
        old.unlink()
    suffix = Path(upload.name).suffix.lower()
    suffix = suffix if suffix in (".csv", ".txt", ".tsv", ".xlsx") else ".csv"
    path = folder / f"source-{source.pk}{suffix}"
    with open(path, "wb") as out:
        for block in upload.chunks():
            out.write(block)
    return path


def source_mapping_save(source: DataSource, mapping: dict) -> DataSource:
    return source_update(source, column_mapping=mapping)
