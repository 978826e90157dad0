"""Vocabularies of stakeholders and dashboards, and the metrics a widget can show."""
from dataclasses import dataclass

from django.db import models


class StakeholderKind(models.TextChoices):
    CENTRE_STAFF = "centre_staff", "Centre staff"
    OWN_TEAM = "own_team", "Manager's own team"
    DEPARTMENT = "department", "Other internal department"
    EXECUTIVE = "executive", "Executive"
    VENDOR = "vendor", "Vendor / external contractor"


class Granularity(models.TextChoices):
    """Time grain of a widget or of a stakeholder's preferred view (local time of the centre)."""

    INTERVAL = "15min", "15 minutes"
    HALF_HOUR = "30min", "30 minutes"
    HOUR = "hour", "Hour"
    DAY = "day", "Day"
    WEEK = "week", "Week (Monday start)"
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Year"


class Cadence(models.TextChoices):
    """How often a stakeholder wants the information."""

    REAL_TIME = "real_time", "Real time (wallboard)"
    INTRADAY = "intraday", "Several times a day"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    ANNUAL = "annual", "Annual"


class Period(models.TextChoices):
    """Reporting periods; resolved in the centre's time zone by ``stakeholders.periods``."""

    TODAY = "today", "Today"
    YESTERDAY = "yesterday", "Yesterday"
    LAST_7_DAYS = "last_7_days", "Last 7 days"
    WEEK_TO_DATE = "week_to_date", "Week to date"
    MONTH_TO_DATE = "month_to_date", "Month to date"
    QUARTER_TO_DATE = "quarter_to_date", "Quarter to date"
    YEAR_TO_DATE = "year_to_date", "Year to date"
    ROLLING_13_MONTHS = "rolling_13_months", "Rolling 13 months"
    CUSTOM = "custom", "Custom dates"


class WidgetKind(models.TextChoices):
    KPI_TILE = "kpi_tile", "KPI tile (value, target, RAG, trend, sparkline)"
    TIME_SERIES = "time_series", "Time series with target band"
    HEATMAP = "heatmap", "Weekday × hour heatmap"
    SANKEY = "sankey", "Pathway flow (Sankey)"
    STAFFING = "staffing", "Required versus actual staffing"
    CONTROL_CHART = "control_chart", "Control chart"
    FORECAST = "forecast", "Forecast versus actual"
    TABLE = "table", "Table"


class Breakdown(models.TextChoices):
    """What a table or time series is split by."""

    NONE = "", "Nothing (scope total)"
    QUEUE = "queue", "Queue"
    CHANNEL = "channel", "Channel"
    CONTACT_TYPE = "contact_type", "Contact type (reason)"
    SEGMENT = "customer_segment", "Customer segment"
    SITE = "site", "Site"
    AGENT = "agent", "Agent"
    TEAM = "team", "Team"


@dataclass(frozen=True)
class Metric:
    """A metric a widget can show: the column of the analysis engine's KPI table that holds it,
    how to format it, its definition in words, and which direction is good."""

    key: str
    label: str
    unit: str  # "count", "ratio" (0..1, shown as %), "seconds", "money"
    definition: str
    higher_is_better: bool | None = True


METRICS = {
    m.key: m
    for m in (
        Metric("offered", "Offered", "count",
               "Contacts that entered the queue (IVR-contained contacts are not offered).", None),
        Metric("answered", "Answered", "count", "Contacts answered by an agent.", None),
        Metric("handled", "Handled", "count", "Contacts handled by an agent.", None),
        Metric("abandoned", "Abandoned", "count", "Contacts that hung up while queued.", False),
        Metric("service_level", "Service level", "ratio",
               "Answered within T / (offered − short abandons) unless the widget names another "
               "variant."),
        Metric("asa_s", "ASA", "seconds", "Σ wait of answered / answered.", False),
        Metric("aht_s", "AHT", "seconds", "(talk + hold + ACW) / handled.", False),
        Metric("abandon_rate", "Abandon rate", "ratio",
               "(abandoned − short abandons) / (offered − short abandons).", False),
        Metric("transfer_rate", "Transfer rate", "ratio", "Transferred / handled.", False),
        Metric("escalation_rate", "Escalation rate", "ratio", "Escalated / handled.", False),
        Metric("ivr_containment", "IVR containment", "ratio",
               "IVR sessions ending in self-service / IVR sessions."),
        Metric("occupancy", "Occupancy", "ratio", "Busy / (busy + available) agent time.", None),
        Metric("cost_per_contact", "Cost per contact", "money",
               "Cost (from the widget's cost per period) / handled contacts.", False),
    )
}
