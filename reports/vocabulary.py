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
# The service-level variants in words (column ``service_level__<variant>``).
VARIANT_WORDS = {
    "excl_short_abandons": "short abandons excluded",
    "of_offered": "of offered",
    "excl_abandons_within_t": "abandons within T excluded",
    "abandons_within_t_positive": "abandons within T count as met",
    "of_answered": "of answered",
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
        variant = key.split("__", 1)[1]
        words = VARIANT_WORDS.get(variant, variant.replace("_", " "))
        return Metric(key, f"{m.label} ({words})", m.unit, m.definition, m.higher_is_better)
    unit = "seconds" if key.endswith("_s") else "count"
    return Metric(key, key.replace("_", " ").capitalize(), unit, "", None)


def label(key: str) -> str:
    return metric(key).label


def fmt(key: str, value) -> str:
    """The one number formatter: ``value`` of metric ``key`` as users read it."""
    return metric(key).fmt(value)


# --- column labels ----------------------------------------------------------------------------
# Every column a table or export shows has a label in words here (the metrics above, and the
# descriptive columns of the analysis tables below); unknown columns fall back to the column
# name in words, which tests/reports/test_column_labels.py refuses on the analysis pages.
# Units beyond the metrics': ``text``, ``date``, ``flag`` (yes/no), ``index`` (a plain number).
COLUMNS = {
    c.key: c
    for c in (
        Metric("period_start", "Period", "date", "", None),
        Metric("at", "When", "date", "", None),
        Metric("interval_start", "Interval", "date", "", None),
        Metric("local_date", "Day", "date", "", None),
        Metric("queue", "Queue", "text", "", None),
        Metric("channel", "Channel", "text", "", None),
        Metric("key", "Group", "text", "", None),
        Metric("key_label", "Group", "text", "", None),
        Metric("kpi", "KPI", "text", "", None),
        Metric("method", "Method", "text", "", None),
        Metric("direction", "Target is", "text", "", None),
        Metric("sl_basis", "Answered within", "text",
               "The service-level threshold each figure is judged at.", None),
        Metric("judged_at", "Answered within", "text", "", None),
        Metric("compared", "Compared with", "text", "", None),
        Metric("weekday_name", "Weekday", "text", "", None),
        Metric("month_of_year", "Month", "index", "", None),
        Metric("week_of_year", "Week of the year", "index", "", None),
        Metric("days", "Days", "count", "", None),
        Metric("days_closed", "Days closed", "count", "", None),
        Metric("days_with_data", "Days with data", "count", "", None),
        Metric("days_without_data", "Days without data", "count", "", None),
        Metric("days_with_data_year_before", "Days with data a year before", "count", "", None),
        Metric("mean_per_day", "Contacts per day (mean)", "count", "", None),
        Metric("mean_per_day_year_before", "Contacts per day a year before (mean)", "count", "",
               None),
        Metric("total", "Contacts", "count", "", None),
        Metric("total_year_before", "Contacts a year before", "count", "", None),
        Metric("change_rel", "Change", "ratio", "Relative change against the comparison.", None),
        Metric("partial", "Partial period", "flag", "", None),
        Metric("seasonal_index", "Seasonal index (1 = average)", "index", "", None),
        Metric("value", "Contacts", "count", "", None),
        Metric("ratio_to_median", "Times the median day", "index", "", None),
        Metric("baseline", "Expected (baseline)", "count", "", None),
        Metric("robust_z", "Deviation (robust z-score)", "index", "", None),
        Metric("share_of_day", "Share of the day", "ratio", "", None),
        Metric("traffic_erlangs", "Traffic (Erlangs)", "agents", "", None),
        Metric("scheduled_agents", "Scheduled agents", "agents",
               "Required agents / (1 − shrinkage).", None),
        Metric("gap_agents", "Agent gap", "agents", "", None),
        Metric("agents", "Agents", "agents", "", None),
        Metric("abandon_share", "Abandon share", "ratio", "", None),
        Metric("predicted_abandon", "Predicted abandon share", "ratio", "", None),
        Metric("wait_s", "Wait", "seconds", "", None),
        Metric("predicted_wait_s", "Predicted wait", "seconds", "", None),
        Metric("patience_s", "Patience", "seconds", "", None),
        Metric("forecast", "Forecast", "count", "", None),
        Metric("actual", "Actual", "count", "", None),
        Metric("target", "Target", "count", "", None),
        Metric("gap", "Gap", "count", "", None),
        Metric("met", "Met", "flag", "", None),
        Metric("attainment", "Attainment", "ratio", "", None),
        Metric("wape", "WAPE", "ratio", "Weighted absolute percentage error.", False),
        Metric("bias", "Bias", "ratio", "Σ (forecast − actual) / Σ actual.", None),
        Metric("daily_wape", "WAPE of daily totals", "ratio",
               "Weighted absolute percentage error of the daily totals.", False),
        Metric("daily_bias", "Bias of daily totals", "ratio",
               "Σ (forecast − actual) / Σ actual over the daily totals.", None),
        Metric("interval_wape", "WAPE per interval", "ratio",
               "Weighted absolute percentage error interval by interval.", False),
        Metric("interval_bias", "Bias per interval", "ratio", "", None),
        Metric("held_out_weeks", "Weeks held out", "count", "", None),
        Metric("aht_s_forecast", "AHT forecast", "seconds", "", None),
        Metric("offered_forecast", "Offered forecast", "count", "", None),
        Metric("forecast_offered", "Forecast offered", "count", "", None),
        Metric("forecast_handle_time_s", "Forecast handle time", "seconds",
               "The forecast's AHT; where an interval has volume and no AHT, the forecast's "
               "mean AHT.", None),
        Metric("cost", "Cost", "money", "", None),
        Metric("budget", "Budget", "money", "", None),
        Metric("budget_per_contact", "Budget per contact", "money", "", None),
        Metric("sl_threshold_s", "Service-level threshold", "seconds", "", None),
    )
}
UNIT_SUFFIX = {"seconds": " (s)", "ratio": " (0–1)", "money": " (currency)"}


def column(key: str) -> Metric | None:
    """The vocabulary entry of table column ``key`` (metrics, their variants, targets, wait
    percentiles and the descriptive columns above); None when it has none."""
    key = str(key)
    if key in METRICS:
        return METRICS[key]
    if key in COLUMNS:
        return COLUMNS[key]
    if key.endswith("_target"):
        base = column(key.removesuffix("_target"))
        return base and Metric(key, f"{base.label} target", base.unit, base.definition,
                               base.higher_is_better)
    if "__" in key and key.split("__")[0] in METRICS:
        return metric(key)
    if key.startswith("wait_p") and key[6:8].isdigit():
        pct = key[6:8]
        if key.endswith("_beyond_last_bucket"):
            return Metric(key, f"{pct}th percentile wait beyond the longest bucket", "flag", "",
                          None)
        if key.endswith("_s"):
            return Metric(key, f"Wait, {pct}th percentile", "seconds", "", False)
    return None


def column_label(key: str, *, raw: bool = False) -> str:
    """The header of column ``key`` in words. ``raw``: the values are written as bare numbers
    (exports), so the unit goes into the header — "AHT (s)", "Service level (0–1)"; on pages
    the cells carry their unit ("3.5 min", "82.0 %"), so the header is the words alone."""
    found = column(key)
    if found is None:
        return str(key).replace("_", " ").capitalize()
    return found.label + (UNIT_SUFFIX.get(found.unit, "") if raw else "")


def is_labelled(key: str) -> bool:
    return column(key) is not None
