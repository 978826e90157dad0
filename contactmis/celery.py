"""The Celery application. Settings come from Django's ``CELERY_*`` settings.

Periodic work is declared here, in one place: crontab schedules only, each with ``expires`` so a
backlog after downtime is dropped rather than run late in a burst.
"""
import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactmis.settings")

app = Celery("contactmis")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "worker-heartbeat": {
        "task": "contactmis.tasks.worker_heartbeat",
        "schedule": crontab(minute="*"),
        "options": {"expires": 50},
    },
    # Data collection: pick up new files in the data sources' drop folders, scanning every 5 s
    # for 55 s of each minute (each folder under a claim, so overlapping runs never share one).
    "ingest-drop-folders": {
        "task": "measurements.tasks.scan_drop_folders",
        "schedule": crontab(minute="*"),
        "options": {"expires": 50},
    },
    # Live data collection: follow the followed sources' files (queue_log) for 55 s of each
    # minute, under a per-source lease, so one worker slot keeps them current.
    "follow-sources": {
        "task": "measurements.tasks.follow_sources",
        "schedule": crontab(minute="*"),
        "options": {"expires": 50},
    },
    # Scheduled stakeholder reports: each due schedule is claimed by a conditional update, so
    # several beats or workers never send a period twice.
    "send-due-reports": {
        "task": "stakeholders.tasks.send_due_reports",
        "schedule": crontab(minute="*"),
        "options": {"expires": 50},
    },
    # Rollup retention: the coming months' partitions created, months older than
    # CONTACTMIS_RETENTION_MONTHS archived and dropped (early on the 1st, a quiet hour).
    "rollup-retention": {
        "task": "measurements.tasks.retention_monthly",
        "schedule": crontab(minute=30, hour=3, day_of_month=1),
        "options": {"expires": 6 * 3600},
    },
}
