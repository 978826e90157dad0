"""Number formats of the analysis pages: the metric vocabulary's one formatter (the same as
charts, tiles, findings and reports); empty figures read "no data", never 0."""
from django import template

from reports.vocabulary import METRICS, NO_DATA, fmt, is_missing, metric

register = template.Library()
# Columns of analysis tables that are shares (0..1) though not metrics of the vocabulary.
SHARES = {"share_of_day", "wape", "bias", "change_rel", "abandon_share"}


@register.filter
def kpi(value, name=""):
    """Format ``value`` of column ``name`` as the metric is formatted everywhere."""
    if value is None or value == "" or is_missing(value):
        return NO_DATA
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value.replace("T", " ")[:16] if name in ("period_start", "at", "week_start") \
            else value
    name = str(name).removesuffix("_target")
    if name in SHARES:
        return f"{value * 100:.1f} %"
    if name in METRICS or name.startswith("service_level") or name.endswith("_s"):
        return fmt(name, value)
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{value:,.0f}"


@register.filter
def label(name):
    """Column header from a column name: the vocabulary's label where it has one."""
    text = str(name)
    if text.endswith("_target"):
        return f"{label(text.removesuffix('_target'))} target"
    if text in METRICS or text.startswith("service_level__"):
        found = metric(text)
        return found.axis_title if found.unit == "seconds" else found.label
    if text.endswith("_s"):
        text = text[:-2] + " (s)"
    return text.replace("_", " ").capitalize()


@register.filter
def get(mapping, key):
    return mapping.get(key)
