"""Number formats of the analysis pages: the metric vocabulary's one formatter (the same as
charts, tiles, findings and reports); empty figures read "no data", never 0."""
from django import template
from django.utils.safestring import mark_safe

from pathways.constants import Channel
from reports.vocabulary import METRICS, NO_DATA, column, column_label, fmt, is_missing

register = template.Library()


@register.filter
def group_label(key, by=""):
    """A group of a breakdown as a person reads it: a channel by its name ("Web form"), any
    other key as it is."""
    if by == "channel" and key in Channel.values:
        return Channel(key).label
    return key

# In JSON text these three occur only inside strings, where their \u escapes mean the same:
# escaped, no figure can close the <script> element that carries it.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.filter
def figure_json(text):
    """A chart's figure JSON for a ``<script type="application/json">`` element: as it is but
    for ``<``, ``>`` and ``&`` (an HTML attribute would escape every quote, a third of the
    bytes of a month of 15-minute intervals)."""
    return mark_safe(str(text).translate(_SCRIPT_ESCAPES))  # noqa: S308 (escaped above)


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
    found = column(str(name))
    if found is not None and found.unit in ("ratio", "seconds", "money", "agents"):
        return found.fmt(value)
    name = str(name).removesuffix("_target")
    if name in METRICS or name.startswith("service_level") or name.endswith("_s"):
        return fmt(name, value)
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{value:,.0f}"


@register.filter
def label(name):
    """Column header from a column name: the vocabulary's words (cells carry their unit)."""
    return column_label(str(name))


@register.filter
def get(mapping, key):
    return mapping.get(key)
