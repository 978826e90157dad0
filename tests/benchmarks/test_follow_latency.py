"""Live following: latency from a queue_log line being written to it being visible in the
wallboard's data (``measurements.selectors.live.floor_live``), at a sustained rate, with the
follower's CPU and memory, side by side with a batch import of the same lines.

Run: ``DATABASE_URL=postgres://… .venv/bin/python -m pytest tests/benchmarks/test_follow_latency.py
-m benchmark -s -p no:cacheprovider`` (``BENCH_FOLLOW_S`` seconds, default 60 — the full
measurement is 600 s at ``BENCH_FOLLOW_RATE`` = 200 lines/s; target p95 < 2 s). A caller is
"visible" when the wallboard's data lists it as waiting; its latency is the time from the write
of its ENTERQUEUE line to that moment.
"""
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from django.db import close_old_connections, connection

from tests.conftest import REPO

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db(transaction=True)]

RATE = int(os.environ.get("BENCH_FOLLOW_RATE", "200"))
SECONDS = float(os.environ.get("BENCH_FOLLOW_S", "60"))
QUEUES = ("sales", "billing", "support", "tech")


def _writer(path, stop, written, lines_out):
    """~RATE lines a second in 20 ms ticks: each call is ENTERQUEUE, CONNECT after 8 s and
    COMPLETECALLER 30 s later (3 lines), so a third of the lines are new callers."""
    n, pending = 0, []  # (due_epoch, line)
    start = time.time()
    with open(path, "a") as fh:
        while not stop.is_set():
            now = time.time()
            due_total = int((now - start) * RATE)
            out = []
            pending.sort()
            while pending and pending[0][0] <= now and len(out) < due_total - lines_out[0]:
                out.append(pending.pop(0)[1])
            while lines_out[0] + len(out) < due_total:
                n += 1
                cid, q, t = f"b{n}", QUEUES[n % 4], int(now)
                out.append(f"{t}|{cid}|{q}|NONE|ENTERQUEUE||07{n:09d}|1")
                written[cid] = now
                pending.append((now + 8, f"{t + 8}|{cid}|{q}|Agent/{n % 300}|CONNECT|8|x|1"))
                pending.append((now + 38, f"{t + 38}|{cid}|{q}|Agent/{n % 300}|COMPLETECALLER"
                                          f"|8|30|1"))
            if out:
                fh.write("".join(line + "\n" for line in out))
                fh.flush()
                lines_out[0] += len(out)
            time.sleep(0.02)


def test_follow_latency_at_sustained_rate(tmp_path, settings):
    from contactmis.models import Centre
    from contactmis.scope import Scope
    from measurements.selectors.live import floor_live
    from measurements.services.follow import follow_create
    from measurements.services.ingest import batch_create, batch_process, source_create

    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL on PostgreSQL (the follower is a process of its own)")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    centre = Centre.objects.create(name="Bench", time_zone="Europe/London")
    source = source_create(centre=centre, name="PBX", kind="acd",
                           export_format="asterisk_queue_log", time_zone="UTC")
    path = tmp_path / "queue_log"
    path.touch()
    follow_create(source=source, path=str(path), quiet_s=60)
    stop, written, seen, lines_out, reads = threading.Event(), {}, {}, [0], []

    # The follower runs as it does in production: a process of its own (``manage.py follow``),
    # so its CPU and memory are its own and it does not share a GIL with the wallboard's reads.
    db = connection.settings_dict
    url = (f"postgres://{db.get('USER') or 'postgres'}"
           f"{':' + db['PASSWORD'] if db.get('PASSWORD') else ''}@{db.get('HOST') or '127.0.0.1'}"
           f":{db.get('PORT') or 5432}/{db['NAME']}")
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "follow", "PBX", "--for", str(SECONDS + 5), "--interval",
         "0.2"], cwd=REPO, env={**os.environ, "DATABASE_URL": url,
                               "MEDIA_ROOT": str(tmp_path / "media")},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def reader():
        from django.utils import timezone

        while not stop.is_set():
            t = time.perf_counter()
            floor = floor_live(centre, Scope.everything(), timezone.now())
            reads.append(time.perf_counter() - t)
            now = time.time()
            for q in floor.queues:
                for callid, _ in q.callers:
                    seen.setdefault(callid, now)
            time.sleep(0.1)
        close_old_connections()

    threads = [threading.Thread(target=_writer, args=(path, stop, written, lines_out)),
               threading.Thread(target=reader)]
    began = time.time()
    for t in threads:
        t.start()
    time.sleep(SECONDS)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.time() - began
    with open(f"/proc/{proc.pid}/stat") as fh:
        stat = fh.read().rsplit(")", 1)[1].split()
    cpu_s = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    with open(f"/proc/{proc.pid}/status") as fh:
        peak = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))
    proc.wait(timeout=60)
    # Callers written in the last 3 s may not have had the chance to be seen.
    measured = [seen[c] - w for c, w in written.items() if c in seen]
    eligible = [c for c, w in written.items() if w < began + SECONDS - 3]
    missed = [c for c in eligible if c not in seen]
    lat = np.array(measured or [np.nan])
    # Batch import of the same lines, for comparison.
    other = Centre.objects.create(name="Bench batch", time_zone="Europe/London")
    batch_source = source_create(centre=other, name="PBX batch", kind="acd",
                                 export_format="asterisk_queue_log", time_zone="UTC")
    t = time.perf_counter()
    batch = batch_process(batch_create(source=batch_source, file=path, enqueue=False).pk)
    batch_s = time.perf_counter() - t
    from measurements.models import ImportBatch

    micro = ImportBatch.objects.filter(source=source).count()
    print(f"\nFollow latency, {lines_out[0]:,} lines in {elapsed:.0f} s "
          f"({lines_out[0] / elapsed:.0f} lines/s), {len(written):,} callers, "
          f"{micro:,} micro-batches, database {settings.DATABASES['default']['ENGINE']}")
    print(f"  write → visible on the wallboard's data: p50 {np.percentile(lat, 50):.2f} s, "
          f"p95 {np.percentile(lat, 95):.2f} s, max {lat.max():.2f} s; "
          f"{len(missed)} of {len(eligible)} callers never seen waiting")
    print(f"  one read of the wallboard's live data: p50 {np.percentile(reads, 50):.3f} s, "
          f"p95 {np.percentile(reads, 95):.3f} s ({len(reads)} reads)")
    print(f"  follower process CPU {cpu_s:.1f} s ({100 * cpu_s / elapsed:.0f} % of one core), "
          f"peak RSS {peak / 1024:.0f} MB")
    print(f"  batch import of the same file: {batch_s:.1f} s "
          f"({batch.rows_read:,} lines, {batch.contacts_loaded:,} contacts, {batch.status})")
    assert batch.status == "loaded"
    assert measured, proc.stderr.read().decode()[-2000:]
