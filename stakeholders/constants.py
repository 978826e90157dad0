"""Choices of stakeholders and dashboards, and which metrics a widget can show."""
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
    """Reporting periods; resolved in the centre's time zone by ``reports.periods``."""

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
    INTRADAY = "intraday", "Today against forecast, rest of today re-forecast, agents needed"


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


# The figures a widget can show: columns of the analysis engine's KPI tables. Their labels,
# units, formats and directions are the metric vocabulary's (``reports.vocabulary.METRICS``).
WIDGET_METRICS = ("offered", "answered", "handled", "abandoned", "service_level", "asa_s",
                  "aht_s", "abandon_rate", "transfer_rate", "escalation_rate", "ivr_containment",
                  "occupancy", "cost_per_contact")
