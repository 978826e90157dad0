"""Reads for data collection: data sources, import batches, their progress and rejects."""
from __future__ import annotations

from django.db.models import Count, Max, Q, Sum

from ..constants import BatchStatus
from ..models import DataSource, ImportBatch

PROGRESS_FIELDS = ("status", "rows_read", "contacts_loaded", "segments_loaded", "surveys_loaded",
                   "agent_states_loaded", "intervals_loaded", "rows_rejected",
                   "duplicates_skipped", "rows_skipped", "surveys_unmatched", "contacts_replaced",
                   "error", "attempts")


def source_list(centre=None):
    """Data sources with their batch count and last import time (``last_import_at``, UTC)."""
    qs = DataSource.objects.select_related("centre").annotate(
        batch_count=Count("batches"), last_import_at=Max("batches__created_at"),
        failed_count=Count("batches", filter=Q(batches__status=BatchStatus.FAILED)))
    if centre is not None:
        qs = qs.filter(centre=centre)
    return qs.order_by("name")


def batch_list(*, source_id=None, status=None):
    qs = ImportBatch.objects.select_related("source", "created_by")
    if source_id:
        qs = qs.filter(source_id=source_id)
    if status:
        qs = qs.filter(status=status)
    return qs


def batch_progress(batch: ImportBatch) -> dict:
    """What the batch page polls: status, counts, timings (ISO 8601 UTC), a 0..1 fraction
    (``None`` while the total is unknown) and whether it is finished."""
    done = batch.status in (BatchStatus.LOADED, BatchStatus.DUPLICATE, BatchStatus.FAILED)
    data = {f: getattr(batch, f) for f in PROGRESS_FIELDS}
    data.update(
        id=batch.pk, status_label=batch.get_status_display(), finished=done,
        notes=batch.notes, export_format=batch.export_format,
        started_at=batch.started_at.isoformat() if batch.started_at else None,
        finished_at=batch.finished_at.isoformat() if batch.finished_at else None,
        size_bytes=batch.size_bytes,
        fraction=1.0 if done else _fraction(batch),
    )
    return data


def _fraction(batch):
    """Estimated share done: rows read so far against the file size (bytes per row estimated
    from the first rows is not kept, so use a typical 100 bytes/row, capped below 1)."""
    if not batch.rows_read or not batch.size_bytes:
        return 0.0
    return min(0.95, batch.rows_read * 100 / batch.size_bytes)


def batch_rejects(batch: ImportBatch, limit=200):
    return batch.rejects.order_by("line")[:limit]


def ingest_summary(centre=None) -> dict:
    """Figures for the home panel: last import, batches by status, rejects in the last 30 days."""
    from django.utils import timezone

    qs = ImportBatch.objects.all()
    if centre is not None:
        qs = qs.filter(source__centre=centre)
    since = timezone.now() - timezone.timedelta(days=30)
    recent = qs.filter(created_at__gte=since).aggregate(
        batches=Count("id"), rejected=Sum("rows_rejected"), contacts=Sum("contacts_loaded"),
        failed=Count("id", filter=Q(status=BatchStatus.FAILED)),
        running=Count("id", filter=Q(status__in=(BatchStatus.PENDING, BatchStatus.RUNNING))))
    return {"last": qs.select_related("source").order_by("-created_at").first(),
            "sources": DataSource.objects.filter(centre=centre).count() if centre else
            DataSource.objects.count(), **recent}


def mapping_preview(source, rows=10):
    """``{"columns", "rows", "error"}`` of the source's sample export for the mapping page."""
    from ..ingest import FormatError, generic
    from ..services.ingest import mapping_sample_path

    path = mapping_sample_path(source)
    if path is None:
        return None
    try:
        columns, first = generic.preview(path, path.name, (source.column_mapping or {})
                                         .get("delimiter"), rows)
    except FormatError as exc:
        return {"columns": [], "rows": [], "error": str(exc)}
    return {"columns": columns, "rows": first, "error": ""}
