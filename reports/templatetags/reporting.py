"""Template filters for rendered reports."""
from django import template

from ..vocabulary import label

register = template.Library()


@register.filter
def kpi_label(key):
    """The metric vocabulary's name of a KPI column."""
    return label(str(key))


@register.filter
def get(mapping, key):
    return mapping.get(key, "")
