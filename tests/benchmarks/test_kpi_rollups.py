"""KPIs from a database holding three years of a 50-queue centre (5.26 M 15-minute IntervalStat
rows and their daily rollup), on PostgreSQL, warm: by day for one year (read from the daily
rollup) and by 15-minute interval for one week (from the interval rollup), with the plan
PostgreSQL chose for each and the monthly partitions it read (the rollups are partitioned by
month of ``local_date``: a period reads only its months). The figures must not grow with the
years stored. Run with ``make bench DATABASE_URL=postgres://…`` (``KPI_BENCH_DAYS`` shortens
the history for a trial)."""
import datetime as dt
import io
import os
import re
import time

import numpy as np
import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contactmis.scope import Scope
from measurements.constants import WAIT_BUCKETS_S
from measurements.models import DailyStat, IntervalStat
from measurements.services.daily import daily_rollup_rebuild
from measurements.services.partitions import partitions_ensure
from pathways.models import Queue
from reports.selectors import kpi_frame
from tests.benchmarks.figures import record

pytestmark = [pytest.mark.benchmark, pytest.mark.django_db(transaction=True)]
QUEUES = 50
DAYS = int(os.environ.get("KPI_BENCH_DAYS", 3 * 365))
FIRST_DAY = dt.date(2024, 1, 1)


def _copy_rows(centre, queues):
    rng = np.random.default_rng(11)
    table = IntervalStat._meta.db_table
    start = dt.datetime.combine(FIRST_DAY, dt.time(), dt.UTC)
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


def _explain(run) -> tuple[list[str], float]:
    """The plan PostgreSQL chose for the SELECT ``run`` makes on a rollup table (EXPLAIN ANALYZE,
    BUFFERS), and that statement's execution time (ms)."""
    with CaptureQueriesContext(connection) as ctx:
        run()
    tables = (IntervalStat._meta.db_table, DailyStat._meta.db_table)
    sql = next(q["sql"] for q in ctx.captured_queries
               if q["sql"].lstrip().startswith("SELECT")
               and any(f'FROM "{t}"' in q["sql"] for t in tables))
    with connection.cursor() as cur:
        cur.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) {sql}")
        plan = [row[0] for row in cur.fetchall()]
    executed = next((float(line.split(":")[1].split()[0]) for line in plan
                     if line.startswith("Execution Time")), float("nan"))
    return plan, executed


def _partitions_read(plan: list[str], table: str) -> list[str]:
    """The partitions of ``table`` the plan scans (each scan node names its relation)."""
    found = []
    for name in re.findall(rf" on {table}_(p\d{{6}}|default)\b", "\n".join(plan)):
        if name not in found:
            found.append(name)
    return found


def _partitions_stored(table: str) -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM pg_inherits WHERE inhparent = %s::regclass", [table])
        return cur.fetchone()[0]


def _best(run, n=5):
    best, out = float("inf"), None
    for _ in range(n):
        t = time.perf_counter()
        out = run()
        best = min(best, time.perf_counter() - t)
    return best, out


def test_kpis_for_a_year_by_day_and_a_week_by_interval_in_three_years_of_50_queues(centre):
    if connection.vendor != "postgresql":
        pytest.skip("the rollup benchmark needs PostgreSQL (set DATABASE_URL)")
    queues = [Queue.objects.create(centre=centre, code=f"Q{i:02d}") for i in range(QUEUES)]
    # As ingestion does before writing: the months the load dates.
    partitions_ensure(FIRST_DAY, FIRST_DAY + dt.timedelta(days=DAYS))
    t0 = time.perf_counter()
    _copy_rows(centre, queues)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    daily_rows = daily_rollup_rebuild()
    with connection.cursor() as cur:
        cur.execute("ANALYZE measurements_dailystat")
    daily_s = time.perf_counter() - t0
    rows = IntervalStat.objects.count()
    assert rows == QUEUES * DAYS * 96
    last = FIRST_DAY + dt.timedelta(days=DAYS)
    year = (last - dt.timedelta(days=365), last)
    week = (last - dt.timedelta(days=7), last)
    everything, five = Scope.everything(), Scope(queue_ids=frozenset(q.pk for q in queues[:5]))
    cases = {
        "one year by day, whole centre (daily rollup)":
            lambda: kpi_frame(everything, centre, *year),
        "one year by day × queue (daily rollup)":
            lambda: kpi_frame(everything, centre, *year, by=["queue"]),
        "one year by day, 5-queue scope (daily rollup)":
            lambda: kpi_frame(five, centre, *year),
        "one week by 15-minute interval, whole centre (interval rollup)":
            lambda: kpi_frame(everything, centre, *week, granularity="15min"),
        "one week by 15-minute interval × queue (interval rollup)":
            lambda: kpi_frame(everything, centre, *week, granularity="15min", by=["queue"]),
    }
    timings, plans = {}, {}
    for label, run in cases.items():
        run()  # warm: PostgreSQL's buffers and the catalogue
        seconds, frame = _best(run)
        plan, sql_ms = _explain(run)
        timings[label] = (seconds, len(frame), sql_ms)
        plans[label] = plan
    lines = [
        f"- {rows:,} IntervalStat rows (50 queues × {DAYS:,} days × 96 intervals) loaded by COPY "
        f"in {load_s:.0f} s; daily rollup {daily_rows:,} rows, rebuilt in {daily_s:.1f} s",
        "",
        "| query | rows out | whole call, best of 5 | of which SQL (EXPLAIN ANALYZE) | target |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| KPIs {k} | {n:,} | {s * 1000:.0f} ms | {sql:.1f} ms | < 100 ms |"
              for k, (s, n, sql) in timings.items()]
    pruned = {}
    for label in cases:
        table = (DailyStat if "daily rollup" in label else IntervalStat)._meta.db_table
        read = _partitions_read(plans[label], table)
        pruned[label] = (read, _partitions_stored(table))
    lines += ["", "Monthly partitions read (the rest pruned by the period's dates):", "",
              "| query | partitions read | of stored (with default) |", "|---|---|---|"]
    lines += [f"| {k} | {len(read)}: {read[0]} … {read[-1]} | {stored} |" if read else
              f"| {k} | 0 | {stored} |" for k, (read, stored) in pruned.items()]
    for label in ("one year by day, whole centre (daily rollup)",
                  "one week by 15-minute interval, whole centre (interval rollup)"):
        lines += ["", f"Plan for “{label}”:", "", "```", *plans[label], "```"]
    main = [timings[k][0] for k in cases if "whole centre" in k]
    first, week_label = (k for k in cases if "whole centre" in k)
    record("KPIs from the rollups of three years of 50 queues on PostgreSQL", lines,
           headline=f"3 years × 50 queues: a year by day {main[0] * 1000:.0f} ms, a week by "
                    f"15 minutes {main[1] * 1000:.0f} ms (target < 100 ms each), reading "
                    f"{len(pruned[first][0])} and {len(pruned[week_label][0])} of "
                    f"{pruned[first][1]} monthly partitions")
    for read, stored in pruned.values():
        assert 0 < len(read) < stored, "a period must read only its own months"
    assert not any("default" in read for read, _ in pruned.values())
    assert max(main) < 0.1
