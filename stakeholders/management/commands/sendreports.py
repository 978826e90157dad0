"""Send due scheduled reports without a Celery broker: once, or every minute with ``--loop``."""
import time

from django.core.management.base import BaseCommand

from stakeholders.models import ReportRun
from stakeholders.reporting import send_due_reports


class Command(BaseCommand):
    help = ("Send the report schedules that are due and retry failed deliveries whose backoff "
            "has passed (the same service Celery beat runs every minute).")

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true",
                            help="Keep running, checking every --interval seconds.")
        parser.add_argument("--interval", type=int, default=60,
                            help="Seconds between checks with --loop (default 60).")

    def handle(self, *args, loop=False, interval=60, **options):
        while True:
            tried = send_due_reports()
            for run in ReportRun.objects.filter(pk__in=tried).select_related("stakeholder"):
                self.stdout.write(f"{run.stakeholder}: {run.get_template_display()} "
                                  f"{run.period_label} — {run.get_status_display()}"
                                  + (f" ({run.error})" if run.error else ""))
            if not tried and not loop:
                self.stdout.write("No report is due.")
            if not loop:
                return
            time.sleep(max(1, interval))
