"""Number formats of the analysis pages: the metric vocabulary's one formatter (the same as
charts, tiles, findings and reports); empty figures read "no data", never 0."""
from django import template

from reports.vocabulary import METRICS, NO_DATA, fmt, is_missing, metric

register = template.Library()
# Columns of analysis tables that are shares (0..1) though not metrics of the vocabulary.
SHARES = {"share_of_day", "wape", "bias", "change_rel", "abandon_share", "daily_wape",
          "daily_bias", "interval_wape", "interval_bias"}
# Column headers that are not metric names of the vocabulary.
COLUMN_LABELS = {"wape": "WAPE", "daily_wape": "Daily WAPE", "daily_bias": "Daily bias",
                 "interval_wape": "Interval WAPE", "interval_bias": "Interval bias",
                 "held_out_weeks": "Held-out weeks", "aht_s_forecast": "AHT forecast (s)"}


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
    if text in COLUMN_LABELS:
        return COLUMN_LABELS[text]
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
