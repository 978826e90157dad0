"""The PostgreSQL loading path: binary COPY sent by the loader's writer thread while the next chunk
is parsed, and bulk mode (a large first load builds the fact and rollup indexes after loading).

Small files stand in for large ones: the chunk size and the bulk-mode threshold are lowered so
that a few hundred contacts take every path a few million would."""
import csv

import pytest
from django.db.models import Count, Q, Sum

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TABLES = ("measurements_contact", "measurements_segment", "measurements_intervalstat",
          "measurements_agentintervalstat")
MAPPING = {
    "columns": {"external_id": "id", "arrived_at": "arrived", "answered_at": "answered",
                "ended_at": "ended", "queue": "queue", "agent": "agent", "talk_s": "talk",
                "acw_s": "acw", "contact_type": "reason"},
    "datetime_format": "%Y-%m-%d %H:%M:%S", "queue_kind": "acd",
}


def _csv(path, n, first=0):
    """``n`` contacts over a day: every third abandoned after a short wait, the rest answered
    by one of five agents."""
    with open(path, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "arrived", "answered", "ended", "queue", "agent", "talk", "acw",
                      "reason"])
        for i in range(first, first + n):
            minute = i % 900
            arrived = f"2026-03-02 {6 + minute // 60:02d}:{minute % 60:02d}:{i % 50:02d}"
            if i % 3 == 0:
                out.writerow([f"K{i:06d}", arrived, "", arrived, f"Q{i % 2}", "", 0, 0, "sales"])
            else:
                answered = arrived[:-2] + f"{min(59, i % 50 + 7):02d}"
                out.writerow([f"K{i:06d}", arrived, answered, answered, f"Q{i % 2}",
                              f"agent-{i % 5}", 120 + i % 60, 30, "billing"])
    return path


def _index_definitions():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
                       [list(TABLES)])
        defs = sorted(cursor.fetchall())
        cursor.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                       "FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s)",
                       [list(TABLES)])
        return defs, sorted(cursor.fetchall())


@pytest.fixture
def small_chunks(settings, monkeypatch):
    from measurements.services import ingest

    settings.CONTACTMIS_INGEST_CHUNK_ROWS = 70
    monkeypatch.setattr(ingest, "BULK_MIN_ROWS", 50)
    return ingest


@pytest.fixture
def consolidations(small_chunks, monkeypatch):
    """The final add-ups of a bulk load's appended rollup rows, as they happen: one
    ``(intervals named, rows written)`` per call (``None``: the whole span was read)."""
    calls = []
    consolidate = small_chunks.rollups_consolidate

    def watching(*args, intervals=None, **kwargs):
        calls.append((intervals, consolidate(*args, intervals=intervals, **kwargs)))
        return calls[-1][1]
    monkeypatch.setattr(small_chunks, "rollups_consolidate", watching)
    return calls


@pytest.fixture
def source(db):
    from contactmis.models import Centre
    from measurements.services.ingest import source_create

    centre = Centre.objects.create(name="Bulk", time_zone="Europe/London")
    return source_create(centre=centre, name="CRM", kind="crm", export_format="generic",
                         time_zone="Europe/London", column_mapping=MAPPING)


def _assert_rollups_match_legs(source):
    from measurements.models import AgentIntervalStat, IntervalStat, Segment

    legs = Segment.objects.filter(contact__source=source)
    queue = legs.filter(kind="queue").aggregate(
        offered=Count("id"), answered=Count("id", filter=Q(outcome="answered")),
        wait=Sum("wait_s", filter=Q(outcome="answered")))
    totals = IntervalStat.objects.filter(source=source).aggregate(
        offered=Sum("offered"), answered=Sum("answered"), wait=Sum("wait_answered_s"))
    assert totals == queue
    agent_legs = legs.filter(kind="agent")
    assert AgentIntervalStat.objects.filter(source=source).aggregate(
        n=Sum("handled"), t=Sum("talk_s")) == agent_legs.aggregate(n=Count("id"),
                                                                   t=Sum("talk_s"))


