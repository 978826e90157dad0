"""Celery entry points of the measurements app (thin: ids in, one service call)."""
from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(name="measurements.tasks.ingest_batch", bind=True, acks_late=True,
             autoretry_for=(OperationalError, InterfaceError), retry_backoff=5,
             retry_backoff_max=300, retry_jitter=True, max_retries=5)
def ingest_batch(self, batch_id):
    """Load import batch ``batch_id``; returns its final status."""
    from .services.ingest import batch_process

    return batch_process(batch_id).status


@shared_task(name="measurements.tasks.scan_drop_folders", acks_late=True)
def scan_drop_folders():
    """Pick up new files in every data source's drop folder; returns the batch ids created."""
    from .models import DataSource
    from .services.ingest import drop_folder_scan

    ids = []
    for source in DataSource.objects.exclude(drop_folder="").select_related("centre"):
        ids += [b.pk for b in drop_folder_scan(source)]
    return ids
