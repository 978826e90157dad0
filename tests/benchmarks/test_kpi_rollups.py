"""KPIs for a year of 15-minute rollups for 50 queues (1.75 M IntervalStat rows) at day
granularity, on PostgreSQL. Run with ``make bench DATABASE_URL=postgres://…``."""
import datetime as dt
import io
import time

import numpy as np
import pandas as pd
import pytest
from django.db import connection

from contactmis.scope import Scope
from measurements.constants import WAIT_BUCKETS_S
from measurements.models import IntervalStat
from pathways.models import Queue
from reports.selectors import kpi_frame
from tests.benchmarks.figures import record

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db(transaction=True)]
QUEUES = 50
DAYS = 365


def _copy_rows(centre, queues):
    rng = np.random.default_rng(11)
    table = IntervalStat._meta.db_table
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    slots = DAYS * 96
    base = pd.date_range(start, periods=slots, freq="15min")
    minute = (base.hour * 60 + base.minute).to_numpy()
    shape = np.where((minute >= 480) & (minute < 1200), 1.0, 0.1)
    for q in queues:
        offered = rng.poisson(8 * shape)
        answered = rng.binomial(offered, 0.9)
        abandoned = offered - answered
        df = pd.DataFrame({
            "centre_id": centre.pk, "interval_start": base.strftime("%Y-%m-%d %H:%M:%S+00"),
            "interval_s": 900, "local_date": base.strftime("%Y-%m-%d"),
            "local_minute": minute, "weekday": base.day_of_week, "queue_id": q.pk,
            "channel": "voice", "contact_type": "", "customer_segment": "",
            "offered": offered, "answered": answered, "abandoned": abandoned, "flowed_out": 0,
            "handled": answered, "transfers": 0, "escalations": 0,
            "wait_answered_s": answered * 15, "wait_abandoned_s": abandoned * 40,
            "wait_max_s": 120, "talk_s": answered * 200, "hold_s": answered * 10,
            "acw_s": answered * 30, "staffed_s": 9000, "available_s": 3000, "busy_s": 6000,
            "ivr_sessions": 0, "ivr_contained": 0, "ivr_to_queue": 0, "ivr_abandoned": 0,
        })
        for b in WAIT_BUCKETS_S:
            df[f"answered_le_{b}s"] = (answered * min(1, b / 40)).astype(int)
            df[f"abandoned_le_{b}s"] = (abandoned * min(1, b / 90)).astype(int)
        buf = io.StringIO()
        df.to_csv(buf, index=False, header=False)
        buf.seek(0)
        with connection.cursor() as cur:
            cur.cursor.copy_expert(
                f"COPY {table} ({', '.join(df.columns)}) FROM STDIN WITH (FORMAT csv, "
                "FORCE_NOT_NULL (contact_type, customer_segment))", buf)
    with connection.cursor() as cur:
        cur.execute(f"ANALYZE {table}")


def test_day_kpis_over_a_year_of_50_queues_under_a_second(centre):
    if connection.vendor != "postgresql":
        pytest.skip("the rollup benchmark needs PostgreSQL (set DATABASE_URL)")
    queues = [Queue.objects.create(centre=centre, code=f"Q{i:02d}") for i in range(QUEUES)]
    t0 = time.perf_counter()
    _copy_rows(centre, queues)
    load_s = time.perf_counter() - t0
    rows = IntervalStat.objects.count()
    assert rows == QUEUES * DAYS * 96
    args = (Scope.everything(), centre, dt.date(2025, 1, 1), dt.date(2026, 1, 1))
    kpi_frame(*args)  # warm the cache as a dashboard would be
    timings = {}
    for label, kwargs in (("day, whole centre", {}), ("day × queue", {"by": ["queue"]}),
                          ("month × queue", {"granularity": "month", "by": ["queue"]})):
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            frame = kpi_frame(*args, **kwargs)
            best = min(best, time.perf_counter() - t)
        timings[label] = (best, len(frame))
    scoped = Scope(queue_ids=frozenset(q.pk for q in queues[:5]))
    t = time.perf_counter()
    kpi_frame(scoped, *args[1:])
    timings["day, 5-queue scope"] = (time.perf_counter() - t, 365)
    lines = [f"- {rows:,} IntervalStat rows (50 queues × 365 days × 96 intervals) loaded by "
             f"COPY in {load_s:.1f} s", "", "| query | rows out | best of 3 |", "|---|---|---|"]
    lines += [f"| KPIs {k} | {n:,} | {s * 1000:.0f} ms |" for k, (s, n) in timings.items()]
    record("KPIs from interval rollups on PostgreSQL", lines)
    assert timings["day, whole centre"][0] < 1.0
