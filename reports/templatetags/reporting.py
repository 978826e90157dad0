"""Template filters for rendered reports."""
from django import template

register = template.Library()

KPI_LABELS = {"offered": "Offered", "answered": "Answered", "abandoned": "Abandoned",
              "service_level": "Service level", "abandon_rate": "Abandon rate", "asa_s": "ASA",
              "aht_s": "AHT"}


@register.filter
def kpi_label(key):
    return KPI_LABELS.get(key, str(key).replace("_", " ").capitalize())


@register.filter
def get(mapping, key):
    return mapping.get(key, "")
