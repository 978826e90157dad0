from django.apps import AppConfig


class StakeholdersConfig(AppConfig):
    name = "stakeholders"
    verbose_name = "Stakeholders and dashboards"

    def ready(self):
        from measurements.services.daily import data_changed

        from .tasks import warm_after_new_data

        data_changed.connect(warm_after_new_data, dispatch_uid="stakeholders.warm_dashboards")
