"""The overflow probes of the hostile-input review, as one test body run on SQLite (the default
suite, ``test_ingest_overflow.py``) and on PostgreSQL (``tests/integration/``): both must give
the same rejects and the same loaded figures, asserted here as numbers.

One generic CSV holds a good row, every overflowing or impossible value the review tried, and
another good row; it is loaded through ``manage.py ingest`` (no traceback), then the batch is
failed as by a dead worker and retried through the API (no 500) and loaded again from scratch.
"""

import io

from django.core.management import call_command
from django.db.models import Count, Min, Sum

MAPPING = {
    "columns": {
        "external_id": "id",
        "arrived_at": "created",
        "ended_at": "closed",
        "queue": "queue",
        "talk_s": "handle",
        "outcome": "status",
        "contact_type": "reason",
    },
    "queue_kind": "web",
    "channel": "web_form",
    "outcome_values": {"answered": "handled", "missed": "abandoned"},
}
HEADER = "id,created,closed,queue,handle,status,reason\n"


def _row(
    n, created="2026-03-02 09:00:00", closed="2026-03-02 09:10:00", handle="60", reason="billing"
):
    return f"f-{n},{created},{closed},Forms,{handle},answered,{reason}\n"


# line in the file → (probe, field of the reject); header is line 1
PROBES = [
    (2, "good row", None, _row(2)),
    (3, "handle 99999999999999999999999", "handle", _row(3, handle="99999999999999999999999")),
    (4, "handle 1e308", "handle", _row(4, handle="1e308")),
    (5, "handle 9223372036854775808 (2^63)", "handle", _row(5, handle="9223372036854775808")),
    (6, "handle -5", "handle", _row(6, handle="-5")),
    (
        7,
        "created 2099-03-02 (after the import)",
        "created",
        _row(7, created="2099-03-02 09:00:00", closed=""),
    ),
    (8, "created 9999-12-31", "created", _row(8, created="9999-12-31 09:00:00", closed="")),
    (9, "closed before created", "closed", _row(9, closed="2026-03-02 08:00:00")),
    (10, "contact type of 61 characters", "reason", _row(10, reason="x" * 61)),
    (11, "contact type of 2,000,000 characters", "row", _row(11, reason="x" * 2_000_000)),
    (12, "an extra column", "row", _row(12).replace("\n", ",extra\n")),
    (
        13,
        "good row",
        None,
        _row(13, created="2026-03-02 09:30:00", closed="2026-03-02 09:40:00", handle="120"),
    ),
    (14, "last line cut off", "row", "f-14,2026-03-02 09:1"),
]
EXPECTED_REJECTS = {(line, field) for line, _, field, _ in PROBES if field}
EXPECTED = {
    "rows_read": 13,
    "contacts_loaded": 2,
    "rows_rejected": 11,
    "segments_loaded": 4,
    "talk_s": 180,
    "offered": 2,
    "handled": 2,
    "min_talk_s": 60,
    "max_talk_s": 120,
}


def probe_text() -> str:
    return HEADER + "".join(text for _, _, _, text in PROBES)


def _figures(batch):
    from measurements.models import IntervalStat, RejectedRow, Segment

    legs = Segment.objects.filter(contact__batch=batch)
    rollup = IntervalStat.objects.filter(source=batch.source).aggregate(
        talk_s=Sum("talk_s"), offered=Sum("offered"), handled=Sum("handled")
    )
    talk = legs.filter(kind="agent").aggregate(lo=Min("talk_s"), n=Count("id"))
    return {
        "rows_read": batch.rows_read,
        "contacts_loaded": batch.contacts_loaded,
        "rows_rejected": batch.rows_rejected,
        "segments_loaded": legs.count(),
        **rollup,
        "min_talk_s": talk["lo"],
        "max_talk_s": legs.order_by("-talk_s").values_list("talk_s", flat=True).first(),
        "rejects": {(r.line, r.field) for r in RejectedRow.objects.filter(batch=batch)},
    }


def run_overflow_probes(centre, tmp_path, api_client, manager, monkeypatch):
    """Load the probes through ``manage.py ingest`` and through a retry; return the figures
    (asserted equal to ``EXPECTED`` by both suites)."""
    from measurements.constants import BatchStatus
    from measurements.models import ImportBatch
    from measurements.services import ingest as ingest_service
    from measurements.services.ingest import batch_process, source_create

    source_create(
        centre=centre,
        name="Forms",
        kind="web",
        export_format="generic",
        time_zone="Europe/London",
        column_mapping=MAPPING,
    )
    path = tmp_path / "probes.csv"
    path.write_text(probe_text())
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "ingest",
        str(path),
        "--format",
        "generic",
        "--source",
        "Forms",
        "--centre",
        centre.name,
        stdout=out,
        stderr=err,
    )
    assert "Traceback" not in out.getvalue() + err.getvalue()
    assert "loaded — read 13, contacts 2, segments 4, rejected 11" in out.getvalue()
    batch = ImportBatch.objects.get(original_name="probes.csv")
    first = _figures(batch)

    # A worker died mid-load: the batch is failed; the API retry answers (no 500) and the
    # reload from scratch gives the same figures.
    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.FAILED, error="worker lost")
    monkeypatch.setattr(ingest_service, "_enqueue", lambda batch_id: None)
    api_client.force_authenticate(manager)
    response = api_client.post(f"/api/v1/import-batches/{batch.pk}/retry/")
    assert response.status_code == 200, response.content[:500]
    assert response.json()["status"] == "pending"
    again = _figures(batch_process(batch.pk))
    assert again == first
    kpis = api_client.get("/api/v1/analysis/kpis/", {"start": "2026-03-02", "end": "2026-03-03"})
    assert kpis.status_code == 200
    return first