def test_bulk_load_rebuilds_every_index_and_stores_every_row(tmp_path, small_chunks, source,
                                                              caplog):
    from measurements.models import Contact, Segment
    from measurements.services.ingest import batch_create, batch_process

    before = _index_definitions()
    caplog.set_level("INFO", logger="measurements.services.ingest")
    batch = batch_process(batch_create(source=source, file=_csv(tmp_path / "a.csv", 300),
                                       enqueue=False).pk)
    assert batch.status == "loaded", batch.error
    assert "bulk load" in caplog.text  # the first chunk (70 ≥ 50) went in bulk mode
    assert _index_definitions() == before
    assert batch.contacts_loaded == Contact.objects.filter(source=source).count() == 300
    # 100 abandoned contacts have a queue leg; 200 answered have a queue and an agent leg.
    assert batch.segments_loaded == Segment.objects.filter(contact__source=source).count() == 500
    ids = list(Contact.objects.filter(source=source).values_list("id", flat=True))
    assert len(set(ids)) == 300
    _assert_rollups_match_legs(source)
    # A second, overlapping file is not a bulk load (the table now holds more rows than its
    # first chunk): contacts it repeats are replaced under their ids, never double-counted.
    caplog.clear()
    again = batch_process(batch_create(source=source,
                                       file=_csv(tmp_path / "b.csv", 100, first=250),
                                       enqueue=False).pk)
    assert again.status == "loaded", again.error
    assert "bulk load" not in caplog.text
    assert again.contacts_replaced == 50
    assert Contact.objects.filter(source=source).count() == 350
    assert set(ids) <= set(Contact.objects.filter(source=source).values_list("id", flat=True))
    assert _index_definitions() == before
    _assert_rollups_match_legs(source)


def test_bulk_load_merges_the_agent_rollup_before_building_its_day_index(
        tmp_path, small_chunks, source, monkeypatch):
    """In bulk mode the per-agent rollup's rows are merged while only the indexes the merges
    read are there (its primary key and (source, interval_start)); the rest are built once
    after its last rows."""
    from measurements.services.ingest import batch_create, batch_process

    before = _index_definitions()
    seen = []
    merge = small_chunks.agent_rollup_merge

    def watching(*args, **kwargs):
        seen.append({d for t, d in _index_definitions()[0]
                     if t == "measurements_agentintervalstat"})
        return merge(*args, **kwargs)
    monkeypatch.setattr(small_chunks, "agent_rollup_merge", watching)
    monkeypatch.setattr(small_chunks, "MERGE_MIN_LEGS", 0)
    monkeypatch.setattr(small_chunks, "SUMS_FLUSH_ROWS", 10)  # merged every chunk
    batch = batch_process(batch_create(source=source, file=_csv(tmp_path / "a.csv", 300),
                                       enqueue=False).pk)
    assert batch.status == "loaded", batch.error
    assert len(seen) >= 4
    for indexes in seen:
        assert not any("agentstat_day_agent_time" in d for d in indexes), indexes
        assert any("(source_id, interval_start)" in d for d in indexes), indexes
        assert any("PRIMARY KEY" in d or "_pkey" in d for d in indexes), indexes
    assert _index_definitions() == before
    _assert_rollups_match_legs(source)


