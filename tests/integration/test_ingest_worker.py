"""Ingestion on the real PostgreSQL, Redis and a real Celery worker: a worker killed in the middle
of a batch leaves no partial data, and the retried batch loads exactly once."""
import os

import pytest

from tests.integration.conftest import wait_for

# Small chunks so the worker publishes progress while the batch's transaction is still open
# (read by the worker process this session starts).
os.environ["CONTACTMIS_INGEST_CHUNK_ROWS"] = "10000"

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def big_file(anonymous_bank_dir, tmp_path):
    """Three real months in one file (about 104,000 records)."""
    path = tmp_path / "1999-q1.tsv"
    with open(path, "w") as out:
        for i, month in enumerate(("1999-01", "1999-02", "1999-03")):
            lines = (anonymous_bank_dir / f"{month}.tsv").read_text().splitlines(keepends=True)
            out.writelines(lines if i == 0 else lines[1:])
    return path


def test_killed_worker_leaves_no_partial_batch_and_retry_loads_once(celery_worker_process,
                                                                     big_file):
    from django.db import connection
    from django.db.models import Sum

    from contactmis.models import Centre
    from measurements.models import Contact, ImportBatch, IntervalStat, RejectedRow, Segment
    from measurements.services.ingest import batch_create, batch_retry, source_create
    from measurements.tasks import ingest_batch

    assert connection.vendor == "postgresql"
    centre = Centre.objects.create(name="Bank", time_zone="Asia/Jerusalem")
    source = source_create(centre=centre, name="Bank ACD", kind="acd_ivr",
                           export_format="anonymous_bank", time_zone="Asia/Jerusalem")
    batch = batch_create(source=source, file=big_file)  # enqueued on commit (autocommit here)

    def mid_batch():
        b = ImportBatch.objects.get(pk=batch.pk)
        return b.status == "running" and b.rows_read >= 30_000 and b

    seen = wait_for(mid_batch, 120, "the worker to be in the middle of the batch")
    celery_worker_process.kill()
    # Progress was published while loading (rows read), yet nothing of the batch is stored.
    assert seen.rows_read >= 30_000
    assert Contact.objects.count() == 0
    assert Segment.objects.count() == 0
    assert IntervalStat.objects.count() == 0
    assert RejectedRow.objects.count() == 0
    assert ImportBatch.objects.get(pk=batch.pk).status == "running"

    celery_worker_process.start()
    batch_retry(batch.pk)
    done = wait_for(lambda: ImportBatch.objects.filter(pk=batch.pk, status="loaded").first(), 420,
                 "the retried batch to load")
    with open(big_file) as fh:
        records = [line.split("\t") for line in fh.readlines()[1:]]
    expected = sum(1 for r in records if r[12] != "PHANTOM")
    assert done.contacts_loaded == expected
    assert Contact.objects.count() == expected
    assert done.attempts == 2

    # A second delivery of the same task (as a broker redelivery would be) loads nothing more.
    assert ingest_batch.delay(batch.pk).get(timeout=60) == "loaded"
    assert Contact.objects.count() == expected
    served = sum(1 for r in records if r[12] == "AGENT" and r[16].strip() != "NO_SERVER")
    assert IntervalStat.objects.aggregate(n=Sum("answered"))["n"] == served
