from django.apps import AppConfig


class ContactMISConfig(AppConfig):
    name = "contactmis"
    verbose_name = "ContactMIS"