def test_a_bulk_load_whose_blocks_cover_the_same_intervals_keeps_one_rollup_row_per_key(
        tmp_path, small_chunks, source, monkeypatch, consolidations):
    """Bulk mode appends each chunk's rollup rows without reading the stored ones; a file
    whose second block covers the intervals, queues and agents of its first (as a year of
    monthly exports concatenated does) leaves one row per key, added up, equal to a rebuild."""
    from django.db.models import Count

    from measurements.models import AgentIntervalStat, IntervalStat
    from measurements.services.ingest import batch_create, batch_process
    from tests.measurements.test_rollup_merge import assert_rollups_equal_a_rebuild

    monkeypatch.setattr(small_chunks, "MERGE_MIN_LEGS", 0)
    monkeypatch.setattr(small_chunks, "SUMS_FLUSH_ROWS", 10)  # appended every chunk
    path = _csv(tmp_path / "a.csv", 300)
    with open(path, "a", newline="") as fh:  # minutes 100…399 again, under other ids
        fh.write("".join(_csv(tmp_path / "b.csv", 300, first=1000).read_text()
                         .splitlines(keepends=True)[1:]))
    batch = batch_process(batch_create(source=source, file=path, enqueue=False).pk)
    assert batch.status == "loaded", batch.error
    assert batch.contacts_loaded == 600
    assert len(consolidations) == 1
    named, written = consolidations[0]
    # The second block's intervals were written twice and named; their repeated keys added up.
    assert named is not None and len(named) > 0 and written > 0
    for model, keys in ((IntervalStat, ("interval_start", "queue_id", "channel", "contact_type",
                                        "customer_segment")),
                        (AgentIntervalStat, ("interval_start", "agent_id", "queue_id"))):
        rows = model.objects.filter(source=source).values(*keys).annotate(n=Count("id"))
        assert rows and max(r["n"] for r in rows) == 1, model.__name__
    assert batch.intervals_loaded == IntervalStat.objects.filter(source=source).count()
    _assert_rollups_match_legs(source)
    assert_rollups_equal_a_rebuild(source)


def _months_csv(path, months, n=70):
    """``n`` contacts on the 10th of each of ``months`` (``2026-01``), in time order: with
    70-row chunks, each chunk is one month's."""
    with open(path, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "arrived", "answered", "ended", "queue", "agent", "talk", "acw",
                      "reason"])
        for month in months:
            for i in range(n):
                arrived = f"{month}-10 {9 + i // 30:02d}:{(2 * i) % 60:02d}:05"
                answered = arrived[:-2] + "40"
                out.writerow([f"{month}-{i}", arrived, answered, answered, f"Q{i % 2}",
                              f"agent-{i % 5}", 100 + i, 20, "billing"])
    return path


def test_a_bulk_load_in_time_order_adds_up_only_the_intervals_its_chunks_share(
        tmp_path, small_chunks, source, monkeypatch, consolidations):
    """A file in time order (most exports) repeats a rollup key only where two chunks meet:
    the final add-up names those intervals instead of reading the whole span — none here,
    each chunk being its own month — and the rollups still equal a rebuild. (A source that
    held contacts before takes the whole span: see the next test.)"""
    from measurements.services.ingest import batch_create, batch_process
    from tests.measurements.test_rollup_merge import assert_rollups_equal_a_rebuild

    monkeypatch.setattr(small_chunks, "MERGE_MIN_LEGS", 0)
    monkeypatch.setattr(small_chunks, "SUMS_FLUSH_ROWS", 10)  # appended every chunk
    months = ["2026-01", "2026-02", "2026-03", "2026-04"]
    batch = batch_process(batch_create(source=source, file=_months_csv(tmp_path / "a.csv",
                                                                       months),
                                       enqueue=False).pk)
    assert batch.status == "loaded", batch.error
    assert batch.contacts_loaded == 280
    assert len(consolidations) == 1
    named, _ = consolidations[0]
    assert named is not None and len(named) == 0
    _assert_rollups_match_legs(source)
    assert_rollups_equal_a_rebuild(source)


