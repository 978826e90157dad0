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
}

# Scheduled stakeholder reports (issue 8): each schedule is claimed by a conditional update, so
# several beats or workers never send a period twice.
app.conf.beat_schedule["send-due-reports"] = {
    "task": "stakeholders.tasks.send_due_reports",
    "schedule": crontab(minute="*"),
    "options": {"expires": 50},
}

# Data collection: pick up new files in the data sources' drop folders.
app.conf.beat_schedule["ingest-drop-folders"] = {
    "task": "measurements.tasks.scan_drop_folders",
    "schedule": crontab(minute="*"),
    "options": {"expires": 50},
}
