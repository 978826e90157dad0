"""Celery tasks of the stakeholders app: thin wrappers around services."""
from celery import shared_task

from .reporting import send_due_reports


@shared_task(name="stakeholders.tasks.send_due_reports")
def send_due_reports_task():
    """Send every report schedule that is due and retry failed deliveries whose backoff has
    passed (``stakeholders.reporting.send_due_reports``); returns the ids of runs tried."""
    return send_due_reports()
