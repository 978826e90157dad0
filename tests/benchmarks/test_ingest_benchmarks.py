"""Ingestion benchmarks (``make bench``; figures printed and appended to docs/benchmarks.md).

- All nine Anonymous Bank months through ``manage.py ingest`` on SQLite with the embedded
  defaults (a file database in WAL mode), target under 60 s.
- One million contacts in a generic CSV into PostgreSQL through ``manage.py ingest`` (parse,
  validate, load, roll up) side by side with a bare ``COPY`` of the same file into an unindexed
  table and with the floor (a binary ``COPY`` of the stored rows into unindexed tables), target
  within 3× of the floor, with the ingest process's peak memory (target under 1 GB) and the
  previous recorded run's figures. Needs ``DATABASE_URL`` to point at PostgreSQL
  (``make bench DATABASE_URL=postgres://…``).
- With ``CONTACTMIS_BENCH_10M=1``: 1 M and 10 M contacts end to end, side by side (linear
  time, flat memory).
"""
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.benchmarks.figures import previous, record
from tests.conftest import ANONYMOUS_BANK, REPO

pytestmark = pytest.mark.benchmark
def _run(args, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done.stdout, wall, cpu, after.ru_maxrss / 1024


def test_nine_anonymous_bank_months_on_sqlite(tmp_path):
    files = sorted(ANONYMOUS_BANK.glob("1999-*.tsv"))
    if len(files) != 9:
        pytest.skip(f"the nine Anonymous Bank months are not at {ANONYMOUS_BANK}")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}",
           "REDIS_URL": "", "CELERY_BROKER_URL": "", "MEDIA_ROOT": str(tmp_path / "media")}
    _run(["migrate", "-v0"], env)
    out, wall, cpu, rss = _run(["ingest", *map(str, files), "--format", "anonymous_bank",
                                "--source", "Anonymous Bank", "--timezone", "Asia/Jerusalem",
                                "--json"], env)
    rows = [json.loads(line) for line in out.splitlines()]
    records = sum(r["rows_read"] for r in rows)
    contacts = sum(r["contacts_loaded"] for r in rows)
    assert all(r["status"] == "loaded" for r in rows)
    assert records == 318_286
    record("Anonymous Bank, nine months, SQLite", [
        "| files | records | contacts | segments | wall s | CPU s | peak RSS MB | target |",
        "|---|---|---|---|---|---|---|---|",
        f"| 9 | {records:,} | {contacts:,} | {sum(r['segments_loaded'] for r in rows):,} | "
        f"{wall:.1f} | {cpu:.1f} | {rss:.0f} | < 60 s |",
    ])


MAPPING = {
    "columns": {"external_id": "contact_id", "arrived_at": "arrived_at",
                "answered_at": "answered_at", "ended_at": "ended_at", "queue": "queue",
                "agent": "agent", "talk_s": "talk_s", "acw_s": "acw_s", "outcome": "outcome",
                "contact_type": "contact_type"},
    "datetime_format": "%Y-%m-%d %H:%M:%S", "queue_kind": "acd",
}


def _million_csv(path, n=1_000_000, seed=7):
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-01-01 00:00:00")
    arrived = start + pd.to_timedelta(np.sort(rng.integers(0, 90 * 86400, n)), unit="s")
    wait = rng.exponential(40, n).astype(int)
    answered_mask = rng.random(n) > 0.12
    talk = rng.gamma(2.0, 120, n).astype(int)
    answered = (arrived + pd.to_timedelta(wait, unit="s"))
    ended = answered + pd.to_timedelta(np.where(answered_mask, talk, 0), unit="s")
    frame = pd.DataFrame({
        "contact_id": [f"C{i:08d}" for i in range(n)],
        "arrived_at": arrived.strftime("%Y-%m-%d %H:%M:%S"),
        "answered_at": np.where(answered_mask, answered.strftime("%Y-%m-%d %H:%M:%S"), ""),
        "ended_at": ended.strftime("%Y-%m-%d %H:%M:%S"),
        "queue": rng.choice(["sales", "support", "billing", "retention"], n),
        "agent": np.where(answered_mask, [f"a{i:03d}" for i in rng.integers(0, 300, n)], ""),
        "talk_s": np.where(answered_mask, talk, 0),
        "acw_s": np.where(answered_mask, rng.integers(0, 90, n), 0),
        "outcome": np.where(answered_mask, "handled", "abandoned"),
        "contact_type": rng.choice(["billing", "fault", "sales", "other"], n),
    })
    frame.to_csv(path, index=False)
    return list(frame.columns)


