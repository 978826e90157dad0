"""Celery tasks of the stakeholders app: thin wrappers around services."""
from celery import shared_task

from .reporting import send_due_reports
from .widgets import dashboards_warm


@shared_task(name="stakeholders.tasks.send_due_reports")
def send_due_reports_task():
    """Send every report schedule that is due and retry failed deliveries whose backoff has
    passed (``stakeholders.reporting.send_due_reports``); returns the ids of runs tried."""
    return send_due_reports()


@shared_task(name="stakeholders.tasks.dashboards_warm")
def dashboards_warm_task():
    """Compute the default dashboards into the shared cache for the new data
    (``stakeholders.widgets.dashboards_warm``); returns the number of widgets computed."""
    return dashboards_warm()


def warm_after_new_data(sender, touched, **kwargs):
    """``measurements.services.daily.data_changed`` receiver: queue the warming when enabled
    (``CONTACTMIS_DASHBOARD_WARM``, on by default when a worker runs the tasks)."""
    from django.conf import settings

    if getattr(settings, "CONTACTMIS_DASHBOARD_WARM", False):
        dashboards_warm_task.delay()
