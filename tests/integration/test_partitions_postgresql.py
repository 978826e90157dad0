"""Monthly partitions of the rollup tables on the real PostgreSQL: an import creates the months it
dates before writing, rows that reached the default partition move into their month, a period's
query reads only its months, and retention archives old months to compressed files and drops
them (a dry run first changes nothing)."""
import csv
import datetime as dt
import gzip
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("only_default_partitions")]

TABLES = ("measurements_intervalstat", "measurements_agentintervalstat",
          "measurements_dailystat")
MAPPING = {
    "columns": {"external_id": "id", "arrived_at": "arrived", "answered_at": "answered",
                "ended_at": "ended", "queue": "queue", "agent": "agent", "talk_s": "talk"},
    "datetime_format": "%Y-%m-%d %H:%M:%S", "queue_kind": "acd",
}


def _partitions(table):
    """``{partition name suffix: rows}`` of ``table`` (``p202603``, ``default``)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c "
                       "ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass", [table])
        names = [r[0] for r in cursor.fetchall()]
        out = {}
        for name in names:
            cursor.execute(f"SELECT COUNT(*) FROM {name}")
            out[name.removeprefix(table + "_")] = cursor.fetchone()[0]
        return out


@pytest.fixture
def only_default_partitions(db):
    """Each test starts with no monthly partitions (earlier tests' imports created some; their
    rows were flushed after them, so the partitions are empty)."""
    with connection.cursor() as cursor:
        for table in TABLES:
            for name in _partitions(table):
                if name != "default":
                    cursor.execute(f"DROP TABLE {table}_{name}")


@pytest.fixture
def source(db):
    from contactmis.models import Centre
    from measurements.services.ingest import source_create

    centre = Centre.objects.create(name="Months", time_zone="Europe/London")
    return source_create(centre=centre, name="CRM", kind="crm", export_format="generic",
                         time_zone="Europe/London", column_mapping=MAPPING)


def _csv(path, day, n=40):
    with open(path, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "arrived", "answered", "ended", "queue", "agent", "talk"])
        for i in range(n):
            arrived = f"{day} {9 + i // 30:02d}:{(2 * i) % 60:02d}:00"
            answered = arrived[:-2] + "20"
            out.writerow([f"{day}-{i}", arrived, answered, answered, "Q1", f"agent-{i % 3}",
                          100 + i])
    return path


def test_rollup_tables_are_partitioned_by_month_of_local_date_with_a_default():
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute("SELECT pg_get_partkeydef(%s::regclass)", [table])
            assert cursor.fetchone()[0] == "RANGE (local_date)", table
            assert "default" in _partitions(table)
    with connection.cursor() as cursor:
        # Contacts and legs keep their unique keys (re-imports are idempotent on them).
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'measurements_contact'")
        assert cursor.fetchone()[0] == "r"


def test_an_import_creates_the_months_it_dates_before_writing(tmp_path, source):
    from measurements.models import IntervalStat
    from measurements.services.ingest import batch_create, batch_process

    assert "p202603" not in _partitions("measurements_intervalstat")
    batch = batch_process(batch_create(source=source, file=_csv(tmp_path / "a.csv",
                                                                "2026-03-31"),
                                       enqueue=False).pk)
    assert batch.status == "loaded", batch.error
    for table in TABLES:
        parts = _partitions(table)
        assert parts["p202603"] > 0, table
        assert parts["default"] == 0, table
        # The month after is there too (a local date can be a day after the UTC one).
        assert "p202604" in parts, table
    assert IntervalStat.objects.filter(source=source).count() == \
        _partitions("measurements_intervalstat")["p202603"]


def test_a_bulk_load_over_many_months_writes_each_month_into_its_partition(
        tmp_path, source, settings, monkeypatch):
    """A large first load (bulk mode: its transaction holds the per-agent rollup alone until
    it ends) whose chunks reach month after month creates each month before writing it —
    the per-agent rollup's inside the load, the others beside it — so nothing waits in a
    default partition."""
    from measurements.models import AgentIntervalStat, IntervalStat
    from measurements.services import ingest
    from measurements.services.ingest import batch_create, batch_process

    settings.CONTACTMIS_INGEST_CHUNK_ROWS = 40
    monkeypatch.setattr(ingest, "BULK_MIN_ROWS", 30)
    path = tmp_path / "months.csv"
    with open(path, "w", newline="") as fh:
        for n, day in enumerate(("2026-01-12", "2026-02-12", "2026-03-12", "2026-04-12")):
            lines = _csv(tmp_path / "day.csv", day).read_text().splitlines(keepends=True)
            fh.write("".join(lines if n == 0 else lines[1:]))
    batch = batch_process(batch_create(source=source, file=path, enqueue=False).pk)
    assert batch.status == "loaded", batch.error
    assert batch.contacts_loaded == 160
    for table in TABLES:
        parts = _partitions(table)
        assert parts["default"] == 0, (table, parts)
        assert all(parts[f"p2026{m:02d}"] > 0 for m in (1, 2, 3, 4)), (table, parts)
    assert IntervalStat.objects.filter(source=source).count() == \
        sum(n for name, n in _partitions("measurements_intervalstat").items())
    assert AgentIntervalStat.objects.filter(source=source).count() > 0


def test_rows_that_reached_the_default_partition_move_into_their_month(centre):
    from measurements.models import IntervalStat
    from measurements.services.partitions import partitions_ahead

    for day in (dt.date(2025, 7, 1), dt.date(2025, 7, 31)):
        IntervalStat.objects.create(
            centre=centre, local_date=day, local_minute=0, weekday=day.weekday(),
            interval_start=dt.datetime.combine(day, dt.time(), dt.UTC), offered=3)
    assert _partitions("measurements_intervalstat")["default"] == 2
    created = partitions_ahead()
    assert "measurements_intervalstat_p202507" in created
    # The suite's clock is 20 November 2026: this month and the next three are there.
    assert {"measurements_dailystat_p202611", "measurements_dailystat_p202702"} <= set(created)
    parts = _partitions("measurements_intervalstat")
    assert parts["p202507"] == 2 and parts["default"] == 0
    assert IntervalStat.objects.filter(offered=3).count() == 2
    assert partitions_ahead() == []


def test_a_period_reads_only_the_partitions_of_its_months(centre):
    from measurements.models import DailyStat
    from measurements.services.partitions import partitions_ensure
    from pathways.models import Queue
    from tests.stakeholders.factories import interval_rows

    queue = Queue.objects.create(centre=centre, code="Q1", name="Sales")
    partitions_ensure(dt.date(2026, 6, 1), dt.date(2026, 11, 30))
    interval_rows(centre, queue, days=150, today=dt.date(2026, 11, 20))
    qs = DailyStat.objects.filter(centre=centre, local_date__gte=dt.date(2026, 10, 5),
                                  local_date__lt=dt.date(2026, 10, 12))
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(r[0] for r in cursor.fetchall())
    assert "measurements_dailystat_p202610" in plan
    for other in ("p202606", "p202609", "p202611", "default"):
        assert f"measurements_dailystat_{other}" not in plan, plan


def test_retention_archives_old_months_to_compressed_files_then_drops_them(centre, settings,
                                                                          tmp_path):
    from measurements.models import DailyStat, IntervalStat
    from measurements.services.partitions import partitions_ensure
    from pathways.models import Queue
    from tests.stakeholders.factories import interval_rows

    settings.CONTACTMIS_ARCHIVE_DIR = tmp_path / "archive"
    settings.CONTACTMIS_RETENTION_MONTHS = 6  # now 20 November 2026: before 1 May 2026 goes
    queue = Queue.objects.create(centre=centre, code="Q1", name="Sales")
    partitions_ensure(dt.date(2026, 3, 1), dt.date(2026, 5, 31))
    interval_rows(centre, queue, days=60, today=dt.date(2026, 5, 15))  # 16 March – 15 May
    april = _partitions("measurements_intervalstat")["p202604"]
    may_rows = IntervalStat.objects.filter(local_date__gte=dt.date(2026, 5, 1)).count()
    assert april and may_rows

    out = StringIO()
    call_command("retention", stdout=out)
    assert "Would remove archive partition: measurements_intervalstat_p202604, " \
           f"{april:,} rows" in out.getvalue()
    assert _partitions("measurements_intervalstat")["p202604"] == april
    assert not (tmp_path / "archive").exists()

    out = StringIO()
    call_command("retention", "--apply", stdout=out)
    parts = _partitions("measurements_intervalstat")
    assert "p202603" not in parts and "p202604" not in parts
    assert parts["p202605"] == may_rows
    assert IntervalStat.objects.count() == may_rows
    assert min(DailyStat.objects.values_list("local_date", flat=True)) == dt.date(2026, 5, 1)
    archive = tmp_path / "archive" / "measurements_intervalstat_p202604.csv.gz"
    with gzip.open(archive, "rt") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == april
    assert {r["local_date"][:7] for r in rows} == {"2026-04"}
    assert sum(int(r["offered"]) for r in rows) > 0
    assert not list((tmp_path / "archive").glob("*.partial"))
    assert "Nothing older is stored." in _run("retention", "--apply")


def _run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()