def _proc_cpu_s(pid) -> float | None:
    """CPU seconds (user + system) of a local process from /proc, or None when not readable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _BackendCpu:
    """Samples the CPU seconds of the PostgreSQL backends serving database ``dbname`` (other
    than ``own_pid``) every 0.2 s while a run lasts; the server is local, so /proc shows them.
    ``total`` is the sum of the last reading of each backend."""

    def __init__(self, dbname, own_pid):
        import psycopg2
        from django.db import connection

        from tests.integration.conftest import _database_url

        self.conn = psycopg2.connect(_database_url(connection.settings_dict))
        self.conn.autocommit = True
        self.dbname, self.own_pid = dbname, own_pid
        self.seen: dict = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        with self.conn.cursor() as cursor:
            while not self.stop.is_set():
                cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s "
                               "AND pid NOT IN (%s, pg_backend_pid())",
                               [self.dbname, self.own_pid])
                for (pid,) in cursor.fetchall():
                    cpu = _proc_cpu_s(pid)
                    if cpu is not None:
                        self.seen[pid] = max(cpu, self.seen.get(pid, 0.0))
                self.stop.wait(0.2)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.conn.close()

    @property
    def total(self):
        return sum(self.seen.values())


@pytest.mark.django_db(transaction=True)
def test_million_contacts_csv_into_postgresql_versus_bare_copy(tmp_path):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL=postgres://… (make bench DATABASE_URL=…)")
    from contactmis.models import Centre
    from measurements.services.ingest import source_create
    from tests.integration.conftest import _database_url

    path = tmp_path / "contacts-1m.csv"
    columns = _million_csv(path)
    size_mb = path.stat().st_size / 1e6
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own_pid = cursor.fetchone()[0]
        bare = {}
        for kind in ("", "UNLOGGED "):
            # The reference: the file copied as it is into a table of text columns without any
            # index — an ordinary (logged) table like the ones ingestion writes, and, for
            # comparison, an unlogged one (no write-ahead log at all).
            cursor.execute("DROP TABLE IF EXISTS bench_bare_copy")
            cursor.execute(f"CREATE {kind}TABLE bench_bare_copy (" +
                           ", ".join(f"{c} text" for c in columns) + ")")
            backend_before = _proc_cpu_s(own_pid)
            start = time.perf_counter()
            with open(path) as fh:
                cursor.cursor.copy_expert("COPY bench_bare_copy FROM STDIN WITH (FORMAT csv, "
                                          "HEADER true)", fh)
            wall_s = time.perf_counter() - start
            after = _proc_cpu_s(own_pid)
            bare[kind] = (wall_s, None if backend_before is None else after - backend_before)
            cursor.execute("DROP TABLE bench_bare_copy")
    copy_s, copy_cpu = bare[""]
    centre = Centre.objects.create(name="Bench", time_zone="Europe/London")
    source_create(centre=centre, name="Bench CSV", kind="crm", export_format="generic",
                  time_zone="Europe/London", column_mapping=MAPPING)
    env = {**os.environ, "DATABASE_URL": _database_url(connection.settings_dict),
           "REDIS_URL": "", "CELERY_BROKER_URL": "", "MEDIA_ROOT": str(tmp_path / "media")}
    with _BackendCpu(connection.settings_dict["NAME"], own_pid) as backends:
        out, wall, cpu, rss = _run(["ingest", str(path), "--format", "generic", "--source",
                                    "Bench CSV", "--centre", "Bench", "--json"], env)
    pg_cpu = backends.total if copy_cpu is not None else None

    def cpu_text(v):
        return "–" if v is None else f"{v:.1f}"
    summary = json.loads(out.splitlines()[0])
    assert summary["status"] == "loaded", summary
    assert summary["contacts_loaded"] == 1_000_000
    floor_s, floor_cpu, index_s, index_cpu, n_indexes = _canonical_rows_copy(connection,
                                                                             own_pid)
    indexed_s = floor_s + index_s
    title = "One million contacts, generic CSV into PostgreSQL"
    before = previous(title)
    before_row = next((line for line in before[1].splitlines()
                       if line.startswith("| `manage.py ingest`")), None) if before else None
    before_cells = [c.strip() for c in before_row.strip("|").split("|")] if before_row else []
    record(title, [
        f"File: {size_mb:.0f} MB, 1,000,000 contacts (2 legs each for answered contacts).",
        "",
        f"**Whole ingest ÷ floor: {wall / floor_s:.1f}×** (target ≤ 3×); ÷ the floor with "
        f"the product's indexes: {wall / indexed_s:.1f}×; ÷ bare COPY: {wall / copy_s:.1f}×; "
        f"peak memory {rss:.0f} MB (target < 1 GB).",
        "",
        "| step | wall s | ratio to bare COPY | CPU s (client process) | "
        "CPU s (PostgreSQL backends) | peak RSS MB |",
        "|---|---|---|---|---|---|",
        f"| bare `COPY` of the file into an unindexed table | {copy_s:.1f} | 1.0× | – | "
        f"{cpu_text(copy_cpu)} | – |",
        f"| the same into an unindexed UNLOGGED table | {bare['UNLOGGED '][0]:.1f} | "
        f"{bare['UNLOGGED '][0] / copy_s:.1f}× | – | {cpu_text(bare['UNLOGGED '][1])} | – |",
        f"| floor: binary `COPY` of the rows ingestion stores (contacts + legs, already "
        f"parsed) into unindexed copies of their tables | {floor_s:.1f} | "
        f"{floor_s / copy_s:.1f}× | – | {cpu_text(floor_cpu)} | – |",
        f"| the floor with the product's indexes: then its {n_indexes} indexes and unique keys "
        f"built on those tables, and `ANALYZE` ({index_s:.1f} s) | {indexed_s:.1f} | "
        f"{indexed_s / copy_s:.1f}× | – | "
        f"{cpu_text(None if index_cpu is None else floor_cpu + index_cpu)} | – |",
        f"| `manage.py ingest` (parse, validate, load, roll up) | {wall:.1f} | "
        f"{wall / copy_s:.1f}× | {cpu:.1f} | {cpu_text(pg_cpu)} | {rss:.0f} |",
        *([f"| the same, previous recorded run ({before[0]['when']}, load "
           f"{before[0]['load']}) | {' | '.join(before_cells[1:])} |"]
          if len(before_cells) == 6 else []),
        "",
        f"Load average at the end: {os.getloadavg()[0]:.1f}. "
        "Targets: the whole ingest within 3× of the floor; peak memory under 1 GB. The floor "
        "row is the least any loader of the canonical model must do (no parsing, no index, no "
        "rollup); the row after it adds the indexes the product reads its facts by, which "
        "any loader keeping them pays (3× the floor is "
        f"{3 * floor_s:.1f} s; with those indexes alone the rows take {indexed_s:.1f} s, "
        f"{indexed_s / floor_s:.1f}× the floor). On a busy machine compare CPU seconds as well "
        "as wall time.",
    ], headline=f"1 M contacts: {wall:.1f} s, {wall / floor_s:.1f}× the floor "
                f"({floor_s:.1f} s; {indexed_s / floor_s:.1f}× with the product's indexes "
                f"alone), {wall / copy_s:.1f}× a bare COPY; {rss:.0f} MB peak")


def _canonical_rows_copy(connection, own_pid):
    """Wall and backend CPU seconds of a binary ``COPY`` of the contacts and legs just loaded
    into unindexed copies of their tables: storing the canonical rows and nothing else. Then
    the same for building, on those copies, the indexes and unique keys the product keeps on
    its tables (the idempotency key, arrival time, queue, batch, the legs' contact, queue and
    agent keys) and refreshing their statistics — what any loader keeping those indexes adds
    to the floor, whatever it does about parsing and rollups. Returns ``(copy wall, copy CPU,
    indexes wall, indexes CPU, number of indexes)``."""
    import io

    tables = ("measurements_contact", "measurements_segment")
    with connection.cursor() as cursor:
        payloads = {}
        for table in tables:
            buf = io.BytesIO()
            cursor.cursor.copy_expert(f"COPY {table} TO STDOUT WITH (FORMAT binary)", buf)
            payloads[table] = buf
            cursor.execute(f"CREATE TABLE floor_{table} (LIKE {table})")
        before = _proc_cpu_s(own_pid)
        start = time.perf_counter()
        for table, buf in payloads.items():
            buf.seek(0)
            cursor.cursor.copy_expert(f"COPY floor_{table} FROM STDIN WITH (FORMAT binary)",
                                      buf, size=1 << 20)
        wall = time.perf_counter() - start
        after = _proc_cpu_s(own_pid)
        payloads.clear()
        cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes "
                       "WHERE tablename = ANY(%s) ORDER BY tablename, indexname", [list(tables)])
        indexes = cursor.fetchall()
        # The loader's own setting for its index builds.
        cursor.execute("SET maintenance_work_mem = '256MB'")
        index_before = _proc_cpu_s(own_pid)
        start = time.perf_counter()
        for table, name, definition in indexes:
            cursor.execute(definition.replace(f"INDEX {name} ON public.{table} ",
                                              f"INDEX floor_{name} ON public.floor_{table} ", 1))
        cursor.execute(f"ANALYZE {', '.join(f'floor_{t}' for t in tables)}")
        index_wall = time.perf_counter() - start
        index_after = _proc_cpu_s(own_pid)
        cursor.execute("RESET maintenance_work_mem")
        for table in tables:
            cursor.execute(f"DROP TABLE floor_{table}")
    return (wall, None if before is None else after - before, index_wall,
            None if index_before is None else index_after - index_before, len(indexes))


def _many_rows_csv(path, blocks, rows_per_block=1_000_000):
    """A generic CSV of ``blocks`` × ``rows_per_block`` contacts, written block by block (the
    file is never held in memory whole); contact ids are unique across blocks."""
    block_path = path.with_suffix(".block.csv")
    with open(path, "w") as out:
        for b in range(blocks):
            _million_csv(block_path, n=rows_per_block, seed=b)
            with open(block_path) as block:
                header = block.readline()
                if b == 0:
                    out.write(header)
                for line in block:
                    out.write(f"B{b}" + line)
    block_path.unlink()


_STREAM_SCRIPT = """
import json, resource, sys, time
from measurements.ingest import generic
from measurements.ingest.base import Options
mapping = json.loads(sys.argv[2])
opts = Options(time_zone="Europe/London", mapping=mapping, name=sys.argv[1])
rows = contacts = 0
start = time.process_time()
for chunk in generic.read(sys.argv[1], opts):
    rows += chunk.rows_read
    contacts += len(chunk.contacts)
