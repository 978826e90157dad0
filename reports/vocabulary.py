"""The metric vocabulary: what each figure is called, its unit, which way is good, and the one way
numbers are written. Pure: no Django — pages, widgets, charts, findings, reports, the API and the
CLI all read their labels and formats here, so "12.3 %" reads the same everywhere.

Units: ``count`` (contacts), ``ratio`` (0..1, shown as a percentage), ``seconds`` (shown in s,
min or h), ``money`` (the plan's currency), ``agents``. Missing values are written
:data:`NO_DATA` — a gap, never a zero.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

NO_DATA = "no data"
NO_TARGET = "no target"


def is_missing(value) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def fmt_duration(seconds) -> str:
    """A duration as people say it: "45 s", "3.5 min", "24 h", "2 d"."""
    if is_missing(seconds):
        return NO_DATA
    s = float(seconds)
    if abs(s) < 600:
        return f"{s:,.0f} s"
    if abs(s) < 3 * 3600:
        minutes = s / 60
        return f"{minutes:,.0f} min" if minutes == round(minutes) else f"{minutes:,.1f} min"
    if abs(s) < 3 * 86400 or s % 86400:
        hours = s / 3600
        return f"{hours:,.0f} h" if hours == int(hours) else f"{hours:,.1f} h"
    return f"{s / 86400:,.0f} d"


def fmt_percent(fraction) -> str:
    """A fraction 0..1 as a percentage: "12.3 %" (the one way percentages are written)."""
    if is_missing(fraction):
        return NO_DATA
    return f"{float(fraction) * 100:.1f} %"


@dataclass(frozen=True)
class Metric:
    """A figure of the KPI tables: its column ``key``, the ``label`` users read, its ``unit``,
    its definition in words, and whether higher is better (``None``: neither)."""

    key: str
    label: str
    unit: str
    definition: str
    higher_is_better: bool | None = True

    @property
    def is_percentage(self) -> bool:
        return self.unit == "ratio"

    def fmt(self, value) -> str:
        """``value`` in this metric's unit as shown everywhere (tiles, tables, sentences)."""
        if is_missing(value):
            return NO_DATA
        value = float(value)
        if self.unit == "ratio":
            return fmt_percent(value)
        if self.unit == "seconds":
            return fmt_duration(value)
        if self.unit == "money":
            return f"{value:,.2f}"
        if self.unit == "agents":
            return f"{value:,.1f}"
        return f"{value:,.0f}"

    @property
    def d3_format(self) -> str:
        """Plotly (d3) number format for axes and hover text."""
        return {"ratio": ".1%", "seconds": ",.0f", "money": ",.2f", "agents": ",.1f"}.get(
            self.unit, ",.0f")

    @property
    def axis_title(self) -> str:
        suffix = {"seconds": " (s)", "ratio": " (%)", "money": " (currency)"}.get(self.unit, "")
        return f"{self.label}{suffix}"


METRICS = {
    m.key: m
    for m in (
        Metric("offered", "Offered", "count",
               "Contacts that entered the queue (IVR-contained contacts are not offered).", None),
        Metric("answered", "Answered", "count", "Contacts answered by an agent.", None),
        Metric("handled", "Handled", "count", "Contacts handled by an agent.", None),
        Metric("abandoned", "Abandoned", "count", "Contacts that hung up while queued.", False),
        Metric("short_abandoned", "Short abandons", "count",
               "Abandoned within the short-abandon threshold.", None),
        Metric("service_level", "Service level", "ratio",
               "Answered within T / (offered − short abandons), T being each queue's configured "
               "threshold unless the figure names another."),
        Metric("asa_s", "ASA", "seconds", "Σ wait of answered / answered.", False),
        Metric("aht_s", "AHT", "seconds", "(talk + hold + ACW) / handled.", False),
        Metric("avg_talk_s", "Average talk time", "seconds", "Σ talk / handled.", None),
        Metric("avg_hold_s", "Average hold time", "seconds", "Σ hold / handled.", False),
        Metric("avg_acw_s", "Average after-call work", "seconds", "Σ ACW / handled.", False),
        Metric("wait_max_s", "Longest wait", "seconds", "The longest wait in the period.", False),
        Metric("abandon_rate", "Abandon rate", "ratio",
               "(abandoned − short abandons) / (offered − short abandons).", False),
        Metric("transfer_rate", "Transfer rate", "ratio", "Transferred / handled.", False),
        Metric("escalation_rate", "Escalation rate", "ratio", "Escalated / handled.", False),
        Metric("ivr_containment", "IVR containment", "ratio",
               "IVR sessions ending in self-service / IVR sessions."),
        Metric("occupancy", "Occupancy", "ratio",
               "Busy / (busy + available) agent time, from agent states.", None),
        Metric("cost_per_contact", "Cost per contact", "money",
               "Cost (budget) / handled contacts, per channel.", False),
        Metric("required_agents", "Required agents", "agents",
               "Agents Erlang C needs for the target service level.", None),
        Metric("actual_agents", "Actual agents", "agents",
               "Staffed agent time / interval length, from agent states.", None),
    )
}
PERCENT_METRICS = frozenset(k for k, m in METRICS.items() if m.is_percentage)


def metric(key: str) -> Metric:
    """The metric of column ``key``; variant columns (``service_level__of_offered``) and
    unknown columns get a plain count-like entry named after the column."""
    if key in METRICS:
        return METRICS[key]
    base = key.split("__")[0]
    if base in METRICS:
        m = METRICS[base]
        return Metric(key, f"{m.label} ({key.split('__', 1)[1].replace('_', ' ')})", m.unit,
                      m.definition, m.higher_is_better)
    unit = "seconds" if key.endswith("_s") else "count"
    return Metric(key, key.replace("_", " ").capitalize(), unit, "", None)


def label(key: str) -> str:
    return metric(key).label


def fmt(key: str, value) -> str:
    """The one number formatter: ``value`` of metric ``key`` as users read it."""
    return metric(key).fmt(value)
