"""Number formats of the analysis pages: the same as the charts (percent with one decimal,
whole seconds, counts with separators); empty KPIs show as an em dash, never 0."""
from django import template

register = template.Library()
PERCENT = {"service_level", "abandon_rate", "transfer_rate", "escalation_rate",
           "ivr_containment", "occupancy", "share_of_day", "wape", "bias", "change_rel",
           "abandon_share"}


@register.filter
def kpi(value, name=""):
    """Format ``value`` as the KPI ``name`` is formatted elsewhere."""
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value.replace("T", " ")[:16] if name in ("period_start", "at", "week_start") \
            else value
    name = str(name)
    if name in PERCENT or name.startswith("service_level"):
        return f"{value * 100:.1f} %"
    if name.endswith("_s"):
        return f"{value:,.0f} s"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{value:,.0f}"


@register.filter
def label(name):
    """Column header from a column name."""
    text = str(name)
    if text.endswith("_s"):
        text = text[:-2] + " (s)"
    return text.replace("service_level__", "SL: ").replace("_", " ")


@register.filter
def get(mapping, key):
    return mapping.get(key)