@pytest.mark.parametrize("min_legs", [0, 5_000], ids=["summed", "rebuilt"])
def test_a_bulk_load_repeating_ids_across_its_chunks_and_the_sources_ids_replaces_them(
        tmp_path, small_chunks, source, caplog, monkeypatch, min_legs, consolidations):
    """Bulk mode checks ids against hashes of the ids seen (no index while loading): a file
    whose later chunks repeat ids of its earlier chunks, and ids the source already held,
    replaces those contacts (the last row wins) and its rollups equal a rebuild."""
    from measurements.models import Contact
    from measurements.services.ingest import batch_create, batch_process
    from tests.measurements.test_rollup_merge import assert_rollups_equal_a_rebuild

    monkeypatch.setattr(small_chunks, "MERGE_MIN_LEGS", min_legs)
    monkeypatch.setattr(small_chunks, "SUMS_FLUSH_ROWS", 10)  # summed: appended every chunk
    caplog.set_level("INFO", logger="measurements.services.ingest")
    held = batch_process(batch_create(source=source, file=_csv(tmp_path / "a.csv", 20,
                                                                first=1000),
                                      enqueue=False).pk)
    assert held.status == "loaded", held.error
    path = _csv(tmp_path / "b.csv", 300)
    with open(path, "a", newline="") as fh:  # ids of the first chunk and of the source again
        for again, first, n in (("c.csv", 0, 30), ("d.csv", 1000, 20)):
            fh.write("".join(_csv(tmp_path / again, n, first=first).read_text()
                             .splitlines(keepends=True)[1:]))
    caplog.clear()
    batch = batch_process(batch_create(source=source, file=path, enqueue=False).pk)
    assert batch.status == "loaded", batch.error
    assert "bulk load" in caplog.text
    assert batch.contacts_replaced == 30 + 20
    assert Contact.objects.filter(source=source).count() == 20 + 300
    # The source held contacts before: any interval may repeat a key, the whole span is read.
    assert bool(consolidations) == (min_legs == 0)
    assert all(named is None for named, _ in consolidations)
    assert_rollups_equal_a_rebuild(source)


def test_failure_after_a_bulk_load_keeps_the_indexes_and_stores_nothing(tmp_path, small_chunks,
                                                                       source, monkeypatch):
    from measurements.models import Contact, IntervalStat, Segment
    from measurements.services.ingest import batch_create, batch_process

    before = _index_definitions()

    def broken(*args, **kwargs):
        raise RuntimeError("rollup failed")
    for name in ("rollup_merge", "rollup_rebuild"):  # whichever the batch takes
        monkeypatch.setattr(small_chunks, name, broken)
    batch = batch_process(batch_create(source=source, file=_csv(tmp_path / "a.csv", 300),
                                       enqueue=False).pk)
    assert batch.status == "failed"
    assert "rollup failed" in batch.error
    assert _index_definitions() == before
    assert not Contact.objects.exists() and not Segment.objects.exists()
    assert not IntervalStat.objects.exists()


def test_an_error_in_the_writer_thread_fails_the_batch_and_a_retry_loads_once(
        tmp_path, small_chunks, source, monkeypatch):
    import psycopg2

    from measurements.models import Contact, Segment
    from measurements.services import pgcopy
    from measurements.services.ingest import batch_create, batch_process, batch_retry

    send = pgcopy.copy_payload_send
    sent = []

    def failing_third(cursor, sql, payload):
        sent.append(sql)
        if len(sent) == 3:  # the second chunk's contacts, while the third is being read
            raise psycopg2.DataError("invalid input in COPY")
        send(cursor, sql, payload)
    monkeypatch.setattr(pgcopy, "copy_payload_send", failing_third)
    batch = batch_process(batch_create(source=source, file=_csv(tmp_path / "a.csv", 300),
                                       enqueue=False).pk)
    assert batch.status == "failed"
    assert "invalid input in COPY" in batch.error
    assert not Contact.objects.exists() and not Segment.objects.exists()
    monkeypatch.setattr(pgcopy, "copy_payload_send", send)
    batch_retry(batch.pk)
    batch = batch_process(batch.pk)
    assert batch.status == "loaded", batch.error
    assert Contact.objects.filter(source=source).count() == 300
    _assert_rollups_match_legs(source)