print(json.dumps({"rows": rows, "contacts": contacts, "cpu_s": time.process_time() - start,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


@pytest.mark.skipif(not os.environ.get("CONTACTMIS_BENCH_10M"),
                    reason="long (a 1 GB file): set CONTACTMIS_BENCH_10M=1")
def test_ten_million_rows_stream_in_chunks_without_growing_memory(tmp_path):
    """Reading a 10-million-row generic CSV (parse and validate, chunk by chunk) has the same
    peak memory as reading a 1-million-row file: memory follows the chunk size, not the file."""
    figures = {}
    for blocks in (1, 10):
        path = tmp_path / f"contacts-{blocks}m.csv"
        _many_rows_csv(path, blocks)
        done = subprocess.run([sys.executable, "-c", _STREAM_SCRIPT, str(path),
                               json.dumps(MAPPING)], cwd=REPO, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]
        figures[blocks] = json.loads(done.stdout.splitlines()[-1]) | {
            "size_mb": path.stat().st_size / 1e6}
        path.unlink()
        assert figures[blocks]["contacts"] == blocks * 1_000_000
    one, ten = figures[1], figures[10]
    assert ten["peak_rss_mb"] < one["peak_rss_mb"] * 1.25, figures
    record("Streaming: 1 M vs 10 M rows, generic CSV read in chunks", [
        "| rows | file MB | CPU s (parse, validate) | peak RSS MB |",
        "|---|---|---|---|",
        *(f"| {f['rows']:,} | {f['size_mb']:.0f} | {f['cpu_s']:.1f} | {f['peak_rss_mb']:.0f} |"
          for f in (one, ten)),
        "",
        f"Chunk size {200_000:,} rows; peak memory ratio 10 M / 1 M: "
        f"{ten['peak_rss_mb'] / one['peak_rss_mb']:.2f}.",
    ])


_INGEST_SCRIPT = """
import json, resource, sys
sys.argv = ["manage.py", *sys.argv[1:]]
import runpy
try:
    runpy.run_path("manage.py", run_name="__main__")
finally:
    print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}),
          file=sys.stderr)
"""


@pytest.mark.skipif(not os.environ.get("CONTACTMIS_BENCH_10M"),
                    reason="long (a 1 GB file, 10 M contacts): set CONTACTMIS_BENCH_10M=1")
@pytest.mark.django_db(transaction=True)
def test_ten_million_contacts_into_postgresql_end_to_end(tmp_path):
    """1 M and 10 M contacts (generic CSV) through ``manage.py ingest`` into empty fact tables,
    side by side: the time per million contacts stays the same (linear) and the peak memory
    of the ingest process stays that of 1 M (flat). The files are written under the system's
    temporary directory and deleted after their run."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL=postgres://…")
    from contactmis.models import Centre
    from measurements.services.ingest import source_create
    from tests.integration.conftest import _database_url

    centre = Centre.objects.create(name="Bench", time_zone="Europe/London")
    source_create(centre=centre, name="Bench CSV", kind="crm", export_format="generic",
                  time_zone="Europe/London", column_mapping=MAPPING)
    env = {**os.environ, "DATABASE_URL": _database_url(connection.settings_dict),
           "REDIS_URL": "", "CELERY_BROKER_URL": "", "MEDIA_ROOT": str(tmp_path / "media"),
           "CONTACTMIS_MAX_UPLOAD_MB": "4096"}  # the 10 M file is about 1 GB
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own_pid = cursor.fetchone()[0]
    figures = {}
    for blocks in (1, 10):
        with connection.cursor() as cursor:  # each size is a first load into empty tables
            cursor.execute("TRUNCATE measurements_contact, measurements_segment, "
                           "measurements_intervalstat, measurements_agentintervalstat, "
                           "measurements_dailystat CASCADE")
        path = tmp_path / f"contacts-{blocks}m.csv"
        _many_rows_csv(path, blocks)
        size_mb = path.stat().st_size / 1e6
        with _BackendCpu(connection.settings_dict["NAME"], own_pid) as backends:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", _INGEST_SCRIPT, "ingest", str(path),
                                   "--format", "generic", "--source", "Bench CSV", "--centre",
                                   "Bench", "--json"], cwd=REPO, env=env, capture_output=True,
                                  text=True)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
        path.unlink()
        shutil.rmtree(tmp_path / "media", ignore_errors=True)  # the stored copy of the file
        assert done.returncode == 0, done.stderr[-3000:]
        summary = json.loads(done.stdout.splitlines()[0])
        assert summary["status"] == "loaded", summary
        assert summary["contacts_loaded"] == blocks * 1_000_000
        figures[blocks] = {
            "contacts": summary["contacts_loaded"], "size_mb": size_mb, "wall": wall,
            "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "pg_cpu": backends.total,
            "rss": json.loads(done.stderr.strip().splitlines()[-1])["peak_rss_mb"]}
    one, ten = figures[1], figures[10]
    assert ten["rss"] < one["rss"] * 1.25, figures
    record("1 M and 10 M contacts into PostgreSQL, end to end", [
        "| contacts | file MB | wall s | wall s per million | CPU s (ingest process) | "
        "CPU s (PostgreSQL backends) | peak RSS MB |",
        "|---|---|---|---|---|---|---|",
        *(f"| {f['contacts']:,} | {f['size_mb']:.0f} | {f['wall']:.1f} | "
          f"{f['wall'] / (f['contacts'] / 1e6):.1f} | {f['cpu']:.1f} | {f['pg_cpu']:.1f} | "
          f"{f['rss']:.0f} |" for f in (one, ten)),
        "",
        f"Each a first load into empty tables (bulk mode). Time 10 M / 1 M: "
        f"{ten['wall'] / one['wall']:.1f}× (linear: 10×); peak memory 10 M / 1 M: "
        f"{ten['rss'] / one['rss']:.2f}. Load average at the end: {os.getloadavg()[0]:.1f}.",
    ], headline=f"10 M contacts: {ten['wall']:.0f} s ({ten['wall'] / one['wall']:.1f}× the "
                f"1 M time), peak {ten['rss']:.0f} MB (1 M: {one['rss']:.0f} MB)")
