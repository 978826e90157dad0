import os
import sys

from django.apps import AppConfig


class StakeholdersConfig(AppConfig):
    name = "stakeholders"
    verbose_name = "Stakeholders and dashboards"

    def ready(self):
        from measurements.services.daily import data_changed

        from .tasks import warm_after_new_data

        data_changed.connect(warm_after_new_data, dispatch_uid="stakeholders.warm_dashboards")
        # ``make demo`` serves a living centre: today's calls written and followed as they
        # happen (only in the demo's server process).
        if os.environ.get("CONTACTMIS_DEMO_LIVE") == "1" and "runserver" in sys.argv:
            from .demo_live import demo_live_start

            demo_live_start()
