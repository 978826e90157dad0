"""Vocabularies of the canonical contact model and of data collection."""
from django.db import models

# Cumulative wait buckets kept on every interval rollup: ``answered_le_<b>s`` counts answered
# contacts that waited at most b seconds, ``abandoned_le_<b>s`` likewise for abandons. Service
# level, short abandons and the service-level curve for any of these thresholds are sums of them.
# Seconds for voice and chat; minutes to days for the response-time targets of e-mail, web
# forms and social messages (15 and 30 min, 1, 4 and 8 h, 24 and 48 h).
WAIT_BUCKETS_S = (5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600,
                  900, 1800, 3600, 14400, 28800, 86400, 172800)


def wait_bucket_label(seconds: int) -> str:
    """``20 s``, ``15 min``, ``4 h``: a wait bucket as people say it."""
    if seconds < 900:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
INTERVAL_S = 900

# Data quality, not a KPI: the share of an import file's rows that may be rejected before the
# batch raises a data-collection alert, for a new data source (the manager sets it per source).
REJECT_ALERT_SHARE_DEFAULT = 0.05


class SourceKind(models.TextChoices):
    ACD = "acd", "ACD"
    IVR = "ivr", "IVR"
    ACD_IVR = "acd_ivr", "ACD + IVR"
    CRM = "crm", "CRM / case management"
    WEB = "web", "Web / chat / e-mail platform"
    SURVEY = "survey", "Survey platform"
    WFM = "wfm", "Workforce / agent states"


class ExportFormat(models.TextChoices):
    AUTO = "auto", "Detect automatically"
    ANONYMOUS_BANK = "anonymous_bank", "Anonymous Bank call records (TSV)"
    ASTERISK = "asterisk_queue_log", "Asterisk queue_log"
    AMAZON_CONNECT = "amazon_connect", "Amazon Connect contact records (JSON)"
    INTERVAL_REPORT = "interval_report", "Interval report (CSV/XLSX)"
    GENERIC = "generic", "CSV/XLSX with a saved column mapping"
    SURVEY = "survey", "Survey responses (CSV/XLSX)"


class Cadence(models.TextChoices):
    HOURLY = "hourly", "Hourly"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class BatchStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    RUNNING = "running", "Processing"
    LOADED = "loaded", "Loaded"
    DUPLICATE = "duplicate", "Duplicate (nothing new)"
    FAILED = "failed", "Failed"


class ContactOutcome(models.TextChoices):
    HANDLED = "handled", "Handled"
    ABANDONED = "abandoned", "Abandoned"
    SELF_SERVED = "self_served", "Self-served in IVR"
    OVERFLOWED = "overflowed", "Overflowed"
    CALLBACK = "callback", "Callback"
    TRANSFERRED_OUT = "transferred_out", "Transferred out"
    ERROR = "error", "Error / no agent"


class SegmentKind(models.TextChoices):
    IVR = "ivr", "IVR"
    QUEUE = "queue", "Queue"
    AGENT = "agent", "Agent"
    TRANSFER = "transfer", "Transfer"
    ESCALATION = "escalation", "Escalation"
    WEB = "web", "Web contact"
    CMS = "cms", "Case management"
    CALLBACK = "callback", "Callback"


class SegmentOutcome(models.TextChoices):
    ANSWERED = "answered", "Answered"
    ABANDONED = "abandoned", "Abandoned"
    TRANSFERRED = "transferred", "Transferred"
    ESCALATED = "escalated", "Escalated"
    TIMED_OUT = "timed_out", "Timed out / flowed out"
    CONTAINED = "contained", "Contained (self-service)"
    TO_QUEUE = "to_queue", "Passed to queue"
    COMPLETED = "completed", "Completed"
    NO_AGENT = "no_agent", "Ended without an agent"
    OPEN = "open", "Still open at end of file"


class AgentStateKind(models.TextChoices):
    STAFFED = "staffed", "Logged in"
    AVAILABLE = "available", "Available"
    BUSY = "busy", "Busy"
    PAUSED = "paused", "Paused"
