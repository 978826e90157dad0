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


@shared_task(name="measurements.tasks.scan_drop_folders", acks_late=False)
def scan_drop_folders(duration_s=55, interval_s=5):
    """Watch every data source's drop folder for ``duration_s`` seconds, scanning every
    ``interval_s`` (beat starts it each minute, so a file is picked up within seconds);
    returns the batch ids created."""
    from .services.drop_folders import drop_folders_watch

    return [b.pk for b in drop_folders_watch(duration_s=duration_s, interval_s=interval_s)]


@shared_task(name="measurements.tasks.quality_after_import", acks_late=True)
def quality_after_import(batch_id):
    """Run the measurement tests for the period import ``batch_id`` touched, then the
    data-collection monitor of its centre; returns the run ids."""
    from .models import ImportBatch
    from .services.monitor import monitor_check
    from .services.testing import measurement_tests_after_import

    runs = measurement_tests_after_import(batch_id)
    batch = ImportBatch.objects.select_related("source__centre").filter(pk=batch_id).first()
    if batch is not None:
        # The months this import (and any before it since) touched are counted again.
        monitor_check(batch.source.centre, recount=False)
    return [r.pk for r in runs]


@shared_task(name="measurements.tasks.measurement_test_run", acks_late=True)
def measurement_test_run(test_id, user_id=None):
    """Run measurement test ``test_id`` on demand; returns the run's status."""
    from django.contrib.auth import get_user_model

    from .models import MeasurementTest
    from .services.testing import measurement_test_run

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return measurement_test_run(MeasurementTest.objects.get(pk=test_id), user=user).status


@shared_task(name="measurements.tasks.follow_sources", acks_late=False)
def follow_sources(duration_s=55):
    """Follow every enabled followed source for ``duration_s`` seconds (beat starts it each
    minute, so a worker slot follows continuously); returns the micro-batches loaded."""
    from .models import SourceFollow
    from .services.follow import follow_loop

    ids = list(SourceFollow.objects.filter(enabled=True).values_list("pk", flat=True))
    return follow_loop(ids, duration_s=duration_s) if ids else 0


@shared_task(name="measurements.tasks.retention_monthly", acks_late=True)
def retention_monthly():
    """Create the coming months' partitions and remove the months older than
    ``CONTACTMIS_RETENTION_MONTHS``; returns the tables archived or trimmed."""
    from django.conf import settings

    from .services.partitions import partitions_ahead, retention_apply, retention_cutoff

    partitions_ahead()
    if not settings.CONTACTMIS_RETENTION_MONTHS:
        return []
    return [item.table for item in
            retention_apply(retention_cutoff(settings.CONTACTMIS_RETENTION_MONTHS))]
